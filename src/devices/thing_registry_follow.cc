// DeviceRegistry, servers sharing one PostgreSQL schema: changes other servers announce
// are read into this server's mirror.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/log.h"
#include "devices/thing_registry.h"

namespace tributary::devices {
namespace {

// What a thing may do, as the mirror holds it: compared before and after a change.
struct Access {
  bool exists = false;
  bool active = false;
  std::set<std::string> active_certificates;
  std::set<std::string> policies;
};

// True when a connection allowed under `before` may no longer be allowed under `after`.
bool LostAccess(const Access& before, const Access& after) {
  if (!before.exists) return false;
  if (!after.exists || (before.active && !after.active)) return true;
  for (const std::string& fp : before.active_certificates) {
    if (!after.active_certificates.count(fp)) return true;
  }
  for (const std::string& p : before.policies) {
    if (!after.policies.count(p)) return true;
  }
  return false;
}

// The names a notice's key stands for: itself, or for "" (anything may have changed) those
// in the table and those `held` in the mirror. nullopt (logged) if the table cannot be read.
std::optional<std::vector<std::string>> NamesToFollow(metadata::Database* db,
                                                      const std::string& key, const char* sql,
                                                      std::vector<std::string> held,
                                                      const char* what) {
  if (!key.empty()) return std::vector<std::string>{key};
  auto rows = db->Query(sql);
  if (!rows.ok()) {
    Logger("devices")->error("{} not re-read after changes on other servers: {}", what,
                             rows.status().ToString());
    return std::nullopt;
  }
  std::set<std::string> all(held.begin(), held.end());
  for (const auto& row : *rows) all.insert(row.Text(0));
  return std::vector<std::string>(all.begin(), all.end());
}

}  // namespace

Status DeviceRegistry::FollowOtherServers() {
  TRY_ASSIGN(auto things, db_->Watch("things", [this](const std::string& name) { FollowThing(name); }));
  watches_.push_back(std::move(things));
  TRY_ASSIGN(auto policies,
             db_->Watch("policies", [this](const std::string& name) { FollowPolicy(name); }));
  watches_.push_back(std::move(policies));
  return Status::Ok();
}

void DeviceRegistry::FollowThing(const std::string& name) {
  auto snapshot = [this](const std::string& thing) {
    Access a;
    std::shared_lock<std::shared_mutex> lock(mirror_mu_);
    auto it = things_.find(thing);
    if (it == things_.end()) return a;
    a.exists = true;
    a.active = it->second.active;
    for (const std::string& fp : it->second.fingerprints) {
      auto cert = certs_.find(fp);
      if (cert != certs_.end() && cert->second.status == CertificateStatus::kActive)
        a.active_certificates.insert(fp);
    }
    a.policies.insert(it->second.policies.begin(), it->second.policies.end());
    return a;
  };
  std::vector<std::string> held;
  if (name.empty()) {
    std::shared_lock<std::shared_mutex> lock(mirror_mu_);
    for (const auto& [thing, cached] : things_) held.push_back(thing);
  }
  auto names = NamesToFollow(db_, name, "SELECT name FROM things", std::move(held), "things");
  if (!names) return;
  std::vector<std::string> lost;
  {
    std::lock_guard<std::mutex> write(write_mu_);
    for (const std::string& thing : *names) {
      Access before = snapshot(thing);
      if (Status st = MirrorThing(thing); !st.ok()) {
        Logger("devices")->error("thing={} not re-read after a change on another server: {}",
                                 thing, st.ToString());
        continue;
      }
      if (LostAccess(before, snapshot(thing))) lost.push_back(thing);
    }
  }
  for (const std::string& thing : lost) {
    Logger("devices")->info("thing={} lost access on another server: its connections here close",
                            thing);
    FireDeactivated(thing);
  }
}

void DeviceRegistry::FollowPolicy(const std::string& name) {
  auto source = [this](const std::string& policy) {
    std::shared_lock<std::shared_mutex> lock(mirror_mu_);
    auto it = policies_.find(policy);
    return it == policies_.end() ? std::string() : it->second->source.dump();
  };
  std::vector<std::string> held;
  if (name.empty()) {
    std::shared_lock<std::shared_mutex> lock(mirror_mu_);
    for (const auto& [policy, doc] : policies_) held.push_back(policy);
  }
  auto names =
      NamesToFollow(db_, name, "SELECT name FROM thing_policies", std::move(held), "policies");
  if (!names) return;
  std::set<std::string> affected;
  {
    std::lock_guard<std::mutex> write(write_mu_);
    for (const std::string& policy : *names) {
      std::string before = source(policy);
      if (Status st = MirrorPolicy(policy); !st.ok()) {
        Logger("devices")->error("policy={} not re-read after a change on another server: {}",
                                 policy, st.ToString());
        continue;
      }
      if (before.empty() || source(policy) == before) continue;
      // Changed or deleted: what it allowed may be gone.
      auto things = AttachedThings(policy);
      if (things.ok()) affected.insert(things->begin(), things->end());
    }
  }
  for (const std::string& thing : affected) FireDeactivated(thing);
}

}  // namespace tributary::devices
