#include "serving/endpoint_manager.h"

#include "base/clock.h"
#include "base/log.h"
#include "base/start_thread.h"
#include "serving/endpoint_internal.h"

namespace tributary::serving {

namespace {

using nlohmann::json;

bool Busy(const std::string& status) {
  return status == "Creating" || status == "Updating" || status == "RollingBack" || status == "Deleting";
}

}  // namespace

json EndpointManager::LiveVariant::Describe(double share) const {
  json j = {{"VariantName", config.name},
            {"ModelName", config.model},
            {"CurrentWeight", weight.load()},
            {"DesiredWeight", weight.load()},
            {"TrafficShare", share},
            {"CurrentInstanceCount", fleet ? fleet->ready_instances() : config.instances},
            {"Metrics", metrics->Describe()}};
  if (fleet) {
    j["QueuedRequests"] = fleet->queued();
    j["MemoryBytes"] = fleet->MemoryBytes();
  }
  if (cache) j["MultiModel"] = cache->Describe();
  return j;
}

EndpointManager::EndpointManager(ServingStore* store, ServingOptions options)
    : store_(store),
      options_(std::move(options)),
      metrics_(std::make_unique<VariantMetricsTable>(options_.metrics)) {
  if (options_.lake != nullptr) {
    CaptureWriterOptions o;
    o.lake = options_.lake;
    o.metrics = options_.metrics;
    capture_ = std::make_unique<CaptureWriter>(std::move(o));
  }
}

Result<std::unique_ptr<EndpointManager>> EndpointManager::Open(ServingStore* store, ServingOptions options) {
  if (options.metrics == nullptr) return InvalidArgument("EndpointManager needs a metrics registry");
  std::unique_ptr<EndpointManager> m(new EndpointManager(store, std::move(options)));
  TRY_ASSIGN(auto records, store->ListEndpoints());
  for (auto& record : records) {
    if (record.status == "Deleting") {  // the server stopped while deleting it: finish
      TRY(store->DeleteEndpoint(record.name));
      continue;
    }
    auto ep = std::make_shared<Endpoint>();
    bool restart = record.status != "Failed";
    if (record.status == "Updating" || record.status == "RollingBack") {
      record.failure_reason = "an update was interrupted by a server restart; serving endpoint config '" +
                              record.config + "' as before it";
    }
    if (restart) record.status = "Creating";
    record.deploying_config.clear();  // an interrupted update is abandoned (above)
    ep->record = record;
    m->endpoints_[record.name] = ep;
    if (restart) {
      TRY(m->Persist(*ep));
      if (Status st = m->StartOperation(
              ep, [raw = m.get(), ep] { raw->RunCreate(ep); }, "Failed");
          !st.ok()) {
        // Failed, with the reason; the rest start.
        Logger("serving")->error("endpoint '{}' not started: {}", record.name, st.message());
      }
    }
  }
  return m;
}

EndpointManager::~EndpointManager() { Stop(); }

std::shared_ptr<EndpointManager::Endpoint> EndpointManager::Find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = endpoints_.find(name);
  return it == endpoints_.end() ? nullptr : it->second;
}

Status EndpointManager::StartOperation(const std::shared_ptr<Endpoint>& ep,
                                       std::function<void()> op,
                                       const std::string& status_if_refused) {
  std::thread previous;
  {
    std::lock_guard<std::mutex> lock(ep->mu);
    previous = std::move(ep->operation);
  }
  if (previous.joinable()) previous.join();  // it has finished: its status was not busy
  auto thread = StartThread("endpoint-op", std::move(op));
  if (!thread.ok()) {
    {
      std::lock_guard<std::mutex> lock(ep->mu);
      ep->record.status = status_if_refused;
      ep->record.failure_reason = thread.status().message();
      ep->record.deploying_config.clear();
      ep->pending.reset();
    }
    (void)Persist(*ep);
    return thread.status();
  }
  std::lock_guard<std::mutex> lock(ep->mu);
  ep->operation = std::move(thread).value();
  return Status::Ok();
}

Status EndpointManager::Persist(Endpoint& ep) {
  std::lock_guard<std::mutex> in_order(ep.persist_mu);
  EndpointRecord copy;
  {
    std::lock_guard<std::mutex> lock(ep.mu);
    ep.record.modified_ms = WallMillis();
    copy = ep.record;
  }
  Status st = store_->PutEndpoint(copy);
  if (!st.ok()) Logger("serving")->error("endpoint '{}': cannot record status {}: {}", copy.name, copy.status, st.ToString());
  return st;
}

Status EndpointManager::Create(const std::string& name, const std::string& config) {
  TRY(ValidateResourceName("endpoint", name));
  TRY(store_->GetConfig(config).status());
  auto ep = std::make_shared<Endpoint>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Unavailable("the server is stopping");
    if (endpoints_.count(name)) return AlreadyExists("endpoint '" + name + "' already exists");
    ep->record.name = name;
    ep->record.config = config;
    ep->record.status = "Creating";
    ep->record.created_ms = WallMillis();
    endpoints_[name] = ep;
  }
  Status st = Persist(*ep);
  if (!st.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    endpoints_.erase(name);
    return st;
  }
  if (Status st = StartOperation(
          ep, [this, ep] { RunCreate(ep); }, "Failed");
      !st.ok()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      endpoints_.erase(name);
    }
    (void)store_->DeleteEndpoint(name);  // refused as SageMaker refuses one past its limits
    return st.WithContext("endpoint '" + name + "' not created");
  }
  return Status::Ok();
}

Status EndpointManager::Update(const std::string& name, const std::string& config,
                               const DeploymentConfig& deployment) {
  auto ep = Find(name);
  if (!ep) return NotFound("endpoint '" + name + "' does not exist");
  TRY_ASSIGN(EndpointConfig c, store_->GetConfig(config));
  {
    std::lock_guard<std::mutex> lock(ep->mu);
    if (ep->record.status != "InService") {
      return FailedPrecondition("endpoint '" + name + "' is " + ep->record.status +
                                "; an update needs it InService");
    }
    ep->record.status = "Updating";
    ep->record.failure_reason.clear();
    ep->record.last_deployment = ToJson(deployment).dump();
    ep->record.deploying_config = c.name;  // from now on the config cannot be deleted
    ep->pending = PendingDeployment{c.name, WallMillis(), "Starting", 0, 0};
  }
  if (Status st = Persist(*ep); !st.ok()) {
    // Not recorded (or the config was deleted since it was read): nothing started.
    std::lock_guard<std::mutex> lock(ep->mu);
    ep->record.status = "InService";
    ep->record.deploying_config.clear();
    ep->pending.reset();
    return st;
  }
  return StartOperation(
             ep, [this, ep, c, deployment] { RunUpdate(ep, c, deployment); }, "InService")
      .WithContext("endpoint '" + name + "' not updated (it serves as before)");
}

Status EndpointManager::UpdateWeights(const std::string& name, const std::map<std::string, double>& weights) {
  auto ep = Find(name);
  if (!ep) return NotFound("endpoint '" + name + "' does not exist");
  {
    std::lock_guard<std::mutex> lock(ep->mu);
    if (ep->record.status != "InService" || !ep->routing) {
      return FailedPrecondition("endpoint '" + name + "' is " + ep->record.status +
                                "; changing weights needs it InService");
    }
    auto next = ep->routing;
    std::map<std::string, double> all;
    for (auto& v : next->live) all[v->config.name] = v->weight;
    double total = 0;
    for (const auto& [variant, w] : weights) {
      if (!all.count(variant)) return InvalidArgument("endpoint '" + name + "' has no variant '" + variant + "'");
      if (!(w >= 0 && w <= 1e6)) return InvalidArgument("variant '" + variant + "': weight must be 0..1000000");
      all[variant] = w;
    }
    for (const auto& [variant, w] : all) total += w;
    if (total <= 0) return InvalidArgument("the weights would add up to 0: no variant would get traffic");
    // Requests in flight share these variants; the weight is atomic and read at pick time.
    for (auto& v : next->live) v->weight = all[v->config.name];
    ep->record.weights = all;
  }
  return Persist(*ep);
}

Status EndpointManager::Delete(const std::string& name) {
  auto ep = Find(name);
  if (!ep) return NotFound("endpoint '" + name + "' does not exist");
  std::string before;
  {
    std::lock_guard<std::mutex> lock(ep->mu);
    if (Busy(ep->record.status)) {
      return FailedPrecondition("endpoint '" + name + "' is " + ep->record.status + "; wait until it is not");
    }
    before = ep->record.status;
    ep->record.status = "Deleting";
  }
  TRY(Persist(*ep));
  return StartOperation(
             ep, [this, ep] { RunDelete(ep); }, before)
      .WithContext("endpoint '" + name + "' not deleted");
}

Result<json> EndpointManager::Describe(const std::string& name) const {
  auto ep = Find(name);
  if (!ep) return NotFound("endpoint '" + name + "' does not exist (see 'tributary endpoint list')");
  std::lock_guard<std::mutex> lock(ep->mu);
  const EndpointRecord& r = ep->record;
  json j = {{"EndpointName", r.name},
            {"EndpointConfigName", r.config},
            {"EndpointStatus", r.status},
            {"CreationTime", FormatIso8601Millis(r.created_ms)},
            {"LastModifiedTime", FormatIso8601Millis(r.modified_ms)},
            {"ProductionVariants", json::array()}};
  if (!r.failure_reason.empty()) j["FailureReason"] = r.failure_reason;
  if (!r.last_deployment.empty()) j["LastDeploymentConfig"] = json::parse(r.last_deployment, nullptr, false);
  if (ep->routing) {
    const Routing& rt = *ep->routing;
    auto shares = [](const std::vector<std::shared_ptr<LiveVariant>>& side, double side_share) {
      double total = 0;
      for (auto& v : side) total += v->weight;
      json out = json::array();
      for (auto& v : side) out.push_back(v->Describe(total > 0 ? side_share * v->weight / total : 0));
      return out;
    };
    double pending = rt.pending.empty() ? 0 : rt.pending_share;
    // SageMaker's DataCaptureConfigSummary, of the config serving now.
    if (!rt.live.empty() && rt.live.front()->capture) {
      const DataCaptureConfig& c = *rt.live.front()->capture;
      j["DataCaptureConfig"] = {{"EnableCapture", c.enabled},
                                {"CaptureStatus", c.enabled && capture_ ? "Started" : "Stopped"},
                                {"CurrentSamplingPercentage", c.sampling_percentage},
                                {"DestinationS3Uri", c.DestinationUri()}};
    }
    j["ProductionVariants"] = shares(rt.live, 1 - pending);
    if (!rt.pending.empty()) {
      j["PendingProductionVariants"] = shares(rt.pending, pending);
      j["PendingTrafficShare"] = pending;
    }
  }
  // SageMaker's PendingDeploymentSummary, with where the update stands.
  if (ep->pending) {
    const PendingDeployment& p = *ep->pending;
    json s = {{"EndpointConfigName", p.config},
              {"StartTime", FormatIso8601Millis(p.started_ms)},
              {"Stage", p.stage},
              {"TrafficShare", p.traffic_share}};
    if (p.stage_until_ms != 0) s["StageEndTime"] = FormatIso8601Millis(p.stage_until_ms);
    j["PendingDeploymentSummary"] = s;
  }
  return j;
}

json EndpointManager::List() const {
  std::vector<std::shared_ptr<Endpoint>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, ep] : endpoints_) all.push_back(ep);
  }
  json out = json::array();
  for (auto& ep : all) {
    std::lock_guard<std::mutex> lock(ep->mu);
    json e = {{"EndpointName", ep->record.name},
              {"EndpointConfigName", ep->record.config},
              {"EndpointStatus", ep->record.status},
              {"CreationTime", FormatIso8601Millis(ep->record.created_ms)},
              {"LastModifiedTime", FormatIso8601Millis(ep->record.modified_ms)}};
    if (!ep->record.failure_reason.empty()) e["FailureReason"] = ep->record.failure_reason;
    out.push_back(e);
  }
  return out;
}

Result<std::unique_ptr<Fleet>> EndpointManager::StartModelFleet(const std::string& model,
                                                                const std::string& fleet_name,
                                                                int instances) const {
  TRY_ASSIGN(Model m, store_->GetModel(model));
  if (m.multi_model) {
    return InvalidArgument("model '" + model + "' is a multi-model artifact; name one of its models");
  }
  VariantConfig v;
  v.name = "transform";
  v.model = model;
  v.instances = instances;
  v.max_queued_per_instance = 4;
  TRY_ASSIGN(FleetOptions o, FleetFor(m, v, fleet_name));
  return Fleet::Start(std::move(o));
}

Status EndpointManager::FlushCapture() { return capture_ ? capture_->Flush() : Status::Ok(); }

void EndpointManager::Stop() {
  std::map<std::string, std::shared_ptr<Endpoint>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && endpoints_.empty()) return;
    stopping_ = true;
    stop_cv_.notify_all();
    all.swap(endpoints_);
  }
  for (auto& [name, ep] : all) {
    std::thread op;
    {
      std::lock_guard<std::mutex> lock(ep->mu);
      op = std::move(ep->operation);
    }
    if (op.joinable()) op.join();
  }
  for (auto& [name, ep] : all) {
    std::shared_ptr<const Routing> routing;
    {
      std::lock_guard<std::mutex> lock(ep->mu);
      routing = std::move(ep->routing);
    }
    if (!routing) continue;
    for (auto& v : routing->live) v->Stop();
    for (auto& v : routing->pending) v->Stop();
  }
  if (capture_) capture_->Stop();  // after the fleets: their last answers are captured too
}

}  // namespace tributary::serving
