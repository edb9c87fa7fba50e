// Identifiers: random UUIDs for records and objects, random hex tokens for secrets, and
// numbers unique within the process. Thread-safe; randomness comes from the OS
// (OpenSSL's CSPRNG).
#pragma once

#include <cstdint>
#include <string>

namespace tributary {

// A random (version 4) UUID in canonical form: "1b4e28ba-2fa1-4d2b-883f-0016d3cca427".
std::string NewUuid();

// 2*bytes lower-case hex characters of cryptographic randomness.
std::string RandomHex(size_t bytes);

// 1, 2, 3, ...: never the same number twice in one process. Versions and generations of
// objects that per-thread caches check, so that a cache entry can never be taken for
// another object's (even one at the same address).
uint64_t NextProcessUniqueId();

}  // namespace tributary
