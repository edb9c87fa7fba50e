#include "bench/latency.h"

#include <algorithm>
#include <cmath>

namespace tributary::bench {

double LatencyRecorder::PercentileMicros(double q) {
  if (samples_.empty()) return 0;
  // Nearest rank: the smallest sample with at least q of all samples at or below it.
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples_.size())));
  size_t index = std::clamp<size_t>(rank, 1, samples_.size()) - 1;
  std::nth_element(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(index),
                   samples_.end());
  return static_cast<double>(samples_[index]) / 1000.0;
}

}  // namespace tributary::bench
