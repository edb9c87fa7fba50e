#include "base/log_throttle.h"

#include <limits>
#include <utility>

#include "base/clock.h"

namespace tributary {

LogThrottle::LogThrottle(int64_t interval_ms, std::function<int64_t()> now_ms)
    : interval_ms_(interval_ms),
      now_ms_(now_ms ? std::move(now_ms) : [] { return SteadyNanos() / 1'000'000; }),
      next_ms_(std::numeric_limits<int64_t>::min()) {}

bool LogThrottle::Allow(uint64_t* held_back) {
  int64_t now = now_ms_();
  int64_t next = next_ms_.load(std::memory_order_relaxed);
  // Of the threads that find the interval over, the one that moves it on logs.
  if (now < next || !next_ms_.compare_exchange_strong(next, now + interval_ms_)) {
    held_back_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  *held_back = held_back_.exchange(0, std::memory_order_relaxed);
  return true;
}

}  // namespace tributary
