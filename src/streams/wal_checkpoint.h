// WalCheckpoint: which sequence numbers of a stream have been delivered. Deliveries finish
// out of order (one object per partition), so it is a watermark ("every seq <= N is
// delivered") plus the delivered ranges above it. Persisted atomically to
// <wal-dir>/<stream>/checkpoint as JSON:
//   {"delivered_through": 41, "delivered_ranges": [[44, 50], [53, 53]]}
// Thread-compatible: the Wal guards it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include "base/status.h"

namespace tributary::streams {

class WalCheckpoint {
 public:
  // A missing file is an empty checkpoint; a corrupt one is DataLoss naming the file.
  static Result<WalCheckpoint> Load(const std::string& path);
  Status Save(const std::string& path) const;
  // The file's text. Written directly (no JSON tree): thousands of ranges take well under
  // a millisecond, so a snapshot can be taken under the WAL's lock.
  std::string Serialize() const;

  void MarkDelivered(uint64_t seq) { MarkDeliveredRange(seq, seq); }
  // Every seq in [first, last] (none when first > last).
  void MarkDeliveredRange(uint64_t first, uint64_t last);
  bool IsDelivered(uint64_t seq) const;
  uint64_t delivered_through() const { return through_; }
  // The highest seq counted as delivered, in a range or under the watermark.
  uint64_t highest_delivered() const {
    return ranges_.empty() ? through_ : std::max(through_, ranges_.rbegin()->second);
  }
  size_t range_count() const { return ranges_.size(); }

 private:
  uint64_t through_ = 0;
  std::map<uint64_t, uint64_t> ranges_;  // first -> last, disjoint, all above through_ + 1
};

}  // namespace tributary::streams
