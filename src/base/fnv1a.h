// FNV-1a, 64 bits: a fast hash that is the same in every build and process (ETags,
// parameter checksums, ids derived from names). Not for anything an attacker chooses.
#pragma once

#include <cstdint>
#include <string_view>

namespace tributary {

// The standard offset basis. Callers that have always started elsewhere pass their own
// `h`, so that their values do not change.
inline constexpr uint64_t kFnv1a64Start = 14695981039346656037ull;

// Hashes `bytes` on from `h` (a previous call's result continues a hash over pieces).
inline uint64_t Fnv1a64(std::string_view bytes, uint64_t h = kFnv1a64Start) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace tributary
