// The files a NATS client proves its identity with, beyond a user/password or token:
//
//   a .creds file (as `nsc` writes them, and NGS / Synadia Cloud hand out): a user JWT
//   and the user's NKey seed, each between a "-----BEGIN ...-----" and an
//   "------END ...------" line, anything else (the usual warning text) ignored;
//   the server checks the JWT against its operator and account and the nonce signature
//   against the JWT's subject
//
//   an NKey seed file: a line holding the seed ("SU..."), for a server configured with
//   `authorization { users = [ {nkey: "U..."} ] }`
//
// Read at each connect (connection_io.cc), so credentials renewed on disk are used at the
// next reconnect. Errors name the file and what is missing, never a secret.
#pragma once

#include <string>

#include <optional>
#include <string_view>

#include "base/status.h"
#include "nats/connect_options.h"
#include "nats/nkeys.h"

namespace tributary::nats {

struct UserCredentials {
  std::string jwt;  // empty for a bare NKey
  NKeyPair key;
};

// The JWT and seed of a .creds file.
Result<UserCredentials> LoadCredsFile(const std::string& path);
// The seed of an NKey seed file (the first line that is not blank).
Result<UserCredentials> LoadNKeySeedFile(const std::string& path);

// The identity `options` name (creds_file or nkey_seed_file), read now; nullopt when
// they name none. InvalidArgument when they name both, or one with a user or token.
Result<std::optional<UserCredentials>> LoadIdentity(const ConnectOptions& options);

// What CONNECT carries to prove the identity: `jwt` (empty for a bare NKey), `nkey` (the
// public key, for a bare NKey) and `sig`, the nonce's signature in base64url.
struct SignedNonce {
  std::string jwt, nkey, sig;
};
SignedNonce SignNonce(const UserCredentials& credentials, std::string_view nonce);

}  // namespace tributary::nats
