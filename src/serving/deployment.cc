// EndpointManager's operations: create, blue/green update with rollback, delete.
// Each runs on the endpoint's operation thread (StartOperation).
#include <algorithm>
#include <chrono>
#include <future>

#include "base/clock.h"
#include "base/log.h"
#include "serving/artifact_fetch.h"
#include "serving/endpoint_internal.h"

namespace tributary::serving {

namespace {

std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// The traffic shares a deployment walks through, ending at 1.
std::vector<double> Steps(const DeploymentConfig& d) {
  std::vector<double> steps;
  if (d.type == TrafficType::kCanary) steps.push_back(d.canary_percent / 100.0);
  if (d.type == TrafficType::kLinear) {
    for (double p = d.linear_step_percent; p < 100; p += d.linear_step_percent) steps.push_back(p / 100.0);
  }
  steps.push_back(1.0);
  return steps;
}

}  // namespace

Result<FleetOptions> EndpointManager::FleetFor(const Model& stored, const VariantConfig& v,
                                                const std::string& name) const {
  Model model = stored;
  if (!model.artifact_uri.empty() && options_.lake != nullptr) {
    // A lake artifact whose local copy went missing is fetched again.
    TRY(EnsureModelArtifact(model, *options_.lake, options_.model_cache_dir));
  }
  FleetOptions o;
  o.name = name;
  o.instances = v.instances;
  o.max_queued_per_instance = v.max_queued_per_instance;
  o.startup_timeout_ms = options_.startup_timeout_ms;
  o.request_timeout_ms = options_.request_timeout_ms;
  if (!model.command.empty()) {
    o.command = {"/bin/sh", "-c", model.command};
    o.env["TRIBUTARY_MODEL_DIR"] = model.artifact;
  } else if (model.multi_model) {
    o.command = {options_.forecast_tool, "serve"};  // ModelCache adds --model per target
  } else {
    o.command = {options_.forecast_tool, "serve", "--model", model.artifact};
  }
  return o;
}

Result<std::vector<std::shared_ptr<EndpointManager::LiveVariant>>> EndpointManager::StartVariants(
    const std::string& endpoint, const EndpointConfig& config,
    const std::map<std::string, double>& weights) const {
  using Started = Result<std::shared_ptr<LiveVariant>>;
  std::vector<std::future<Started>> starting;
  for (const VariantConfig& vc : config.variants) {
    starting.push_back(std::async(std::launch::async, [this, endpoint, vc, &config, &weights]() -> Started {
      TRY_ASSIGN(Model model, store_->GetModel(vc.model));
      auto v = std::make_shared<LiveVariant>();
      v->config = vc;
      auto w = weights.find(vc.name);
      v->weight = w != weights.end() ? w->second : vc.initial_weight;
      v->metrics = metrics_->For(endpoint, vc.name);
      if (config.data_capture) v->capture = std::make_shared<const DataCaptureConfig>(*config.data_capture);
      TRY_ASSIGN(FleetOptions o, FleetFor(model, vc, endpoint + "/" + vc.name));
      if (model.multi_model) {
        v->cache = std::make_shared<ModelCache>(std::move(o), model.artifact,
                                                static_cast<uint64_t>(vc.memory_budget_mib) << 20);
      } else {
        TRY_ASSIGN(auto fleet, Fleet::Start(std::move(o)));
        v->fleet = std::shared_ptr<Fleet>(std::move(fleet));
      }
      return v;
    }));
  }
  std::vector<std::shared_ptr<LiveVariant>> started;
  Status first_error;
  for (size_t i = 0; i < starting.size(); ++i) {
    Started r = starting[i].get();
    if (r.ok()) {
      started.push_back(std::move(*r));
    } else if (first_error.ok()) {
      first_error = r.status().WithContext("variant '" + config.variants[i].name + "' (model '" +
                                           config.variants[i].model + "')");
    }
  }
  if (!first_error.ok()) {
    for (auto& v : started) v->Stop();
    return first_error;
  }
  return started;
}

void EndpointManager::RunCreate(const std::shared_ptr<Endpoint>& ep) {
  std::string name, config_name;
  std::map<std::string, double> weights;
  {
    std::lock_guard<std::mutex> lock(ep->mu);
    name = ep->record.name;
    config_name = ep->record.config;
    weights = ep->record.weights;
  }
  auto log = Logger("serving");
  Result<std::vector<std::shared_ptr<LiveVariant>>> variants = Status::Ok();
  auto config = store_->GetConfig(config_name);
  if (config.ok()) {
    variants = StartVariants(name, *config, weights);
  } else {
    variants = config.status();
  }
  {
    std::lock_guard<std::mutex> lock(ep->mu);
    if (variants.ok()) {
      auto routing = std::make_shared<Routing>();
      routing->live = std::move(*variants);
      ep->routing = routing;
      ep->record.status = "InService";
    } else {
      ep->record.status = "Failed";
      ep->record.failure_reason = variants.status().message();
    }
  }
  if (variants.ok()) {
    log->info("endpoint '{}' is InService with config '{}'", name, config_name);
  } else {
    log->error("endpoint '{}' failed: {}", name, variants.status().ToString());
  }
  (void)Persist(*ep);
}

std::string EndpointManager::Bake(const Endpoint& ep, const Routing& routing, const DeploymentConfig& d,
                                  double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (true) {
    for (const RollbackAlarm& alarm : d.alarms) {
      for (const auto& v : routing.pending) {
        AlarmWindow::Snapshot s = v->window.Read();
        if (!AlarmFires(alarm, s)) continue;
        if (alarm.metric == RollbackAlarm::Metric::kErrorRate) {
          return "alarm '" + alarm.name + "' fired: ErrorRate " + FormatNumber(s.error_rate) + " > " +
                 FormatNumber(alarm.threshold) + " on variant '" + v->config.name + "' (" +
                 std::to_string(s.errors_5xx) + " of " + std::to_string(s.invocations) + " requests failed)";
        }
        return "alarm '" + alarm.name + "' fired: ModelLatencyP99Ms " +
               FormatNumber(s.p99_model_ms) + " > " + FormatNumber(alarm.threshold) +
               " on variant '" + v->config.name + "' (over " + std::to_string(s.invocations) +
               " requests)";
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return "";
    std::unique_lock<std::mutex> lock(mu_);
    auto wake = std::min(deadline, now + std::chrono::milliseconds(100));
    if (stop_cv_.wait_until(lock, wake, [this] { return stopping_; })) return "the server is stopping";
  }
}

void EndpointManager::RunUpdate(const std::shared_ptr<Endpoint>& ep, EndpointConfig config,
                                DeploymentConfig d) {
  auto log = Logger("serving");
  std::string name;
  std::shared_ptr<const Routing> before;
  {
    std::lock_guard<std::mutex> lock(ep->mu);
    name = ep->record.name;
    before = ep->routing;
  }
  auto started_at = std::chrono::steady_clock::now();
  auto stage = [&](const char* what, double share, double bake_s) {
    std::lock_guard<std::mutex> lock(ep->mu);
    if (!ep->pending) ep->pending = PendingDeployment{config.name, WallMillis(), "", 0, 0};
    ep->pending->stage = what;
    ep->pending->traffic_share = share;
    ep->pending->stage_until_ms = bake_s > 0 ? WallMillis() + static_cast<int64_t>(bake_s * 1000) : 0;
  };
  stage("Starting", 0, 0);
  auto green = StartVariants(name, config, {});
  if (!green.ok()) {
    {
      std::lock_guard<std::mutex> lock(ep->mu);
      ep->pending.reset();
      ep->record.deploying_config.clear();
      ep->record.status = "InService";
      ep->record.failure_reason = "update to endpoint config '" + config.name +
                                  "' failed before any traffic moved: " + green.status().message();
    }
    log->error("endpoint '{}': {}", name, green.status().ToString());
    (void)Persist(*ep);
    return;
  }
  auto publish = [&](double share) {
    auto next = std::make_shared<Routing>();
    next->live = before->live;
    next->pending = *green;
    next->pending_share = share;
    std::lock_guard<std::mutex> lock(ep->mu);
    ep->routing = next;
    return std::shared_ptr<const Routing>(next);
  };
  std::string why;  // a reason to roll back
  std::vector<double> steps = Steps(d);
  for (size_t i = 0; i < steps.size() && why.empty(); ++i) {
    auto routing = publish(steps[i]);
    log->info("endpoint '{}': {}% of traffic on endpoint config '{}'", name, steps[i] * 100, config.name);
    double bake = d.wait_interval_s;
    if (i + 1 == steps.size()) bake += d.termination_wait_s;
    stage("Baking", steps[i], bake);
    why = Bake(*ep, *routing, d, bake);
    if (why.empty() && std::chrono::steady_clock::now() - started_at > std::chrono::seconds(d.max_execution_timeout_s)) {
      why = "the deployment ran longer than MaximumExecutionTimeoutInSeconds (" +
            std::to_string(d.max_execution_timeout_s) + ")";
    }
  }
  if (!why.empty()) {
    stage("RollingBack", 0, 0);
    {
      std::lock_guard<std::mutex> lock(ep->mu);
      ep->record.status = "RollingBack";
    }
    (void)Persist(*ep);
    log->warn("endpoint '{}': rolling back the update to '{}': {}", name, config.name, why);
    publish(0);  // every new request goes to the old fleet again
    {
      std::lock_guard<std::mutex> lock(ep->mu);
      ep->routing = before;
    }
    for (auto& v : *green) v->Stop();  // drains what the new fleet accepted
    {
      std::lock_guard<std::mutex> lock(ep->mu);
      ep->pending.reset();
      ep->record.deploying_config.clear();
      ep->record.status = "InService";
      ep->record.failure_reason = "update to endpoint config '" + config.name + "' rolled back: " + why;
    }
    (void)Persist(*ep);
    return;
  }
  auto done = std::make_shared<Routing>();
  done->live = *green;
  {
    std::lock_guard<std::mutex> lock(ep->mu);
    ep->routing = done;
    ep->pending.reset();
    ep->record.deploying_config.clear();
    ep->record.config = config.name;
    ep->record.weights.clear();
    ep->record.status = "InService";
    ep->record.failure_reason.clear();
  }
  (void)Persist(*ep);
  log->info("endpoint '{}' now serves endpoint config '{}'", name, config.name);
  for (auto& v : before->live) v->Stop();  // drains in-flight requests first
}

void EndpointManager::RunDelete(const std::shared_ptr<Endpoint>& ep) {
  std::shared_ptr<const Routing> routing;
  std::string name;
  {
    std::lock_guard<std::mutex> lock(ep->mu);
    routing = std::move(ep->routing);
    name = ep->record.name;
  }
  if (routing) {
    for (auto& v : routing->live) v->Stop();
    for (auto& v : routing->pending) v->Stop();
  }
  Status st = store_->DeleteEndpoint(name);
  if (!st.ok()) Logger("serving")->error("endpoint '{}': {}", name, st.ToString());
  // The operation thread cannot join itself: hand it to a thread that outlives nothing.
  std::lock_guard<std::mutex> lock(mu_);
  auto it = endpoints_.find(name);
  if (it != endpoints_.end() && it->second == ep) {
    std::lock_guard<std::mutex> ep_lock(ep->mu);
    if (ep->operation.joinable()) ep->operation.detach();
    endpoints_.erase(it);
  }
}

}  // namespace tributary::serving
