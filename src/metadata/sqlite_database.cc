#include "metadata/sqlite_database.h"

#include <sqlite3.h>

namespace tributary::metadata {

Result<std::unique_ptr<Database>> SqliteDatabase::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string err = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (db) sqlite3_close(db);
    return IoError("cannot open metadata database '" + path + "': " + err);
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<SqliteDatabase> out(new SqliteDatabase(db, path));
  TRY(out->Exec("PRAGMA journal_mode=WAL").status());
  TRY(out->Exec("PRAGMA synchronous=NORMAL").status());
  TRY(out->Exec("PRAGMA foreign_keys=ON").status());
  TRY(out->Exec("CREATE TABLE IF NOT EXISTS schema_versions("
                "component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
          .status());
  return std::unique_ptr<Database>(std::move(out));
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close(db_); }

Status SqliteDatabase::ErrorStatus(const std::string& what) const {
  return IoError("metadata database " + Describe() + ": " + what + ": " + sqlite3_errmsg(db_));
}

Status SqliteDatabase::ExecScript(const std::string& ddl) {
  char* err = nullptr;
  if (sqlite3_exec(db_, ddl.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return IoError(msg);
  }
  return Status::Ok();
}

namespace {

struct StmtCloser {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

}  // namespace

Result<std::vector<Row>> SqliteDatabase::Query(const std::string& sql,
                                               const std::vector<Value>& params) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK)
    return ErrorStatus("prepare '" + sql + "'");
  std::unique_ptr<sqlite3_stmt, StmtCloser> stmt(raw);
  for (size_t i = 0; i < params.size(); ++i) {
    int idx = static_cast<int>(i + 1);
    const Value& v = params[i];
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::monostate>(v)) rc = sqlite3_bind_null(raw, idx);
    else if (auto* n = std::get_if<int64_t>(&v)) rc = sqlite3_bind_int64(raw, idx, *n);
    else if (auto* d = std::get_if<double>(&v)) rc = sqlite3_bind_double(raw, idx, *d);
    else {
      const std::string& s = std::get<std::string>(v);
      rc = sqlite3_bind_text(raw, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) return ErrorStatus("bind parameter " + std::to_string(idx));
  }
  std::vector<Row> rows;
  while (true) {
    int rc = sqlite3_step(raw);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return ErrorStatus("run '" + sql + "'");
    Row row;
    int n = sqlite3_column_count(raw);
    row.values.reserve(n);
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(raw, c)) {
        case SQLITE_NULL: row.values.emplace_back(std::monostate{}); break;
        case SQLITE_INTEGER: row.values.emplace_back(int64_t{sqlite3_column_int64(raw, c)}); break;
        case SQLITE_FLOAT: row.values.emplace_back(sqlite3_column_double(raw, c)); break;
        default: {
          const char* p = reinterpret_cast<const char*>(sqlite3_column_blob(raw, c));
          int len = sqlite3_column_bytes(raw, c);
          row.values.emplace_back(std::string(p ? p : "", static_cast<size_t>(len)));
        }
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<int64_t> SqliteDatabase::Exec(const std::string& sql, const std::vector<Value>& params) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  TRY(Query(sql, params).status());
  return static_cast<int64_t>(sqlite3_changes(db_));
}

Status SqliteDatabase::Transaction(const std::function<Status()>& fn) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  TRY(Exec("BEGIN IMMEDIATE").status());
  Status st = fn();
  if (!st.ok()) {
    (void)Exec("ROLLBACK");
    return st;
  }
  return Exec("COMMIT").status();
}

}  // namespace tributary::metadata
