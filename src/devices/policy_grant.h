// What one connection may do, compiled from the policies attached to its thing when it
// connects (variables substituted once), and the allow-everything grant used for
// administrators and anonymous clients when they are allowed.
//
// A PolicyGrant is immutable after Compile(), so it may be queried from any thread at
// once (the connection's thread asks CanPublish/CanSubscribe, the delivering thread
// CanReceive). Queries do not allocate: each is a scan of the deny patterns, then of
// the allow patterns, for that action.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/hooks.h"
#include "devices/policy.h"

namespace tributary::devices {

// A glob over bytes: `*` any run, `?` one byte, everything else literal. Characters that
// came from substituted variables stay literal even if they are '*' or '?'.
class GlobPattern {
 public:
  GlobPattern() = default;
  // `pattern` with ${...} variables replaced by the given values.
  static GlobPattern Compile(std::string_view pattern, std::string_view thing,
                             std::string_view client_id);
  bool Matches(std::string_view text) const;
  // The pattern with wildcards shown as written (for logs and tests).
  const std::string& text() const { return chars_; }

 private:
  std::string chars_;
  std::string wild_;  // per byte of chars_: '*', '?' or '\0' for a literal
};

class PolicyGrant final : public broker::ClientGrant {
 public:
  // Compiles `policies` for a connection of `thing` with `client_id`.
  static std::shared_ptr<const PolicyGrant> Compile(
      const std::vector<std::shared_ptr<const PolicyDocument>>& policies, std::string thing,
      std::string_view client_id);

  bool CanConnect(std::string_view client_id) const { return rules_[0].Allows(client_id); }
  // Never a shadow's answer topic (.../update/accepted), whatever the policies say.
  bool CanPublish(std::string_view topic) const override;
  bool CanSubscribe(std::string_view filter) const override { return rules_[2].Allows(filter); }
  bool CanReceive(std::string_view topic) const override { return rules_[3].Allows(topic); }
  const std::string& thing() const override { return thing_; }

 private:
  struct Rules {
    std::vector<GlobPattern> deny;
    std::vector<GlobPattern> allow;
    bool Allows(std::string_view s) const;
  };
  explicit PolicyGrant(std::string thing) : thing_(std::move(thing)) {}

  std::string thing_;
  Rules rules_[4];  // connect, publish, subscribe, receive
};

// Everything allowed; thing() is "" (administrators, and anonymous clients when the
// server allows them). `principal`: the user the password was checked for ("admin"), or
// "" for an anonymous client.
class AllowAllGrant final : public broker::ClientGrant {
 public:
  explicit AllowAllGrant(std::string principal = {}) : principal_(std::move(principal)) {}
  bool CanPublish(std::string_view) const override { return true; }
  bool CanSubscribe(std::string_view) const override { return true; }
  bool CanReceive(std::string_view) const override { return true; }
  const std::string& thing() const override { return thing_; }
  std::string principal() const override { return principal_; }

 private:
  std::string thing_;
  std::string principal_;
};

}  // namespace tributary::devices
