// Drift monitors (README.md): create, list, describe, delete, evaluate now. Each monitor
// has a thread of its own that sleeps until an evaluation is due (its schedule, or a
// request), evaluates (backtest.h), judges (drift.h) and, on drift with Retraining set,
// retrains (retraining.h) before it evaluates again. Definitions and state are kept in
// the metadata database (monitor_store.h) and come back at Open.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "base/metrics.h"
#include "base/status.h"
#include "metadata/database.h"
#include "monitor/monitor_spec.h"
#include "monitor/monitor_store.h"
#include "monitor/services.h"

namespace tributary::monitor {

struct MonitorOptions {
  std::string scratch_dir;              // required: <data-dir>/tmp/monitor (each evaluation's series)
  MetricsRegistry* metrics = nullptr;   // required
  int poll_ms = 500;                    // retraining: how often the job and the endpoint are described
  int64_t ms_per_schedule_second = 1000;  // tests shorten ScheduleIntervalSeconds with it
};

class Monitors {
 public:
  // `services` must outlive the Monitors. Starts every stored monitor's thread.
  static Result<std::unique_ptr<Monitors>> Open(metadata::Database* db, MonitorServices* services,
                                                MonitorOptions options);
  ~Monitors();  // Shutdown()
  Monitors(const Monitors&) = delete;
  Monitors& operator=(const Monitors&) = delete;

  // Checks the definition (monitor_spec.h) and that its endpoint, baseline job and
  // template job exist; starts the monitor. Returns its description.
  Result<nlohmann::json> Create(const nlohmann::json& body);
  Result<nlohmann::json> Describe(const std::string& name) const;
  nlohmann::json List() const;
  // Stops the monitor's thread (a running step ends at its next check) and forgets it.
  Status Delete(const std::string& name);
  // Queues one evaluation: {"MonitorName", "EvaluationsRequested": on-demand requests so
  // far, "EvaluationNumber": n}: the evaluation with that EvaluationNumber (the n-th of
  // the monitor's, scheduled ones included) is this one. FailedPrecondition while the
  // monitor retrains.
  Result<nlohmann::json> Evaluate(const std::string& name);

  // Stops every monitor's thread. Idempotent.
  void Shutdown();

 private:
  struct Monitor;
  struct MonitorMetrics;
  Monitors(MonitorServices* services, MonitorOptions options, std::unique_ptr<MonitorStore> store);

  Status CheckReferences(const MonitorSpec& spec, double* baseline, std::string* source);
  std::shared_ptr<Monitor> Find(const std::string& name) const;
  const MonitorMetrics* MetricsFor(const std::string& name);
  // An error when its thread cannot start (base/start_thread.h).
  Status Start(const std::shared_ptr<Monitor>& m);
  void Loop(Monitor& m);
  void EvaluateOnce(Monitor& m);
  void Retrain(Monitor& m, double trigger);
  void SaveLocked(Monitor& m);  // under m.mu
  // {"MonitorName", "EndpointName", "Event": kind, ...event} to the monitor's AlertTopic.
  void PublishEvent(const MonitorSpec& spec, const std::string& kind, nlohmann::json event);

  MonitorServices* services_;
  const MonitorOptions options_;
  std::unique_ptr<MonitorStore> store_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Monitor>> monitors_;
  std::map<std::string, std::unique_ptr<MonitorMetrics>> metrics_;  // by monitor name, never removed
  bool shut_down_ = false;
};

}  // namespace tributary::monitor
