// WalDirectWriter: writes a WAL segment's group commits around the page cache
// (O_DIRECT), for the `always` fsync policy.
//
// Under `always` every commit goes to the device at once, so copying it into page-cache
// pages first only costs CPU and pushes other data out of the cache: with direct commits
// (and the spare's zeros direct too) the WAL took a third less CPU per record
// (streams_bench; BENCHMARKS.md, "Direct WAL commits"). A direct write covers whole
// 4 KiB blocks at block-aligned offsets, and the buffer is block-aligned, so each
// commit is written from the start of the block the segment's frames end in: the writer
// keeps that partial block's bytes and writes them again ahead of the new frames. After
// the frames, up to the next block boundary, comes a padding frame: a valid frame with
// sequence number 0, which recovery takes for the start of what the file held before
// (wal.h) and cuts off quietly. Without it a reused segment's old bytes, or zeros, would
// follow the last frame in the middle of a block, which recovery could not tell from
// damage. The padding is at least a frame header long, so it takes 32 bytes to 4 KiB +
// 31 bytes; the next commit overwrites it.
//
// Thread-compatible: the WAL's writer thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/direct_io.h"
#include "base/status.h"

namespace tributary::streams {

class WalDirectWriter {
 public:
  static constexpr size_t kBlockBytes = 4096;

  explicit WalDirectWriter(uint64_t epoch) : epoch_(epoch) {}

  // A new segment: its frames start at offset 0.
  void StartSegment() { tail_ = 0; }

  enum class Outcome {
    kWritten,  // the frames (and the padding after them) are in the file
    kRefused,  // EINVAL: the file system does not take this direct write; nothing written
  };
  // Writes `frames` at offset `end` of `fd` (open with O_DIRECT), where the segment's
  // frames so far end. IoError "write at offset N: <why>" if the write failed (the file
  // may then hold part of it, past `end`); the caller names the file.
  Result<Outcome> Write(int fd, uint64_t end, std::string_view frames);

 private:
  void Reserve(size_t bytes);  // keeps the held tail

  const uint64_t epoch_;
  AlignedBytes buffer_;  // capacity_ bytes, block-aligned
  size_t capacity_ = 0;
  size_t tail_ = 0;         // bytes of the block the frames end in, at buffer_'s start
  std::string padding_;     // the last padding frame, reused while its size repeats
};

}  // namespace tributary::streams
