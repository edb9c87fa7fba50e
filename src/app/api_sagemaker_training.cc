// SageMaker's training job operations in AWS's JSON 1.1 protocol (X-Amz-Target
// "SageMaker.<operation>", beside the hosting operations of api_sagemaker.cc), so that a
// training script written against SageMaker (an SDK's CreateTrainingJob and its
// waitUntilTrainingJobCompletedOrStopped, `aws sagemaker create-training-job`) trains
// DeepAR here unchanged (src/training/README.md):
//   CreateTrainingJob, DescribeTrainingJob, ListTrainingJobs, StopTrainingJob.
// The requests and descriptions are the /v1 API's, which speak SageMaker's shapes
// already; what this adds is the protocol: ARNs, times as epoch seconds, SageMaker's
// list filters and sorting, its error types.
#include <set>

#include "app/aws_tags.h"
#include "app/sagemaker_api.h"
#include "app/server.h"
#include "training/training_jobs.h"

namespace tributary::app {
namespace {

using nlohmann::json;
using net::HttpResponse;

// The times of a description or a summary, and of its transitions and metrics, as epoch
// seconds.
void TimesToEpochSeconds(json& j) {
  for (const char* key : {"CreationTime", "LastModifiedTime", "TrainingStartTime", "TrainingEndTime"}) {
    ToEpochSeconds(j, key);
  }
  for (const char* list : {"SecondaryStatusTransitions", "FinalMetricDataList"}) {
    auto it = j.find(list);
    if (it == j.end() || !it->is_array()) continue;
    for (json& item : *it) {
      for (const char* key : {"StartTime", "EndTime", "Timestamp"}) ToEpochSeconds(item, key);
    }
  }
}

HttpResponse CreateTrainingJob(Server* server, const json& body) {
  auto tags = TagListOf(body, "Tags");  // checked before the job is made
  if (!tags.ok()) return SageMakerError(tags.status());
  auto d = server->training().Create(body);
  if (!d.ok()) {
    // SageMaker's answer to a name in use.
    if (d.status().code() == ErrorCode::kAlreadyExists) return SageMakerError(400, "ResourceInUse", d.status().message());
    return SageMakerError(d.status());
  }
  const std::string arn = SageMakerArn("training-job", d->value("TrainingJobName", ""));
  if (Status st = KeepTags(server, arn, *tags); !st.ok()) return SageMakerError(st);
  return SageMakerOk({{"TrainingJobArn", arn}});
}

HttpResponse DescribeTrainingJob(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "TrainingJobName");
  if (!name.ok()) return SageMakerError(name.status());
  auto d = server->training().Describe(*name);
  if (!d.ok()) return SageMakerError(d.status());
  json j = std::move(*d);
  j["TrainingJobArn"] = SageMakerArn("training-job", *name);
  TimesToEpochSeconds(j);
  return SageMakerOk(j);
}

// A time filter of the request (epoch seconds, as the SDKs send them), or nullopt.
Result<std::optional<double>> TimeFilter(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<double>();
  if (!it->is_number()) return InvalidArgument(std::string(key) + ": expected a time (epoch seconds), got " + it->dump());
  return std::optional<double>(it->get<double>());
}

HttpResponse ListTrainingJobs(Server* server, const json& body) {
  auto list = server->training().List();
  if (!list.ok()) return SageMakerError(list.status());
  std::vector<json> jobs;
  for (json& summary : *list) {
    summary["TrainingJobArn"] = SageMakerArn("training-job", summary.value("TrainingJobName", ""));
    TimesToEpochSeconds(summary);
    jobs.push_back(std::move(summary));
  }
  if (Status st = FilterByJobStatus(body, &jobs, "TrainingJobStatus", "training job"); !st.ok()) return SageMakerError(st);
  struct Bound {
    const char* key;
    const char* field;
    bool after;
  };
  for (const Bound& b : {Bound{"CreationTimeAfter", "CreationTime", true}, Bound{"CreationTimeBefore", "CreationTime", false},
                         Bound{"LastModifiedTimeAfter", "LastModifiedTime", true},
                         Bound{"LastModifiedTimeBefore", "LastModifiedTime", false}}) {
    auto bound = TimeFilter(body, b.key);
    if (!bound.ok()) return SageMakerError(bound.status());
    if (!*bound) continue;
    std::erase_if(jobs, [&](const json& j) {
      const double t = j.value(b.field, 0.0);
      return b.after ? !(t > **bound) : !(t < **bound);
    });
  }
  // ListTrainingJobs sorts in ascending order unless told otherwise (the hosting lists
  // descend).
  json request = body;
  if (!request.contains("SortOrder")) request["SortOrder"] = "Ascending";
  auto sorted = SageMakerFilterAndSort(
      request, std::move(jobs), [](const json& j) { return j.value("TrainingJobName", ""); },
      [](const json& j) { return j.value("CreationTime", 0.0); }, "Status",
      [](const json& j) { return j.value("TrainingJobStatus", ""); });
  if (!sorted.ok()) return SageMakerError(sorted.status());
  return SageMakerListPage(body, *sorted, "TrainingJobSummaries", [](const json& j) { return j; });
}

HttpResponse StopTrainingJob(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "TrainingJobName");
  if (!name.ok()) return SageMakerError(name.status());
  Status st = server->training().StopJob(*name);
  // A job that has ended cannot be stopped: SageMaker's ValidationException.
  if (st.code() == ErrorCode::kFailedPrecondition) return SageMakerError(400, "ValidationException", st.message());
  if (!st.ok()) return SageMakerError(st);
  return SageMakerOk(json::object());
}

}  // namespace

std::optional<HttpResponse> HandleSageMakerTrainingOperation(Server* server, std::string_view op, const json& body) {
  if (op == "CreateTrainingJob") return CreateTrainingJob(server, body);
  if (op == "DescribeTrainingJob") return DescribeTrainingJob(server, body);
  if (op == "ListTrainingJobs") return ListTrainingJobs(server, body);
  if (op == "StopTrainingJob") return StopTrainingJob(server, body);
  return std::nullopt;
}

}  // namespace tributary::app
