// Fd: a file descriptor owned by one object, closed when it goes (or is Reset, or moved
// onto). Move-only.
//
//   Fd dir(::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
//   if (!dir.valid()) return IoError(...);
//   ::fstatat(dir.get(), name, &st, AT_SYMLINK_NOFOLLOW);
#pragma once

#include <unistd.h>

#include <utility>

namespace tributary {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes the descriptor, if there is one.
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace tributary
