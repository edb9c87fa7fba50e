// The metadata database: one SQLite file (<data-dir>/metadata.db) holding things,
// policies, rules, streams, tables, jobs, models and endpoints. Each module owns its
// tables and creates them through Migrate() at start-up.
//
// Thread-safety: a Database may be used from any thread; every call takes the
// database's mutex (SQLite runs in serialized mode behind it). Keep it off hot paths:
// modules cache what they need per message in memory.
//
//   auto db = Database::Open(dir + "/metadata.db");
//   TRY(db->Migrate("devices", 1, "CREATE TABLE things(name TEXT PRIMARY KEY, ...)"));
//   TRY(db->Exec("INSERT INTO things(name) VALUES(?)", {Value("sensor-1")}));
//   TRY_ASSIGN(auto rows, db->Query("SELECT name FROM things WHERE name=?", {Value(n)}));
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/status.h"

struct sqlite3;

namespace tributary::metadata {

// A bound parameter or a column value. monostate is SQL NULL.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

struct Row {
  std::vector<Value> values;
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(values[i]); }
  int64_t Int(size_t i) const;        // 0 for NULL
  double Double(size_t i) const;      // 0 for NULL
  std::string Text(size_t i) const;   // "" for NULL
};

class Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `ddl` once per (component, version); versions of a component must be applied
  // in increasing order and never edited once released.
  Status Migrate(const std::string& component, int version, const std::string& ddl);

  // A statement with `?` parameters; returns the number of rows changed.
  Result<int64_t> Exec(const std::string& sql, const std::vector<Value>& params = {});
  Result<std::vector<Row>> Query(const std::string& sql, const std::vector<Value>& params = {});

  // Runs `fn` inside BEGIN IMMEDIATE ... COMMIT; rolls back if it returns an error.
  // `fn` may call Exec and Query (the mutex is recursive).
  Status Transaction(const std::function<Status()>& fn);

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  Status ErrorStatus(const std::string& what) const;

  sqlite3* db_;
  mutable std::recursive_mutex mu_;
};

}  // namespace tributary::metadata
