#include "monitor/monitor_store.h"

namespace tributary::monitor {

namespace {

using metadata::Value;
using nlohmann::json;

constexpr char kSchemaV1[] = R"sql(
CREATE TABLE monitors(name TEXT PRIMARY KEY, created_ms INTEGER NOT NULL,
                      spec TEXT NOT NULL, state TEXT NOT NULL);
)sql";

}  // namespace

Result<std::unique_ptr<MonitorStore>> MonitorStore::Open(metadata::Database* db) {
  TRY(db->Migrate("monitor", 1, kSchemaV1));
  return std::unique_ptr<MonitorStore>(new MonitorStore(db));
}

Status MonitorStore::Insert(const StoredMonitor& m) {
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(auto rows, db_->Query("SELECT 1 FROM monitors WHERE name=?", {Value(m.name)}));
    if (!rows.empty()) return AlreadyExists("monitor '" + m.name + "' already exists");
    TRY(db_->Exec("INSERT INTO monitors(name, created_ms, spec, state) VALUES(?, ?, ?, ?)",
                  {Value(m.name), Value(m.created_ms), Value(m.spec.dump()), Value(m.state.dump())})
            .status());
    return Status::Ok();
  });
}

Status MonitorStore::SaveState(const std::string& name, const json& state) {
  TRY_ASSIGN(int64_t changed, db_->Exec("UPDATE monitors SET state=? WHERE name=?", {Value(state.dump()), Value(name)}));
  if (changed == 0) return NotFound("monitor '" + name + "' does not exist");
  return Status::Ok();
}

Status MonitorStore::Delete(const std::string& name) {
  TRY_ASSIGN(int64_t changed, db_->Exec("DELETE FROM monitors WHERE name=?", {Value(name)}));
  if (changed == 0) return NotFound("monitor '" + name + "' does not exist");
  return Status::Ok();
}

Result<std::vector<StoredMonitor>> MonitorStore::List() const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT name, created_ms, spec, state FROM monitors ORDER BY created_ms, name"));
  std::vector<StoredMonitor> out;
  for (const auto& row : rows) {
    StoredMonitor m{row.Text(0), row.Int(1), json::parse(row.Text(2), nullptr, false),
                    json::parse(row.Text(3), nullptr, false)};
    if (m.spec.is_discarded()) return Internal("monitor '" + m.name + "': its stored definition is not JSON");
    if (m.state.is_discarded()) m.state = json::object();
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace tributary::monitor
