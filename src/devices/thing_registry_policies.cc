// DeviceRegistry's policy operations: create, update, read, delete, attach, detach.
#include "base/clock.h"
#include "base/log.h"
#include "devices/thing_registry.h"

namespace tributary::devices {

using metadata::Value;

namespace {

std::string NotFoundPolicy(const std::string& name) {
  return "policy '" + name + "' does not exist (see `tributary policy list`)";
}

Result<PolicyDocument> ParseNamedPolicy(const std::string& name, std::string_view document) {
  TRY(ValidatePolicyName(name));
  auto parsed = ParsePolicy(document);
  if (!parsed.ok()) return parsed.status().WithContext("policy '" + name + "'");
  return parsed;
}

}  // namespace

Status DeviceRegistry::RequirePolicy(const std::string& name) const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT 1 FROM thing_policies WHERE name=?", {Value(name)}));
  if (rows.empty()) return NotFound(NotFoundPolicy(name));
  return Status::Ok();
}

Result<std::vector<std::string>> DeviceRegistry::AttachedThings(const std::string& policy) const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT thing FROM thing_policy_attachments WHERE policy=? "
                                   "ORDER BY thing",
                                   {Value(policy)}));
  std::vector<std::string> out;
  for (const auto& row : rows) out.push_back(row.Text(0));
  return out;
}

Result<Policy> DeviceRegistry::CreatePolicy(const std::string& name, std::string_view document) {
  TRY_ASSIGN(PolicyDocument doc, ParseNamedPolicy(name, document));
  {
    std::lock_guard<std::mutex> write(write_mu_);
    TRY_ASSIGN(auto rows, db_->Query("SELECT 1 FROM thing_policies WHERE name=?", {Value(name)}));
    if (!rows.empty())
      return AlreadyExists("policy '" + name + "' already exists (change it with UpdatePolicy)");
    TRY(db_->Exec("INSERT INTO thing_policies(name, document, created_at) VALUES(?, ?, ?)",
                  {Value(name), Value(doc.source.dump()), Value(WallMillis())})
            .status());
    TRY(RefreshPolicy(name));
  }
  Logger("devices")->info("policy created policy={}", name);
  return GetPolicy(name);
}

Result<Policy> DeviceRegistry::UpdatePolicy(const std::string& name, std::string_view document) {
  TRY_ASSIGN(PolicyDocument doc, ParseNamedPolicy(name, document));
  std::vector<std::string> things;
  {
    std::lock_guard<std::mutex> write(write_mu_);
    TRY(RequirePolicy(name));
    TRY(db_->Exec("UPDATE thing_policies SET document=? WHERE name=?",
                  {Value(doc.source.dump()), Value(name)})
            .status());
    TRY(RefreshPolicy(name));
    TRY_ASSIGN(things, AttachedThings(name));
  }
  Logger("devices")->info("policy updated policy={} things={}", name, things.size());
  for (const std::string& t : things) FireDeactivated(t);
  return GetPolicy(name);
}

Result<Policy> DeviceRegistry::GetPolicy(const std::string& name) const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT name, document, created_at FROM thing_policies "
                                   "WHERE name=?",
                                   {Value(name)}));
  if (rows.empty()) return NotFound(NotFoundPolicy(name));
  Policy p;
  p.name = rows[0].Text(0);
  p.document = nlohmann::json::parse(rows[0].Text(1), nullptr, /*allow_exceptions=*/false);
  p.created_at_ms = rows[0].Int(2);
  TRY_ASSIGN(p.things, AttachedThings(name));
  return p;
}

Result<std::vector<Policy>> DeviceRegistry::ListPolicies() const {
  // Two queries in all, not two per policy: on PostgreSQL each is a round trip.
  TRY_ASSIGN(auto rows, db_->Query("SELECT name, document, created_at FROM thing_policies "
                                   "ORDER BY name"));
  TRY_ASSIGN(auto attached, db_->Query("SELECT policy, thing FROM thing_policy_attachments "
                                       "ORDER BY policy, thing"));
  std::vector<Policy> out;
  out.reserve(rows.size());
  size_t a = 0;
  for (const auto& row : rows) {
    Policy p;
    p.name = row.Text(0);
    p.document = nlohmann::json::parse(row.Text(1), nullptr, /*allow_exceptions=*/false);
    p.created_at_ms = row.Int(2);
    // Both lists are sorted by policy name (byte-wise on either backend).
    while (a < attached.size() && attached[a].Text(0) < p.name) ++a;
    for (; a < attached.size() && attached[a].Text(0) == p.name; ++a) p.things.push_back(attached[a].Text(1));
    out.push_back(std::move(p));
  }
  return out;
}

Status DeviceRegistry::DeletePolicy(const std::string& name) {
  if (name == kDefaultPolicyName)
    return FailedPrecondition("the default policy is attached to every new thing and cannot be "
                              "deleted; change it with UpdatePolicy instead");
  {
    std::lock_guard<std::mutex> write(write_mu_);
    TRY(RequirePolicy(name));
    TRY_ASSIGN(auto things, AttachedThings(name));
    if (!things.empty()) {
      std::string list;
      for (size_t i = 0; i < things.size() && i < 5; ++i) list += (i ? ", " : "") + things[i];
      if (things.size() > 5) list += ", ...";
      return FailedPrecondition("policy '" + name + "' is attached to " +
                                std::to_string(things.size()) + " thing(s) (" + list +
                                "); detach it first");
    }
    TRY(db_->Exec("DELETE FROM thing_policies WHERE name=?", {Value(name)}).status());
    TRY(RefreshPolicy(name));
  }
  Logger("devices")->info("policy deleted policy={}", name);
  return Status::Ok();
}

Status DeviceRegistry::AttachPolicy(const std::string& policy, const std::string& thing) {
  std::lock_guard<std::mutex> write(write_mu_);
  TRY(RequirePolicy(policy));
  TRY(ReadThing(thing).status());
  TRY(db_->Exec("INSERT INTO thing_policy_attachments(policy, thing) VALUES(?, ?) ON CONFLICT DO NOTHING",
                {Value(policy), Value(thing)})
          .status());
  return RefreshThing(thing);
}

Status DeviceRegistry::DetachPolicy(const std::string& policy, const std::string& thing) {
  {
    std::lock_guard<std::mutex> write(write_mu_);
    TRY(RequirePolicy(policy));
    TRY(ReadThing(thing).status());
    TRY_ASSIGN(int64_t removed, db_->Exec("DELETE FROM thing_policy_attachments "
                                          "WHERE policy=? AND thing=?",
                                          {Value(policy), Value(thing)}));
    if (removed == 0)
      return NotFound("policy '" + policy + "' is not attached to thing '" + thing + "'");
    TRY(RefreshThing(thing));
  }
  FireDeactivated(thing);
  return Status::Ok();
}

}  // namespace tributary::devices
