// Collects end-to-end latency samples and reports percentiles. Keeps every sample
// (8 bytes each: a ten-second run at 200,000 messages/s holds 16 MB), so the
// percentiles are exact rather than bucketed. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tributary::bench {

class LatencyRecorder {
 public:
  void Add(int64_t nanos) { samples_.push_back(nanos); }
  size_t count() const { return samples_.size(); }

  // The q-quantile (0 < q <= 1) in microseconds, nearest-rank; 0 when empty.
  // Reorders the samples (not their set).
  double PercentileMicros(double q);

 private:
  std::vector<int64_t> samples_;
};

}  // namespace tributary::bench
