// In-process metrics rendered in the Prometheus text format at /metrics.
//
// A MetricsRegistry owns every metric; modules register theirs once at start-up and
// keep the returned pointer. Series of a subject that goes away (a deleted stream) can be
// removed from the registry (RemoveSeries); their pointers stay valid as long as the
// caller keeps what RemoveSeries returns. Updating a Counter, Gauge or Histogram is lock-free
// (relaxed atomics) and safe from any thread; registration and Render take a mutex.
//
//   auto* published = registry.NewCounter("tributary_mqtt_messages_received_total",
//                                         "PUBLISH packets received", {{"listener", "tls"}});
//   published->Add(1);
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tributary {

using Labels = std::map<std::string, std::string>;

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }
  // Starts again from zero, for a counter whose subject was deleted and made anew under
  // its labels: Prometheus reads the drop as a counter reset.
  void Reset() { value_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Fixed buckets chosen at registration; Observe is a few relaxed atomic adds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double v);
  // Approximate quantile (0..1) by linear interpolation inside the bucket.
  double Quantile(double q) const;
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const;
  const std::vector<double>& bounds() const { return bounds_; }
  uint64_t BucketCount(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (the +Inf bucket)
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micro_{0};  // sum scaled by 1e6, to stay an integer atomic
};

// Latency buckets in seconds from 50 µs to 10 s.
std::vector<double> LatencyBuckets();

class MetricsRegistry {
 public:
  Counter* NewCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge* NewGauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram* NewHistogram(const std::string& name, const std::string& help,
                          std::vector<double> bounds, const Labels& labels = {});
  // A gauge whose value is computed at render time (e.g. a queue's size).
  void NewCallbackGauge(const std::string& name, const std::string& help, const Labels& labels,
                        std::function<double()> fn);
  // A counter whose value is computed at render time (a total kept by its owner); `fn`
  // must never return less than it did before. Render calls it under the registry's
  // lock: it must not register or render.
  void NewCallbackCounter(const std::string& name, const std::string& help, const Labels& labels,
                          std::function<uint64_t()> fn);

  // Stops rendering the series whose labels are exactly `labels` in the families whose
  // names start with `name_prefix` (a deleted subject's: {"stream", "pollution"} under
  // "tributary_stream_"). The pointers handed out for them stay valid as long as the
  // returned object lives: keep it with whatever may still update them. A series
  // registered again under those labels is a new one, from zero.
  [[nodiscard]] std::shared_ptr<void> RemoveSeries(std::string_view name_prefix,
                                                   const Labels& labels);

  // Prometheus text exposition format, version 0.0.4.
  std::string Render() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram, kCallback, kCallbackCounter };
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> callback;
    std::function<uint64_t()> counter_callback;
  };
  struct Family {
    Kind kind;
    std::string help;
    std::vector<std::unique_ptr<Series>> series;
  };
  Series* AddSeries(const std::string& name, const std::string& help, Kind kind,
                    const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace tributary
