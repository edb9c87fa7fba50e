#include "serving/variant_stats.h"

#include <algorithm>
#include <cmath>

namespace tributary::serving {

void VariantMetrics::Record(int status, double model_ms, double overhead_ms) const {
  invocations->Add();
  if (status >= 400 && status < 500) errors_4xx->Add();
  if (status >= 500) errors_5xx->Add();
  model_latency_s->Observe(model_ms / 1000.0);
  overhead_latency_s->Observe(overhead_ms / 1000.0);
}

nlohmann::json VariantMetrics::Describe() const {
  auto ms = [](const Histogram* h, double q) {
    return h->Count() == 0 ? 0.0 : std::round(h->Quantile(q) * 1e6) / 1e3;
  };
  return {{"Invocations", invocations->Value()},
          {"Invocation4XXErrors", errors_4xx->Value()},
          {"Invocation5XXErrors", errors_5xx->Value()},
          {"ModelLatencyP50Ms", ms(model_latency_s, 0.5)},
          {"ModelLatencyP99Ms", ms(model_latency_s, 0.99)},
          {"OverheadLatencyP50Ms", ms(overhead_latency_s, 0.5)},
          {"OverheadLatencyP99Ms", ms(overhead_latency_s, 0.99)},
          {"CapturedInvocations", captured->Value()}};
}

namespace {

// Finer than LatencyBuckets() where model latencies live (1-50 ms), so that a p99 goal
// of tens of milliseconds can be read off /metrics and `endpoint describe`.
std::vector<double> ServingLatencyBuckets() {
  std::vector<double> ms = {0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16,
                            18, 20, 25, 30, 35, 40, 50, 60, 80, 100, 150, 200, 300, 500, 1000, 2000, 5000, 10000};
  for (double& b : ms) b /= 1000.0;
  return ms;
}

}  // namespace

const VariantMetrics* VariantMetricsTable::For(const std::string& endpoint, const std::string& variant) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = by_variant_[{endpoint, variant}];
  if (!slot) {
    Labels labels = {{"endpoint", endpoint}, {"variant", variant}};
    slot = std::make_unique<VariantMetrics>();
    slot->invocations = registry_->NewCounter("tributary_endpoint_invocations_total",
                                              "Requests a production variant answered", labels);
    slot->errors_4xx = registry_->NewCounter("tributary_endpoint_invocation_4xx_total",
                                             "Requests a variant refused as bad (4xx)", labels);
    slot->errors_5xx = registry_->NewCounter("tributary_endpoint_invocation_5xx_total",
                                             "Requests a variant's model failed (5xx)", labels);
    slot->model_latency_s = registry_->NewHistogram(
        "tributary_endpoint_model_latency_seconds", "Time inside the model's worker process",
        ServingLatencyBuckets(), labels);
    slot->overhead_latency_s = registry_->NewHistogram(
        "tributary_endpoint_overhead_latency_seconds",
        "Time a request spent in the server outside the model (routing, queueing, I/O)",
        ServingLatencyBuckets(), labels);
    slot->captured = registry_->NewCounter("tributary_endpoint_captured_total",
                                           "Requests of a variant sampled into the lake (data capture)", labels);
  }
  return slot.get();
}

void AlarmWindow::Record(int status, double model_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  ++invocations_;
  if (status >= 500) ++errors_5xx_;
  if (latencies_ms_.size() < kMaxSamples) {
    latencies_ms_.push_back(model_ms);
  } else {
    latencies_ms_[next_] = model_ms;
    next_ = (next_ + 1) % kMaxSamples;
  }
}

AlarmWindow::Snapshot AlarmWindow::Read() const {
  Snapshot s;
  std::vector<double> sorted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.invocations = invocations_;
    s.errors_5xx = errors_5xx_;
    sorted = latencies_ms_;
  }
  if (s.invocations > 0) s.error_rate = static_cast<double>(s.errors_5xx) / static_cast<double>(s.invocations);
  if (sorted.size() >= 10) {
    size_t k = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(sorted.size()))) - 1;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<ptrdiff_t>(k), sorted.end());
    s.p99_model_ms = sorted[k];
  }
  return s;
}

bool AlarmFires(const RollbackAlarm& alarm, const AlarmWindow::Snapshot& s) {
  switch (alarm.metric) {
    case RollbackAlarm::Metric::kErrorRate:
      return s.invocations >= kMinErrorRateAlarmRequests && s.error_rate > alarm.threshold;
    case RollbackAlarm::Metric::kModelLatencyP99Ms:
      return s.invocations >= kMinLatencyAlarmRequests && s.p99_model_ms > alarm.threshold;
  }
  return false;
}

}  // namespace tributary::serving
