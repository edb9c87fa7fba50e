// LogThrottle: keeps a log line that a failure repeats per message (a record refused
// while a stream is backed up, an error action that keeps failing) from flooding the
// log. At most one occurrence per interval is let through; the ones held back are
// counted and handed to the next one let through, which says how many there were.
//
//   static LogThrottle throttle;  // one per log statement
//   if (uint64_t held; throttle.Allow(&held))
//     log->warn("record refused: {} ({} more since the last report)", why, held);
//
// Thread-safe, and lock-free: Allow is one clock read and an atomic or two.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

namespace tributary {

class LogThrottle {
 public:
  // `now_ms` is the steady clock unless a test gives its own.
  explicit LogThrottle(int64_t interval_ms = 1000, std::function<int64_t()> now_ms = {});

  // True when this occurrence should be logged; *held_back is then how many were not
  // since the last one that was.
  bool Allow(uint64_t* held_back);

 private:
  const int64_t interval_ms_;
  const std::function<int64_t()> now_ms_;
  std::atomic<int64_t> next_ms_;  // the first is always let through
  std::atomic<uint64_t> held_back_{0};
};

}  // namespace tributary
