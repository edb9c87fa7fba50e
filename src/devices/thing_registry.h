// The device registry (AWS IoT "Things"): things, the client certificates the server's
// CA issued them, policies and which policies are attached to which thing. Everything
// lives in the metadata database (component "devices"); an in-memory mirror of what
// authentication needs (fingerprint -> thing, active flags, parsed policies) makes
// Authenticate a map lookup, so connecting never queries SQLite.
//
// Servers sharing one PostgreSQL schema: every change is announced (topics "things" and
// "policies", Database::Announce) and another server's change is read into the mirror;
// a thing it leaves with less access (deactivated, deleted, a certificate no longer
// active, a policy detached or changed) is disconnected here too.
//
// Thread-safety: every method may be called from any thread. Changes are serialised by
// one mutex and applied to the database first, then to the mirror; readers of the mirror
// take a short shared lock. The deactivation callback runs on the caller's thread after
// both, with no lock held.
//
//   TRY_ASSIGN(auto registry, DeviceRegistry::Open(db, {.pki_dir = dir + "/pki",
//                                                       .admin_token = token}));
//   registry->SetDeactivationCallback([&](const std::string& t) { broker.Disconnect(t); });
//   TRY_ASSIGN(CreatedThing created, registry->CreateThing("sensor-1"));
//   broker_options.authorizer = registry->authorizer();
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/metrics.h"
#include "base/status.h"
#include "broker/hooks.h"
#include "devices/ca.h"
#include "devices/policy.h"
#include "metadata/database.h"

namespace tributary::devices {

class DeviceAuthorizer;

inline constexpr const char* kDefaultPolicyName = "default";

struct DevicesOptions {
  std::string pki_dir = {};          // usually <data-dir>/pki
  int cert_validity_days = 365;      // client certificates
  bool allow_anonymous = false;      // clients without certificate or admin password
  std::string admin_token = {};      // MQTT password of user "admin"; "" disables it
  std::vector<std::string> server_names = {};  // extra SANs for server.crt (DNS names or IPs)
  MetricsRegistry* metrics = nullptr;     // optional: authentication decision counters
};

enum class CertificateStatus { kActive, kInactive, kRevoked };
const char* CertificateStatusName(CertificateStatus status);  // "active", ...
Result<CertificateStatus> ParseCertificateStatus(std::string_view name);

struct Thing {
  std::string name;
  int64_t created_at_ms = 0;
  bool active = true;
  nlohmann::json attributes = nlohmann::json::object();
};

// A thing's ARN as AWS IoT writes it: "arn:aws:iot:local:000000000000:thing/<name>".
std::string ThingArn(const std::string& name);

struct Certificate {
  std::string fingerprint;  // lower-case hex SHA-256 of the DER certificate
  std::string thing;
  std::string pem;
  CertificateStatus status = CertificateStatus::kActive;
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;
};

struct Policy {
  std::string name;
  nlohmann::json document;
  int64_t created_at_ms = 0;
  std::vector<std::string> things;  // attached to, sorted
};

struct ThingDescription {
  Thing thing;
  std::vector<Certificate> certificates;  // newest first
  std::vector<std::string> policies;      // sorted
};

// What CreateThing and IssueCertificate hand back once: the private key is not stored.
struct CreatedThing {
  Thing thing;
  IssuedCertificate certificate;
  std::vector<std::string> policies;
};

// The mirror's answer for one certificate, used by the authorizer.
struct CertificateLookup {
  std::string thing;
  CertificateStatus status = CertificateStatus::kActive;
  bool thing_active = true;
  std::vector<std::string> policy_names;
  std::vector<std::shared_ptr<const PolicyDocument>> policies;
};

class DeviceRegistry {
 public:
  // Opens the CA (creating it on first start), migrates the tables, creates the
  // "default" policy if missing and loads the mirror. `db` must outlive the registry.
  static Result<std::unique_ptr<DeviceRegistry>> Open(metadata::Database* db,
                                                      const DevicesOptions& options);
  ~DeviceRegistry();
  DeviceRegistry(const DeviceRegistry&) = delete;
  DeviceRegistry& operator=(const DeviceRegistry&) = delete;

  // Things. Names are 1-128 characters of [a-zA-Z0-9:_-]. CreateThing issues a client
  // certificate and attaches `policies` (they must exist).
  Result<CreatedThing> CreateThing(const std::string& name,
                                   const nlohmann::json& attributes = nlohmann::json::object(),
                                   const std::vector<std::string>& policies = {kDefaultPolicyName});
  Result<std::vector<Thing>> ListThings() const;  // by name
  Result<ThingDescription> DescribeThing(const std::string& name) const;
  // Sets a thing's attributes: `attributes` (a JSON object) replaces them, or with
  // `merge` its members are added or replace those of the same name, and a member whose
  // value is null or "" removes one (as AWS IoT's UpdateThing merges). The size limit of
  // CreateThing holds for the result. Returns the thing as it now is.
  Result<Thing> UpdateThingAttributes(const std::string& name, const nlohmann::json& attributes,
                                      bool merge);
  // The thing as AWS IoT's DescribeThing answers it (thingName, thingArn,
  // defaultClientId, attributes), JSON text from the mirror, which follows every change
  // (another server's too): what the rules' get_registry_data() reads on the broker's
  // threads without a query. Null when there is no such thing.
  std::shared_ptr<const std::string> RegistryDescription(const std::string& name) const;
  // Marks the thing and its active certificates inactive, then fires the callback.
  Status DeactivateThing(const std::string& name);
  // Marks the thing and its inactive (not revoked) certificates active.
  Status ActivateThing(const std::string& name);
  // Removes the thing, its certificates and attachments, then fires the callback.
  Status DeleteThing(const std::string& name);

  // Certificates: a further certificate for an existing thing (rotation), and changing
  // one's status; leaving "active" fires the callback for its thing.
  // A certificate is named by its fingerprint or any unique prefix of it of at least
  // kMinFingerprintPrefix hex digits (what `thing describe` shows is one), in either case.
  Result<IssuedCertificate> IssueCertificate(const std::string& thing);
  Status SetCertificateStatus(const std::string& fingerprint, CertificateStatus status);
  // The whole fingerprint a fingerprint or prefix names: kNotFound when none has it,
  // kInvalidArgument for fewer than kMinFingerprintPrefix hex digits or for a prefix
  // several certificates share (the message lists them with their things).
  Result<std::string> ResolveFingerprint(const std::string& fingerprint_or_prefix) const;
  static constexpr size_t kMinFingerprintPrefix = 8;

  // Policies. `document` is the JSON text (see policy.h). The default policy cannot be
  // deleted, nor can a policy that is still attached. UpdatePolicy and DetachPolicy fire
  // the callback for the things concerned, so their clients reconnect under new grants.
  Result<Policy> CreatePolicy(const std::string& name, std::string_view document);
  Result<Policy> UpdatePolicy(const std::string& name, std::string_view document);
  Result<Policy> GetPolicy(const std::string& name) const;
  Result<std::vector<Policy>> ListPolicies() const;  // by name
  Status DeletePolicy(const std::string& name);
  Status AttachPolicy(const std::string& policy, const std::string& thing);
  Status DetachPolicy(const std::string& policy, const std::string& thing);

  // From the mirror only; nullopt when no certificate has this fingerprint.
  std::optional<CertificateLookup> LookupCertificate(const std::string& fingerprint) const;

  // Called with a thing's name whenever its live connections must be closed
  // (deactivated, deleted, permissions reduced). Set it before serving clients.
  void SetDeactivationCallback(std::function<void(const std::string& thing)> callback);

  const CertificateAuthority& ca() const { return *ca_; }
  const DevicesOptions& options() const { return options_; }
  // The broker::Authorizer over this registry; owned by it.
  broker::Authorizer* authorizer();

 private:
  struct CachedThing {
    bool active = true;
    std::shared_ptr<const std::string> description;  // RegistryDescription's
    std::vector<std::string> fingerprints;
    std::vector<std::string> policies;
  };
  struct CachedCert {
    std::string thing;
    CertificateStatus status = CertificateStatus::kActive;
  };

  DeviceRegistry(metadata::Database* db, DevicesOptions options);
  Status Migrate();
  Status EnsureDefaultPolicy();
  Status LoadMirror();
  // Re-reads one thing (or its absence) / one policy into the mirror. Callers hold write_mu_.
  Status MirrorThing(const std::string& name);
  Status MirrorPolicy(const std::string& name);
  // As Mirror*, after a change made here: also announced to other servers.
  Status RefreshThing(const std::string& name);
  Status RefreshPolicy(const std::string& name);
  // Servers sharing one PostgreSQL schema (thing_registry_follow.cc): what another server
  // changes is read into the mirror, and a thing that lost access is disconnected.
  Status FollowOtherServers();
  void FollowThing(const std::string& name);  // "": every thing
  void FollowPolicy(const std::string& name);  // "": every policy
  Result<Thing> ReadThing(const std::string& name) const;  // NotFound if absent
  Status RequirePolicy(const std::string& name) const;
  Result<std::vector<std::string>> AttachedThings(const std::string& policy) const;
  void FireDeactivated(const std::string& thing);

  metadata::Database* db_;
  DevicesOptions options_;
  std::unique_ptr<CertificateAuthority> ca_;
  std::unique_ptr<DeviceAuthorizer> authorizer_;

  std::mutex write_mu_;  // serialises changes so the mirror follows the database's order
  mutable std::shared_mutex mirror_mu_;
  std::unordered_map<std::string, CachedCert> certs_;
  std::unordered_map<std::string, CachedThing> things_;
  std::unordered_map<std::string, std::shared_ptr<const PolicyDocument>> policies_;

  std::mutex callback_mu_;
  std::function<void(const std::string&)> on_deactivated_;
  std::vector<std::unique_ptr<metadata::ChangeWatch>> watches_;  // last: dropped first
};

// Thing names: 1-128 characters of [a-zA-Z0-9:_-]; the error names the first bad
// character and its position.
Status ValidateThingName(std::string_view name);

// JSON renderings for the HTTP API. Times are ISO 8601 strings (UTC, milliseconds).
nlohmann::json ToJson(const Thing& thing);
nlohmann::json ToJson(const Certificate& cert);  // includes the public PEM
nlohmann::json ToJson(const Policy& policy);
nlohmann::json ToJson(const ThingDescription& description);
// Includes the private key: only for the response that creates it.
nlohmann::json ToJson(const CreatedThing& created);

}  // namespace tributary::devices
