// Test-only: NATS JWTs (v2) signed with NKeys, and an operator-mode nats-server set up
// with them: an operator signs itself, a system account and an account with JetStream;
// the account signs users, whose .creds files the tests connect with.
//
//   OperatorMode op(dir.path());
//   NatsServer server({.config_file = op.ConfigFile()});
//   options.creds_file = op.UserCreds("alice");
//
// A JWT is base64url(header) "." base64url(claims) "." base64url(Ed25519 signature of the
// first two parts by the issuer), header {"typ":"JWT","alg":"ed25519-nkey"}.
#pragma once

#include <ctime>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/ids.h"
#include "nats/nkeys.h"

namespace tributary::nats::testing {

inline std::string IssueJwt(const NKeyPair& issuer, const std::string& subject,
                            const std::string& name, nlohmann::json nats) {
  nats["version"] = 2;
  nlohmann::json claims = {{"jti", RandomHex(16)},  {"iat", static_cast<int64_t>(std::time(nullptr))},
                           {"iss", issuer.PublicKey()}, {"name", name},
                           {"sub", subject},            {"nats", nats}};
  std::string signing_input = Base64UrlEncode(R"({"typ":"JWT","alg":"ed25519-nkey"})") + "." +
                              Base64UrlEncode(claims.dump());
  return signing_input + "." + Base64UrlEncode(issuer.Sign(signing_input));
}

// A .creds file's text, as nsc writes it.
inline std::string CredsFileText(const std::string& jwt, const std::string& seed) {
  return "-----BEGIN NATS USER JWT-----\n" + jwt +
         "\n------END NATS USER JWT------\n\n"
         "************************* IMPORTANT *************************\n"
         "NKEY Seed printed below can be used to sign and prove identity.\n"
         "NKEYs are sensitive and should be treated as secrets.\n\n"
         "-----BEGIN USER NKEY SEED-----\n" +
         seed + "\n------END USER NKEY SEED------\n";
}

class OperatorMode {
 public:
  explicit OperatorMode(std::string dir) : dir_(std::move(dir)) {}

  // Writes the operator's JWT and a server configuration trusting it (memory resolver,
  // both accounts preloaded); returns the configuration's path.
  std::string ConfigFile() {
    std::string op_jwt =
        IssueJwt(operator_, operator_.PublicKey(), "test-operator",
                 {{"type", "operator"}, {"system_account", system_.PublicKey()}});
    // JetStream needs a system account, and an account's limits allowing storage.
    std::string system_jwt = IssueJwt(operator_, system_.PublicKey(), "SYS", {{"type", "account"}});
    nlohmann::json limits = {{"subs", -1},         {"data", -1},    {"payload", -1},
                             {"imports", -1},      {"exports", -1}, {"wildcards", true},
                             {"conn", -1},         {"leaf", -1},    {"mem_storage", -1},
                             {"disk_storage", -1}, {"streams", -1}, {"consumer", -1}};
    std::string account_jwt = IssueJwt(operator_, account_.PublicKey(), "tributary",
                                       {{"type", "account"}, {"limits", limits}});
    return Write("operator.conf", "operator: \"" + Write("operator.jwt", op_jwt) +
                                      "\"\nsystem_account: " + system_.PublicKey() +
                                      "\nresolver: MEMORY\nresolver_preload: {\n  " +
                                      account_.PublicKey() + ": \"" + account_jwt + "\"\n  " +
                                      system_.PublicKey() + ": \"" + system_jwt + "\"\n}\n");
  }

  // A .creds file for a new user that `issuer` (default: the account) signs.
  std::string UserCreds(const std::string& name, const NKeyPair* issuer = nullptr) {
    NKeyPair user = NKeyPair::Generate(NKeyType::kUser);
    nlohmann::json nats = {{"type", "user"}, {"pub", nlohmann::json::object()},
                           {"sub", nlohmann::json::object()}, {"subs", -1},
                           {"data", -1},     {"payload", -1}};
    std::string jwt = IssueJwt(issuer ? *issuer : account_, user.PublicKey(), name, nats);
    return Write(name + ".creds", CredsFileText(jwt, user.Seed()));
  }

  // Writes `text` to `name` in the directory; returns its path.
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

 private:
  const std::string dir_;
  NKeyPair operator_ = NKeyPair::Generate(NKeyType::kOperator);
  NKeyPair account_ = NKeyPair::Generate(NKeyType::kAccount);
  NKeyPair system_ = NKeyPair::Generate(NKeyType::kAccount);
};

}  // namespace tributary::nats::testing
