#include "base/direct_io.h"

#include <fcntl.h>

#include <new>

namespace tributary {

AlignedBytes AllocateAligned(size_t alignment, size_t bytes) {
  void* p = nullptr;
  if (::posix_memalign(&p, alignment, bytes) != 0) throw std::bad_alloc();
  return AlignedBytes(static_cast<char*>(p));
}

void StopDirectIo(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) (void)::fcntl(fd, F_SETFL, flags & ~O_DIRECT);
}

}  // namespace tributary
