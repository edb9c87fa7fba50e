// EndpointManager's private state, shared by endpoint_manager.cc (resources and
// persistence), deployment.cc (create, blue/green update, delete) and invocation.cc
// (routing a request). Not for other modules.
#pragma once

#include <optional>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "serving/endpoint_manager.h"
#include "serving/model_cache.h"

namespace tributary::serving {

struct EndpointManager::LiveVariant {
  VariantConfig config;
  std::atomic<double> weight{1};      // routing weight within its side (update-weights)
  std::shared_ptr<Fleet> fleet;       // single-model variants
  std::shared_ptr<ModelCache> cache;  // multi-model variants
  const VariantMetrics* metrics = nullptr;
  std::shared_ptr<const DataCaptureConfig> capture;  // its endpoint config's, if it has one
  AlarmWindow window;                 // since this fleet started

  void Stop() {
    if (fleet) fleet->Stop();
    if (cache) cache->Stop();
  }
  nlohmann::json Describe(double share) const;
};

// What serves now. Immutable: a change publishes a new snapshot, and a request keeps
// the one it started with (so the fleets it may use stay alive until it is answered).
struct EndpointManager::Routing {
  std::vector<std::shared_ptr<LiveVariant>> live;     // the endpoint config's variants
  std::vector<std::shared_ptr<LiveVariant>> pending;  // a deployment's new variants
  double pending_share = 0;                           // of traffic, 0..1
};

// A running update, for DescribeEndpoint's PendingDeploymentSummary.
struct PendingDeployment {
  std::string config;        // the endpoint config being rolled out
  int64_t started_ms = 0;
  std::string stage;         // "Starting", "Baking", "RollingBack"
  double traffic_share = 0;  // of traffic on the new variants
  int64_t stage_until_ms = 0;  // the end of the current bake, else 0
};

struct EndpointManager::Endpoint {
  mutable std::mutex mu;
  // Held across Persist's copy and write (taken before `mu`), so that records reach the
  // store in the order they were taken: an older copy never overwrites a newer one.
  std::mutex persist_mu;
  EndpointRecord record;
  std::shared_ptr<const Routing> routing;  // null when nothing serves
  std::thread operation;                   // the running Create/Update/Delete, if any
  std::optional<PendingDeployment> pending;  // while an update runs

  std::shared_ptr<const Routing> Current() const {
    std::lock_guard<std::mutex> lock(mu);
    return routing;
  }
};

}  // namespace tributary::serving
