// SageMaker's batch transform in AWS's JSON 1.1 protocol (X-Amz-Target
// "SageMaker.<operation>"), so that a script written against SageMaker (an SDK's
// CreateTransformJob and waitUntilTransformJobCompletedOrStopped, `aws sagemaker
// create-transform-job`) runs DeepAR over the lake here unchanged:
//   CreateTransformJob, DescribeTransformJob, ListTransformJobs, StopTransformJob.
// The jobs are serving/transform_jobs.h's (`tributary transform`, /v1/transform-jobs);
// this maps SageMaker's request onto theirs and back:
//   TransformInput.DataSource.S3DataSource {S3DataType S3Prefix, S3Uri}  input bucket, prefix
//   TransformOutput.S3OutputPath                                        output bucket, prefix
//   TransformResources.InstanceCount                                    model workers (1..16)
//   BatchStrategy SingleRecord | MultiRecord, MaxConcurrentTransforms   records a request
//   Environment.DEEPAR_INFERENCE_CONFIG (JSON text)                     DeepAR's configuration
// Input objects are read a line a series (SplitType Line, as DeepAR's batch transform
// wants); each one's forecasts go to <S3OutputPath><key past the input prefix>.out, a line
// a series (AssembleWith Line). What SageMaker takes and only describes AWS
// (InstanceType, MaxPayloadInMB, DataProcessing, ModelClientConfig, ...) is accepted and
// described back; what would ask for something else (a manifest, RecordIO, compression,
// KMS) is refused naming the field.
#include <set>

#include "app/aws_api.h"
#include "app/aws_tags.h"
#include "app/sagemaker_api.h"
#include "app/server.h"
#include "base/json_text.h"
#include "serving/transform_jobs.h"

namespace tributary::app {
namespace {

using nlohmann::json;
using net::HttpResponse;

// "s3://bucket/prefix" -> {bucket, prefix}; InvalidArgument naming `field`.
Result<std::pair<std::string, std::string>> S3UriOf(const json& value, const std::string& field) {
  if (!value.is_string()) return InvalidArgument(field + ": required, s3://<bucket>/<prefix>");
  const std::string uri = value.get<std::string>();
  if (uri.rfind("s3://", 0) != 0 || uri.size() == 5 || uri[5] == '/') {
    return InvalidArgument(field + ": '" + uri + "' is not s3://<bucket>/<prefix>");
  }
  const size_t slash = uri.find('/', 5);
  if (slash == std::string::npos) return std::make_pair(uri.substr(5), std::string());
  return std::make_pair(uri.substr(5, slash - 5), uri.substr(slash + 1));
}

// A field that must be absent or one of `allowed`.
Status OneOf(const json& object, const char* key, const std::set<std::string>& allowed, const std::string& where,
             const std::string& why) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  const std::string value = it->is_string() ? it->get<std::string>() : it->dump();
  if (allowed.count(value)) return Status::Ok();
  return InvalidArgument(where + "." + key + ": '" + value + "' is not served (" + why + ")");
}

// SageMaker's CreateTransformJob request as the transform jobs' own.
Result<json> NativeRequestOf(const json& body) {
  TRY_ASSIGN(std::string name, RequiredAwsString(body, "TransformJobName"));
  TRY_ASSIGN(std::string model, RequiredAwsString(body, "ModelName"));
  json native = {{"TransformJobName", name}, {"ModelName", model}};

  const json input = body.value("TransformInput", json());
  if (!input.is_object()) return InvalidArgument("TransformInput: required");
  TRY_ASSIGN(const json* data_source, OptionalAwsObject(input, "DataSource", "TransformInput."));
  const json* source_field = nullptr;
  if (data_source != nullptr) {
    TRY_ASSIGN(source_field,
               OptionalAwsObject(*data_source, "S3DataSource", "TransformInput.DataSource."));
  }
  if (source_field == nullptr)
    return InvalidArgument("TransformInput.DataSource.S3DataSource: required");
  const json& source = *source_field;
  TRY(OneOf(source, "S3DataType", {"S3Prefix"}, "TransformInput.DataSource.S3DataSource",
            "the objects under S3Uri are read; no manifests"));
  TRY_ASSIGN(auto in, S3UriOf(source.value("S3Uri", json()), "TransformInput.DataSource.S3DataSource.S3Uri"));
  native["TransformInput"] = {{"Bucket", in.first}, {"Prefix", in.second}};
  TRY(OneOf(input, "SplitType", {"Line"}, "TransformInput", "objects are JSON Lines, a series a line: Line"));
  TRY(OneOf(input, "CompressionType", {"None"}, "TransformInput", "objects are read as they are: None"));
  TRY(OneOf(input, "ContentType", {"application/jsonlines", "application/json"}, "TransformInput",
            "DeepAR's series: application/jsonlines"));

  const json output = body.value("TransformOutput", json());
  if (!output.is_object()) return InvalidArgument("TransformOutput: required");
  TRY_ASSIGN(auto out, S3UriOf(output.value("S3OutputPath", json()), "TransformOutput.S3OutputPath"));
  if (!out.second.empty() && out.second.back() != '/') out.second += '/';
  native["TransformOutput"] = {{"Bucket", out.first}, {"Prefix", out.second}};
  TRY(OneOf(output, "AssembleWith", {"Line", "None"}, "TransformOutput", "a forecast a line"));
  TRY(OneOf(output, "Accept", {"application/jsonlines", "application/json"}, "TransformOutput",
            "DeepAR's forecasts: application/jsonlines"));
  if (output.contains("KmsKeyId") && !output["KmsKeyId"].is_null()) {
    return InvalidArgument("TransformOutput.KmsKeyId: not served (the lake is not encrypted by a key)");
  }

  const json resources = body.value("TransformResources", json());
  if (!resources.is_object() || !resources.contains("InstanceCount") || !resources["InstanceCount"].is_number_integer()) {
    return InvalidArgument("TransformResources.InstanceCount: required, 1..16");
  }
  native["InstanceCount"] = resources["InstanceCount"];
  TRY(OneOf(body, "BatchStrategy", {"MultiRecord", "SingleRecord"}, "", "MultiRecord or SingleRecord"));
  TRY_ASSIGN(std::string strategy, OptionalAwsString(body, "BatchStrategy", "MultiRecord"));
  if (strategy == "SingleRecord") native["MaxRecordsPerBatch"] = 1;
  if (auto env = body.find("Environment"); env != body.end() && env->is_object()) {
    if (auto config = env->find("DEEPAR_INFERENCE_CONFIG"); config != env->end()) {
      if (config->is_string()) {
        TRY(CheckJsonDepth(config->get<std::string>(), "Environment.DEEPAR_INFERENCE_CONFIG"));
      }
      json parsed = config->is_string() ? json::parse(config->get<std::string>(), nullptr, false) : json();
      if (!parsed.is_object()) {
        return InvalidArgument("Environment.DEEPAR_INFERENCE_CONFIG: expected a JSON object as text "
                               "({\"num_samples\": 100, \"output_types\": [\"mean\", \"quantiles\"], ...})");
      }
      native["Configuration"] = parsed;
    }
  }
  // SageMaker's own shape, described back as given.
  json aws = json::object();
  for (const char* key : {"TransformInput", "TransformOutput", "TransformResources", "BatchStrategy",
                          "MaxConcurrentTransforms", "MaxPayloadInMB", "Environment", "DataProcessing",
                          "ModelClientConfig"}) {
    if (body.contains(key) && !body[key].is_null()) aws[key] = body[key];
  }
  native["SageMaker"] = aws;
  return native;
}

// A transform job's description (or summary) as SageMaker gives it.
json DescriptionOf(const json& doc, bool summary) {
  const std::string name = doc.value("TransformJobName", "");
  json j = {{"TransformJobName", name},
            {"TransformJobArn", SageMakerArn("transform-job", name)},
            {"TransformJobStatus", doc.value("TransformJobStatus", "")},
            {"CreationTime", doc.value("CreationTime", "")}};
  if (doc.contains("FailureReason")) j["FailureReason"] = doc["FailureReason"];
  if (doc.contains("TransformEndTime")) {
    j["TransformEndTime"] = doc["TransformEndTime"];
    j["LastModifiedTime"] = doc["TransformEndTime"];
  } else {
    j["LastModifiedTime"] = j["CreationTime"];
  }
  if (!summary) {
    j["ModelName"] = doc.value("ModelName", "");
    j["TransformStartTime"] = j["CreationTime"];
    json aws = doc.value("SageMaker", json::object());
    if (!aws.contains("TransformInput")) {  // a job made through /v1: its locations as S3 URIs
      const json in = doc.value("TransformInput", json::object());
      const json out = doc.value("TransformOutput", json::object());
      aws["TransformInput"] = {{"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"},
          {"S3Uri", "s3://" + in.value("Bucket", "") + "/" + in.value("Prefix", "")}}}}}, {"SplitType", "Line"}};
      aws["TransformOutput"] = {{"S3OutputPath", "s3://" + out.value("Bucket", "") + "/" + out.value("Prefix", "")},
                                {"AssembleWith", "Line"}};
      aws["TransformResources"] = {{"InstanceCount", doc.value("InstanceCount", 1)}, {"InstanceType", "local"}};
    }
    for (const auto& [key, value] : aws.items()) j[key] = value;
  }
  for (const char* key : {"CreationTime", "TransformStartTime", "TransformEndTime", "LastModifiedTime"}) {
    ToEpochSeconds(j, key);
  }
  return j;
}

HttpResponse CreateTransformJob(Server* server, const json& body) {
  auto tags = TagListOf(body, "Tags");  // checked before the job is made
  if (!tags.ok()) return SageMakerError(tags.status());
  auto native = NativeRequestOf(body);
  if (!native.ok()) return SageMakerError(native.status());
  const std::string name = (*native)["TransformJobName"];
  // The model is there before the job is made (SageMaker refuses a missing one at once).
  if (Status model = server->serving_store().GetModel((*native)["ModelName"]).status(); !model.ok()) {
    return SageMakerError(model);
  }
  if (Status st = server->transforms().Start(*native); !st.ok()) {
    if (st.code() == ErrorCode::kAlreadyExists) return SageMakerError(400, "ResourceInUse", st.message());
    return SageMakerError(st);
  }
  const std::string arn = SageMakerArn("transform-job", name);
  if (Status st = KeepTags(server, arn, *tags); !st.ok()) return SageMakerError(st);
  return SageMakerOk({{"TransformJobArn", arn}});
}

HttpResponse DescribeTransformJob(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "TransformJobName");
  if (!name.ok()) return SageMakerError(name.status());
  auto doc = server->transforms().Describe(*name);
  if (!doc.ok()) return SageMakerError(doc.status());
  return SageMakerOk(DescriptionOf(*doc, /*summary=*/false));
}

HttpResponse ListTransformJobs(Server* server, const json& body) {
  auto list = server->transforms().List();
  if (!list.ok()) return SageMakerError(list.status());
  std::vector<json> jobs;
  for (const json& item : *list) {
    auto doc = server->transforms().Describe(item.value("TransformJobName", ""));
    if (doc.ok()) jobs.push_back(DescriptionOf(*doc, /*summary=*/true));
  }
  if (Status st = FilterByJobStatus(body, &jobs, "TransformJobStatus", "transform job"); !st.ok()) return SageMakerError(st);
  auto sorted = SageMakerFilterAndSort(
      body, std::move(jobs), [](const json& j) { return j.value("TransformJobName", ""); },
      [](const json& j) { return j.value("CreationTime", 0.0); }, "Status",
      [](const json& j) { return j.value("TransformJobStatus", ""); });
  if (!sorted.ok()) return SageMakerError(sorted.status());
  return SageMakerListPage(body, *sorted, "TransformJobSummaries", [](const json& j) { return j; });
}

HttpResponse StopTransformJob(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "TransformJobName");
  if (!name.ok()) return SageMakerError(name.status());
  Status st = server->transforms().StopJob(*name);
  if (st.code() == ErrorCode::kFailedPrecondition) return SageMakerError(400, "ValidationException", st.message());
  if (!st.ok()) return SageMakerError(st);
  return SageMakerOk(json::object());
}

}  // namespace

std::optional<HttpResponse> HandleSageMakerTransformOperation(Server* server, std::string_view op, const json& body) {
  if (op == "CreateTransformJob") return CreateTransformJob(server, body);
  if (op == "DescribeTransformJob") return DescribeTransformJob(server, body);
  if (op == "ListTransformJobs") return ListTransformJobs(server, body);
  if (op == "StopTransformJob") return StopTransformJob(server, body);
  return std::nullopt;
}

}  // namespace tributary::app
