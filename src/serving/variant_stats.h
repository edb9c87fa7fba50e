// What is measured per production variant:
//  - VariantMetrics: the Prometheus series (labels endpoint, variant), created once per
//    pair and reused when a deployment brings the variant name back, so /metrics never
//    shows one series twice: invocations, 4xx, 5xx, model and overhead latency.
//  - AlarmWindow: the same events for one fleet since it started, which a deployment
//    reads to decide a rollback (error rate, p99 model latency). Bounded: the latest
//    kMaxSamples latencies.
//
// Thread-safety: both are safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/metrics.h"
#include "serving/resources.h"

namespace tributary::serving {

struct VariantMetrics {
  Counter* invocations = nullptr;
  Counter* errors_4xx = nullptr;
  Counter* errors_5xx = nullptr;
  Histogram* model_latency_s = nullptr;
  Histogram* overhead_latency_s = nullptr;
  Counter* captured = nullptr;  // invocations sampled into the lake (data capture)

  void Record(int status, double model_ms, double overhead_ms) const;
  // SageMaker's names: Invocations, Invocation4XXErrors, ..., ModelLatencyP99Ms;
  // CapturedInvocations.
  nlohmann::json Describe() const;
};

class VariantMetricsTable {
 public:
  explicit VariantMetricsTable(MetricsRegistry* registry) : registry_(registry) {}
  const VariantMetrics* For(const std::string& endpoint, const std::string& variant);

 private:
  MetricsRegistry* registry_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<VariantMetrics>> by_variant_;
};

class AlarmWindow {
 public:
  static constexpr size_t kMaxSamples = 4096;

  void Record(int status, double model_ms);

  struct Snapshot {
    int64_t invocations = 0;
    int64_t errors_5xx = 0;
    double error_rate = 0;      // errors_5xx / invocations (0 when none)
    double p99_model_ms = 0;    // over the retained samples (0 when fewer than 10)
  };
  Snapshot Read() const;

 private:
  mutable std::mutex mu_;
  int64_t invocations_ = 0;
  int64_t errors_5xx_ = 0;
  std::vector<double> latencies_ms_;  // ring of the latest samples
  size_t next_ = 0;
};

// How many requests a new fleet must have answered before an alarm may judge it. Over
// a handful of requests a rate or a p99 is one request: a single failure or one slow
// first answer (a cold cache) would roll back a healthy deployment.
inline constexpr int64_t kMinErrorRateAlarmRequests = 5;
inline constexpr int64_t kMinLatencyAlarmRequests = 20;

// True when `alarm` is in breach on `s`: its metric above the threshold, and at least
// the minimum number of requests above seen.
bool AlarmFires(const RollbackAlarm& alarm, const AlarmWindow::Snapshot& s);

}  // namespace tributary::serving
