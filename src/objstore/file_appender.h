// FileAppender: writes an object's bytes to its temp file, small objects through the page
// cache and large ones around it.
//
// Copying a large object into fresh page-cache pages costs more CPU than anything else
// in writing it (5 MiB objects, ext4 on a virtio disk: 6-9 ms of CPU each buffered, about
// 1 ms with O_DIRECT; BENCHMARKS.md). So the first kDirectThreshold bytes are held back;
// an object that stays smaller is written with one ordinary write at Finish, and one
// that grows past it switches its descriptor to O_DIRECT and is written in aligned
// chunks from an aligned staging buffer. The last partial chunk is padded with zeros to
// the alignment and the file cut back to its exact length. Where O_DIRECT is refused
// (tmpfs, some network filesystems) the appender stays buffered.
//
// The caller still fsyncs: O_DIRECT skips the page cache, not the device's write cache
// or the file's metadata. Thread-compatible: one writer, one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/direct_io.h"
#include "base/status.h"

namespace tributary::objstore::local {

class FileAppender {
 public:
  static constexpr size_t kDirectThreshold = 1u << 20;  // also the staging buffer's size
  static constexpr size_t kAlignment = 4096;
  // A direct write goes to the device at once, and a flush on the same disk (a stream's
  // WAL commit) waits behind it: 1 MiB writes held each commit up to about 2 ms on this
  // VM; in 256 KiB pieces the ingestion benchmark ran 6-20 % faster (BENCHMARKS.md).
  static constexpr size_t kDirectWriteBytes = 256u << 10;

  // `fd` is open for writing at offset 0 and stays owned by the caller; `path` is for
  // messages.
  FileAppender(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  Status Append(std::string_view data);
  // Writes what is held back and leaves the file exactly `bytes()` long.
  Status Finish();

  uint64_t bytes() const { return written_ + staged_; }
  bool direct() const { return mode_ == Mode::kDirect; }

 private:
  enum class Mode { kUndecided, kDirect, kBuffered };
  void Grow(size_t needed);    // the staging buffer to hold `needed` bytes
  Status Decide();             // the held-back bytes reached the threshold
  Status WriteStaged(size_t length);  // `length` bytes of the staging buffer, at written_

  int fd_;
  std::string path_;
  Mode mode_ = Mode::kUndecided;
  AlignedBytes stage_;  // capacity_ bytes, kAlignment-aligned
  size_t capacity_ = 0;                 // a multiple of kAlignment, at most kDirectThreshold
  size_t staged_ = 0;
  uint64_t written_ = 0;  // bytes in the file
};

}  // namespace tributary::objstore::local
