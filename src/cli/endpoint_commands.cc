// tributary endpoint ...: endpoints, their deployments and invocation over the HTTP API
// (the resources and their JSON are in serving/README.md; the examples at the top of
// serving_commands.cc).
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
#include "cli/serving_cli.h"
#include "flags/flag_checks.h"
#include "net/http_client.h"
#include "net/http_types.h"

namespace tributary::cli::serving {

namespace {

using nlohmann::json;

// ---- endpoints ---------------------------------------------------------------------

void PrintVariants(const json& variants) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : variants) {
    const json m = Get(v, "Metrics");
    rows.push_back({Cell(Get(v, "VariantName")), Cell(Get(v, "ModelName")),
                    Cell(Get(v, "CurrentWeight")), Cell(Get(v, "DesiredWeight")),
                    Cell(Get(v, "CurrentInstanceCount")), Cell(Get(m, "Invocations")),
                    Cell(Get(m, "Invocation4XXErrors")), Cell(Get(m, "Invocation5XXErrors")),
                    Cell(Get(m, "ModelLatencyP50Ms")), Cell(Get(m, "ModelLatencyP99Ms")),
                    Cell(Get(m, "OverheadLatencyP99Ms"))});
  }
  PrintTable({"VARIANT", "MODEL", "WEIGHT", "DESIRED", "INSTANCES", "INVOCATIONS", "4XX", "5XX",
              "MODEL P50 MS", "MODEL P99 MS", "OVERHEAD P99 MS"},
             rows);
}

void PrintEndpoint(const json& e) {
  json summary = e;
  for (const char* nested : {"ProductionVariants", "PendingProductionVariants",
                             "LastDeploymentConfig", "PendingDeploymentSummary"})
    summary.erase(nested);
  PrintObject(summary);
  std::printf("\n");
  PrintVariants(Get(e, "ProductionVariants"));
  const json update = Get(e, "PendingDeploymentSummary");
  if (update.is_object()) {
    std::printf("\ndeploying endpoint config %s (since %s): %s",
                Cell(Get(update, "EndpointConfigName")).c_str(),
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

bool InTransition(const std::string& status) {
  return status == "Creating" || status == "Updating" || status == "RollingBack" ||
         status == "SystemUpdating";
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
    const bool not_begun = !config.empty() && status == "InService" && on != config &&
                           reason == reason_before &&
                           std::chrono::steady_clock::now() - start < std::chrono::seconds(5);
    if (!InTransition(status) && !not_begun) {
      if (opts.json) {
        PrintJson(*r);
      } else {
        std::printf("endpoint %s: %s on config %s\n", name.c_str(), status.c_str(), on.c_str());
        if (!reason.empty()) std::printf("failure reason: %s\n", reason.c_str());
      }
      if (status == "Failed")
        return Fail(command, Internal("endpoint " + name + " failed: " + reason));
      if (!config.empty() && (on != config || (!reason.empty() && reason != reason_before)))
        return Fail(command, Internal("the update of endpoint " + name + " to config " + config +
                                      " did not complete (now on " + on + "): " + reason));
      if (status != "InService")
        return Fail(command, Internal("endpoint " + name + " ended " + status + ", not InService"));
      return 0;
    }
    if (!opts.json && status != last_status)
      std::fprintf(stderr, "endpoint %s: %s\n", name.c_str(), status.c_str());
    last_status = status;
    if (std::chrono::steady_clock::now() > deadline) {
      return Fail(command,
                  Unavailable("endpoint " + name + " still " + status + " after " +
                              std::to_string(timeout_s) + " s (see 'tributary endpoint describe " +
                              name + "'; raise --timeout-s to wait longer)"));
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
  double canary_percent = 10, linear_step_percent = 25, rollback_max_error_rate = 0,
         rollback_max_p99_ms = 0;
  int wait_s = 0, termination_wait_s = 0;
  // Which of the optional flags were given (CLI11 options, read after parsing).
  CLI::Option *canary = nullptr, *linear = nullptr, *wait_interval = nullptr,
              *termination = nullptr, *max_error_rate = nullptr, *max_p99 = nullptr;
  WaitArgs wait;
};

// The DeploymentConfig of serving/README.md from the --traffic flags; null when none given.
Result<json> DeploymentFromFlags(const UpdateArgs& a) {
  const bool any_detail = a.canary->count() || a.linear->count() || a.wait_interval->count() ||
                          a.termination->count() || a.max_error_rate->count() || a.max_p99->count();
  if (a.traffic.empty()) {
    if (any_detail)
      return InvalidArgument(
          "the deployment flags need --traffic all-at-once|canary|linear (or give --deployment "
          "FILE)");
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
    alarms.push_back({{"AlarmName", "error-rate"},
                      {"Metric", "ErrorRate"},
                      {"Threshold", a.rollback_max_error_rate}});
  if (a.max_p99->count())
    alarms.push_back({{"AlarmName", "model-latency-p99"},
                      {"Metric", "ModelLatencyP99Ms"},
                      {"Threshold", a.rollback_max_p99_ms}});
  if (!alarms.empty()) deployment["AutoRollbackConfiguration"] = {{"Alarms", alarms}};
  return deployment;
}

int UpdateEndpoint(const ClientOptions& opts, const UpdateArgs& a) {
  const std::string command = "endpoint update";
  json body{{"EndpointConfigName", a.config}};
  if (!a.deployment_file.empty()) {
    auto text = ReadFile(a.deployment_file);
    if (!text.ok()) return Fail(command, text.status());
    Result<json> doc = ParseJsonText(*text, "--deployment " + a.deployment_file);
    if (!doc.ok()) return Fail(command, doc.status());
    if (!doc->is_object())
      return Fail(command,
                  InvalidArgument("--deployment " + a.deployment_file + " is not a JSON object"));
    body["DeploymentConfig"] = std::move(doc).value();
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
  if (a.wait.wait)
    return WaitForEndpoint(opts, command, a.name, a.config, reason_before, a.wait.timeout_s);
  if (opts.json) return PrintJson(*r), 0;
  std::printf("updating endpoint %s to config %s\n", a.name.c_str(), a.config.c_str());
  return 0;
}

int UpdateWeights(const ClientOptions& opts, const std::string& name,
                  const std::vector<std::string>& specs) {
  json weights = json::array();
  for (const auto& spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      return Fail("endpoint update-weights",
                  InvalidArgument("--variant '" + spec + "': expected VARIANT=WEIGHT"));
    auto w = ParseNumber("--variant '" + spec + "'", spec.substr(eq + 1));
    if (!w.ok()) return Fail("endpoint update-weights", w.status());
    if (*w < 0)
      return Fail("endpoint update-weights",
                  InvalidArgument("--variant '" + spec + "': the weight must be >= 0"));
    weights.push_back({{"VariantName", spec.substr(0, eq)}, {"DesiredWeight", *w}});
  }
  json body{{"DesiredWeightsAndCapacities", weights}};
  return CallAndReport(opts, "endpoint update-weights", "POST", EndpointPath(name) + "/weights",
                       &body, "updated the weights of endpoint " + name);
}

int ListEndpoints(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/endpoints");
  if (!r.ok()) return Fail("endpoint list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : Items(*r, "Endpoints")) {
    rows.push_back({Cell(Get(e, "EndpointName")), Cell(Get(e, "EndpointStatus")),
                    Cell(Get(e, "EndpointConfigName")), Cell(Get(e, "CreationTime")),
                    Cell(Get(e, "LastModifiedTime"))});
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
  std::string name, body_file, content_type = "application/json", variant, target_model,
                               inference_config, output;
};

std::string HeaderValue(const std::map<std::string, std::string>& headers,
                        const std::string& name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        }))
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
  auto res = ApiClient(opts).Send("POST", "/endpoints/" + net::UrlEncode(a.name) + "/invocations",
                                  body, headers, 120);
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

}  // namespace

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
  create->callback(
      [=] { ctx->run = [=] { return CreateEndpoint(*opts, *name, *config, *wait); }; });

  auto u = std::make_shared<UpdateArgs>();
  auto* update = group->add_subcommand("update", "Move an endpoint to another config (blue/green)");
  update->add_option("name", u->name, "endpoint name")->required();
  update->add_option("--config", u->config, "the new endpoint config")->required();
  auto* file = update->add_option("--deployment", u->deployment_file, "DeploymentConfig JSON file");
  auto* traffic = update->add_option("--traffic", u->traffic, "how traffic shifts to the new fleet")
                      ->check(CLI::IsMember({"all-at-once", "canary", "linear"}));
  file->excludes(traffic);
  // The DeploymentConfig's ranges (serving/resources.cc), here so that a refusal names the
  // flag rather than the field: shares 1..99 %, the error rate 0..1, the p99 up to an hour.
  u->canary = DecimalIn(update->add_option("--canary-percent", u->canary_percent,
                                           "canary share of capacity (canary)"),
                        1, 99)
                  ->capture_default_str();
  u->linear = DecimalIn(update->add_option("--linear-step-percent", u->linear_step_percent,
                                           "share shifted per step (linear)"),
                        1, 99)
                  ->capture_default_str();
  u->wait_interval = WholeNumberIn(
      update->add_option("--wait-s", u->wait_s, "baking time after each traffic shift"), 0,
      INT32_MAX);
  u->termination = WholeNumberIn(update->add_option("--termination-wait-s", u->termination_wait_s,
                                                    "keep the old fleet this long after the shift"),
                                 0, INT32_MAX);
  u->max_error_rate =
      DecimalIn(update->add_option("--rollback-max-error-rate", u->rollback_max_error_rate,
                                   "roll back when the new fleet's error rate exceeds this (0-1)"),
                0, 1);
  u->max_p99 =
      DecimalIn(update->add_option("--rollback-max-p99-ms", u->rollback_max_p99_ms,
                                   "roll back when the new fleet's model latency p99 exceeds this"),
                0.001, 3.6e6);
  for (CLI::Option* o :
       {u->canary, u->linear, u->wait_interval, u->termination, u->max_error_rate, u->max_p99})
    file->excludes(o);
  AddWaitFlags(update, &u->wait);
  AddClientFlags(update, opts.get());
  update->callback([=] { ctx->run = [=] { return UpdateEndpoint(*opts, *u); }; });

  auto weights = std::make_shared<std::vector<std::string>>();
  auto* reweigh =
      group->add_subcommand("update-weights", "Change variant weights without redeploying (A/B)");
  reweigh->add_option("name", *name, "endpoint name")->required();
  OneValueEach(
      reweigh->add_option("--variant", *weights, "VARIANT=WEIGHT; repeat for each variant"))
      ->required();
  AddClientFlags(reweigh, opts.get());
  reweigh->callback([=] { ctx->run = [=] { return UpdateWeights(*opts, *name, *weights); }; });

  auto* describe =
      group->add_subcommand("describe", "Show an endpoint, its variants and their metrics");
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
  auto* invoke =
      group->add_subcommand("invoke", "Send one request to an endpoint; the answer goes to stdout");
  invoke->add_option("name", inv->name, "endpoint name")->required();
  invoke->add_option("--body", inv->body_file, "request body file ('-' for stdin)")->required();
  invoke
      ->add_option("--content-type", inv->content_type, "application/json or application/jsonlines")
      ->capture_default_str();
  invoke->add_option("--variant", inv->variant, "send to this production variant");
  invoke->add_option("--target-model", inv->target_model, "model of a multi-model endpoint");
  invoke->add_option(
      "--inference-config", inv->inference_config,
      "JSON configuration for a JSON Lines body (num_samples, output_types, quantiles)");
  invoke->add_option("--output", inv->output, "write the answer to this file instead of stdout");
  AddClientFlags(invoke, opts.get());
  invoke->callback([=] { ctx->run = [=] { return Invoke(*opts, *inv); }; });
}

}  // namespace tributary::cli::serving
