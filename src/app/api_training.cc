// Training jobs over HTTP (src/training/README.md), after SageMaker's CreateTrainingJob,
// DescribeTrainingJob, ListTrainingJobs and StopTrainingJob, plus the job's log:
//   POST /v1/training-jobs                   CreateTrainingJob's body -> 201 + description
//   GET  /v1/training-jobs                   {"TrainingJobSummaries": [...]}
//   GET  /v1/training-jobs/{name}            DescribeTrainingJob's answer (+ "Progress")
//   GET  /v1/training-jobs/{name}/logs?offset=N&limit=M   lines from line N (follow with NextLine)
//   POST /v1/training-jobs/{name}/stop       -> 202 + description (Stopping, or Stopped if queued)
#include <charconv>

#include "app/api.h"
#include "app/server.h"
#include "training/training_jobs.h"

namespace tributary::app {

namespace {

using net::HttpRequest;
using net::HttpResponse;
using nlohmann::json;

constexpr int64_t kMaxLogLines = 10000;


}  // namespace

void AddTrainingRoutes(net::Router* router, Server* server) {
  router->Add("POST", "/v1/training-jobs", [server](HttpRequest& req) {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(body.status());
    auto d = server->training().Create(*body);
    if (!d.ok()) return ErrorResponse(d.status());
    return JsonResponse(*d, 201);
  });
  router->Add("GET", "/v1/training-jobs", [server](HttpRequest&) {
    auto list = server->training().List();
    if (!list.ok()) return ErrorResponse(list.status());
    return JsonResponse({{"TrainingJobSummaries", *list}});
  });
  router->Add("GET", "/v1/training-jobs/{name}", [server](HttpRequest& req) {
    auto d = server->training().Describe(req.params["name"]);
    if (!d.ok()) return ErrorResponse(d.status());
    return JsonResponse(*d);
  });
  router->Add("GET", "/v1/training-jobs/{name}/logs", [server](HttpRequest& req) {
    auto offset = QueryInt(req, "offset", 0, INT64_MAX / 2);
    if (!offset.ok()) return ErrorResponse(offset.status());
    auto limit = QueryInt(req, "limit", 1000, kMaxLogLines);
    if (!limit.ok()) return ErrorResponse(limit.status());
    auto logs = server->training().Logs(req.params["name"], *offset, static_cast<size_t>(*limit));
    if (!logs.ok()) return ErrorResponse(logs.status());
    return JsonResponse(*logs);
  });
  router->Add("POST", "/v1/training-jobs/{name}/stop", [server](HttpRequest& req) {
    Status st = server->training().StopJob(req.params["name"]);
    if (!st.ok()) return ErrorResponse(st);
    auto d = server->training().Describe(req.params["name"]);
    if (!d.ok()) return ErrorResponse(d.status());
    return JsonResponse(*d, 202);
  });
}

}  // namespace tributary::app
