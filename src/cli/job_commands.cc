// tributary job create|update|list|describe|run|runs|stop|delete

#include <cctype>
#include <cstdio>
#include <memory>

#include "base/files.h"
#include "base/json_text.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/output.h"
#include "cli/run_follow.h"
#include "lake/job_document.h"
#include "net/http_types.h"

namespace tributary::cli {

namespace {

using nlohmann::json;

std::string JobPath(const std::string& name) { return "/v1/jobs/" + net::UrlEncode(name); }

int CreateJob(const ClientOptions& opts, const std::string& name, const std::string& file, bool replace) {
  const std::string command = replace ? "job update" : "job create";
  auto text = ReadFile(file);
  if (!text.ok()) return Fail(command, text.status());
  if (Status st = lake::CheckJobText(*text, file); !st.ok()) return Fail(command, st);
  // A YAML file goes as text: the server turns it into the job's JSON (one parser of
  // jobs) and names its line and column in errors.
  std::string lower = file;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool yaml = lower.ends_with(".yaml") || lower.ends_with(".yml");
  json body{{"name", name}, {"replace", replace}};
  if (yaml) {
    body["job_yaml"] = *text;
    body["file"] = file;
  } else {
    Result<json> doc = ParseJsonText(*text, "'" + file + "'");
    if (!doc.ok()) {
      return Fail(command,
                  InvalidArgument(doc.status().message() + " (name a YAML file *.yaml or *.yml)"));
    }
    body["job"] = std::move(*doc);
  }
  return CallAndReport(opts, command, "POST", "/v1/jobs", &body,
                       (replace ? "updated job " : "created job ") + name + " from " + file);
}

int ListJobs(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/jobs");
  if (!r.ok()) return Fail("job list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& j : (*r)["jobs"]) {
    std::string last = "-";
    if (j.contains("last_run")) last = Cell(j["last_run"]["status"]) + " (" + Cell(j["last_run"]["started_at"]) + ")";
    rows.push_back({Cell(j["name"]), Cell(j["state"]), Cell(j["source"]), Cell(j["target"]), Cell(j["target_path"]), last});
  }
  PrintTable({"NAME", "STATE", "SOURCE", "TARGET", "PATH", "LAST RUN"}, rows);
  return 0;
}

void PrintRun(const json& run) {
  std::printf("run %s of job %s: %s in %.1f s\n", Cell(run["id"]).c_str(), Cell(run["job"]).c_str(),
              Cell(run["status"]).c_str(), run.value("duration_ms", int64_t{0}) / 1000.0);
  std::printf("  objects: %s read of %s new (%s under the source), %s bytes, %.1f MB/s, %s workers\n",
              Cell(run["objects_read"]).c_str(), Cell(run["objects_total"]).c_str(),
              Cell(run["objects_listed"]).c_str(), Cell(run["bytes_read"]).c_str(), run.value("mb_per_s", 0.0),
              Cell(run["workers"]).c_str());
  if (run.value("objects_skipped", int64_t{0}) > 0) {
    std::printf(
        "  skipped: %s objects whose folders do not fit the source table's partition keys\n",
        Cell(run["objects_skipped"]).c_str());
  }
  std::printf("  rows:    %s read, %s written, %s rejected, %s filtered, %s duplicates\n",
              Cell(run["rows_read"]).c_str(), Cell(run["rows_written"]).c_str(), Cell(run["rows_rejected"]).c_str(),
              Cell(run["rows_filtered"]).c_str(), Cell(run["rows_duplicate"]).c_str());
  std::printf("  output:  %s Parquet files, %s bytes, %s partitions; table %s version %s\n",
              Cell(run["files_written"]).c_str(), Cell(run["bytes_written"]).c_str(), Cell(run["partitions"]).c_str(),
              Cell(run["table"]).c_str(), Cell(run["table_version"]).c_str());
  if (run.value("error_prefix", "") != "") std::printf("  rejected records: %s\n", Cell(run["error_prefix"]).c_str());
  if (!run["dropped_columns"].empty()) std::printf("  dropped null columns: %s\n", run["dropped_columns"].dump().c_str());
  for (const auto& e : run["errors"]) std::printf("  error: %s\n", e.get<std::string>().c_str());
  if (run.value("message", "") != "") std::printf("  %s\n", Cell(run["message"]).c_str());
}

int ListRuns(const ClientOptions& opts, const std::string& name) {
  auto runs = ApiClient(opts).Call("GET", JobPath(name) + "/runs");
  if (!runs.ok()) return Fail("job runs", runs.status());
  if (opts.json) return PrintJson(*runs), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : (*runs)["runs"]) {
    rows.push_back({Cell(run["id"]), Cell(run["status"]), Cell(run["started_at"]), Cell(run["duration_ms"]),
                    Cell(run["objects_read"]), Cell(run["rows_read"]), Cell(run["rows_written"]),
                    Cell(run["rows_rejected"]), Cell(run["bytes_written"])});
  }
  PrintTable({"RUN", "STATUS", "STARTED", "MS", "OBJECTS", "READ", "WRITTEN", "REJECTED", "BYTES OUT"}, rows);
  return 0;
}

int DescribeJob(const ClientOptions& opts, const std::string& name) {
  ApiClient client(opts);
  auto r = client.Call("GET", JobPath(name));
  if (!r.ok()) return Fail("job describe", r.status());
  auto runs = client.Call("GET", JobPath(name) + "/runs");
  if (!runs.ok()) return Fail("job describe", runs.status());
  if (opts.json) {
    json out = *r;
    out["runs"] = (*runs)["runs"];
    return PrintJson(out), 0;
  }
  json summary = *r;
  summary.erase("last_run");
  json doc = summary["job"];
  summary.erase("job");
  PrintObject(summary);
  std::printf("\n%s\n", doc.dump(2).c_str());
  return 0;
}

int RunJob(const ClientOptions& opts, const std::string& name, bool no_wait) {
  auto progress = [](const json& run) {
    return Cell(run["phase"]) + ": " + Cell(run["objects_read"]) + "/" + Cell(run["objects_total"]) +
           " objects, " + Cell(run["bytes_read"]) + "/" + Cell(run["bytes_total"]) + " bytes, " +
           Cell(run["rows_written"]) + " rows written, " + Cell(run["rows_rejected"]) + " rejected";
  };
  return StartAndFollowRun(opts, JobPath(name), name, no_wait, {"job", PrintRun, progress});
}

}  // namespace

void AddJobCommands(CLI::App* parent, CommandContext* ctx) {
  auto* job = parent->add_subcommand("job", "Manage ETL jobs (Glue: catalog table -> transforms -> Parquet)");
  job->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto name = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();

  for (const char* verb : {"create", "update"}) {
    bool replace = std::string(verb) == "update";
    auto* cmd = job->add_subcommand(verb, replace ? "Replace a job's document (its bookmark is kept)"
                                                  : "Create a job from a JSON or YAML (*.yaml, *.yml) job document");
    cmd->add_option("name", *name, "job name (letters, digits, _ and -)")->required();
    cmd->add_option("--file", *file, "the job document: {source, transforms, target} as JSON, or YAML when named *.yaml/*.yml")->required();
    AddClientFlags(cmd, opts.get());
    cmd->callback([=] { ctx->run = [=] { return CreateJob(*opts, *name, *file, replace); }; });
  }

  auto* list = job->add_subcommand("list", "List jobs");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return ListJobs(*opts); }; });

  auto* describe = job->add_subcommand("describe", "Show a job and its document");
  describe->add_option("name", *name, "job name")->required();
  AddClientFlags(describe, opts.get());
  describe->callback([=] { ctx->run = [=] { return DescribeJob(*opts, *name); }; });

  auto no_wait = std::make_shared<bool>(false);
  auto* run = job->add_subcommand("run", "Run a job over the objects that arrived since its last successful run");
  run->add_option("name", *name, "job name")->required();
  run->add_flag("--no-wait", *no_wait, "start the run and return its id");
  AddClientFlags(run, opts.get());
  run->callback([=] { ctx->run = [=] { return RunJob(*opts, *name, *no_wait); }; });

  auto* runs = job->add_subcommand("runs", "List a job's recent runs");
  runs->add_option("name", *name, "job name")->required();
  AddClientFlags(runs, opts.get());
  runs->callback([=] { ctx->run = [=] { return ListRuns(*opts, *name); }; });

  auto* stop = job->add_subcommand("stop", "Cancel a job's running run (nothing becomes visible)");
  stop->add_option("name", *name, "job name")->required();
  AddClientFlags(stop, opts.get());
  stop->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "job stop", "POST", JobPath(*name) + "/stop", nullptr, "stopping job " + *name);
    };
  });

  auto* del = job->add_subcommand("delete", "Delete a job, its bookmark and runs (its output stays)");
  del->add_option("name", *name, "job name")->required();
  AddClientFlags(del, opts.get());
  del->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "job delete", "DELETE", JobPath(*name), nullptr, "deleted job " + *name);
    };
  });
}

}  // namespace tributary::cli
