// NKeys: the Ed25519 identities of NATS (users, accounts, operators) in their text form.
//
//   public key  "U..." 56 characters: base32 (RFC 4648, no padding) of a prefix byte (the
//               key's type: 'U' user, 'A' account, 'O' operator, 'N' server, 'C'
//               cluster), the 32-byte Ed25519 public key and a CRC-16 (XMODEM,
//               little-endian) of the two
//   seed        "SU..." 58 characters: the same with two prefix bytes ('S', then the
//               type) and the 32-byte private seed instead of the public key
//
// A client proves who it is by signing the nonce of the server's INFO with its seed
// (connection_io.cc). Ed25519 comes from OpenSSL. The seed is wiped from memory when the
// pair goes. Thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::nats {

enum class NKeyType : uint8_t {
  kAccount = 0,    // 'A'
  kCluster = 2,    // 'C'
  kServer = 13,    // 'N'
  kOperator = 14,  // 'O'
  kUser = 20,      // 'U'
};

class NKeyPair {
 public:
  // Decodes a seed ("SU..."). InvalidArgument saying what is wrong (never quoting the
  // seed): not base32, the wrong length, a bad checksum, not a seed, an unknown type.
  static Result<NKeyPair> FromSeed(std::string_view seed);
  // A new pair of `type` from the OS's randomness.
  static NKeyPair Generate(NKeyType type);

  NKeyPair(const NKeyPair& other) = default;
  NKeyPair& operator=(const NKeyPair& other) = default;
  ~NKeyPair();

  NKeyType type() const { return type_; }
  std::string PublicKey() const;  // "U..."
  std::string Seed() const;       // "SU...": a secret
  // The 64-byte Ed25519 signature of `data`.
  std::string Sign(std::string_view data) const;

 private:
  NKeyPair(NKeyType type, const uint8_t* seed);

  NKeyType type_;
  std::array<uint8_t, 32> seed_;
  std::array<uint8_t, 32> public_key_;
};

}  // namespace tributary::nats
