#include "streams/wal_direct_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "streams/wal_format.h"

namespace tributary::streams {
namespace {

constexpr size_t kMinFrameBytes = kFrameHeaderBytes + kFrameFixedBodyBytes;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

}  // namespace

void WalDirectWriter::Reserve(size_t bytes) {
  if (bytes <= capacity_) return;
  size_t capacity = RoundUp(std::max(bytes, capacity_ * 2), kBlockBytes);
  AlignedBytes grown = AllocateAligned(kBlockBytes, capacity);
  if (tail_ > 0) std::memcpy(grown.get(), buffer_.get(), tail_);
  buffer_ = std::move(grown);
  capacity_ = capacity;
}

Result<WalDirectWriter::Outcome> WalDirectWriter::Write(int fd, uint64_t end,
                                                        std::string_view frames) {
  if (end % kBlockBytes != tail_) {
    return Internal(
        fmt::format("direct write at offset {} with {} bytes of its block held", end, tail_));
  }
  const size_t frames_end = tail_ + frames.size();  // in buffer_
  size_t gap = RoundUp(frames_end, kBlockBytes) - frames_end;
  if (gap < kMinFrameBytes) gap += kBlockBytes;
  if (padding_.size() != gap) {
    static constexpr char kZeros[kBlockBytes + kMinFrameBytes] = {};
    padding_.clear();
    EncodeFrame(epoch_, 0, 0, std::string_view(kZeros, gap - kMinFrameBytes), &padding_);
  }
  const size_t total = frames_end + gap;
  Reserve(total);
  char* buf = buffer_.get();
  std::memcpy(buf + tail_, frames.data(), frames.size());
  std::memcpy(buf + frames_end, padding_.data(), gap);

  const uint64_t start = end - tail_;
  size_t written = 0;
  while (written < total) {
    ssize_t n = ::pwrite(fd, buf + written, total - written, static_cast<off_t>(start + written));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EINVAL && written == 0) return Outcome::kRefused;
    if (n <= 0) {
      const char* why = n < 0 ? std::strerror(errno) : "no progress";
      return IoError(fmt::format("write at offset {}: {}", start + written, why));
    }
    written += static_cast<size_t>(n);
  }
  // Keep the bytes of the block the frames now end in, for the next commit.
  const size_t kept = frames_end % kBlockBytes;
  std::memmove(buf, buf + (frames_end - kept), kept);
  tail_ = kept;
  return Outcome::kWritten;
}

}  // namespace tributary::streams
