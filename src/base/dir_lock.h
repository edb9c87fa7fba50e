// DirLock: one process's exclusive claim on a directory, for as long as the process
// holds the object: an flock(2) on a lock file in it, which also holds the claimant's
// pid so that a second claimant can say who has it. The kernel drops the lock when the
// process ends, however it ends (SIGKILL included), so a crash never leaves a stale
// claim; the file itself stays and is reused. The descriptor is close-on-exec, so child
// processes (trainers, model workers) never hold it after the server is gone.
#pragma once

#include <string>

#include "base/status.h"

namespace tributary {

class DirLock {
 public:
  // Claims `dir` (which must exist) through `dir`/`file`. `what` names the directory in
  // the message: FailedPrecondition "<what> '<dir>' is in use by another process (pid
  // N): ..." when another process holds it, IoError naming the file when it cannot be
  // made.
  static Result<DirLock> Acquire(const std::string& dir, const std::string& file,
                                 const std::string& what);

  DirLock() = default;
  DirLock(DirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DirLock& operator=(DirLock&& other) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock();

  bool held() const { return fd_ >= 0; }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace tributary
