// Glue's ETL jobs in AWS's JSON 1.1 protocol ("AWSGlue.<operation>", beside the catalog
// and crawlers of api_glue.cc), so that the reference's "run the Glue job" step, and the
// scripts that create, start and follow Glue jobs, run Tributary's ETL jobs (lake/
// job_manager.h) with AWS's own tools:
//   CreateJob, UpdateJob, GetJob, GetJobs, DeleteJob, StartJobRun, GetJobRun, GetJobRuns,
//   BatchStopJobRun.
// A Glue job's script is a PySpark program in S3; here it is the job document (source,
// transforms, target), YAML or JSON, in the lake: Command.ScriptLocation
// "s3://<bucket>/<key>.yaml" names it (upload it with the S3 API), and it is read once,
// when the job is created or updated.
#include "app/aws_api.h"
#include "app/aws_tags.h"
#include "app/glue_api.h"
#include "app/lake_reads.h"
#include "app/server.h"
#include "lake/job_document.h"
#include "lake/job_manager.h"
#include "objstore/object_store.h"

namespace tributary::app {
namespace {

using nlohmann::json;
using net::HttpResponse;

// The one job argument taken: bookmarks are always on here, as Glue's
// "job-bookmark-enable" asks.
constexpr char kBookmarkOption[] = "--job-bookmark-option";

// A Status as Glue's error for a job call: a job already there is AlreadyExistsException,
// one running ConcurrentRunsExceededException; the rest as GlueError.
HttpResponse JobError(const Status& st) {
  if (st.code() == ErrorCode::kAlreadyExists) return GlueError(400, "AlreadyExistsException", st.message());
  if (st.code() == ErrorCode::kFailedPrecondition) {
    return GlueError(400, "ConcurrentRunsExceededException", st.message());
  }
  return GlueError(st);
}

// The job document Command.ScriptLocation names in the lake, and its file name (for the
// places of its errors).
struct Script {
  lake::JobDocument document;
  std::string file;
  std::string location;
};
Result<Script> ReadScript(Server* server, const json& command, const std::string& where) {
  if (!command.is_object() || !command.contains("ScriptLocation") || !command["ScriptLocation"].is_string()) {
    return InvalidArgument(where + ".ScriptLocation is required: the job document (YAML or JSON) in the lake, "
                                   "s3://<bucket>/<key>.yaml");
  }
  Script script;
  script.location = command["ScriptLocation"].get<std::string>();
  const std::string name = command.value("Name", "glueetl");
  if (name != "glueetl" && name != "pythonshell" && name != "gluestreaming") {
    return InvalidArgument(where + ".Name '" + name + "' is not a Glue job type (glueetl)");
  }
  const std::string& location = script.location;
  constexpr std::string_view kScheme = "s3://";
  const size_t slash = location.find('/', kScheme.size());
  if (location.rfind(kScheme, 0) != 0 || slash == std::string::npos || slash + 1 == location.size()) {
    return InvalidArgument(where + ".ScriptLocation '" + location + "' is not s3://<bucket>/<key>");
  }
  const std::string bucket = location.substr(kScheme.size(), slash - kScheme.size());
  const std::string key = location.substr(slash + 1);
  auto store = BucketToRead(server, bucket);  // reading makes no bucket
  auto text = store.ok() ? (*store)->Get(key) : Result<std::string>(store.status());
  if (!text.ok()) {
    return InvalidArgument(where + ".ScriptLocation '" + location + "': " + text.status().message());
  }
  script.file = key.substr(key.rfind('/') + 1);
  auto doc = lake::ParseJobDocument(*text, script.file);
  if (!doc.ok()) return InvalidArgument(where + ".ScriptLocation '" + location + "': " + doc.status().message());
  script.document = std::move(*doc);
  return script;
}

// Creates or replaces `name` from `command`'s script; a refused document's errors name
// the script, and the file's line and column.
Status DefineJob(Server* server, const std::string& name, const json& command, const std::string& where,
                 bool replace) {
  TRY_ASSIGN(Script script, ReadScript(server, command, where));
  Status st = server->jobs().Create(name, script.document.doc, replace);
  if (st.code() != ErrorCode::kInvalidArgument) return st;
  return InvalidArgument(where + ".ScriptLocation '" + script.location +
                         "': " + lake::LocateJobError(script.document, script.file, st.message()));
}

json JobJson(const lake::JobDefinition& j) {
  return {{"Name", j.name},
          {"Command", {{"Name", "glueetl"}}},
          {"CreatedOn", EpochSeconds(j.created_ms)},
          {"LastModifiedOn", EpochSeconds(j.updated_ms)},
          {"ExecutionProperty", {{"MaxConcurrentRuns", 1}}},
          {"GlueVersion", "tributary"},
          {"DefaultArguments", {{"--tributary-job", j.document.dump()}, {kBookmarkOption, "job-bookmark-enable"}}}};
}

std::string_view RunState(lake::RunStatus status) {
  switch (status) {
    case lake::RunStatus::kRunning:
      return "RUNNING";
    case lake::RunStatus::kSucceeded:
      return "SUCCEEDED";
    case lake::RunStatus::kFailed:
      return "FAILED";
    case lake::RunStatus::kCancelled:
      return "STOPPED";
  }
  return "FAILED";
}

json RunJson(const lake::JobRun& r) {
  json j = {{"Id", std::to_string(r.id)},
            {"JobName", r.job},
            {"Attempt", 0},
            {"JobRunState", RunState(r.status)},
            {"StartedOn", EpochSeconds(r.started_ms)},
            {"LastModifiedOn", EpochSeconds(r.finished_ms != 0 ? r.finished_ms : r.started_ms)},
            {"MaxCapacity", static_cast<double>(r.workers)},
            {"GlueVersion", "tributary"}};
  if (r.finished_ms != 0) {
    j["CompletedOn"] = EpochSeconds(r.finished_ms);
    j["ExecutionTime"] = (r.finished_ms - r.started_ms) / 1000;
  }
  if (r.status == lake::RunStatus::kFailed && !r.message.empty()) j["ErrorMessage"] = r.message;
  return j;
}

Result<std::string> JobName(const json& body, const char* key = "JobName") { return RequiredAwsString(body, key); }

HttpResponse CreateJob(Server* server, const json& body) {
  auto name = RequiredAwsString(body, "Name");
  if (!name.ok()) return GlueError(name.status());
  auto tags = TagMapOf(body, "Tags");
  if (!tags.ok()) return GlueError(tags.status());
  if (Status st = DefineJob(server, *name, body.value("Command", json()), "Command", false); !st.ok()) {
    return JobError(st);
  }
  if (Status st = KeepTags(server, GlueArn("job/" + *name), *tags); !st.ok()) return GlueError(st);
  return GlueOk({{"Name", *name}});
}

HttpResponse UpdateJob(Server* server, const json& body) {
  auto name = JobName(body);
  if (!name.ok()) return GlueError(name.status());
  if (auto job = server->jobs().Get(*name); !job.ok()) return JobError(job.status());
  const json update = body.value("JobUpdate", json());
  if (!update.is_object()) return GlueError(InvalidArgument("JobUpdate is required (an object with Command)"));
  if (Status st = DefineJob(server, *name, update.value("Command", json()), "JobUpdate.Command", true); !st.ok()) {
    return JobError(st);
  }
  return GlueOk({{"JobName", *name}});
}

HttpResponse GetJob(Server* server, const json& body) {
  auto name = JobName(body);
  if (!name.ok()) return GlueError(name.status());
  auto job = server->jobs().Get(*name);
  if (!job.ok()) return JobError(job.status());
  return GlueOk({{"Job", JobJson(*job)}});
}

HttpResponse GetJobs(Server* server, const json& body) {
  auto paging = GluePagingOf(body, 100, 1000);
  if (!paging.ok()) return GlueError(paging.status());
  auto jobs = server->jobs().List();
  if (!jobs.ok()) return JobError(jobs.status());
  return GlueOk(GluePage(*jobs, *paging, [](const lake::JobDefinition& j) { return j.name; }, JobJson, "Jobs"));
}

HttpResponse DeleteJob(Server* server, const json& body) {
  auto name = JobName(body);
  if (!name.ok()) return GlueError(name.status());
  Status st = server->jobs().Delete(*name);
  if (!st.ok() && st.code() != ErrorCode::kNotFound) return JobError(st);  // Glue: deleting none is fine
  ForgetTags(server, GlueArn("job/" + *name));
  return GlueOk({{"JobName", *name}});
}

HttpResponse StartJobRun(Server* server, const json& body) {
  auto name = JobName(body);
  if (!name.ok()) return GlueError(name.status());
  if (auto args = body.find("Arguments"); args != body.end() && args->is_object()) {
    for (const auto& [key, value] : args->items()) {
      if (key == kBookmarkOption && value == "job-bookmark-enable") continue;
      return GlueError(InvalidArgument("Arguments: '" + key + "' is not taken: a job's parameters are its "
                                       "document (UpdateJob with another script); bookmarks are always on"));
    }
  }
  auto id = server->jobs().Start(*name);
  if (!id.ok()) return JobError(id.status());
  return GlueOk({{"JobRunId", std::to_string(*id)}});
}

Result<int64_t> RunId(const json& body, const char* key) {
  TRY_ASSIGN(std::string id, RequiredAwsString(body, key));
  if (id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos) {
    return NotFound("job run '" + id + "' does not exist");
  }
  return std::stoll(id);
}

HttpResponse GetJobRun(Server* server, const json& body) {
  auto name = JobName(body);
  if (!name.ok()) return GlueError(name.status());
  auto id = RunId(body, "RunId");
  if (!id.ok()) return JobError(id.status());
  auto run = server->jobs().GetRun(*name, *id);
  if (!run.ok()) return JobError(run.status());
  return GlueOk({{"JobRun", RunJson(*run)}});
}

// Newest first, as Glue lists them; NextToken is the position after the page.
HttpResponse GetJobRuns(Server* server, const json& body) {
  auto name = JobName(body);
  if (!name.ok()) return GlueError(name.status());
  if (auto job = server->jobs().Get(*name); !job.ok()) return JobError(job.status());
  auto paging = GluePagingOf(body, 100, 200);
  if (!paging.ok()) return GlueError(paging.status());
  auto position = PositionToken(paging->after);
  if (!position.ok()) return GlueError(position.status());
  const size_t start = *position;
  auto runs = server->jobs().ListRuns(*name, static_cast<int>(start + paging->max + 1));
  if (!runs.ok()) return JobError(runs.status());
  json list = json::array();
  for (size_t i = start; i < runs->size() && list.size() < paging->max; ++i) list.push_back(RunJson((*runs)[i]));
  json out = {{"JobRuns", list}};
  if (runs->size() > start + paging->max) out["NextToken"] = std::to_string(start + paging->max);
  return GlueOk(out);
}

HttpResponse BatchStopJobRun(Server* server, const json& body) {
  auto name = JobName(body);
  if (!name.ok()) return GlueError(name.status());
  auto ids = body.find("JobRunIds");
  if (ids == body.end() || !ids->is_array() || ids->empty()) {
    return GlueError(InvalidArgument("JobRunIds is required (an array of run ids)"));
  }
  const auto running = server->jobs().Running(*name);
  json stopped = json::array(), errors = json::array();
  for (const json& id : *ids) {
    const std::string text = id.is_string() ? id.get<std::string>() : id.dump();
    Status st = running && std::to_string(running->id) == text
                    ? server->jobs().Stop(*name)
                    : FailedPrecondition("job run '" + text + "' of '" + *name + "' is not running");
    if (st.ok()) {
      stopped.push_back({{"JobName", *name}, {"JobRunId", text}});
    } else {
      errors.push_back({{"JobName", *name},
                        {"JobRunId", text},
                        {"ErrorDetail", {{"ErrorCode", "InvalidInputException"}, {"ErrorMessage", st.message()}}}});
    }
  }
  return GlueOk({{"SuccessfulSubmissions", stopped}, {"Errors", errors}});
}

}  // namespace

std::optional<HttpResponse> HandleGlueJobOperation(Server* server, std::string_view op, const json& body) {
  if (op == "CreateJob") return CreateJob(server, body);
  if (op == "UpdateJob") return UpdateJob(server, body);
  if (op == "GetJob") return GetJob(server, body);
  if (op == "GetJobs") return GetJobs(server, body);
  if (op == "DeleteJob") return DeleteJob(server, body);
  if (op == "StartJobRun") return StartJobRun(server, body);
  if (op == "GetJobRun") return GetJobRun(server, body);
  if (op == "GetJobRuns") return GetJobRuns(server, body);
  if (op == "BatchStopJobRun") return BatchStopJobRun(server, body);
  return std::nullopt;
}

}  // namespace tributary::app
