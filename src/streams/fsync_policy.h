// FsyncPolicy: when the write-ahead log forces its writes to stable storage, which decides
// what "acknowledged" promises (docs/configuration.md, key `wal_fsync`).
//
//   always        fsync after every group commit, before any caller is acknowledged: an
//                 acknowledged record survives power loss. Costs one fsync per batch of
//                 concurrent appends (group commit amortizes it across callers).
//   interval:<ms> acknowledge after write(); fsync at most every <ms>: a process crash loses
//                 nothing, a power loss or kernel crash may lose the last <ms> of records.
//   never         acknowledge after write(); the OS flushes when it likes: survives a process
//                 crash only. For benchmarks and throw-away data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::streams {

struct FsyncPolicy {
  enum class Mode { kAlways, kInterval, kNever };
  Mode mode = Mode::kAlways;
  int64_t interval_ms = 0;  // kInterval only; > 0

  // "always", "never" or "interval:<ms>" (1..3600000); InvalidArgument otherwise.
  static Result<FsyncPolicy> Parse(std::string_view text);
  std::string ToString() const;
};

}  // namespace tributary::streams
