#include "lake/run_table.h"

#include <utility>

namespace tributary::lake {

using metadata::Value;
using nlohmann::json;

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kSucceeded:
      return "succeeded";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kCancelled:
      return "cancelled";
  }
  return "running";
}

RunStatus ParseRunStatus(std::string_view name) {
  if (name == "succeeded") return RunStatus::kSucceeded;
  if (name == "failed") return RunStatus::kFailed;
  if (name == "cancelled") return RunStatus::kCancelled;
  return RunStatus::kRunning;
}

RunTable::RunTable(metadata::Database* db, std::string table, std::string owner_column,
                   std::string owner_kind)
    : db_(db),
      table_(std::move(table)),
      owner_column_(std::move(owner_column)),
      owner_kind_(std::move(owner_kind)) {}

Result<int64_t> RunTable::Insert(const std::string& owner, RunStatus status, int64_t started_ms,
                                 const std::function<json(int64_t id)>& result) {
  int64_t id = 0;
  TRY(db_->Transaction([&]() -> Status {
    TRY_ASSIGN(auto rows, db_->Query("INSERT INTO " + table_ + "(" + owner_column_ +
                                         ", status, started_ms, result) VALUES(?, ?, ?, '{}') "
                                         "RETURNING id",
                                     {Value(owner), Value(std::string(RunStatusName(status))),
                                      Value(started_ms)}));
    id = rows[0].Int(0);
    return db_
        ->Exec("UPDATE " + table_ + " SET result=? WHERE id=?",
               {Value(result(id).dump()), Value(id)})
        .status();
  }));
  return id;
}

Status RunTable::Update(int64_t id, RunStatus status, const json& result) {
  return db_
      ->Exec("UPDATE " + table_ + " SET status=?, result=? WHERE id=?",
             {Value(std::string(RunStatusName(status))), Value(result.dump()), Value(id)})
      .status();
}

Result<json> RunTable::Get(const std::string& owner, int64_t id) const {
  TRY_ASSIGN(auto runs,
             Results("SELECT result FROM " + table_ + " WHERE " + owner_column_ + "=? AND id=?",
                     {Value(owner), Value(id)}));
  if (runs.empty()) {
    return NotFound(owner_kind_ + " '" + owner + "' has no run " + std::to_string(id));
  }
  return std::move(runs[0]);
}

Result<std::vector<json>> RunTable::Newest(const std::string& owner, int limit) const {
  return Results(
      "SELECT result FROM " + table_ + " WHERE " + owner_column_ + "=? ORDER BY id DESC LIMIT ?",
      {Value(owner), Value(int64_t{limit})});
}

Result<std::vector<json>> RunTable::Running() const {
  return Results("SELECT result FROM " + table_ + " WHERE status='running' ORDER BY id", {});
}

Status RunTable::DeleteAll(const std::string& owner) {
  return db_->Exec("DELETE FROM " + table_ + " WHERE " + owner_column_ + "=?", {Value(owner)})
      .status();
}

Result<std::vector<json>> RunTable::Results(const std::string& sql, std::vector<Value> args) const {
  TRY_ASSIGN(auto rows, db_->Query(sql, args));
  std::vector<json> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(json::parse(r.Text(0), nullptr, false));
  return out;
}

}  // namespace tributary::lake
