// tributary monitor create|list|describe|evaluate|delete: drift monitors over the HTTP
// API (src/monitor/README.md has the resource, the backtest and the retraining loop).
//
//   tributary monitor create pm25-drift --endpoint-name pm25 --table raw --target pm25
//       --prediction-length 12 --baseline-job pm25-1 --threshold 1.5
//       --retrain-from pm25-1 --channels s3://iot-data/monitor/pm25-drift/ --interval-s 3600
//   tributary monitor create pm25-drift --spec monitor.json
//   tributary monitor evaluate pm25-drift --wait
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <thread>

#include "base/files.h"
#include "base/json_text.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/output.h"
#include "expr/functions.h"
#include "flags/flag_checks.h"
#include "net/http_types.h"

namespace tributary::cli {

namespace {

using nlohmann::json;

constexpr auto kPollInterval = std::chrono::milliseconds(250);

std::string MonitorPath(const std::string& name) { return "/v1/monitors/" + net::UrlEncode(name); }

struct CreateArgs {
  std::string name, spec;
  std::string endpoint, database, table, target, timestamp, group_by, freq, agg, start, metric;
  bool no_group_by = false;
  int64_t prediction_length = 0, interval_s = 0, num_samples = 0, breaches = 0;
  bool interval_given = false;  // --interval-s 0 is given: evaluate only on demand
  double baseline = 0, threshold = 0;
  bool baseline_given = false;  // --baseline 0 is given, and refused by the server
  std::string baseline_job, retrain_from, channels, deployment;
};

// The definition from --spec FILE, or from the flags.
Result<json> Definition(const CreateArgs& a) {
  if (!a.spec.empty()) {
    Result<std::string> text = ReadFile(a.spec);
    if (!text.ok()) return text.status().WithContext("--spec");
    TRY_ASSIGN(json body, ParseJsonText(*text, "--spec " + a.spec));
    if (!body.is_object()) return InvalidArgument("--spec " + a.spec + ": not a JSON object");
    if (body.contains("MonitorName") && body["MonitorName"] != a.name) {
      return InvalidArgument("--spec " + a.spec + ": MonitorName " + body["MonitorName"].dump() +
                             " differs from the name given, '" + a.name + "'");
    }
    body["MonitorName"] = a.name;
    return body;
  }
  if (a.endpoint.empty() || a.table.empty() || a.target.empty() || a.prediction_length <= 0) {
    return InvalidArgument("give --spec FILE, or at least --endpoint-name, --table, --target and --prediction-length");
  }
  json data = {{"table", a.table}, {"target", a.target}, {"prediction_length", a.prediction_length}};
  if (!a.database.empty()) data["database"] = a.database;
  if (!a.timestamp.empty()) data["timestamp"] = a.timestamp;
  if (a.no_group_by) {
    data["group_by"] = nullptr;
  } else if (!a.group_by.empty()) {
    data["group_by"] = a.group_by;
  }
  if (!a.freq.empty()) data["freq"] = a.freq;
  if (!a.agg.empty()) data["agg"] = a.agg;
  if (!a.start.empty()) data["start"] = a.start;
  json body = {{"MonitorName", a.name}, {"EndpointName", a.endpoint}, {"Data", data}};
  if (a.interval_given) body["ScheduleIntervalSeconds"] = a.interval_s;
  if (!a.metric.empty()) body["Metric"] = a.metric;
  if (a.num_samples > 0) body["NumSamples"] = a.num_samples;
  if (a.baseline_given && !a.baseline_job.empty())
    return InvalidArgument("give --baseline or --baseline-job, not both");
  if (a.baseline_given) body["Baseline"] = {{"Value", a.baseline}};
  if (!a.baseline_job.empty()) body["Baseline"] = {{"TrainingJobName", a.baseline_job}};
  if (a.threshold > 0) body["DriftThreshold"] = a.threshold;
  if (a.breaches > 0) body["ConsecutiveBreaches"] = a.breaches;
  if (a.retrain_from.empty() != a.channels.empty()) {
    return InvalidArgument("--retrain-from and --channels go together (the template job, and where fresh channels go)");
  }
  if (!a.retrain_from.empty()) {
    body["Retraining"] = {{"TrainingJobTemplate", a.retrain_from}, {"ChannelsUri", a.channels}};
    if (!a.deployment.empty()) {
      Result<std::string> text = ReadFile(a.deployment);
      if (!text.ok()) return text.status().WithContext("--deployment");
      TRY_ASSIGN(json d, ParseJsonText(*text, "--deployment " + a.deployment));
      body["Retraining"]["DeploymentConfig"] = std::move(d);
    }
  } else if (!a.deployment.empty()) {
    return InvalidArgument("--deployment needs --retrain-from and --channels");
  }
  return body;
}

std::string Number(const json& v) { return v.is_number() ? fmt::format("{:.4g}", v.get<double>()) : "-"; }

// One line for an evaluation: "test:mean_wQuantileLoss = 0.204 (baseline 0.081, 2.52x) over 3 series: drift".
std::string EvaluationLine(const json& d, const json& e) {
  if (e.value("Status", "") != "Completed") return "evaluation failed: " + e.value("FailureReason", "no reason given");
  std::string verdict = e.value("Drift", false) ? "drift" : (e.value("Breach", false) ? "breach" : "within threshold");
  if (e.value("Drift", false) && d.contains("Retraining") && !d["Retraining"].is_null()) verdict += " (retraining)";
  return fmt::format("{} = {} (baseline {}, {}x) over {} series: {}", d.value("Metric", "value"), Number(e["Value"]),
                     Number(e.value("Baseline", json())), Number(e.value("Ratio", json())),
                     e.value("Series", int64_t{0}), verdict);
}

// The monitor definition's fields that flags set, and the flags (a definition from
// --spec keeps its own field names in messages: they are what the file says).
constexpr FieldFlag kMonitorFlags[] = {
    {"MonitorName", "name"},
    {"EndpointName", "--endpoint-name"},
    {"ScheduleIntervalSeconds", "--interval-s"},
    {"Metric", "--metric"},
    {"NumSamples", "--num-samples"},
    {"Baseline.Value", "--baseline"},
    {"Baseline.TrainingJobName", "--baseline-job"},
    {"DriftThreshold", "--threshold"},
    {"ConsecutiveBreaches", "--breaches"},
    {"Data.prediction_length", "--prediction-length"},
    {"Retraining.TrainingJobTemplate", "--retrain-from"},
    {"Retraining.ChannelsUri", "--channels"},
    {"Retraining.DeploymentConfig", "--deployment"},
};

Status WithMonitorFlagName(const Status& status) { return WithFlagName(status, kMonitorFlags); }

int Create(const ClientOptions& opts, const CreateArgs& a) {
  auto body = Definition(a);
  if (!body.ok()) return Fail("monitor create", body.status());
  return CallAndReport(opts, "monitor create", "POST", "/v1/monitors", &*body,
                       "created monitor " + a.name, a.spec.empty() ? WithMonitorFlagName : nullptr);
}

int List(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/monitors");
  if (!r.ok()) return Fail("monitor list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : r->value("Monitors", json::array())) {
    rows.push_back({Cell(m.value("MonitorName", json())), Cell(m.value("EndpointName", json())),
                    Cell(m.value("MonitorStatus", json())), Cell(m.value("LastEvaluationTime", json())),
                    Number(m.value("LastValue", json())), Number(m.value("Baseline", json())),
                    m.contains("Drift") ? (m["Drift"].get<bool>() ? "yes" : "no") : "-"});
  }
  PrintTable({"NAME", "ENDPOINT", "STATUS", "LAST EVALUATION", "VALUE", "BASELINE", "DRIFT"}, rows);
  return 0;
}

int Describe(const ClientOptions& opts, const std::string& name) {
  auto r = ApiClient(opts).Call("GET", MonitorPath(name));
  if (!r.ok()) return Fail("monitor describe", r.status());
  if (opts.json) return PrintJson(*r), 0;
  const json& d = *r;
  std::printf("monitor %s on endpoint %s: %s\n", name.c_str(), d.value("EndpointName", "").c_str(),
              d.value("MonitorStatus", "").c_str());
  std::printf("  %s, drift above %s x baseline %s (%s), %d breach(es) in a row\n", d.value("Metric", "").c_str(),
              Number(d.value("DriftThreshold", json())).c_str(), Number(d.value("BaselineValue", json())).c_str(),
              d.value("BaselineSource", "not set yet").c_str(), d.value("ConsecutiveBreaches", 1));
  if (d.contains("NextEvaluationTime")) std::printf("  next evaluation: %s\n", Cell(d["NextEvaluationTime"]).c_str());
  for (const auto& e : d.value("Evaluations", json::array())) {
    std::printf("  %s  %s\n", e.value("EvaluationTime", "").c_str(), EvaluationLine(d, e).c_str());
  }
  for (const auto& t : d.value("Retrainings", json::array())) {
    std::string line = "  retraining " + t.value("StartTime", "") + ": " + t.value("Status", "");
    for (const auto& [key, label] : {std::pair{"TrainingJobName", "job"}, std::pair{"ModelName", "model"},
                                     std::pair{"EndpointConfigName", "endpoint config"},
                                     std::pair{"PreviousEndpointConfigName", "replacing"}}) {
      if (t.contains(key)) line += std::string(", ") + label + " " + t[key].get<std::string>();
    }
    if (t.contains("NewBaseline")) line += ", new baseline " + Number(t["NewBaseline"]);
    if (t.contains("FailureReason")) line += ": " + t["FailureReason"].get<std::string>();
    std::printf("%s\n", line.c_str());
    // How long each step took: "Preparing 1.2 s, Training 20.3 s, Deploying 3.1 s".
    std::string steps;
    for (const auto& s : t.value("StatusTransitions", json::array())) {
      auto from = expr::ParseIso8601Micros(s.value("StartTime", ""));
      auto to = expr::ParseIso8601Micros(s.value("EndTime", ""));
      if (!from || (to && *to == *from)) continue;  // the ending status has no duration
      steps += (steps.empty() ? "" : ", ") + s.value("Status", "?") + " " +
               (to ? fmt::format("{:.1f} s", static_cast<double>(*to - *from) / 1e6) : std::string("(running)"));
    }
    if (!steps.empty()) std::printf("    steps: %s\n", steps.c_str());
  }
  return 0;
}

int Evaluate(const ClientOptions& opts, const std::string& name, bool wait, int timeout_s) {
  ApiClient client(opts);
  auto k = client.Call("POST", MonitorPath(name) + "/evaluate");
  if (!k.ok()) return Fail("monitor evaluate", k.status());
  if (!wait) {
    if (opts.json) return PrintJson(*k), 0;
    std::printf("evaluation %lld of monitor %s requested\n", static_cast<long long>(k->value("EvaluationNumber", 0)),
                name.c_str());
    return 0;
  }
  const int64_t want = k->value("EvaluationNumber", int64_t{0});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    auto d = client.Call("GET", MonitorPath(name));
    if (!d.ok()) return Fail("monitor evaluate", d.status());
    if (d->value("EvaluationsCompleted", int64_t{0}) >= want) {
      json e;
      for (const auto& one : d->value("Evaluations", json::array())) {
        if (one.value("EvaluationNumber", int64_t{0}) == want) e = one;
      }
      if (e.is_null()) {  // more than the history's 20 evaluations ended meanwhile
        return Fail("monitor evaluate", NotFound("evaluation " + std::to_string(want) + " of monitor " + name +
                                                 " is no longer in its history"));
      }
      if (opts.json) {
        PrintJson(e);
      } else {
        std::printf("monitor %s: %s\n", name.c_str(), EvaluationLine(*d, e).c_str());
      }
      return e.value("Status", "") == "Completed" ? 0 : 1;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Fail("monitor evaluate", Unavailable("evaluation " + std::to_string(want) + " of monitor " + name +
                                                  " not done after " + std::to_string(timeout_s) + " s"));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace

void AddMonitorCommands(CLI::App* parent, CommandContext* ctx) {
  auto* group = parent->add_subcommand("monitor", "Drift monitors: an endpoint's accuracy on fresh lake data, and retraining");
  group->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto a = std::make_shared<CreateArgs>();
  auto name = std::make_shared<std::string>();

  auto* create = group->add_subcommand("create", "Create a drift monitor for a forecasting endpoint");
  create->add_option("name", a->name, "monitor name (1..47 letters, digits and '-')")->required();
  create->add_option("--spec", a->spec, "the whole definition as JSON (the POST /v1/monitors body)");
  create->add_option("--endpoint-name", a->endpoint, "the model endpoint to watch");
  create->add_option("--table", a->table, "catalog table of the devices' records");
  create->add_option("--database", a->database, "its database (default: the one holding the table)");
  create->add_option("--target", a->target, "the column the model forecasts");
  create->add_option("--timestamp", a->timestamp, "the time column (default: the table's timestamp column)");
  create->add_option("--group-by", a->group_by, "one series per value of this column (default device)");
  create->add_flag("--no-group-by", a->no_group_by, "one series for the whole table");
  create->add_option("--freq", a->freq, "series frequency (default H)");
  create->add_option("--agg", a->agg, "how records in one period combine (default mean)");
  create->add_option("--start", a->start, "leave out records before this ISO 8601 time");
  WholeNumberIn(create->add_option("--prediction-length", a->prediction_length,
                                   "the model's prediction_length"),
                1, std::numeric_limits<int32_t>::max());
  CLI::Option* interval = WholeNumberIn(
      create->add_option("--interval-s", a->interval_s,
                         "evaluate every N seconds (60..86400, or 0: only on demand, the default)"),
      0, 86400);
  create->add_option("--metric", a->metric, "test:mean_wQuantileLoss (default), test:RMSE or test:wQuantileLoss[q]");
  WholeNumberIn(create->add_option("--num-samples", a->num_samples,
                                   "sample paths per forecast (default 100)"),
                1, 1000);
  CLI::Option* baseline = DecimalIn(
      create->add_option("--baseline", a->baseline, "the baseline value of the metric (above 0)"),
      0, std::numeric_limits<double>::max());
  create->add_option("--baseline-job", a->baseline_job, "take the baseline from this training job's test metric");
  DecimalIn(create->add_option("--threshold", a->threshold,
                               "drift above this multiple of the baseline (default 1.5)"),
            1, std::numeric_limits<double>::max());
  WholeNumberIn(create->add_option("--breaches", a->breaches,
                                   "breaches in a row that make drift (default 1)"),
                1, 100);
  create->add_option("--retrain-from", a->retrain_from, "on drift, retrain with this training job's settings");
  create->add_option("--channels", a->channels, "lake prefix for each retraining's fresh channels");
  create->add_option("--deployment", a->deployment, "DeploymentConfig JSON for the rollout (default all at once)");
  AddClientFlags(create, opts.get());
  create->callback([=] {
    a->baseline_given = baseline->count() > 0;
    a->interval_given = interval->count() > 0;
    ctx->run = [=] { return Create(*opts, *a); };
  });

  auto* list = group->add_subcommand("list", "List drift monitors");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return List(*opts); }; });

  CLI::App* describe = AddNamedCommand(group, "describe", "Show a monitor: baseline, evaluations, retrainings",
                                       "monitor name", opts.get(), name.get());
  describe->callback([=] { ctx->run = [=] { return Describe(*opts, *name); }; });

  auto wait = std::make_shared<bool>(false);
  auto timeout_s = std::make_shared<int>(600);
  CLI::App* evaluate = AddNamedCommand(group, "evaluate", "Evaluate now (and retrain on drift)",
                                       "monitor name", opts.get(), name.get());
  evaluate->add_flag("--wait", *wait, "wait for the evaluation and print it; exit 1 if it failed");
  WholeNumberIn(evaluate->add_option("--timeout-s", *timeout_s,
                                     "with --wait: give up after this many seconds"),
                1, INT32_MAX)
      ->capture_default_str();
  evaluate->callback([=] { ctx->run = [=] { return Evaluate(*opts, *name, *wait, *timeout_s); }; });

  CLI::App* del = AddNamedCommand(group, "delete", "Delete a monitor (what its retrainings created stays)",
                                  "monitor name", opts.get(), name.get());
  del->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "monitor delete", "DELETE", MonitorPath(*name), nullptr, "deleted monitor " + *name);
    };
  });
}

}  // namespace tributary::cli
