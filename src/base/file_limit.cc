#include "base/file_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace tributary {

Result<FileLimit> RaiseOpenFileLimit(uint64_t cap) {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return IoError(std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  }
  FileLimit out;
  out.before = limit.rlim_cur;
  const uint64_t hard =
      limit.rlim_max == RLIM_INFINITY ? cap : std::min<uint64_t>(limit.rlim_max, cap);
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < hard) {
    limit.rlim_cur = hard;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return IoError("setrlimit(RLIMIT_NOFILE) to " + std::to_string(hard) + ": " +
                     std::strerror(errno));
    }
  }
  ::getrlimit(RLIMIT_NOFILE, &limit);
  out.now = limit.rlim_cur;
  return out;
}

uint64_t OpenFileLimit() {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  return limit.rlim_cur == RLIM_INFINITY ? (1u << 20) : limit.rlim_cur;
}

}  // namespace tributary
