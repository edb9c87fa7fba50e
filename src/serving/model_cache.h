// The models of a multi-model variant: a directory of DeepAR artifacts, any of which a
// request may name (X-Amzn-SageMaker-Target-Model). A model is loaded on its first
// request (a fleet of its own, `instances` workers), requests for it wait while it
// loads, and the least recently used models are unloaded whenever the loaded fleets'
// resident memory goes over the budget (the model just used is never the one unloaded).
//
// Thread-safety: every method may be called from any thread; `done` runs on a fleet or
// loader thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "serving/fleet.h"

namespace tributary::serving {

class ModelCache {
 public:
  // `base` is the fleet template: name, instances, queue bound, timeouts; its command is
  // completed with "--model <root>/<target>".
  ModelCache(FleetOptions base, std::string root_dir, uint64_t memory_budget_bytes);
  ~ModelCache();  // Stop()

  void Invoke(const std::string& target_model, Invocation invocation,
              std::function<void(InvocationResult)> done);

  // Unloads every model (draining in-flight work) and refuses further requests.
  void Stop();

  // {"LoadedModels": [{"ModelName", "MemoryBytes", "Invocations", "LastUsed"}], "MemoryBudgetBytes",
  //  "Loads", "Unloads"}
  nlohmann::json Describe() const;

 private:
  struct Entry;
  Status CheckTarget(const std::string& target) const;
  void Load(std::shared_ptr<Entry> entry);
  void EvictOverBudget(const std::string& keep);

  FleetOptions base_;
  std::string root_;
  uint64_t budget_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  uint64_t tick_ = 0;
  int64_t loads_ = 0;
  int64_t unloads_ = 0;
  bool stopped_ = false;
  int loaders_ = 0;  // Load() calls running on detached threads; Stop() waits for 0
  std::condition_variable loaders_done_;
};

}  // namespace tributary::serving
