// What SageMaker's operations (api_sagemaker.cc: hosting; api_sagemaker_training.cc:
// training jobs) share: SageMaker's errors, answers, ARNs, times and list paging.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/aws_api.h"
#include "base/status.h"
#include "net/http_types.h"

namespace tributary::app {

net::HttpResponse SageMakerError(int status, std::string_view type, const std::string& message);
// A Status as SageMaker's error: a missing or bad resource is ValidationException (as
// SageMaker answers "Could not find endpoint"), one in use ResourceInUse, a full queue
// ResourceLimitExceeded, Unavailable ServiceUnavailable, anything else InternalFailure.
net::HttpResponse SageMakerError(const Status& status);
net::HttpResponse SageMakerOk(const nlohmann::json& body);

// "arn:aws:sagemaker:local:000000000000:<kind>/<name>".
std::string SageMakerArn(std::string_view kind, const std::string& name);

// The member `key` of `j` from the /v1 API's "2026-12-03T15:20:01.123Z" to the epoch
// seconds JSON 1.1 sends times as; absent or of another form, it is left as it is.
void ToEpochSeconds(nlohmann::json& j, const char* key);

// One page of `items` (already filtered and sorted) from the position NextToken gives,
// at most MaxResults (1..100, default 10) of them, under `key`.
template <typename T, typename ToJson>
net::HttpResponse SageMakerListPage(const nlohmann::json& body, const std::vector<T>& items, const char* key,
                                    ToJson to_json) {
  size_t max = 10, start = 0;
  if (auto it = body.find("MaxResults"); it != body.end()) {
    if (!it->is_number_integer() || it->template get<int64_t>() < 1 || it->template get<int64_t>() > 100) {
      return SageMakerError(InvalidArgument("MaxResults: expected an integer 1..100"));
    }
    max = static_cast<size_t>(it->template get<int64_t>());
  }
  if (auto it = body.find("NextToken"); it != body.end()) {
    if (!it->is_string() || it->template get<std::string>().empty()) {
      return SageMakerError(InvalidArgument("NextToken is not one this server gave"));
    }
    auto position = PositionToken(it->template get<std::string>());
    if (!position.ok()) return SageMakerError(position.status());
    start = *position;
  }
  nlohmann::json list = nlohmann::json::array();
  size_t i = start;
  for (; i < items.size() && list.size() < max; ++i) list.push_back(to_json(items[i]));
  nlohmann::json out = {{key, list}};
  if (i < items.size()) out["NextToken"] = std::to_string(i);
  return SageMakerOk(out);
}

// NameContains, then SortBy (Name, CreationTime, the default, or `other_sort` when given
// with its key, e.g. ListTrainingJobs' Status) and SortOrder (Descending, the default,
// or Ascending), as SageMaker's List calls take them.
template <typename T, typename Name, typename Created, typename Other>
Result<std::vector<T>> SageMakerFilterAndSort(const nlohmann::json& body, std::vector<T> items, Name name,
                                              Created created, std::string_view other_sort, Other other) {
  if (auto it = body.find("NameContains"); it != body.end() && it->is_string()) {
    const std::string part = it->template get<std::string>();
    std::erase_if(items, [&](const T& item) { return name(item).find(part) == std::string::npos; });
  }
  const std::string by = body.value("SortBy", "CreationTime"), order = body.value("SortOrder", "Descending");
  if (by != "Name" && by != "CreationTime" && (other_sort.empty() || by != other_sort)) {
    return InvalidArgument("SortBy '" + by + "' is not one of Name, CreationTime" +
                           (other_sort.empty() ? std::string() : ", " + std::string(other_sort)));
  }
  if (order != "Ascending" && order != "Descending") {
    return InvalidArgument("SortOrder '" + order + "' is neither Ascending nor Descending");
  }
  std::stable_sort(items.begin(), items.end(), [&](const T& a, const T& b) {
    if (by == "Name") return name(a) < name(b);
    if (by == "CreationTime") return created(a) < created(b);
    return other(a) < other(b);
  });
  if (order == "Descending") std::reverse(items.begin(), items.end());
  return items;
}

template <typename T, typename Name, typename Created>
Result<std::vector<T>> SageMakerFilterAndSort(const nlohmann::json& body, std::vector<T> items, Name name,
                                              Created created) {
  return SageMakerFilterAndSort(body, std::move(items), name, created, "", name);
}

// A job list's StatusEquals (InProgress, Completed, Failed, Stopping, Stopped, the
// statuses training and transform jobs share): keeps the jobs whose `status_key` has it;
// InvalidArgument for another value, naming `what` ("training job").
Status FilterByJobStatus(const nlohmann::json& body, std::vector<nlohmann::json>* jobs, const char* status_key,
                         std::string_view what);

class Server;
// SageMaker's training job operations (api_sagemaker_training.cc); nullopt when
// `operation` is not one of them.
std::optional<net::HttpResponse> HandleSageMakerTrainingOperation(Server* server, std::string_view operation,
                                                                  const nlohmann::json& body);
inline constexpr char kSageMakerTrainingOperations[] =
    "CreateTrainingJob, DescribeTrainingJob, ListTrainingJobs, StopTrainingJob";
// SageMaker's batch transform operations (api_sagemaker_transform.cc); nullopt when
// `operation` is not one of them.
std::optional<net::HttpResponse> HandleSageMakerTransformOperation(Server* server, std::string_view operation,
                                                                   const nlohmann::json& body);
inline constexpr char kSageMakerTransformOperations[] =
    "CreateTransformJob, DescribeTransformJob, ListTransformJobs, StopTransformJob";

}  // namespace tributary::app
