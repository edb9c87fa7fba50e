// WalCheckpoint: which sequence numbers of a stream have been delivered. Deliveries finish
// out of order (one object per partition), so it is a watermark ("every seq <= N is
// delivered") plus the delivered ranges above it. Persisted atomically to
// <wal-dir>/<stream>/checkpoint as JSON, with the CRC-32 of the text before it, so that
// a flipped digit is found rather than taken for records delivered:
//   {"delivered_through": 41, "delivered_ranges": [[44, 50], [53, 53]], "crc32": 3851340232}
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
  // A missing file is an empty checkpoint; a corrupt one (not JSON, a member it does not
  // write, a bad range, a crc32 that does not match) is DataLoss naming the file. One without a
  // crc32 (saved by an older build) is taken as it is.
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
  // The file's text up to its "crc32": what the CRC covers.
  std::string Body() const;

  uint64_t through_ = 0;
  std::map<uint64_t, uint64_t> ranges_;  // first -> last, disjoint, all above through_ + 1
};

}  // namespace tributary::streams
