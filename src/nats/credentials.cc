#include "nats/credentials.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include <openssl/crypto.h>

#include "base/base64.h"
#include "base/files.h"

namespace tributary::nats {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    lines.push_back(Trim(text.substr(0, nl)));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

// A "---...BEGIN <what>...---" line.
bool IsBegin(std::string_view line) {
  return line.substr(0, 3) == "---" && line.find("BEGIN") != std::string_view::npos;
}

// Wipes the file's text once the secret has been taken out of it.
struct Wiped {
  std::string text;
  ~Wiped() { OPENSSL_cleanse(text.data(), text.size()); }
};

Result<NKeyPair> SeedFrom(std::string_view seed, const std::string& path) {
  Result<NKeyPair> key = NKeyPair::FromSeed(seed);
  if (!key.ok()) return InvalidArgument(path + ": " + key.status().message());
  if (key->type() != NKeyType::kUser) {
    return InvalidArgument(path + ": the NKey seed is not a user's ('SU...')");
  }
  return key;
}

}  // namespace

Result<UserCredentials> LoadCredsFile(const std::string& path) {
  Result<std::string> read = ReadFile(path);
  if (!read.ok()) return Status(read.status().code(), "NATS credentials file: " + read.status().message());
  Wiped file{std::move(*read)};
  std::optional<std::string_view> jwt, seed;
  std::vector<std::string_view> lines = Lines(file.text);
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    if (!IsBegin(lines[i])) continue;
    std::string_view body = lines[i + 1];
    if (lines[i].find("JWT") != std::string_view::npos) {
      if (!jwt) jwt = body;
    } else if (lines[i].find("SEED") != std::string_view::npos) {
      if (!seed) seed = body;
    }
  }
  if (!jwt || jwt->empty()) {
    return InvalidArgument("NATS credentials file " + path +
                           " has no '-----BEGIN NATS USER JWT-----' block followed by the JWT");
  }
  if (!seed || seed->empty()) {
    return InvalidArgument("NATS credentials file " + path +
                           " has no '-----BEGIN USER NKEY SEED-----' block followed by the seed");
  }
  if (std::count(jwt->begin(), jwt->end(), '.') != 2) {
    return InvalidArgument("NATS credentials file " + path +
                           ": the user JWT is not three dot-separated parts");
  }
  TRY_ASSIGN(NKeyPair key, SeedFrom(*seed, "NATS credentials file " + path));
  return UserCredentials{std::string(*jwt), std::move(key)};
}

Result<UserCredentials> LoadNKeySeedFile(const std::string& path) {
  Result<std::string> read = ReadFile(path);
  if (!read.ok()) return Status(read.status().code(), "NATS NKey seed file: " + read.status().message());
  Wiped file{std::move(*read)};
  for (std::string_view line : Lines(file.text)) {
    if (line.empty()) continue;
    TRY_ASSIGN(NKeyPair key, SeedFrom(line, "NATS NKey seed file " + path));
    return UserCredentials{"", std::move(key)};
  }
  return InvalidArgument("NATS NKey seed file " + path + " is empty");
}

Result<std::optional<UserCredentials>> LoadIdentity(const ConnectOptions& options) {
  if (options.creds_file.empty() && options.nkey_seed_file.empty()) {
    return std::optional<UserCredentials>();
  }
  if (!options.creds_file.empty() && !options.nkey_seed_file.empty()) {
    return InvalidArgument(
        "NATS: give a credentials file or an NKey seed file, not both (a .creds file holds "
        "the user's seed)");
  }
  if (!options.user.empty() || !options.token.empty()) {
    return InvalidArgument(
        "NATS: a credentials or NKey seed file and a user or token in the URL exclude each "
        "other: the server accepts one identity");
  }
  if (!options.creds_file.empty()) {
    TRY_ASSIGN(UserCredentials c, LoadCredsFile(options.creds_file));
    return std::optional<UserCredentials>(std::move(c));
  }
  TRY_ASSIGN(UserCredentials c, LoadNKeySeedFile(options.nkey_seed_file));
  return std::optional<UserCredentials>(std::move(c));
}

SignedNonce SignNonce(const UserCredentials& credentials, std::string_view nonce) {
  SignedNonce out;
  out.jwt = credentials.jwt;
  if (out.jwt.empty()) out.nkey = credentials.key.PublicKey();
  out.sig = Base64UrlEncode(credentials.key.Sign(nonce));
  return out;
}

}  // namespace tributary::nats
