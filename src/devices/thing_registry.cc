#include "devices/thing_registry.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "base/ascii.h"
#include "base/aws_arn.h"
#include "base/clock.h"
#include "base/log.h"
#include "devices/device_authorizer.h"

namespace tributary::devices {

using metadata::Value;
using nlohmann::json;

namespace {

constexpr size_t kMaxAttributesBytes = 8192;

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE things(
  name TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  active INTEGER NOT NULL,
  attributes TEXT NOT NULL);
CREATE TABLE thing_certificates(
  fingerprint TEXT PRIMARY KEY,
  thing TEXT NOT NULL REFERENCES things(name) ON DELETE CASCADE,
  pem TEXT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('active', 'inactive', 'revoked')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL);
CREATE INDEX thing_certificates_by_thing ON thing_certificates(thing);
CREATE TABLE thing_policies(
  name TEXT PRIMARY KEY,
  document TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE TABLE thing_policy_attachments(
  policy TEXT NOT NULL REFERENCES thing_policies(name),
  thing TEXT NOT NULL REFERENCES things(name) ON DELETE CASCADE,
  PRIMARY KEY(policy, thing));
CREATE INDEX thing_policy_attachments_by_thing ON thing_policy_attachments(thing);
)sql";

Certificate CertificateFromRow(const metadata::Row& r) {
  // Columns: fingerprint, thing, pem, status, created_at, expires_at.
  Certificate c;
  c.fingerprint = r.Text(0);
  c.thing = r.Text(1);
  c.pem = r.Text(2);
  auto status = ParseCertificateStatus(r.Text(3));
  c.status = status.ok() ? *status : CertificateStatus::kInactive;
  c.created_at_ms = r.Int(4);
  c.expires_at_ms = r.Int(5);
  return c;
}

constexpr const char* kThingColumns = "SELECT name, created_at, active, attributes FROM things";

Thing ThingFromRow(const metadata::Row& row) {
  Thing t;
  t.name = row.Text(0);
  t.created_at_ms = row.Int(1);
  t.active = row.Int(2) != 0;
  t.attributes = json::parse(row.Text(3), nullptr, /*allow_exceptions=*/false);
  if (t.attributes.is_discarded()) t.attributes = json::object();
  return t;
}

// DescribeThing's answer as AWS IoT gives it, of what the registry keeps of a thing.
std::string RegistryDescriptionJson(const Thing& thing) {
  json d = {{"thingName", thing.name},
            {"thingArn", ThingArn(thing.name)},
            {"defaultClientId", thing.name},
            {"attributes", thing.attributes}};
  return d.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string NotFoundThing(const std::string& name) {
  return "thing '" + name + "' does not exist (see `tributary thing list`)";
}

}  // namespace

std::string ThingArn(const std::string& name) { return LocalArn("iot", "thing/" + name); }

const char* CertificateStatusName(CertificateStatus status) {
  switch (status) {
    case CertificateStatus::kActive: return "active";
    case CertificateStatus::kInactive: return "inactive";
    case CertificateStatus::kRevoked: return "revoked";
  }
  return "inactive";
}

Result<CertificateStatus> ParseCertificateStatus(std::string_view name) {
  if (name == "active") return CertificateStatus::kActive;
  if (name == "inactive") return CertificateStatus::kInactive;
  if (name == "revoked") return CertificateStatus::kRevoked;
  return InvalidArgument("unknown certificate status '" + std::string(name) +
                         "' (expected active, inactive or revoked)");
}

Status ValidateThingName(std::string_view name) {
  if (name.empty() || name.size() > 128)
    return InvalidArgument("thing name must be 1-128 characters, got " +
                           std::to_string(name.size()));
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (std::isalnum(c) || c == ':' || c == '_' || c == '-') continue;
    char shown[8];
    if (std::isprint(c)) {
      std::snprintf(shown, sizeof(shown), "'%c'", c);
    } else {
      std::snprintf(shown, sizeof(shown), "0x%02x", c);
    }
    return InvalidArgument("thing name '" + std::string(name) + "': character " + shown +
                           " at position " + std::to_string(i) +
                           " is not allowed (use a-z A-Z 0-9 : _ -)");
  }
  return Status::Ok();
}

DeviceRegistry::DeviceRegistry(metadata::Database* db, DevicesOptions options)
    : db_(db), options_(std::move(options)) {}

DeviceRegistry::~DeviceRegistry() = default;

Result<std::unique_ptr<DeviceRegistry>> DeviceRegistry::Open(metadata::Database* db,
                                                             const DevicesOptions& options) {
  if (db == nullptr) return InvalidArgument("device registry: no metadata database given");
  if (options.cert_validity_days < 1 || options.cert_validity_days > 36500)
    return InvalidArgument("cert_validity_days must be 1..36500, got " +
                           std::to_string(options.cert_validity_days));
  std::unique_ptr<DeviceRegistry> r(new DeviceRegistry(db, options));
  TRY_ASSIGN(r->ca_, CertificateAuthority::Open(options.pki_dir, options.server_names));
  TRY(r->Migrate());
  TRY(r->EnsureDefaultPolicy());
  // Before loading, so that no change another server makes is missed.
  TRY(r->FollowOtherServers());
  TRY(r->LoadMirror());
  r->authorizer_ = std::make_unique<DeviceAuthorizer>(r.get(), options.admin_token,
                                                      options.allow_anonymous, options.metrics);
  return r;
}

broker::Authorizer* DeviceRegistry::authorizer() { return authorizer_.get(); }

Status DeviceRegistry::Migrate() { return db_->Migrate("devices", 1, kSchemaV1); }

Status DeviceRegistry::EnsureDefaultPolicy() {
  TRY_ASSIGN(auto rows, db_->Query("SELECT document FROM thing_policies WHERE name=?",
                                   {Value(std::string(kDefaultPolicyName))}));
  TRY_ASSIGN(PolicyDocument doc, ParsePolicy(DefaultPolicyJson()));
  if (!rows.empty()) {
    // An earlier release's default, never edited, becomes today's (with the thing's shadows).
    if (!IsEarlierDefaultPolicy(nlohmann::json::parse(rows[0].Text(0), nullptr, false))) return Status::Ok();
    return db_->Exec("UPDATE thing_policies SET document=? WHERE name=?",
                     {Value(doc.source.dump()), Value(std::string(kDefaultPolicyName))})
        .status();
  }
  return db_->Exec("INSERT INTO thing_policies(name, document, created_at) VALUES(?, ?, ?)",
                   {Value(std::string(kDefaultPolicyName)), Value(doc.source.dump()),
                    Value(WallMillis())})
      .status();
}

Status DeviceRegistry::LoadMirror() {
  std::lock_guard<std::mutex> write(write_mu_);
  TRY_ASSIGN(auto policy_rows, db_->Query("SELECT name FROM thing_policies"));
  for (const auto& row : policy_rows) TRY(MirrorPolicy(row.Text(0)));
  TRY_ASSIGN(auto thing_rows, db_->Query("SELECT name FROM things"));
  for (const auto& row : thing_rows) TRY(MirrorThing(row.Text(0)));
  return Status::Ok();
}

Status DeviceRegistry::MirrorPolicy(const std::string& name) {
  TRY_ASSIGN(auto rows, db_->Query("SELECT document FROM thing_policies WHERE name=?",
                                   {Value(name)}));
  std::shared_ptr<const PolicyDocument> doc;
  if (!rows.empty()) {
    auto parsed = ParsePolicy(rows[0].Text(0));
    if (!parsed.ok())
      return DataLoss("stored policy '" + name + "' no longer parses: " + parsed.status().message());
    doc = std::make_shared<const PolicyDocument>(std::move(parsed).value());
  }
  std::unique_lock<std::shared_mutex> lock(mirror_mu_);
  if (doc) {
    policies_[name] = std::move(doc);
  } else {
    policies_.erase(name);
  }
  return Status::Ok();
}

Status DeviceRegistry::MirrorThing(const std::string& name) {
  TRY_ASSIGN(auto thing_rows,
             db_->Query(std::string(kThingColumns) + " WHERE name=?", {Value(name)}));
  TRY_ASSIGN(auto cert_rows, db_->Query("SELECT fingerprint, status FROM thing_certificates "
                                        "WHERE thing=?",
                                        {Value(name)}));
  TRY_ASSIGN(auto policy_rows, db_->Query("SELECT policy FROM thing_policy_attachments "
                                          "WHERE thing=? ORDER BY policy",
                                          {Value(name)}));
  std::unique_lock<std::shared_mutex> lock(mirror_mu_);
  auto old = things_.find(name);
  if (old != things_.end()) {
    for (const std::string& fp : old->second.fingerprints) certs_.erase(fp);
    things_.erase(old);
  }
  if (thing_rows.empty()) return Status::Ok();
  CachedThing& t = things_[name];
  const Thing thing = ThingFromRow(thing_rows[0]);
  t.active = thing.active;
  t.description = std::make_shared<const std::string>(RegistryDescriptionJson(thing));
  for (const auto& row : cert_rows) {
    auto status = ParseCertificateStatus(row.Text(1));
    certs_[row.Text(0)] = {name, status.ok() ? *status : CertificateStatus::kInactive};
    t.fingerprints.push_back(row.Text(0));
  }
  for (const auto& row : policy_rows) t.policies.push_back(row.Text(0));
  return Status::Ok();
}

Status DeviceRegistry::RefreshThing(const std::string& name) {
  TRY(MirrorThing(name));
  db_->Announce("things", name);
  return Status::Ok();
}

Status DeviceRegistry::RefreshPolicy(const std::string& name) {
  TRY(MirrorPolicy(name));
  db_->Announce("policies", name);
  return Status::Ok();
}

std::shared_ptr<const std::string> DeviceRegistry::RegistryDescription(
    const std::string& name) const {
  std::shared_lock<std::shared_mutex> lock(mirror_mu_);
  auto thing = things_.find(name);
  return thing == things_.end() ? nullptr : thing->second.description;
}

std::optional<CertificateLookup> DeviceRegistry::LookupCertificate(
    const std::string& fingerprint) const {
  std::shared_lock<std::shared_mutex> lock(mirror_mu_);
  auto cert = certs_.find(fingerprint);
  if (cert == certs_.end()) return std::nullopt;
  CertificateLookup out;
  out.thing = cert->second.thing;
  out.status = cert->second.status;
  auto thing = things_.find(out.thing);
  out.thing_active = thing != things_.end() && thing->second.active;
  if (thing != things_.end()) {
    out.policy_names = thing->second.policies;
    for (const std::string& p : thing->second.policies) {
      auto policy = policies_.find(p);
      if (policy != policies_.end()) out.policies.push_back(policy->second);
    }
  }
  return out;
}

void DeviceRegistry::SetDeactivationCallback(std::function<void(const std::string&)> callback) {
  std::lock_guard<std::mutex> lock(callback_mu_);
  on_deactivated_ = std::move(callback);
}

void DeviceRegistry::FireDeactivated(const std::string& thing) {
  std::function<void(const std::string&)> callback;
  {
    std::lock_guard<std::mutex> lock(callback_mu_);
    callback = on_deactivated_;
  }
  if (callback) callback(thing);
}

Result<Thing> DeviceRegistry::ReadThing(const std::string& name) const {
  TRY_ASSIGN(auto rows, db_->Query(std::string(kThingColumns) + " WHERE name=?", {Value(name)}));
  if (rows.empty()) return NotFound(NotFoundThing(name));
  return ThingFromRow(rows[0]);
}

namespace {
// An attribute's name as AWS IoT takes it: 1-128 of [a-zA-Z0-9_.,@/:#-].
Status ValidateAttributeName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 128;
  for (char c : name) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) ||
                std::string_view("_.,@/:#-").find(c) != std::string_view::npos);
  }
  if (ok) return Status::Ok();
  return InvalidArgument("thing attribute name '" + name +
                         "' must be 1-128 letters, digits and _ . , @ / : # -");
}

// A thing's attributes as stored: a JSON object of at most kMaxAttributesBytes.
Result<std::string> AttributesText(const json& attributes) {
  if (!attributes.is_object())
    return InvalidArgument("thing attributes must be a JSON object, got " +
                           std::string(attributes.type_name()));
  for (const auto& [name, value] : attributes.items()) TRY(ValidateAttributeName(name));
  std::string text = attributes.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > kMaxAttributesBytes)
    return InvalidArgument("thing attributes are " + std::to_string(text.size()) +
                           " bytes of JSON; the limit is " + std::to_string(kMaxAttributesBytes));
  return text;
}
}  // namespace

Result<CreatedThing> DeviceRegistry::CreateThing(const std::string& name, const json& attributes,
                                                 const std::vector<std::string>& policies) {
  TRY(ValidateThingName(name));
  TRY_ASSIGN(std::string attributes_text, AttributesText(attributes));
  std::vector<std::string> attached = policies;
  std::sort(attached.begin(), attached.end());
  attached.erase(std::unique(attached.begin(), attached.end()), attached.end());

  std::lock_guard<std::mutex> write(write_mu_);
  TRY_ASSIGN(auto existing, db_->Query("SELECT 1 FROM things WHERE name=?", {Value(name)}));
  if (!existing.empty()) return AlreadyExists("thing '" + name + "' already exists");
  for (const std::string& p : attached) TRY(RequirePolicy(p));
  TRY_ASSIGN(IssuedCertificate cert, ca_->IssueClientCertificate(name, options_.cert_validity_days));

  CreatedThing out;
  out.thing.name = name;
  out.thing.created_at_ms = WallMillis();
  out.thing.active = true;
  out.thing.attributes = attributes;
  TRY(db_->Transaction([&]() -> Status {
    TRY(db_->Exec("INSERT INTO things(name, created_at, active, attributes) VALUES(?, ?, 1, ?)",
                  {Value(name), Value(out.thing.created_at_ms), Value(attributes_text)})
            .status());
    TRY(db_->Exec("INSERT INTO thing_certificates(fingerprint, thing, pem, status, created_at, "
                  "expires_at) VALUES(?, ?, ?, 'active', ?, ?)",
                  {Value(cert.fingerprint), Value(name), Value(cert.cert_pem),
                   Value(out.thing.created_at_ms), Value(cert.not_after * 1000)})
            .status());
    for (const std::string& p : attached)
      TRY(db_->Exec("INSERT INTO thing_policy_attachments(policy, thing) VALUES(?, ?)",
                    {Value(p), Value(name)})
              .status());
    return Status::Ok();
  }));
  TRY(RefreshThing(name));
  Logger("devices")->info("thing created thing={} fingerprint={}", name, cert.fingerprint);
  out.certificate = std::move(cert);
  out.policies = std::move(attached);
  return out;
}

Result<Thing> DeviceRegistry::UpdateThingAttributes(const std::string& name, const json& attributes,
                                                    bool merge) {
  if (!attributes.is_object())
    return InvalidArgument("thing attributes must be a JSON object, got " +
                           std::string(attributes.type_name()));
  std::lock_guard<std::mutex> write(write_mu_);
  TRY_ASSIGN(Thing thing, ReadThing(name));
  if (merge) {
    for (const auto& [key, value] : attributes.items()) {
      if (value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty())) {
        thing.attributes.erase(key);
      } else {
        thing.attributes[key] = value;
      }
    }
  } else {
    thing.attributes = attributes;
  }
  TRY_ASSIGN(std::string text, AttributesText(thing.attributes));
  TRY(db_->Exec("UPDATE things SET attributes=? WHERE name=?", {Value(text), Value(name)})
          .status());
  TRY(RefreshThing(name));
  Logger("devices")->info("thing attributes updated thing={} merge={}", name, merge);
  return thing;
}

Result<std::vector<Thing>> DeviceRegistry::ListThings() const {
  // One query, not one per thing: on PostgreSQL each is a round trip.
  TRY_ASSIGN(auto rows, db_->Query(std::string(kThingColumns) + " ORDER BY name"));
  std::vector<Thing> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(ThingFromRow(row));
  return out;
}

Result<ThingDescription> DeviceRegistry::DescribeThing(const std::string& name) const {
  ThingDescription out;
  TRY_ASSIGN(out.thing, ReadThing(name));
  TRY_ASSIGN(auto certs, db_->Query("SELECT fingerprint, thing, pem, status, created_at, "
                                    "expires_at FROM thing_certificates WHERE thing=? "
                                    "ORDER BY created_at DESC, fingerprint",
                                    {Value(name)}));
  for (const auto& row : certs) out.certificates.push_back(CertificateFromRow(row));
  TRY_ASSIGN(auto policies, db_->Query("SELECT policy FROM thing_policy_attachments "
                                       "WHERE thing=? ORDER BY policy",
                                       {Value(name)}));
  for (const auto& row : policies) out.policies.push_back(row.Text(0));
  return out;
}

Status DeviceRegistry::DeactivateThing(const std::string& name) {
  {
    std::lock_guard<std::mutex> write(write_mu_);
    TRY(ReadThing(name).status());
    TRY(db_->Transaction([&]() -> Status {
      TRY(db_->Exec("UPDATE things SET active=0 WHERE name=?", {Value(name)}).status());
      return db_->Exec("UPDATE thing_certificates SET status='inactive' "
                       "WHERE thing=? AND status='active'",
                       {Value(name)})
          .status();
    }));
    TRY(RefreshThing(name));
  }
  Logger("devices")->info("thing deactivated thing={}", name);
  FireDeactivated(name);
  return Status::Ok();
}

Status DeviceRegistry::ActivateThing(const std::string& name) {
  std::lock_guard<std::mutex> write(write_mu_);
  TRY(ReadThing(name).status());
  TRY(db_->Transaction([&]() -> Status {
    TRY(db_->Exec("UPDATE things SET active=1 WHERE name=?", {Value(name)}).status());
    return db_->Exec("UPDATE thing_certificates SET status='active' "
                     "WHERE thing=? AND status='inactive'",
                     {Value(name)})
        .status();
  }));
  Logger("devices")->info("thing activated thing={}", name);
  return RefreshThing(name);
}

Status DeviceRegistry::DeleteThing(const std::string& name) {
  {
    std::lock_guard<std::mutex> write(write_mu_);
    TRY(ReadThing(name).status());
    TRY(db_->Transaction([&]() -> Status {
      TRY(db_->Exec("DELETE FROM thing_policy_attachments WHERE thing=?", {Value(name)}).status());
      TRY(db_->Exec("DELETE FROM thing_certificates WHERE thing=?", {Value(name)}).status());
      return db_->Exec("DELETE FROM things WHERE name=?", {Value(name)}).status();
    }));
    TRY(RefreshThing(name));
  }
  Logger("devices")->info("thing deleted thing={}", name);
  FireDeactivated(name);
  return Status::Ok();
}

Result<IssuedCertificate> DeviceRegistry::IssueCertificate(const std::string& thing) {
  std::lock_guard<std::mutex> write(write_mu_);
  TRY_ASSIGN(Thing t, ReadThing(thing));
  TRY_ASSIGN(IssuedCertificate cert,
             ca_->IssueClientCertificate(thing, options_.cert_validity_days));
  TRY(db_->Exec("INSERT INTO thing_certificates(fingerprint, thing, pem, status, created_at, "
                "expires_at) VALUES(?, ?, ?, ?, ?, ?)",
                {Value(cert.fingerprint), Value(thing), Value(cert.cert_pem),
                 Value(std::string(t.active ? "active" : "inactive")), Value(WallMillis()),
                 Value(cert.not_after * 1000)})
          .status());
  TRY(RefreshThing(thing));
  return cert;
}

Result<std::string> DeviceRegistry::ResolveFingerprint(
    const std::string& fingerprint_or_prefix) const {
  const std::string prefix = AsciiLowered(fingerprint_or_prefix);
  const bool hex = !prefix.empty() && std::all_of(prefix.begin(), prefix.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (!hex || prefix.size() < kMinFingerprintPrefix) {
    return InvalidArgument("certificate '" + fingerprint_or_prefix +
                           "': name it by its SHA-256 fingerprint or at least " +
                           std::to_string(kMinFingerprintPrefix) +
                           " of its first hex digits (see `tributary thing describe <name>`)");
  }
  // Hex digits only, so the pattern holds no wildcard but its last '%'.
  TRY_ASSIGN(
      auto rows,
      db_->Query("SELECT fingerprint, thing FROM thing_certificates WHERE fingerprint LIKE ? "
                 "ORDER BY fingerprint",
                 {Value(prefix + "%")}));
  if (rows.empty()) {
    return NotFound("no certificate has fingerprint " + fingerprint_or_prefix +
                    (prefix.size() < 64 ? "..." : "") + " (see `tributary thing describe <name>`)");
  }
  if (rows.size() > 1) {
    std::string matches;
    for (const auto& r : rows)
      matches += (matches.empty() ? "" : ", ") + r.Text(0) + " (thing '" + r.Text(1) + "')";
    return InvalidArgument("certificate '" + fingerprint_or_prefix + "' is the start of " +
                           std::to_string(rows.size()) + " fingerprints: " + matches +
                           "; give more of its digits");
  }
  return rows[0].Text(0);
}

Status DeviceRegistry::SetCertificateStatus(const std::string& fingerprint_or_prefix,
                                            CertificateStatus status) {
  std::string thing;
  {
    std::lock_guard<std::mutex> write(write_mu_);
    TRY_ASSIGN(const std::string fingerprint, ResolveFingerprint(fingerprint_or_prefix));
    TRY_ASSIGN(auto rows, db_->Query("SELECT thing, status FROM thing_certificates "
                                     "WHERE fingerprint=?",
                                     {Value(fingerprint)}));
    if (rows.empty())
      return NotFound("no certificate has fingerprint " + fingerprint +
                      " (see `tributary thing describe <name>`)");
    thing = rows[0].Text(0);
    if (rows[0].Text(1) == "revoked" && status != CertificateStatus::kRevoked)
      return FailedPrecondition("certificate " + fingerprint + " of thing '" + thing +
                                "' is revoked; a revoked certificate cannot be reactivated, "
                                "issue a new one");
    TRY(db_->Exec("UPDATE thing_certificates SET status=? WHERE fingerprint=?",
                  {Value(std::string(CertificateStatusName(status))), Value(fingerprint)})
            .status());
    TRY(RefreshThing(thing));
  }
  if (status != CertificateStatus::kActive) FireDeactivated(thing);
  return Status::Ok();
}

}  // namespace tributary::devices
