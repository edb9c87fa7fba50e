// Endpoints: the live side of model hosting. Each endpoint serves the production
// variants of one endpoint config, each variant a fleet of worker processes (fleet.h)
// or, for a multi-model variant, a cache of them (model_cache.h). Requests are split
// across variants by weight; a header may pin one.
//
// An update is a blue/green deployment (deployment.cc): the new config's variants are
// started beside the old ones, traffic shifts to them all at once, by a canary share or
// in linear steps, each followed by a bake; alarms on the new fleet's error rate or p99
// model latency roll it back. While the old fleet is up, a request the new fleet fails
// with a 5xx is answered by the old one, so clients see no failure from a bad rollout;
// the failure still counts against the new fleet's alarms. Old fleets stop only after
// the termination wait and after draining what they accepted.
//
// Create, Update and Delete return once the change is recorded (statuses Creating,
// Updating, Deleting) and go on on a thread of their own; Describe shows the progress.
// Endpoints are in the metadata database (store.h) and come back at Open.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "base/metrics.h"
#include "base/status.h"
#include "objstore/object_store.h"
#include "serving/capture_writer.h"
#include "serving/fleet.h"
#include "serving/resources.h"
#include "serving/store.h"
#include "serving/variant_stats.h"

namespace tributary::serving {

struct ServingOptions {
  std::string forecast_tool = "tributary-forecast";  // runs DeepAR artifacts: `<tool> serve --model DIR`
  int startup_timeout_ms = 120000;
  int request_timeout_ms = 60000;
  MetricsRegistry* metrics = nullptr;  // required
  // Models with a lake artifact (artifact_fetch.h): where its copy is made again when
  // missing at fleet start. Without a lake such a model's copy must exist. Also where
  // data capture writes (capture_writer.h); without a lake nothing is captured.
  objstore::ObjectStoreProvider* lake = nullptr;
  std::string model_cache_dir;
};

// The largest request body Invoke takes (SageMaker's real-time payload limit, 6 MB);
// a larger one is answered 413 before any model sees it. Batch transform's batches do
// not pass here.
inline constexpr size_t kMaxInvocationBodyBytes = 6 * 1024 * 1024;

struct InvokeRequest {
  std::string endpoint;
  std::string target_variant;  // "" = by weight
  std::string target_model;    // multi-model endpoints only
  std::string inference_id;    // X-Amzn-SageMaker-Inference-Id: kept with a captured invocation
  Invocation invocation;
};

struct InvokeAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string variant;  // the variant that answered ("" when none did)
  // Seconds after which a refused request is worth sending again (HTTP Retry-After);
  // 0 when waiting would not help.
  int retry_after_s = 0;
};

class EndpointManager {
 public:
  // Restores every endpoint of the store (each starts again as Creating). `store`
  // must outlive the manager.
  static Result<std::unique_ptr<EndpointManager>> Open(ServingStore* store, ServingOptions options);
  ~EndpointManager();  // Stop()

  Status Create(const std::string& name, const std::string& config);
  Status Update(const std::string& name, const std::string& config, const DeploymentConfig& deployment);
  // A/B testing: new weights for the variants serving now, effective at once.
  Status UpdateWeights(const std::string& name, const std::map<std::string, double>& weights);
  Status Delete(const std::string& name);

  Result<nlohmann::json> Describe(const std::string& name) const;
  nlohmann::json List() const;

  // Answers through `done` exactly once, on a fleet thread or (for errors found
  // before a fleet is involved) inside this call.
  void Invoke(InvokeRequest request, std::function<void(InvokeAnswer)> done);

  // A fleet for one model outside any endpoint (batch transform).
  Result<std::unique_ptr<Fleet>> StartModelFleet(const std::string& model, const std::string& fleet_name,
                                                 int instances) const;

  // Writes what data capture holds in memory to the lake now (tests, tools).
  Status FlushCapture();

  // Ends operations (an update in progress is abandoned: the old config keeps serving
  // after a restart), then drains and stops every fleet and writes what data capture
  // holds. Idempotent.
  void Stop();

 private:
  struct LiveVariant;
  struct Routing;
  struct Endpoint;

  EndpointManager(ServingStore* store, ServingOptions options);
  std::shared_ptr<Endpoint> Find(const std::string& name) const;
  // Runs `op` on the endpoint's operation thread. When the thread cannot start (the server
  // at its limit of threads, base/start_thread.h) the endpoint takes `status_if_refused`,
  // with the reason as its FailureReason, and the error is returned (callers name what
  // was not done).
  Status StartOperation(const std::shared_ptr<Endpoint>& ep, std::function<void()> op,
                        const std::string& status_if_refused);
  Status Persist(Endpoint& ep);

  // deployment.cc
  Result<std::vector<std::shared_ptr<LiveVariant>>> StartVariants(const std::string& endpoint,
                                                                  const EndpointConfig& config,
                                                                  const std::map<std::string, double>& weights) const;
  Result<FleetOptions> FleetFor(const Model& model, const VariantConfig& v, const std::string& name) const;
  void RunCreate(const std::shared_ptr<Endpoint>& ep);
  void RunUpdate(const std::shared_ptr<Endpoint>& ep, EndpointConfig config, DeploymentConfig deployment);
  void RunDelete(const std::shared_ptr<Endpoint>& ep);
  // Waits `seconds` while watching the pending variants' alarms: the alarm that fired
  // ("" when none did), or Cancelled-like "stopping" when the manager stops.
  std::string Bake(const Endpoint& ep, const Routing& routing, const DeploymentConfig& d, double seconds);

  // invocation.cc
  void Dispatch(std::shared_ptr<const Routing> routing, std::shared_ptr<LiveVariant> variant,
                std::shared_ptr<const InvokeRequest> request, int64_t start_ns, bool may_retry,
                std::function<void(InvokeAnswer)> done);
  void Capture(const LiveVariant& variant, const InvokeRequest& request, const InvokeAnswer& answer);

  ServingStore* store_;
  ServingOptions options_;
  std::unique_ptr<VariantMetricsTable> metrics_;
  std::unique_ptr<CaptureWriter> capture_;  // null without a lake
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::map<std::string, std::shared_ptr<Endpoint>> endpoints_;
};

}  // namespace tributary::serving
