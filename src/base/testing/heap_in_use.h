// Test-only: the bytes glibc's allocator has handed out and not had back, for tests that
// bound what a component holds on the heap (a broker connection, a TLS transport).
// Sanitizers replace the allocator and do not count: such tests skip when
// kHeapCounted is false.
#pragma once

#include <malloc.h>

#include <cstddef>

namespace tributary::testing_support {

inline size_t HeapInUse() { return mallinfo2().uordblks; }

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kHeapCounted = false;
#else
inline constexpr bool kHeapCounted = true;
#endif

}  // namespace tributary::testing_support
