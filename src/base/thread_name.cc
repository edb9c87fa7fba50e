#include "base/thread_name.h"

#include <pthread.h>

#include <algorithm>

namespace tributary {

void SetThreadName(std::string_view name) {
  size_t n = std::min(name.size(), kMaxThreadNameBytes);
  // Back off to the start of a UTF-8 character rather than cut one in two.
  if (n < name.size()) {
    while (n > 0 && (static_cast<unsigned char>(name[n]) & 0xC0) == 0x80) --n;
  }
  std::string cut(name.substr(0, n));
  (void)::pthread_setname_np(::pthread_self(), cut.c_str());
}

std::string ThreadName() {
  char buf[kMaxThreadNameBytes + 1] = {};
  if (::pthread_getname_np(::pthread_self(), buf, sizeof buf) != 0) return {};
  return buf;
}

}  // namespace tributary
