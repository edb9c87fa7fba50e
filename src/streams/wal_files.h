// The names of the files in a WAL's directory (wal.cc, wal_recovery.cc): segments named
// by their first sequence number, the spare segment and the delivered segments kept for
// reuse.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace tributary::streams::wal_files {

inline std::string SegmentName(uint64_t first_seq) { return fmt::format("{:020d}.wal", first_seq); }

// The spare segment, the file it is zero-filled in and the delivered segments kept for
// reuse ("recycled-" + the segment's name); none matches SegmentName.
inline constexpr const char* kSpareName = "spare.wal";
inline constexpr const char* kSpareTmpName = "spare.wal.tmp";
inline constexpr const char* kRecycledPrefix = "recycled-";

// The first sequence number SegmentName put in `name`; false for any other name.
inline bool ParseSegmentName(const std::string& name, uint64_t* first_seq) {
  if (name.size() != 24 || name.substr(20) != ".wal") return false;
  uint64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + uint64_t(name[i] - '0');
  }
  *first_seq = v;
  return true;
}

}  // namespace tributary::streams::wal_files
