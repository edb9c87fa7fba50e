#include "devices/shadow_store.h"

#include "base/clock.h"

namespace tributary::devices {
namespace {

using metadata::Value;
using nlohmann::json;

// The classic shadow is stored under the empty name. A deleted shadow stays as a row with
// deleted = 1 and its last version, from which a shadow made again continues.
constexpr char kSchemaV1[] = R"(
CREATE TABLE device_shadows (
  thing TEXT NOT NULL,
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  metadata TEXT NOT NULL,
  version INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (thing, name)
);
)";

bool ValidName(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ':' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

Status ValidateShadowNames(const std::string& thing, const std::string& shadow) {
  if (!ValidName(thing, 128)) return InvalidArgument("thing name '" + thing + "' is not 1..128 of [a-zA-Z0-9:_-]");
  if (!shadow.empty() && !ValidName(shadow, 64)) {
    return InvalidArgument("shadow name '" + shadow + "' is not 1..64 of [a-zA-Z0-9:_-]");
  }
  return Status::Ok();
}

Result<std::unique_ptr<ShadowStore>> ShadowStore::Open(metadata::Database* db) {
  TRY(db->Migrate("device_shadows", 1, kSchemaV1));
  return std::unique_ptr<ShadowStore>(new ShadowStore(db));
}

Result<ShadowDocument> ShadowStore::Get(const std::string& thing, const std::string& shadow) const {
  TRY_ASSIGN(auto rows,
             db_->Query("SELECT state, metadata, version, deleted FROM device_shadows WHERE thing=? AND name=?",
                        {Value(thing), Value(shadow)}));
  ShadowDocument doc;
  if (rows.empty()) return doc;
  doc.state = json::parse(rows[0].Text(0), nullptr, false);
  doc.metadata = json::parse(rows[0].Text(1), nullptr, false);
  if (!doc.state.is_object() || !doc.metadata.is_object()) {
    return Internal("the stored shadow of '" + thing + "' ('" + shadow + "') is not JSON objects");
  }
  doc.version = rows[0].Int(2);
  doc.exists = rows[0].Int(3) == 0;
  return doc;
}

Status ShadowStore::Put(const std::string& thing, const std::string& shadow, const ShadowDocument& doc,
                        int64_t read_version, bool read_existed) {
  const std::string state = doc.state.dump(), meta = doc.metadata.dump();
  if (read_version == 0) {
    auto inserted = db_->Exec(
        "INSERT INTO device_shadows(thing, name, state, metadata, version, deleted, updated_ms) "
        "VALUES(?, ?, ?, ?, ?, 0, ?) ON CONFLICT(thing, name) DO NOTHING",
        {Value(thing), Value(shadow), Value(state), Value(meta), Value(doc.version), Value(WallMillis())});
    if (!inserted.ok()) return inserted.status();
    if (*inserted == 0) return FailedPrecondition("the shadow was created meanwhile");
    changes_.fetch_add(1, std::memory_order_acq_rel);
    return Status::Ok();
  }
  TRY_ASSIGN(int64_t changed,
             db_->Exec("UPDATE device_shadows SET state=?, metadata=?, version=?, deleted=0, updated_ms=? "
                       "WHERE thing=? AND name=? AND version=? AND deleted=?",
                       {Value(state), Value(meta), Value(doc.version), Value(WallMillis()), Value(thing), Value(shadow),
                        Value(read_version), Value(int64_t{read_existed ? 0 : 1})}));
  if (changed == 0) return FailedPrecondition("the shadow changed meanwhile");
  changes_.fetch_add(1, std::memory_order_acq_rel);
  return Status::Ok();
}

Status ShadowStore::Delete(const std::string& thing, const std::string& shadow, int64_t read_version) {
  TRY_ASSIGN(int64_t changed,
             db_->Exec("UPDATE device_shadows SET state='{}', metadata='{}', deleted=1, updated_ms=? "
                       "WHERE thing=? AND name=? AND version=? AND deleted=0",
                       {Value(WallMillis()), Value(thing), Value(shadow), Value(read_version)}));
  if (changed == 0) return FailedPrecondition("the shadow changed meanwhile");
  changes_.fetch_add(1, std::memory_order_acq_rel);
  return Status::Ok();
}

Result<std::vector<std::string>> ShadowStore::ListNamed(const std::string& thing) const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT name FROM device_shadows WHERE thing=? AND name<>'' AND deleted=0 ORDER BY name",
                                   {Value(thing)}));
  std::vector<std::string> names;
  for (const auto& row : rows) names.push_back(row.Text(0));
  return names;
}

}  // namespace tributary::devices
