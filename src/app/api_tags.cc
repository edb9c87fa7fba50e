// AWS's tag operations over the tags store (resource_tags.h), for the tools that tag what
// they make and read the tags back (Terraform reads a delivery stream's or an endpoint's
// tags after creating it):
//   Firehose: ListTagsForDeliveryStream, TagDeliveryStream, UntagDeliveryStream (and
//             CreateDeliveryStream's Tags, api_firehose.cc)
//   SageMaker: AddTags, ListTags, DeleteTags on a model, endpoint config, endpoint or
//             training job by its ARN (and the Create* calls' Tags)
// Tags are [{"Key", "Value"}] lists in both. A resource that does not exist is refused as
// each service refuses it; so are tags past AWS's limits, naming the tag.
#include "app/aws_tags.h"

#include "app/aws_api.h"
#include "app/firehose_shapes.h"
#include "app/resource_tags.h"
#include "app/sagemaker_api.h"
#include "app/server.h"
#include "base/log.h"
#include "serving/endpoint_manager.h"
#include "serving/store.h"
#include "streams/stream_manager.h"
#include "training/training_jobs.h"

namespace tributary::app {
namespace {

using nlohmann::json;
using net::HttpResponse;

HttpResponse FirehoseTagError(const Status& st) {
  switch (st.code()) {
    case ErrorCode::kNotFound: return AwsError(kFirehoseService, 400, "ResourceNotFoundException", st.message());
    case ErrorCode::kInvalidArgument: return AwsError(kFirehoseService, 400, "InvalidArgumentException", st.message());
    case ErrorCode::kResourceExhausted: return AwsError(kFirehoseService, 400, "LimitExceededException", st.message());
    default: return AwsError(kFirehoseService, 500, "ServiceUnavailableException", st.message());
  }
}

// The stream DeliveryStreamName names, as its ARN; NotFound when there is none.
Result<std::string> StreamArnOf(Server* server, const json& body) {
  TRY_ASSIGN(std::string name, RequiredAwsString(body, "DeliveryStreamName"));
  TRY(server->streams().Describe(name).status());
  return DeliveryStreamArn(name);
}

Result<std::vector<std::string>> KeysOf(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_array() || it->empty()) return InvalidArgument(std::string(field) + ": required, tag keys");
  std::vector<std::string> keys;
  for (const json& k : *it) {
    if (!k.is_string()) return InvalidArgument(std::string(field) + ": expected tag keys (strings)");
    keys.push_back(k.get<std::string>());
  }
  return keys;
}

HttpResponse ListTagsForDeliveryStream(Server* server, const json& body) {
  auto arn = StreamArnOf(server, body);
  if (!arn.ok()) return FirehoseTagError(arn.status());
  size_t limit = 50;
  if (auto it = body.find("Limit"); it != body.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 50) {
      return FirehoseTagError(InvalidArgument("Limit: expected an integer 1..50"));
    }
    limit = static_cast<size_t>(it->get<int64_t>());
  }
  std::string after;
  if (auto it = body.find("ExclusiveStartTagKey"); it != body.end() && it->is_string()) after = it->get<std::string>();
  auto tags = server->tags().List(*arn);
  if (!tags.ok()) return FirehoseTagError(tags.status());
  Tags page;
  bool more = false;
  for (auto it = after.empty() ? tags->begin() : tags->upper_bound(after); it != tags->end(); ++it) {
    if (page.size() == limit) {
      more = true;
      break;
    }
    page.insert(*it);
  }
  return AwsResponse(kFirehoseService, {{"Tags", TagListJson(page)}, {"HasMoreTags", more}});
}

HttpResponse TagDeliveryStream(Server* server, const json& body) {
  auto arn = StreamArnOf(server, body);
  if (!arn.ok()) return FirehoseTagError(arn.status());
  auto tags = TagListOf(body, "Tags");
  if (!tags.ok()) return FirehoseTagError(tags.status());
  if (tags->empty()) return FirehoseTagError(InvalidArgument("Tags: required, 1..50 {\"Key\", \"Value\"}"));
  if (Status st = server->tags().Add(*arn, *tags); !st.ok()) return FirehoseTagError(st);
  return AwsResponse(kFirehoseService, json::object());
}

HttpResponse UntagDeliveryStream(Server* server, const json& body) {
  auto arn = StreamArnOf(server, body);
  if (!arn.ok()) return FirehoseTagError(arn.status());
  auto keys = KeysOf(body, "TagKeys");
  if (!keys.ok()) return FirehoseTagError(keys.status());
  if (Status st = server->tags().Remove(*arn, *keys); !st.ok()) return FirehoseTagError(st);
  return AwsResponse(kFirehoseService, json::object());
}

// The SageMaker resource ResourceArn names: NotFound when there is none (SageMaker's
// ValidationException), InvalidArgument for an ARN of a kind not served here.
Result<std::string> SageMakerResourceOf(Server* server, const json& body) {
  TRY_ASSIGN(std::string arn, RequiredAwsString(body, "ResourceArn"));
  // Any region and account: the kind and name are what name a resource here.
  constexpr std::string_view kPrefix = "arn:aws:sagemaker:";
  const size_t region_end = arn.rfind(kPrefix, 0) == 0 ? arn.find(':', kPrefix.size()) : std::string::npos;
  const size_t account_end = region_end == std::string::npos ? region_end : arn.find(':', region_end + 1);
  if (account_end == std::string::npos) {
    return InvalidArgument("ResourceArn '" + arn + "' is not a SageMaker ARN (arn:aws:sagemaker:<region>:<account>:<kind>/<name>)");
  }
  const std::string rest = arn.substr(account_end + 1);
  const size_t slash = rest.find('/');
  const std::string kind = rest.substr(0, slash);
  const std::string name = slash == std::string::npos ? "" : rest.substr(slash + 1);
  Status exists;
  if (kind == "model") {
    exists = server->serving_store().GetModel(name).status();
  } else if (kind == "endpoint-config") {
    exists = server->serving_store().GetConfig(name).status();
  } else if (kind == "endpoint") {
    auto found = server->serving_store().FindEndpoint(name);
    exists = !found.ok() ? found.status() : *found ? Status::Ok() : NotFound("Could not find endpoint \"" + name + "\"");
  } else if (kind == "training-job") {
    exists = server->training().Describe(name).status();
  } else {
    return InvalidArgument("ResourceArn '" + arn + "': tags are kept here for models, endpoint configs, endpoints "
                           "and training jobs, not " + kind);
  }
  TRY(exists);
  return SageMakerArn(kind, name);  // one key whatever region and account the caller wrote
}

HttpResponse AddTags(Server* server, const json& body) {
  auto arn = SageMakerResourceOf(server, body);
  if (!arn.ok()) return SageMakerError(arn.status());
  auto tags = TagListOf(body, "Tags");
  if (!tags.ok()) return SageMakerError(tags.status());
  if (Status st = server->tags().Add(*arn, *tags); !st.ok()) return SageMakerError(st);
  return SageMakerOk({{"Tags", TagListJson(*tags)}});
}

HttpResponse ListTags(Server* server, const json& body) {
  auto arn = SageMakerResourceOf(server, body);
  if (!arn.ok()) return SageMakerError(arn.status());
  auto tags = server->tags().List(*arn);
  if (!tags.ok()) return SageMakerError(tags.status());
  return SageMakerOk({{"Tags", TagListJson(*tags)}});  // at most 50: one page
}

HttpResponse DeleteTags(Server* server, const json& body) {
  auto arn = SageMakerResourceOf(server, body);
  if (!arn.ok()) return SageMakerError(arn.status());
  auto keys = KeysOf(body, "TagKeys");
  if (!keys.ok()) return SageMakerError(keys.status());
  if (Status st = server->tags().Remove(*arn, *keys); !st.ok()) return SageMakerError(st);
  return SageMakerOk(json::object());
}

}  // namespace

Result<Tags> TagListOf(const json& body, const char* field) {
  Tags tags;
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return tags;
  if (!it->is_array()) return InvalidArgument(std::string(field) + ": expected a list of {\"Key\", \"Value\"}");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& t = (*it)[i];
    const std::string at = std::string(field) + "[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("Key") || !t["Key"].is_string()) return InvalidArgument(at + ".Key: required, a string");
    if (t.contains("Value") && !t["Value"].is_null() && !t["Value"].is_string()) {
      return InvalidArgument(at + ".Value: expected a string");
    }
    tags[t["Key"].get<std::string>()] = t.value("Value", "");
  }
  TRY(ValidateTags(tags).WithContext(field));
  return tags;
}

Status KeepTags(Server* server, const std::string& arn, const Tags& tags) {
  return tags.empty() ? Status::Ok() : server->tags().Add(arn, tags);
}

void ForgetTags(Server* server, const std::string& arn) {
  if (Status st = server->tags().Forget(arn); !st.ok()) {
    Logger("tags")->warn("the tags of deleted {} stay in the metadata database: {}", arn, st.ToString());
  }
}

json TagListJson(const Tags& tags) {
  json list = json::array();
  for (const auto& [key, value] : tags) list.push_back({{"Key", key}, {"Value", value}});
  return list;
}

std::optional<HttpResponse> HandleFirehoseTagOperation(Server* server, std::string_view op, const json& body) {
  if (op == "ListTagsForDeliveryStream") return ListTagsForDeliveryStream(server, body);
  if (op == "TagDeliveryStream") return TagDeliveryStream(server, body);
  if (op == "UntagDeliveryStream") return UntagDeliveryStream(server, body);
  return std::nullopt;
}

std::optional<HttpResponse> HandleSageMakerTagOperation(Server* server, std::string_view op, const json& body) {
  if (op == "AddTags") return AddTags(server, body);
  if (op == "ListTags") return ListTags(server, body);
  if (op == "DeleteTags") return DeleteTags(server, body);
  return std::nullopt;
}

}  // namespace tributary::app
