// WalReuseBudget: how many bytes of delivered WAL segments all of a server's streams may
// keep for reuse together (WalOptions::reuse_budget). Each log keeps up to its own
// `reuse_bytes` (two segments with the defaults), so that a busy stream's next segments
// need no zero fill; but with hundreds of streams that is hundreds of idle 64 MiB files,
// and after a burst (the lake down, then back) small segments pile up to `reuse_bytes`
// each. The budget bounds them all: past it a delivered segment is deleted, and the
// stream zero-fills a spare when it next needs one. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

namespace tributary::streams {

class WalReuseBudget {
 public:
  explicit WalReuseBudget(uint64_t max_bytes) : max_bytes_(max_bytes) {}

  // Takes `bytes` of the budget; false (and nothing taken) if they do not fit.
  bool TryTake(uint64_t bytes) {
    uint64_t held = held_.load(std::memory_order_relaxed);
    do {
      if (held + bytes > max_bytes_) return false;
    } while (!held_.compare_exchange_weak(held, held + bytes, std::memory_order_relaxed));
    return true;
  }
  // Gives back what a kept segment took: it became a segment again, or was deleted.
  void Give(uint64_t bytes) { held_.fetch_sub(bytes, std::memory_order_relaxed); }

  uint64_t held_bytes() const { return held_.load(std::memory_order_relaxed); }
  uint64_t max_bytes() const { return max_bytes_; }

 private:
  const uint64_t max_bytes_;
  std::atomic<uint64_t> held_{0};
};

}  // namespace tributary::streams
