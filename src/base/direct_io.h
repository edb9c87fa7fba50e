// Helpers for O_DIRECT I/O, which needs block-aligned buffers and which some file systems
// take at open (or fcntl) and refuse at the first write.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>

namespace tributary {

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};
using AlignedBytes = std::unique_ptr<char, FreeDeleter>;

// `bytes` uninitialized bytes at an address that is a multiple of `alignment` (a power of
// two, at least sizeof(void*)). Throws std::bad_alloc.
AlignedBytes AllocateAligned(size_t alignment, size_t bytes);

// Turns O_DIRECT off on `fd` (where a direct write was refused); best effort.
void StopDirectIo(int fd);

}  // namespace tributary
