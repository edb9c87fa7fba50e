// tributary training-job create|list|describe|logs|stop: DeepAR training jobs over the
// HTTP API (src/training/README.md has the resource and its life cycle).
//
//   tributary training-job create pollution-1 --train s3://iot-data/deepar/train/
//       --test s3://iot-data/deepar/test/ --hyperparameters hp.json --wait
//   tributary training-job logs pollution-1 --follow
//   tributary training-job stop pollution-1
//
// --hyperparameters is SageMaker's hyperparameters.json; numbers and lists in it are
// sent as the strings SageMaker would pass ("epochs": 20 -> "20").
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "base/files.h"
#include "base/json_text.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/output.h"
#include "flags/flag_checks.h"
#include "net/http_types.h"

namespace tributary::cli {

namespace {

using nlohmann::json;

constexpr auto kPollInterval = std::chrono::milliseconds(500);

std::string JobPath(const std::string& name) { return "/v1/training-jobs/" + net::UrlEncode(name); }

bool Ended(const std::string& status) { return status != "InProgress" && status != "Stopping"; }

struct CreateArgs {
  std::string name, train, test, hyperparameters, output_path;
  int64_t max_runtime_s = 0;
  bool wait = false;
  int timeout_s = 24 * 3600;
};

// hp.json -> {"key": "string"}, naming the file and key of anything that cannot be one.
Result<json> ReadHyperparameters(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status().WithContext("--hyperparameters");
  TRY_ASSIGN(json parsed, ParseJsonText(*text, "--hyperparameters " + path));
  if (!parsed.is_object()) {
    return InvalidArgument("--hyperparameters " + path + ": not a JSON object of hyperparameters");
  }
  json out = json::object();
  for (const auto& [key, value] : parsed.items()) {
    if (value.is_string()) {
      out[key] = value;
    } else if (value.is_number() || value.is_boolean() || value.is_array()) {
      out[key] = value.dump();
    } else {
      return InvalidArgument("--hyperparameters " + path + ": '" + key + "' must be a string or a number, got " +
                             value.dump());
    }
  }
  return out;
}

// Prints the log lines from `*offset` on; returns the job's status.
Result<std::string> PrintNewLines(const ApiClient& client, const std::string& name, int64_t* offset) {
  for (;;) {
    TRY_ASSIGN(json page, client.Call("GET", JobPath(name) + "/logs?offset=" + std::to_string(*offset)));
    if (page.value("Truncated", false)) std::printf("[... earlier lines were dropped ...]\n");
    for (const auto& line : page["Lines"]) std::printf("%s\n", line.get<std::string>().c_str());
    std::fflush(stdout);
    int64_t next = page.value("NextLine", *offset);
    bool more = next > *offset && !page["Lines"].empty();
    *offset = next;
    if (!more || page["Lines"].size() < 1000) return page.value("TrainingJobStatus", "");
  }
}

// Follows the log until the job has ended; the exit code says how it ended.
int Follow(const ClientOptions& opts, const std::string& command, const std::string& name, int timeout_s) {
  ApiClient client(opts);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int64_t offset = 0;
  for (;;) {
    auto status = PrintNewLines(client, name, &offset);
    if (!status.ok()) return Fail(command, status.status());
    if (Ended(*status)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      return Fail(command, Unavailable("training job " + name + " still " + *status + " after " +
                                       std::to_string(timeout_s) + " s (it goes on; 'training-job stop' ends it)"));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  // Lines written between the last read and the end.
  if (auto last = PrintNewLines(client, name, &offset); !last.ok()) return Fail(command, last.status());
  auto d = client.Call("GET", JobPath(name));
  if (!d.ok()) return Fail(command, d.status());
  const std::string status = d->value("TrainingJobStatus", "");
  std::printf("training job %s: %s\n", name.c_str(), status.c_str());
  if (d->contains("FinalMetricDataList")) {
    for (const auto& m : (*d)["FinalMetricDataList"]) {
      std::printf("  %s = %s\n", Cell(m["MetricName"]).c_str(), Cell(m["Value"]).c_str());
    }
  }
  if (d->contains("ModelArtifacts")) std::printf("  model: %s\n", Cell((*d)["ModelArtifacts"]["S3ModelArtifacts"]).c_str());
  if (status == "Completed") return 0;
  std::string reason = d->contains("FailureReason") ? Cell((*d)["FailureReason"]) : status;
  return Fail(command, Internal("training job " + name + " ended " + status + ": " + reason));
}

// The training job request's fields that flags set, and the flags.
constexpr FieldFlag kTrainingJobFlags[] = {
    {"TrainingJobName", "name"},
    {"HyperParameters", "--hyperparameters"},
    {"InputDataConfig[0].DataSource.S3DataSource.S3Uri", "--train"},
    {"InputDataConfig[1].DataSource.S3DataSource.S3Uri", "--test"},
    {"OutputDataConfig.S3OutputPath", "--output-path"},
    {"StoppingCondition.MaxRuntimeInSeconds", "--max-runtime-s"},
};

Status WithTrainingJobFlagName(const Status& status) {
  return WithFlagName(status, kTrainingJobFlags);
}

int Create(const ClientOptions& opts, const CreateArgs& a) {
  auto hp = ReadHyperparameters(a.hyperparameters);
  if (!hp.ok()) return Fail("training-job create", hp.status());
  auto channel = [](const std::string& name, const std::string& uri) {
    return json{{"ChannelName", name}, {"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", uri}}}}}};
  };
  json body{{"TrainingJobName", a.name},
            {"AlgorithmSpecification", {{"TrainingImage", "deepar"}, {"TrainingInputMode", "File"}}},
            {"HyperParameters", *hp},
            {"InputDataConfig", json::array({channel("train", a.train)})}};
  if (!a.test.empty()) body["InputDataConfig"].push_back(channel("test", a.test));
  if (!a.output_path.empty()) body["OutputDataConfig"] = {{"S3OutputPath", a.output_path}};
  if (a.max_runtime_s > 0) body["StoppingCondition"] = {{"MaxRuntimeInSeconds", a.max_runtime_s}};
  if (!a.wait) {
    return CallAndReport(opts, "training-job create", "POST", "/v1/training-jobs", &body,
                         "created training job " + a.name, WithTrainingJobFlagName);
  }
  auto r = ApiClient(opts).Call("POST", "/v1/training-jobs", &body);
  if (!r.ok()) return Fail("training-job create", WithTrainingJobFlagName(r.status()));
  return Follow(opts, "training-job create", a.name, a.timeout_s);
}

int List(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/training-jobs");
  if (!r.ok()) return Fail("training-job list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& j : r->value("TrainingJobSummaries", json::array())) {
    rows.push_back({Cell(j.value("TrainingJobName", json())), Cell(j.value("TrainingJobStatus", json())),
                    Cell(j.value("SecondaryStatus", json())), Cell(j.value("CreationTime", json())),
                    Cell(j.value("TrainingEndTime", json()))});
  }
  PrintTable({"NAME", "STATUS", "SECONDARY", "CREATED", "ENDED"}, rows);
  return 0;
}

int Logs(const ClientOptions& opts, const std::string& name, bool follow) {
  if (follow) {
    int code = Follow(opts, "training-job logs", name, 7 * 24 * 3600);
    // A job that failed was still followed to its end: that is success for `logs`.
    auto d = ApiClient(opts).Call("GET", JobPath(name));
    return d.ok() && Ended(d->value("TrainingJobStatus", "")) ? 0 : code;
  }
  int64_t offset = 0;
  auto status = PrintNewLines(ApiClient(opts), name, &offset);
  return status.ok() ? 0 : Fail("training-job logs", status.status());
}

}  // namespace

void AddTrainingCommands(CLI::App* parent, CommandContext* ctx) {
  auto* group = parent->add_subcommand("training-job", "DeepAR training jobs run by the server (queued, one at a time)");
  group->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto a = std::make_shared<CreateArgs>();
  auto name = std::make_shared<std::string>();

  auto* create = group->add_subcommand("create", "Start a training job over channels in the lake");
  create->add_option("name", a->name, "training job name")->required();
  create->add_option("--train", a->train, "train channel: lake prefix, s3://bucket/prefix/ or bucket/prefix/")
      ->required();
  create->add_option("--test", a->test, "test channel: lake prefix (the train series plus prediction_length points)");
  create
      ->add_option("--hyperparameters", a->hyperparameters,
                   "JSON file: an object of SageMaker DeepAR hyperparameters (hp.json)")
      ->required();
  create->add_option("--output-path", a->output_path,
                     "lake prefix for the model: <path><name>/output/model/ (default s3://<train bucket>/models/)");
  WholeNumberIn(create->add_option("--max-runtime-s", a->max_runtime_s,
                                   "stop the job after this many seconds (default one day)"),
                1, INT64_MAX);
  create->add_flag("--wait", a->wait, "print its log until it ends; exit 1 unless it Completed");
  WholeNumberIn(create->add_option("--timeout-s", a->timeout_s,
                                   "with --wait: give up waiting after this many seconds"),
                1, INT32_MAX)
      ->capture_default_str();
  AddClientFlags(create, opts.get());
  create->callback([=] { ctx->run = [=] { return Create(*opts, *a); }; });

  auto* list = group->add_subcommand("list", "List training jobs, oldest first");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return List(*opts); }; });

  CLI::App* describe = AddNamedCommand(group, "describe", "Show a training job: status, transitions, progress, metrics, artifact",
                                       "training job name", opts.get(), name.get());
  describe->callback([=] {
    ctx->run = [=] {
      auto r = ApiClient(*opts).Call("GET", JobPath(*name));
      if (!r.ok()) return Fail("training-job describe", r.status());
      opts->json ? PrintJson(*r) : PrintObject(*r);
      return 0;
    };
  });

  auto follow = std::make_shared<bool>(false);
  CLI::App* logs = AddNamedCommand(group, "logs", "Print a training job's log (the trainer's output)",
                                   "training job name", opts.get(), name.get());
  logs->add_flag("--follow,-f", *follow, "keep printing new lines until the job ends");
  logs->callback([=] { ctx->run = [=] { return Logs(*opts, *name, *follow); }; });

  CLI::App* stop = AddNamedCommand(group, "stop", "Stop a training job (SIGTERM to the trainer, then SIGKILL)",
                                   "training job name", opts.get(), name.get());
  stop->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "training-job stop", "POST", JobPath(*name) + "/stop", nullptr,
                           "stopping training job " + *name);
    };
  });
}

}  // namespace tributary::cli
