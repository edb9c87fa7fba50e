#include "streams/jetstream_append_mark.h"

#include <algorithm>

namespace tributary::streams {

void JetStreamAppendMark::Acked(uint64_t seq, uint64_t next_report) {
  std::lock_guard<std::mutex> lock(mu_);
  mark_ = std::max(mark_, seq);
  uint64_t& highest = acked_before_report_[next_report];
  highest = std::max(highest, seq);
}

void JetStreamAppendMark::MadeAgain(uint64_t asked, uint64_t new_last) {
  std::lock_guard<std::mutex> lock(mu_);
  // Acknowledged after report `asked` was asked for: the next report's number was above it.
  uint64_t after = 0;
  for (auto it = acked_before_report_.upper_bound(asked); it != acked_before_report_.end(); ++it) {
    after = std::max(after, it->second);
  }
  mark_ = std::max(std::min(mark_, new_last), after);
}

void JetStreamAppendMark::Applied(uint64_t asked) {
  std::lock_guard<std::mutex> lock(mu_);
  acked_before_report_.erase(acked_before_report_.begin(), acked_before_report_.upper_bound(asked));
}

uint64_t JetStreamAppendMark::value() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mark_;
}

}  // namespace tributary::streams
