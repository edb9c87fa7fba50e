#include "objstore/file_appender.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "objstore/local_files.h"

namespace tributary::objstore::local {

Status FileAppender::Append(std::string_view data) {
  while (!data.empty()) {
    if (mode_ == Mode::kBuffered) {
      TRY(WriteAll(fd_, data, path_));
      written_ += data.size();
      return Status::Ok();
    }
    size_t n = std::min(data.size(), kDirectThreshold - staged_);
    if (staged_ + n > capacity_) Grow(staged_ + n);
    std::memcpy(stage_.get() + staged_, data.data(), n);
    staged_ += n;
    data.remove_prefix(n);
    if (staged_ < kDirectThreshold) continue;
    if (mode_ == Mode::kUndecided) TRY(Decide());
    TRY(WriteStaged(staged_));
  }
  return Status::Ok();
}

// Small objects never need the whole staging buffer: it starts at what the first bytes
// need and doubles, in whole aligned blocks, up to kDirectThreshold.
void FileAppender::Grow(size_t needed) {
  size_t capacity = std::max(capacity_ * 2, (needed + kAlignment - 1) / kAlignment * kAlignment);
  capacity = std::min(capacity, kDirectThreshold);
  AlignedBytes grown = AllocateAligned(kAlignment, capacity);
  if (staged_ > 0) std::memcpy(grown.get(), stage_.get(), staged_);
  stage_ = std::move(grown);
  capacity_ = capacity;
}

Status FileAppender::Decide() {
  int flags = ::fcntl(fd_, F_GETFL);
  bool direct = flags >= 0 && ::fcntl(fd_, F_SETFL, flags | O_DIRECT) == 0;
  mode_ = direct ? Mode::kDirect : Mode::kBuffered;
  return Status::Ok();
}

Status FileAppender::WriteStaged(size_t length) {
  // A direct write covers whole aligned blocks; the padding past `length` is cut off at
  // Finish. Only the last chunk is ever shorter than the staging buffer.
  size_t padded = mode_ == Mode::kDirect ? (length + kAlignment - 1) / kAlignment * kAlignment
                                         : length;
  std::memset(stage_.get() + length, 0, padded - length);
  size_t done = 0;  // bytes of the staging buffer now in the file
  while (done < padded) {
    size_t piece = padded - done;
    if (mode_ == Mode::kDirect) piece = std::min(piece, kDirectWriteBytes);
    ssize_t n = ::write(fd_, stage_.get() + done, piece);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EINVAL && mode_ == Mode::kDirect) {
      // The filesystem took O_DIRECT at fcntl but not this write: go on buffered.
      StopDirectIo(fd_);
      mode_ = Mode::kBuffered;
      if (done < length) {
        TRY(WriteAll(fd_, std::string_view(stage_.get() + done, length - done), path_));
        done = length;
      }
      break;
    }
    if (n < 0) return WriteFailure(path_, errno);
    done += static_cast<size_t>(n);
  }
  written_ += length;
  staged_ = 0;
  if (done != length && ::ftruncate(fd_, static_cast<off_t>(written_)) != 0) {
    return IoError("cannot cut '" + path_ + "' to " + std::to_string(written_) +
                   " bytes: " + ErrnoText(errno));
  }
  return Status::Ok();
}

Status FileAppender::Finish() {
  if (staged_ == 0) return Status::Ok();
  if (mode_ == Mode::kUndecided) mode_ = Mode::kBuffered;  // small: the page cache is fine
  return WriteStaged(staged_);
}

}  // namespace tributary::objstore::local
