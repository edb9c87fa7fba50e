#include "base/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace tributary {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

// The pid written in the lock file, or "" if it holds none.
std::string HolderPid(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return "";
  std::string pid(buf, static_cast<size_t>(n));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  for (char c : pid) {
    if (c < '0' || c > '9') return "";
  }
  return pid;
}

}  // namespace

Result<DirLock> DirLock::Acquire(const std::string& dir, const std::string& file,
                                 const std::string& what) {
  std::string path = dir + "/" + file;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return IoError("cannot open lock file '" + path + "' of " + what + " '" + dir +
                   "': " + ErrnoText(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string pid = err == EWOULDBLOCK ? HolderPid(fd) : "";
    ::close(fd);
    if (err != EWOULDBLOCK) {
      return IoError("cannot lock '" + path + "' of " + what + " '" + dir + "': " + ErrnoText(err));
    }
    return FailedPrecondition(what + " '" + dir + "' is in use by another process" +
                              (pid.empty() ? std::string() : " (pid " + pid + ")") +
                              ": stop that one first, or give this one another " + what);
  }
  // Ours now: say who holds it. A failure here only costs the next claimant the pid.
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  return DirLock(fd);
}

DirLock& DirLock::operator=(DirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace tributary
