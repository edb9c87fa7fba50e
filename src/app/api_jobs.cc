// /v1/jobs: ETL jobs over HTTP, after Glue's CreateJob, UpdateJob, GetJob(s), DeleteJob,
// StartJobRun, GetJobRun(s) and BatchStopJobRun:
//   POST   /v1/jobs                {"name", "job": {source, transforms, target}, "replace"?}
//                                  or {"name", "job_yaml": "<the job as YAML>", "file"?, ...}:
//                                  the YAML becomes the same JSON job (lake/job_document.h);
//                                  its errors name "file" (default job.yaml) line and column
//   GET    /v1/jobs                GET /v1/jobs/{name}   DELETE /v1/jobs/{name}
//   POST   /v1/jobs/{name}/run     -> 202 {"run_id"}  (the run goes on a worker thread)
//   POST   /v1/jobs/{name}/stop
//   GET    /v1/jobs/{name}/runs[/{id}]
// A bad job document is a 400 whose message names the JSON path ("$.transforms[1].filter").
#include "app/aws_tags.h"
#include "app/api.h"
#include "app/server.h"
#include "lake/job_document.h"
#include "lake/job_manager.h"

namespace tributary::app {

namespace {

using net::HttpRequest;
using net::HttpResponse;
using nlohmann::json;

json JobJson(Server* server, const lake::JobDefinition& j) {
  json out = lake::ToJson(j);
  auto running = server->jobs().Running(j.name);
  out["state"] = running ? "running" : "ready";
  auto runs = server->jobs().ListRuns(j.name, 1);
  if (runs.ok() && !runs->empty()) out["last_run"] = lake::ToJson((*runs)[0]);
  return out;
}

HttpResponse CreateJob(Server* server, const HttpRequest& req) {
  auto body = ParseBody(req);
  if (!body.ok()) return ErrorResponse(body.status());
  bool yaml = body->is_object() && body->contains("job_yaml");
  if (!body->is_object() || !(*body)["name"].is_string() ||
      !(yaml ? (*body)["job_yaml"].is_string() : (*body)["job"].is_object())) {
    return ErrorResponse(InvalidArgument("request body needs 'name' (a string) and 'job' (the job document: "
                                         "source, transforms, target) or 'job_yaml' (it as YAML text)"));
  }
  std::string name = (*body)["name"].get<std::string>();
  bool replace = body->value("replace", false);
  lake::JobDocument doc;
  std::string file = body->value("file", "job.yaml");
  if (yaml) {
    auto converted = lake::YamlToJson((*body)["job_yaml"].get<std::string>(), file);
    if (!converted.ok()) return ErrorResponse(converted.status());
    doc = std::move(*converted);
  } else {
    doc.doc = (*body)["job"];
  }
  Status st = server->jobs().Create(name, doc.doc, replace);
  if (!st.ok()) return ErrorResponse(Status(st.code(), lake::LocateJobError(doc, file, st.message())));
  auto job = server->jobs().Get(name);
  if (!job.ok()) return ErrorResponse(job.status());
  return JsonResponse(JobJson(server, *job), 201);
}

}  // namespace

void AddJobRoutes(net::Router* router, Server* server) {
  router->Add("POST", "/v1/jobs", [server](HttpRequest& req) { return CreateJob(server, req); });
  router->Add("GET", "/v1/jobs", [server](HttpRequest&) {
    auto jobs = server->jobs().List();
    if (!jobs.ok()) return ErrorResponse(jobs.status());
    json list = json::array();
    for (const auto& j : *jobs) list.push_back(JobJson(server, j));
    return JsonResponse({{"jobs", list}});
  });
  router->Add("GET", "/v1/jobs/{name}", [server](HttpRequest& req) {
    auto j = server->jobs().Get(req.params["name"]);
    if (!j.ok()) return ErrorResponse(j.status());
    return JsonResponse(JobJson(server, *j));
  });
  router->Add("DELETE", "/v1/jobs/{name}", [server](HttpRequest& req) {
    Status st = server->jobs().Delete(req.params["name"]);
    if (!st.ok()) return ErrorResponse(st);
    ForgetTags(server, GlueArn("job/" + req.params["name"]));  // Glue's tags on it
    return JsonResponse({{"name", req.params["name"]}, {"deleted", true}});
  });
  router->Add("POST", "/v1/jobs/{name}/run", [server](HttpRequest& req) {
    auto id = server->jobs().Start(req.params["name"]);
    if (!id.ok()) return ErrorResponse(id.status());
    return JsonResponse({{"job", req.params["name"]}, {"run_id", *id}}, 202);
  });
  router->Add("POST", "/v1/jobs/{name}/stop", [server](HttpRequest& req) {
    Status st = server->jobs().Stop(req.params["name"]);
    if (!st.ok()) return ErrorResponse(st);
    return JsonResponse({{"job", req.params["name"]}, {"stopping", true}});
  });
  router->Add("GET", "/v1/jobs/{name}/runs", [server](HttpRequest& req) {
    auto runs = server->jobs().ListRuns(req.params["name"]);
    if (!runs.ok()) return ErrorResponse(runs.status());
    json list = json::array();
    for (const auto& r : *runs) list.push_back(lake::ToJson(r));
    return JsonResponse({{"runs", list}});
  });
  router->Add("GET", "/v1/jobs/{name}/runs/{id}", [server](HttpRequest& req) {
    int64_t id = 0;
    try {
      id = std::stoll(req.params["id"]);
    } catch (const std::exception&) {
      return ErrorResponse(InvalidArgument("run id '" + req.params["id"] + "' is not a number"));
    }
    auto run = server->jobs().GetRun(req.params["name"], id);
    if (!run.ok()) return ErrorResponse(run.status());
    return JsonResponse(lake::ToJson(*run));
  });
}

}  // namespace tributary::app
