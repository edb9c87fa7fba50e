// tributary model|endpoint-config|endpoint|transform: model hosting over the HTTP API
// (the resources and their JSON are in serving/README.md).
//
//   tributary model create m1 --artifact model/          (the path is sent absolute)
//   tributary model create m2 --artifact s3://iot-data/models/job-1/output/model/
//       (a lake URI: the server copies it)
//   tributary endpoint-config create c1 --variant name=blue,model=m1,weight=1,instances=2
//       [--data-capture s3://iot-data/capture/ --capture-percent 20 --capture-mode both]
//   tributary endpoint create ep --config c1 --wait
//   tributary endpoint update ep --config c2 --traffic canary --canary-percent 10
//       --wait-s 30 --rollback-max-error-rate 0.05 --wait
//   tributary endpoint invoke ep --body request.json      (the answer on stdout)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/files.h"
#include "base/json_text.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/output.h"
#include "net/http_client.h"
#include "net/http_types.h"

namespace tributary::cli {

namespace {

using nlohmann::json;

std::string ModelPath(const std::string& n) { return "/v1/models/" + net::UrlEncode(n); }
std::string ConfigPath(const std::string& n) { return "/v1/endpoint-configs/" + net::UrlEncode(n); }
std::string EndpointPath(const std::string& n) { return "/v1/endpoints/" + net::UrlEncode(n); }
std::string TransformPath(const std::string& n) { return "/v1/transform-jobs/" + net::UrlEncode(n); }

// The array of a list answer: `key` if present, else the first array member (or the
// answer itself when it is an array), so that a renamed key still lists.
json Items(const json& answer, const char* key) {
  if (answer.is_array()) return answer;
  if (answer.is_object()) {
    if (answer.contains(key) && answer[key].is_array()) return answer[key];
    for (const auto& [k, v] : answer.items()) {
      if (v.is_array()) return v;
    }
  }
  return json::array();
}

// Member `key` of `j` or null, so that Cell() prints "-" for what is missing.
json Get(const json& j, const char* key) { return j.is_object() && j.contains(key) ? j[key] : json(); }

Result<double> ParseNumber(const std::string& what, const std::string& text) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(v))
    return InvalidArgument(what + ": '" + text + "' is not a number");
  return v;
}

Result<int64_t> ParsePositive(const std::string& what, const std::string& text) {
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || v < 1)
    return InvalidArgument(what + ": '" + text + "' is not a positive integer");
  return static_cast<int64_t>(v);
}

// ---- models ----------------------------------------------------------------------

struct ModelArgs {
  std::string name, artifact, command;
  bool multi_model = false;
};

// The model request's fields that flags set, and the flags.
constexpr FieldFlag kModelFlags[] = {
    {"ModelName", "name"},
    {"Artifact", "--artifact"},
    {"Command", "--command"},
};

Status WithModelFlagName(const Status& status) { return WithFlagName(status, kModelFlags); }

int CreateModel(const ClientOptions& opts, const ModelArgs& a) {
  json body{{"ModelName", a.name}, {"MultiModel", a.multi_model}};
  std::string source;
  if (a.artifact.find("://") != std::string::npos) {
    body["Artifact"] = a.artifact;  // a lake URI: the server copies it to its model cache
    source = "artifact " + a.artifact;
  } else if (!a.artifact.empty()) {
    // The server resolves paths against its own working directory, not ours.
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(a.artifact, ec);
    if (ec) return Fail("model create", InvalidArgument("--artifact '" + a.artifact + "': " + ec.message()));
    body["Artifact"] = abs.lexically_normal().string();
    source = "artifact " + body["Artifact"].get<std::string>();
  } else {
    body["Command"] = a.command;
    source = "command '" + a.command + "'";
  }
  return CallAndReport(opts, "model create", "POST", "/v1/models", &body,
                       "created model " + a.name + " from " + source, WithModelFlagName);
}

int ListModels(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/models");
  if (!r.ok()) return Fail("model list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : Items(*r, "Models")) {
    json source = Get(m, "Artifact");
    if (source.is_null() || source == "") source = Get(m, "Command");
    rows.push_back({Cell(Get(m, "ModelName")), Cell(source), Cell(Get(m, "MultiModel")), Cell(Get(m, "CreationTime"))});
  }
  PrintTable({"NAME", "ARTIFACT OR COMMAND", "MULTI-MODEL", "CREATED"}, rows);
  return 0;
}

int Describe(const ClientOptions& opts, const std::string& command, const std::string& path) {
  auto r = ApiClient(opts).Call("GET", path);
  if (!r.ok()) return Fail(command, r.status());
  if (opts.json) return PrintJson(*r), 0;
  PrintObject(*r);
  return 0;
}

// ---- endpoint configs --------------------------------------------------------------

// "name=blue,model=m1,weight=1,instances=2[,max-queued=16][,memory-budget-mib=2048]"
Result<json> ParseVariant(const std::string& spec) {
  json v{{"InitialVariantWeight", 1.0}, {"InitialInstanceCount", 1}};
  std::set<std::string> seen;
  size_t begin = 0;
  while (begin <= spec.size()) {
    size_t end = spec.find(',', begin);
    if (end == std::string::npos) end = spec.size();
    std::string item = spec.substr(begin, end - begin);
    begin = end + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string key = item.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    std::string where = "--variant '" + spec + "': " + item;
    if (eq == std::string::npos || value.empty())
      return InvalidArgument(where + ": expected key=value");
    if (!seen.insert(key).second) return InvalidArgument(where + ": '" + key + "' given twice");
    if (key == "name") {
      v["VariantName"] = value;
    } else if (key == "model") {
      v["ModelName"] = value;
    } else if (key == "weight") {
      TRY_ASSIGN(double w, ParseNumber(where, value));
      if (w < 0) return InvalidArgument(where + ": the weight must be >= 0");
      v["InitialVariantWeight"] = w;
    } else if (key == "instances") {
      TRY_ASSIGN(v["InitialInstanceCount"], ParsePositive(where, value));
    } else if (key == "max-queued") {
      TRY_ASSIGN(v["MaxQueuedRequestsPerInstance"], ParsePositive(where, value));
    } else if (key == "memory-budget-mib") {
      TRY_ASSIGN(v["MemoryBudgetMiB"], ParsePositive(where, value));
    } else {
      return InvalidArgument(where + ": unknown key '" + key +
                             "' (keys: name, model, weight, instances, max-queued, memory-budget-mib)");
    }
  }
  for (const char* required : {"name", "model"}) {
    if (!seen.count(required))
      return InvalidArgument("--variant '" + spec + "': " + required + "=... is required");
  }
  return v;
}

// --data-capture and its companions: SageMaker's DataCaptureConfig.
struct CaptureArgs {
  std::string destination;  // "" = no capture
  int percent = 20;  // as SageMaker's SDK
  std::string mode = "both";
  std::vector<std::string> json_types = {"application/json", "application/jsonlines"};
  std::vector<std::string> csv_types = {"text/csv"};
  int flush_s = 60;
};

json CaptureConfig(const CaptureArgs& a) {
  const char* mode = a.mode == "input" ? "Input" : a.mode == "output" ? "Output" : "InputAndOutput";
  json header = json::object();
  if (!a.json_types.empty()) header["JsonContentTypes"] = a.json_types;
  if (!a.csv_types.empty()) header["CsvContentTypes"] = a.csv_types;
  return {{"EnableCapture", true},
          {"InitialSamplingPercentage", a.percent},
          {"DestinationS3Uri", a.destination},
          {"CaptureOptions", {{{"CaptureMode", mode}}}},
          {"CaptureContentTypeHeader", header},
          {"FlushIntervalInSeconds", a.flush_s}};
}

// A refusal about "ProductionVariants[i].<field>" names the --variant it came from and the
// key there, as ParseVariant's own messages do; one about the data capture, its flag.
Status WithVariantFlag(const Status& status, const std::vector<std::string>& specs) {
  static constexpr FieldFlag kVariantKeys[] = {
      {"VariantName", "name"},
      {"ModelName", "model"},
      {"InitialVariantWeight", "weight"},
      {"InitialInstanceCount", "instances"},
      {"MaxQueuedRequestsPerInstance", "max-queued"},
      {"MemoryBudgetMiB", "memory-budget-mib"},
  };
  std::vector<std::pair<std::string, std::string>> names;  // field, what to call it instead
  for (size_t i = 0; i < specs.size(); ++i) {
    for (const auto& [api, key] : kVariantKeys) {
      names.emplace_back("ProductionVariants[" + std::to_string(i) + "]." + std::string(api),
                         "--variant '" + specs[i] + "': " + std::string(key));
    }
  }
  std::vector<FieldFlag> flags = {
      {"DataCaptureConfig.DestinationS3Uri", "--data-capture"},
      {"DataCaptureConfig.InitialSamplingPercentage", "--capture-percent"},
      {"DataCaptureConfig.FlushIntervalInSeconds", "--capture-flush-s"},
  };
  for (const auto& [field, flag] : names) flags.emplace_back(field, flag);
  return WithFlagName(status, flags);
}

int CreateEndpointConfig(const ClientOptions& opts, const std::string& name, const std::vector<std::string>& specs,
                         const CaptureArgs& capture) {
  json variants = json::array();
  for (const auto& spec : specs) {
    auto v = ParseVariant(spec);
    if (!v.ok()) return Fail("endpoint-config create", v.status());
    variants.push_back(*v);
  }
  json body{{"EndpointConfigName", name}, {"ProductionVariants", variants}};
  if (!capture.destination.empty()) body["DataCaptureConfig"] = CaptureConfig(capture);
  return CallAndReport(opts, "endpoint-config create", "POST", "/v1/endpoint-configs", &body,
                       "created endpoint config " + name + " with " +
                           std::to_string(variants.size()) +
                           (variants.size() == 1 ? " variant" : " variants"),
                       [&specs](const Status& status) { return WithVariantFlag(status, specs); });
}

int ListEndpointConfigs(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/endpoint-configs");
  if (!r.ok()) return Fail("endpoint-config list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : Items(*r, "EndpointConfigs")) {
    std::string variants;
    for (const auto& v : Get(c, "ProductionVariants")) {
      variants += (variants.empty() ? "" : ", ") + Cell(Get(v, "VariantName")) + "=" + Cell(Get(v, "ModelName"));
    }
    rows.push_back({Cell(Get(c, "EndpointConfigName")), variants.empty() ? "-" : variants, Cell(Get(c, "CreationTime"))});
  }
  PrintTable({"NAME", "VARIANTS", "CREATED"}, rows);
  return 0;
}

int DescribeEndpointConfig(const ClientOptions& opts, const std::string& name) {
  auto r = ApiClient(opts).Call("GET", ConfigPath(name));
  if (!r.ok()) return Fail("endpoint-config describe", r.status());
  if (opts.json) return PrintJson(*r), 0;
  json summary = *r;
  summary.erase("ProductionVariants");
  PrintObject(summary);
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : Get(*r, "ProductionVariants")) {
    rows.push_back({Cell(Get(v, "VariantName")), Cell(Get(v, "ModelName")), Cell(Get(v, "InitialVariantWeight")),
                    Cell(Get(v, "InitialInstanceCount")), Cell(Get(v, "MaxQueuedRequestsPerInstance")),
                    Cell(Get(v, "MemoryBudgetMiB"))});
  }
  std::printf("\n");
  PrintTable({"VARIANT", "MODEL", "WEIGHT", "INSTANCES", "MAX QUEUED", "MEMORY MIB"}, rows);
  return 0;
}

// ---- endpoints ---------------------------------------------------------------------

void PrintVariants(const json& variants) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : variants) {
    const json m = Get(v, "Metrics");
    rows.push_back({Cell(Get(v, "VariantName")), Cell(Get(v, "ModelName")), Cell(Get(v, "CurrentWeight")),
                    Cell(Get(v, "DesiredWeight")), Cell(Get(v, "CurrentInstanceCount")), Cell(Get(m, "Invocations")),
                    Cell(Get(m, "Invocation4XXErrors")), Cell(Get(m, "Invocation5XXErrors")),
                    Cell(Get(m, "ModelLatencyP50Ms")), Cell(Get(m, "ModelLatencyP99Ms")),
                    Cell(Get(m, "OverheadLatencyP99Ms"))});
  }
  PrintTable({"VARIANT", "MODEL", "WEIGHT", "DESIRED", "INSTANCES", "INVOCATIONS", "4XX", "5XX", "MODEL P50 MS",
              "MODEL P99 MS", "OVERHEAD P99 MS"},
             rows);
}

void PrintEndpoint(const json& e) {
  json summary = e;
  for (const char* nested :
       {"ProductionVariants", "PendingProductionVariants", "LastDeploymentConfig", "PendingDeploymentSummary"})
    summary.erase(nested);
  PrintObject(summary);
  std::printf("\n");
  PrintVariants(Get(e, "ProductionVariants"));
  const json update = Get(e, "PendingDeploymentSummary");
  if (update.is_object()) {
    std::printf("\ndeploying endpoint config %s (since %s): %s", Cell(Get(update, "EndpointConfigName")).c_str(),
                Cell(Get(update, "StartTime")).c_str(), Cell(Get(update, "Stage")).c_str());
    if (update.contains("StageEndTime"))
      std::printf(" with %s of the traffic until %s", Cell(Get(update, "TrafficShare")).c_str(),
                  Cell(Get(update, "StageEndTime")).c_str());
    std::printf("\n");
  }
  const json pending = Get(e, "PendingProductionVariants");
  if (pending.is_array() && !pending.empty()) {
    std::printf("\npending (being deployed):\n");
    PrintVariants(pending);
  }
  const json deployment = Get(e, "LastDeploymentConfig");
  if (!deployment.is_null() && !deployment.empty())
    std::printf("\nlast deployment config: %s\n", deployment.dump().c_str());
}

struct WaitArgs {
  bool wait = false;
  int timeout_s = 1800;
};

bool InTransition(const std::string& status) {
  return status == "Creating" || status == "Updating" || status == "RollingBack" || status == "SystemUpdating";
}

// Polls the endpoint until it leaves Creating/Updating/RollingBack, then prints it.
// For an update (`config` set), failing also covers a rollback: the endpoint back
// in service on another config, with a FailureReason other than the one it had before.
int WaitForEndpoint(const ClientOptions& opts, const std::string& command, const std::string& name,
                    const std::string& config, const std::string& reason_before, int timeout_s) {
  ApiClient client(opts);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(timeout_s);
  std::string last_status;
  while (true) {
    auto r = client.Call("GET", EndpointPath(name));
    if (!r.ok()) return Fail(command, r.status());
    const std::string status = Cell(Get(*r, "EndpointStatus"));
    const std::string on = Cell(Get(*r, "EndpointConfigName"));
    const json reason_json = Get(*r, "FailureReason");
    const std::string reason = reason_json.is_string() ? reason_json.get<std::string>() : "";
    // An update the server has accepted but not begun still shows the old state:
    // give it a few seconds to turn Updating before reading that as the outcome.
    const bool not_begun = !config.empty() && status == "InService" && on != config && reason == reason_before &&
                           std::chrono::steady_clock::now() - start < std::chrono::seconds(5);
    if (!InTransition(status) && !not_begun) {
      if (opts.json) {
        PrintJson(*r);
      } else {
        std::printf("endpoint %s: %s on config %s\n", name.c_str(), status.c_str(), on.c_str());
        if (!reason.empty()) std::printf("failure reason: %s\n", reason.c_str());
      }
      if (status == "Failed") return Fail(command, Internal("endpoint " + name + " failed: " + reason));
      if (!config.empty() && (on != config || (!reason.empty() && reason != reason_before)))
        return Fail(command, Internal("the update of endpoint " + name + " to config " + config +
                                      " did not complete (now on " + on + "): " + reason));
      if (status != "InService")
        return Fail(command, Internal("endpoint " + name + " ended " + status + ", not InService"));
      return 0;
    }
    if (!opts.json && status != last_status) std::fprintf(stderr, "endpoint %s: %s\n", name.c_str(), status.c_str());
    last_status = status;
    if (std::chrono::steady_clock::now() > deadline) {
      return Fail(command, Unavailable("endpoint " + name + " still " + status + " after " +
                                       std::to_string(timeout_s) + " s (see 'tributary endpoint describe " + name +
                                       "'; raise --timeout-s to wait longer)"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

int CreateEndpoint(const ClientOptions& opts, const std::string& name, const std::string& config,
                   const WaitArgs& w) {
  json body{{"EndpointName", name}, {"EndpointConfigName", config}};
  if (!w.wait) {
    return CallAndReport(opts, "endpoint create", "POST", "/v1/endpoints", &body,
                         "creating endpoint " + name + " on config " + config);
  }
  auto r = ApiClient(opts).Call("POST", "/v1/endpoints", &body);
  if (!r.ok()) return Fail("endpoint create", r.status());
  return WaitForEndpoint(opts, "endpoint create", name, "", "", w.timeout_s);
}

struct UpdateArgs {
  std::string name, config, deployment_file, traffic;
  double canary_percent = 10, linear_step_percent = 25, rollback_max_error_rate = 0, rollback_max_p99_ms = 0;
  int wait_s = 0, termination_wait_s = 0;
  // Which of the optional flags were given (CLI11 options, read after parsing).
  CLI::Option *canary = nullptr, *linear = nullptr, *wait_interval = nullptr, *termination = nullptr,
              *max_error_rate = nullptr, *max_p99 = nullptr;
  WaitArgs wait;
};

// The DeploymentConfig of serving/README.md from the --traffic flags; null when none given.
Result<json> DeploymentFromFlags(const UpdateArgs& a) {
  const bool any_detail = a.canary->count() || a.linear->count() || a.wait_interval->count() ||
                          a.termination->count() || a.max_error_rate->count() || a.max_p99->count();
  if (a.traffic.empty()) {
    if (any_detail)
      return InvalidArgument("the deployment flags need --traffic all-at-once|canary|linear (or give --deployment FILE)");
    return json();
  }
  if (a.canary->count() && a.traffic != "canary")
    return InvalidArgument("--canary-percent goes with --traffic canary, not " + a.traffic);
  if (a.linear->count() && a.traffic != "linear")
    return InvalidArgument("--linear-step-percent goes with --traffic linear, not " + a.traffic);
  json routing;
  if (a.traffic == "all-at-once") {
    routing["Type"] = "ALL_AT_ONCE";
  } else if (a.traffic == "canary") {
    routing["Type"] = "CANARY";
    routing["CanarySize"] = {{"Type", "CAPACITY_PERCENT"}, {"Value", a.canary_percent}};
  } else {
    routing["Type"] = "LINEAR";
    routing["LinearStepSize"] = {{"Type", "CAPACITY_PERCENT"}, {"Value", a.linear_step_percent}};
  }
  if (a.wait_interval->count()) routing["WaitIntervalInSeconds"] = a.wait_s;
  json policy{{"TrafficRoutingConfiguration", routing}};
  if (a.termination->count()) policy["TerminationWaitInSeconds"] = a.termination_wait_s;
  json deployment{{"BlueGreenUpdatePolicy", policy}};
  json alarms = json::array();
  if (a.max_error_rate->count())
    alarms.push_back({{"AlarmName", "error-rate"}, {"Metric", "ErrorRate"}, {"Threshold", a.rollback_max_error_rate}});
  if (a.max_p99->count())
    alarms.push_back(
        {{"AlarmName", "model-latency-p99"}, {"Metric", "ModelLatencyP99Ms"}, {"Threshold", a.rollback_max_p99_ms}});
  if (!alarms.empty()) deployment["AutoRollbackConfiguration"] = {{"Alarms", alarms}};
  return deployment;
}

int UpdateEndpoint(const ClientOptions& opts, const UpdateArgs& a) {
  const std::string command = "endpoint update";
  json body{{"EndpointConfigName", a.config}};
  if (!a.deployment_file.empty()) {
    auto text = ReadFile(a.deployment_file);
    if (!text.ok()) return Fail(command, text.status());
    json doc = json::parse(*text, nullptr, false);
    if (!doc.is_object())
      return Fail(command, InvalidArgument("--deployment " + a.deployment_file + " is not a JSON object"));
    body["DeploymentConfig"] = doc;
  } else {
    auto deployment = DeploymentFromFlags(a);
    if (!deployment.ok()) return Fail(command, deployment.status());
    if (!deployment->is_null()) body["DeploymentConfig"] = *deployment;
  }
  ApiClient client(opts);
  std::string reason_before;
  if (a.wait.wait) {
    auto before = client.Call("GET", EndpointPath(a.name));
    if (!before.ok()) return Fail(command, before.status());
    if (Get(*before, "FailureReason").is_string()) reason_before = (*before)["FailureReason"];
  }
  auto r = client.Call("POST", EndpointPath(a.name) + "/update", &body);
  if (!r.ok()) return Fail(command, r.status());
  if (a.wait.wait) return WaitForEndpoint(opts, command, a.name, a.config, reason_before, a.wait.timeout_s);
  if (opts.json) return PrintJson(*r), 0;
  std::printf("updating endpoint %s to config %s\n", a.name.c_str(), a.config.c_str());
  return 0;
}

int UpdateWeights(const ClientOptions& opts, const std::string& name, const std::vector<std::string>& specs) {
  json weights = json::array();
  for (const auto& spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      return Fail("endpoint update-weights", InvalidArgument("--variant '" + spec + "': expected VARIANT=WEIGHT"));
    auto w = ParseNumber("--variant '" + spec + "'", spec.substr(eq + 1));
    if (!w.ok()) return Fail("endpoint update-weights", w.status());
    if (*w < 0)
      return Fail("endpoint update-weights", InvalidArgument("--variant '" + spec + "': the weight must be >= 0"));
    weights.push_back({{"VariantName", spec.substr(0, eq)}, {"DesiredWeight", *w}});
  }
  json body{{"DesiredWeightsAndCapacities", weights}};
  return CallAndReport(opts, "endpoint update-weights", "POST", EndpointPath(name) + "/weights", &body,
                       "updated the weights of endpoint " + name);
}

int ListEndpoints(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/endpoints");
  if (!r.ok()) return Fail("endpoint list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : Items(*r, "Endpoints")) {
    rows.push_back({Cell(Get(e, "EndpointName")), Cell(Get(e, "EndpointStatus")), Cell(Get(e, "EndpointConfigName")),
                    Cell(Get(e, "CreationTime")), Cell(Get(e, "LastModifiedTime"))});
  }
  PrintTable({"NAME", "STATUS", "CONFIG", "CREATED", "MODIFIED"}, rows);
  return 0;
}

int DescribeEndpoint(const ClientOptions& opts, const std::string& name) {
  auto r = ApiClient(opts).Call("GET", EndpointPath(name));
  if (!r.ok()) return Fail("endpoint describe", r.status());
  if (opts.json) return PrintJson(*r), 0;
  PrintEndpoint(*r);
  return 0;
}

// ---- invocation --------------------------------------------------------------------

struct InvokeArgs {
  std::string name, body_file, content_type = "application/json", variant, target_model, inference_config, output;
};

std::string HeaderValue(const std::map<std::string, std::string>& headers, const std::string& name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      return v;
  }
  return "";
}

int Invoke(const ClientOptions& opts, const InvokeArgs& a) {
  const std::string command = "endpoint invoke";
  std::string body;
  if (a.body_file == "-") {
    body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto text = ReadFile(a.body_file);
    if (!text.ok()) return Fail(command, text.status());
    body = std::move(*text);
  }
  std::map<std::string, std::string> headers{{"Content-Type", a.content_type}};
  if (!a.variant.empty()) headers["X-Amzn-SageMaker-Target-Variant"] = a.variant;
  if (!a.target_model.empty()) headers["X-Amzn-SageMaker-Target-Model"] = a.target_model;
  if (!a.inference_config.empty()) {
    if (Result<json> config = ParseJsonText(a.inference_config, "--inference-config"); !config.ok())
      return Fail(command, config.status());
    headers["X-Tributary-Inference-Config"] = a.inference_config;
  }
  // Invocations are not under /v1 and answer with the model's bytes, not API JSON.
  auto res = ApiClient(opts).Send("POST", "/endpoints/" + net::UrlEncode(a.name) + "/invocations", body,
                                  headers, 120);
  if (!res.ok()) return Fail(command, res.status());
  const std::string variant = HeaderValue(res->headers, "X-Amzn-Invoked-Production-Variant");
  if (res->status < 200 ||
      res->status >= 300) {  // one line, the error; the variant in it when one answered
    std::string message = res->body;
    json parsed = json::parse(res->body, nullptr, false);
    if (parsed.is_object() && parsed.contains("error")) {
      const json& e = parsed["error"];
      message = e.is_object() ? e.value("message", res->body) : Cell(e);
    }
    const std::string who = variant.empty() ? "" : "variant " + variant + " answered ";
    return Fail(command, Internal(who + "HTTP " + std::to_string(res->status) + ": " + message));
  }
  if (!variant.empty()) std::fprintf(stderr, "invoked variant: %s\n", variant.c_str());
  if (!a.output.empty() && a.output != "-") {
    Status st = WriteFileAtomic(a.output, res->body);
    if (!st.ok()) return Fail(command, st);
    return 0;
  }
  std::fwrite(res->body.data(), 1, res->body.size(), stdout);
  if (!res->body.empty() && res->body.back() != '\n') std::printf("\n");
  return 0;
}

// ---- batch transform ---------------------------------------------------------------

struct TransformArgs {
  std::string name, model, input, output;
  int instances = 1;
  WaitArgs wait;
};

// "bucket/prefix" (or "s3://bucket/prefix") -> {"Bucket", "Prefix"}.
Result<json> BucketPrefix(const std::string& flag, const std::string& text) {
  std::string s = text.rfind("s3://", 0) == 0 ? text.substr(5) : text;
  size_t slash = s.find('/');
  std::string bucket = s.substr(0, slash);
  if (bucket.empty()) return InvalidArgument(flag + " '" + text + "': expected bucket/prefix");
  return json{{"Bucket", bucket}, {"Prefix", slash == std::string::npos ? "" : s.substr(slash + 1)}};
}

std::string TransformStatus(const json& j) {
  json s = Get(j, "TransformJobStatus");
  if (s.is_null()) s = Get(j, "Status");
  return Cell(s);
}

int WaitForTransform(const ClientOptions& opts, const std::string& name, int timeout_s) {
  ApiClient client(opts);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (true) {
    auto r = client.Call("GET", TransformPath(name));
    if (!r.ok()) return Fail("transform create", r.status());
    const std::string status = TransformStatus(*r);
    if (status != "InProgress" && status != "Stopping") {
      if (opts.json) {
        PrintJson(*r);
      } else {
        PrintObject(*r);
      }
      if (status == "Completed") return 0;
      return Fail("transform create", Internal("transform job " + name + " ended " + status + ": " +
                                                   Cell(Get(*r, "FailureReason"))));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Fail("transform create", Unavailable("transform job " + name + " still " + status + " after " +
                                                      std::to_string(timeout_s) + " s"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

int CreateTransform(const ClientOptions& opts, const TransformArgs& a) {
  auto in = BucketPrefix("--input", a.input);
  if (!in.ok()) return Fail("transform create", in.status());
  auto out = BucketPrefix("--output", a.output);
  if (!out.ok()) return Fail("transform create", out.status());
  json body{{"TransformJobName", a.name},
            {"ModelName", a.model},
            {"TransformInput", *in},
            {"TransformOutput", *out},
            {"InstanceCount", a.instances}};
  if (!a.wait.wait) {
    return CallAndReport(opts, "transform create", "POST", "/v1/transform-jobs", &body,
                         "started transform job " + a.name + ": " + a.input + " -> " + a.output);
  }
  auto r = ApiClient(opts).Call("POST", "/v1/transform-jobs", &body);
  if (!r.ok()) return Fail("transform create", r.status());
  return WaitForTransform(opts, a.name, a.wait.timeout_s);
}

int ListTransforms(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/transform-jobs");
  if (!r.ok()) return Fail("transform list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : Items(*r, "TransformJobSummaries")) {
    rows.push_back({Cell(Get(t, "TransformJobName")), TransformStatus(t), Cell(Get(t, "ModelName")),
                    Cell(Get(t, "CreationTime"))});
  }
  PrintTable({"NAME", "STATUS", "MODEL", "CREATED"}, rows);
  return 0;
}

void AddWaitFlags(CLI::App* cmd, WaitArgs* w) {
  cmd->add_flag("--wait", w->wait, "wait until it is done; exit 1 if it failed");
  cmd->add_option("--timeout-s", w->timeout_s, "give up waiting after this many seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

// `verb NAME` subcommands whose whole work is one call: describe and delete.
void AddNamedCall(CLI::App* group, CommandContext* ctx, std::shared_ptr<ClientOptions> opts, const char* verb,
                  const std::string& help, const std::string& noun, std::string (*path)(const std::string&)) {
  auto name = std::make_shared<std::string>();
  auto* cmd = group->add_subcommand(verb, help);
  cmd->add_option("name", *name, noun + " name")->required();
  AddClientFlags(cmd, opts.get());
  const std::string command = group->get_name() + " " + verb;
  const bool del = std::string(verb) == "delete";
  cmd->callback([=] {
    ctx->run = [=] {
      if (!del) return Describe(*opts, command, path(*name));
      return CallAndReport(*opts, command, "DELETE", path(*name), nullptr, "deleted " + noun + " " + *name);
    };
  });
}

void AddModelCommands(CLI::App* parent, CommandContext* ctx) {
  auto* group = parent->add_subcommand("model", "Manage models: a DeepAR artifact or a command that serves");
  group->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto a = std::make_shared<ModelArgs>();

  auto* create = group->add_subcommand("create", "Register a model (a worker process runs it per instance)");
  create->add_option("name", a->name, "model name")->required();
  auto* artifact = create->add_option("--artifact", a->artifact,
                                      "model directory written by 'tributary train', or a lake URI of one "
                                      "(a training job's S3ModelArtifacts: s3://bucket/models/JOB/output/model/)");
  auto* command = create->add_option("--command", a->command,
                                     "a command speaking the worker protocol (run with /bin/sh -c)");
  artifact->excludes(command);
  create->add_flag("--multi-model", a->multi_model, "the artifact is a directory of model directories");
  AddClientFlags(create, opts.get());
  create->callback([=] {
    ctx->run = [=] {
      if (a->artifact.empty() && a->command.empty())
        return Fail("model create", InvalidArgument("give --artifact DIR or --command CMD"));
      return CreateModel(*opts, *a);
    };
  });

  auto* list = group->add_subcommand("list", "List models");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return ListModels(*opts); }; });
  AddNamedCall(group, ctx, opts, "describe", "Show a model", "model", &ModelPath);
  AddNamedCall(group, ctx, opts, "delete", "Delete a model no endpoint config uses", "model", &ModelPath);
}

void AddEndpointConfigCommands(CLI::App* parent, CommandContext* ctx) {
  auto* group = parent->add_subcommand("endpoint-config", "Manage endpoint configs (immutable sets of variants)");
  group->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto name = std::make_shared<std::string>();
  auto variants = std::make_shared<std::vector<std::string>>();

  auto* create = group->add_subcommand("create", "Create an endpoint config");
  create->add_option("name", *name, "endpoint config name")->required();
  create->add_option("--variant", *variants,
                     "a production variant: name=V,model=M[,weight=1][,instances=1][,max-queued=16]"
                     "[,memory-budget-mib=2048]; repeat for more")
      ->required();
  auto capture = std::make_shared<CaptureArgs>();
  auto* dest = create->add_option("--data-capture", capture->destination,
                                  "capture sampled requests and answers into the lake under this prefix "
                                  "(s3://bucket/prefix/), as JSON Lines per endpoint, variant and hour");
  auto needs_dest = [dest](CLI::Option* o) { o->needs(dest); };
  needs_dest(create->add_option("--capture-percent", capture->percent, "share of requests captured, 0..100")
                 ->check(CLI::Range(0, 100))
                 ->capture_default_str());
  needs_dest(create->add_option("--capture-mode", capture->mode, "what is captured")
                 ->check(CLI::IsMember({"input", "output", "both"}))
                 ->capture_default_str());
  needs_dest(create->add_option("--capture-json-type", capture->json_types,
                                "content types kept as JSON text (others as base64); repeat for more")
                 ->capture_default_str());
  needs_dest(create->add_option("--capture-csv-type", capture->csv_types, "content types kept as CSV text")
                 ->capture_default_str());
  needs_dest(create->add_option("--capture-flush-s", capture->flush_s,
                                "seconds a variant's captured lines wait before becoming an object, 1..900")
                 ->check(CLI::Range(1, 900))
                 ->capture_default_str());
  AddClientFlags(create, opts.get());
  create->callback([=] { ctx->run = [=] { return CreateEndpointConfig(*opts, *name, *variants, *capture); }; });

  auto* list = group->add_subcommand("list", "List endpoint configs");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return ListEndpointConfigs(*opts); }; });

  auto* describe = group->add_subcommand("describe", "Show an endpoint config and its variants");
  describe->add_option("name", *name, "endpoint config name")->required();
  AddClientFlags(describe, opts.get());
  describe->callback([=] { ctx->run = [=] { return DescribeEndpointConfig(*opts, *name); }; });
  AddNamedCall(group, ctx, opts, "delete", "Delete an endpoint config", "endpoint config", &ConfigPath);
}

void AddEndpointCommands(CLI::App* parent, CommandContext* ctx) {
  auto* group = parent->add_subcommand("endpoint", "Manage endpoints: deploy, update, invoke");
  group->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto name = std::make_shared<std::string>();
  auto config = std::make_shared<std::string>();

  auto wait = std::make_shared<WaitArgs>();
  auto* create = group->add_subcommand("create", "Deploy an endpoint from an endpoint config");
  create->add_option("name", *name, "endpoint name")->required();
  create->add_option("--config", *config, "endpoint config name")->required();
  AddWaitFlags(create, wait.get());
  AddClientFlags(create, opts.get());
  create->callback([=] { ctx->run = [=] { return CreateEndpoint(*opts, *name, *config, *wait); }; });

  auto u = std::make_shared<UpdateArgs>();
  auto* update = group->add_subcommand("update", "Move an endpoint to another config (blue/green)");
  update->add_option("name", u->name, "endpoint name")->required();
  update->add_option("--config", u->config, "the new endpoint config")->required();
  auto* file = update->add_option("--deployment", u->deployment_file, "DeploymentConfig JSON file");
  auto* traffic = update->add_option("--traffic", u->traffic, "how traffic shifts to the new fleet")
                      ->check(CLI::IsMember({"all-at-once", "canary", "linear"}));
  file->excludes(traffic);
  u->canary = update->add_option("--canary-percent", u->canary_percent, "canary share of capacity (canary)")
                  ->check(CLI::Range(0.0, 100.0))
                  ->capture_default_str();
  u->linear = update->add_option("--linear-step-percent", u->linear_step_percent, "share shifted per step (linear)")
                  ->check(CLI::Range(0.0, 100.0))
                  ->capture_default_str();
  u->wait_interval = update->add_option("--wait-s", u->wait_s, "baking time after each traffic shift")
                         ->check(CLI::NonNegativeNumber);
  u->termination = update->add_option("--termination-wait-s", u->termination_wait_s,
                                      "keep the old fleet this long after the shift")
                       ->check(CLI::NonNegativeNumber);
  u->max_error_rate = update->add_option("--rollback-max-error-rate", u->rollback_max_error_rate,
                                         "roll back when the new fleet's error rate exceeds this (0-1)")
                          ->check(CLI::Range(0.0, 1.0));
  u->max_p99 = update->add_option("--rollback-max-p99-ms", u->rollback_max_p99_ms,
                                  "roll back when the new fleet's model latency p99 exceeds this")
                   ->check(CLI::PositiveNumber);
  for (CLI::Option* o : {u->canary, u->linear, u->wait_interval, u->termination, u->max_error_rate, u->max_p99})
    file->excludes(o);
  AddWaitFlags(update, &u->wait);
  AddClientFlags(update, opts.get());
  update->callback([=] { ctx->run = [=] { return UpdateEndpoint(*opts, *u); }; });

  auto weights = std::make_shared<std::vector<std::string>>();
  auto* reweigh = group->add_subcommand("update-weights", "Change variant weights without redeploying (A/B)");
  reweigh->add_option("name", *name, "endpoint name")->required();
  reweigh->add_option("--variant", *weights, "VARIANT=WEIGHT; repeat for each variant")->required();
  AddClientFlags(reweigh, opts.get());
  reweigh->callback([=] { ctx->run = [=] { return UpdateWeights(*opts, *name, *weights); }; });

  auto* describe = group->add_subcommand("describe", "Show an endpoint, its variants and their metrics");
  describe->add_option("name", *name, "endpoint name")->required();
  AddClientFlags(describe, opts.get());
  describe->callback([=] { ctx->run = [=] { return DescribeEndpoint(*opts, *name); }; });

  auto* list = group->add_subcommand("list", "List endpoints");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return ListEndpoints(*opts); }; });

  auto* del = group->add_subcommand("delete", "Delete an endpoint (its workers stop once drained)");
  del->add_option("name", *name, "endpoint name")->required();
  AddClientFlags(del, opts.get());
  del->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "endpoint delete", "DELETE", EndpointPath(*name), nullptr,
                           "deleting endpoint " + *name);
    };
  });

  auto inv = std::make_shared<InvokeArgs>();
  auto* invoke = group->add_subcommand("invoke", "Send one request to an endpoint; the answer goes to stdout");
  invoke->add_option("name", inv->name, "endpoint name")->required();
  invoke->add_option("--body", inv->body_file, "request body file ('-' for stdin)")->required();
  invoke->add_option("--content-type", inv->content_type, "application/json or application/jsonlines")
      ->capture_default_str();
  invoke->add_option("--variant", inv->variant, "send to this production variant");
  invoke->add_option("--target-model", inv->target_model, "model of a multi-model endpoint");
  invoke->add_option("--inference-config", inv->inference_config,
                     "JSON configuration for a JSON Lines body (num_samples, output_types, quantiles)");
  invoke->add_option("--output", inv->output, "write the answer to this file instead of stdout");
  AddClientFlags(invoke, opts.get());
  invoke->callback([=] { ctx->run = [=] { return Invoke(*opts, *inv); }; });
}

void AddTransformCommands(CLI::App* parent, CommandContext* ctx) {
  auto* group = parent->add_subcommand("transform", "Batch transform: a model over every object under a prefix");
  group->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto t = std::make_shared<TransformArgs>();

  auto* create = group->add_subcommand("create", "Start a transform job");
  create->add_option("name", t->name, "transform job name")->required();
  create->add_option("--model", t->model, "model name")->required();
  create->add_option("--input", t->input, "bucket/prefix of the JSON Lines requests")->required();
  create->add_option("--output", t->output, "bucket/prefix for the answers")->required();
  create->add_option("--instances", t->instances, "worker processes")->check(CLI::PositiveNumber)->capture_default_str();
  AddWaitFlags(create, &t->wait);
  AddClientFlags(create, opts.get());
  create->callback([=] { ctx->run = [=] { return CreateTransform(*opts, *t); }; });

  auto* list = group->add_subcommand("list", "List transform jobs");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return ListTransforms(*opts); }; });
  AddNamedCall(group, ctx, opts, "describe", "Show a transform job", "transform job", &TransformPath);

  auto stop_name = std::make_shared<std::string>();
  auto* stop = group->add_subcommand("stop", "Stop a running transform job (Stopping, then Stopped)");
  stop->add_option("name", *stop_name, "transform job name")->required();
  AddClientFlags(stop, opts.get());
  stop->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "transform stop", "POST", TransformPath(*stop_name) + "/stop", nullptr,
                           "stopping transform job " + *stop_name);
    };
  });
}

}  // namespace

void AddServingCommands(CLI::App* parent, CommandContext* ctx) {
  AddModelCommands(parent, ctx);
  AddEndpointConfigCommands(parent, ctx);
  AddEndpointCommands(parent, ctx);
  AddTransformCommands(parent, ctx);
}

}  // namespace tributary::cli
