// Identifiers: random UUIDs for records and objects, random hex tokens for secrets.
// Thread-safe; randomness comes from the OS (OpenSSL's CSPRNG).
#pragma once

#include <string>

namespace tributary {

// A random (version 4) UUID in canonical form: "1b4e28ba-2fa1-4d2b-883f-0016d3cca427".
std::string NewUuid();

// 2*bytes lower-case hex characters of cryptographic randomness.
std::string RandomHex(size_t bytes);

}  // namespace tributary
