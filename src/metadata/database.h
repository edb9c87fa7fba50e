// The metadata database: things, policies, rules, streams, tables, jobs, models and
// endpoints. Each module owns its tables and creates them through Migrate() at start-up.
//
// Two backends behind one interface:
//   SQLite      one file, <data-dir>/metadata.db (sqlite_database.h): the default
//   PostgreSQL  a schema in a PostgreSQL database (postgres_database.h), chosen with
//               `metadata_url`, so that the metadata lives in a server of its own
// Statements are written once, in the dialect both take (`?` parameters, upserts with
// ON CONFLICT, RETURNING); the PostgreSQL backend rewrites what differs (sql_dialect.h).
//
// Thread-safety: a Database may be used from any thread; every call takes the
// database's mutex. Keep it off hot paths: modules cache what they need per message in
// memory.
//
//   TRY_ASSIGN(auto db, OpenDatabase(config.metadata_url, dir + "/metadata.db"));
//   TRY(db->Migrate("devices", 1, "CREATE TABLE things(name TEXT PRIMARY KEY, ...)"));
//   TRY(db->Exec("INSERT INTO things(name) VALUES(?)", {Value("sensor-1")}));
//   TRY_ASSIGN(auto rows, db->Query("SELECT name FROM things WHERE name=?", {Value(n)}));
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"

namespace tributary::metadata {

// A bound parameter or a column value. monostate is SQL NULL. A string is text or, in
// a BLOB column, bytes.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

struct Row {
  std::vector<Value> values;
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(values[i]); }
  int64_t Int(size_t i) const;        // 0 for NULL
  double Double(size_t i) const;      // 0 for NULL
  std::string Text(size_t i) const;   // "" for NULL
};

// A registration of Database::Watch; dropping it ends the calls (waiting for one that is
// running).
class ChangeWatch {
 public:
  virtual ~ChangeWatch() = default;
};

// Called with the key of a change another server announced ("" for "re-read everything").
using ChangeFn = std::function<void(const std::string& key)>;

class Database {
 public:
  // The SQLite database in the file at `path` (created if absent).
  static Result<std::unique_ptr<Database>> Open(const std::string& path);

  virtual ~Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `ddl` (one or more statements) once per (component, version); versions of a
  // component must be applied in increasing order and never edited once released.
  Status Migrate(const std::string& component, int version, const std::string& ddl);

  // A statement with `?` parameters; returns the number of rows changed.
  virtual Result<int64_t> Exec(const std::string& sql, const std::vector<Value>& params = {}) = 0;
  virtual Result<std::vector<Row>> Query(const std::string& sql,
                                         const std::vector<Value>& params = {}) = 0;

  // Runs `fn` inside a transaction (BEGIN ... COMMIT); rolls back if it returns an error.
  // `fn` may call Exec and Query (the mutex is recursive).
  virtual Status Transaction(const std::function<Status()>& fn) = 0;

  // Makes this process the only server using the database until it exits. SQLite: the
  // data directory's lock already is that, so nothing. PostgreSQL: an advisory lock on
  // the schema; FailedPrecondition naming the holder when another server has it.
  virtual Status HoldExclusively() { return Status::Ok(); }

  // Change notices between servers that share the database (PostgreSQL only: servers of
  // role `ingest` beside the control server). SQLite has one server to itself, so there
  // both do nothing.
  //
  // Announce: tells every other process watching this database that `key` of `topic`
  // changed ("rules", "to_lake"). Call it after the change is written; inside a
  // Transaction it goes out at COMMIT and not at all on ROLLBACK. A notice that cannot be
  // sent is logged: the change itself stands.
  virtual void Announce(std::string_view topic, std::string_view key) {
    (void)topic;
    (void)key;
  }
  // Calls `fn` with the key of each change another process announces on `topic`, on the
  // database's listener thread, in commit order; with "" after the listener's connection
  // was lost and made again (notices may have been missed: re-read everything). A change
  // committed after Watch returns is never missed, so register before loading what the
  // notices keep fresh. Unavailable if the listener cannot connect.
  virtual Result<std::unique_ptr<ChangeWatch>> Watch(const std::string& topic, ChangeFn fn) {
    (void)topic;
    (void)fn;
    return std::make_unique<ChangeWatch>();
  }

  // For logs and errors: "SQLite /data/metadata.db", "PostgreSQL 10.0.0.5:5432/iot
  // schema tributary" (never a password).
  virtual std::string Describe() const = 0;

  // Runs statements without parameters, as a migration's are (Migrate runs them inside
  // its transaction; copy.h runs the tables' definitions with it).
  virtual Status ExecScript(const std::string& ddl) = 0;

 protected:
  Database() = default;

  mutable std::recursive_mutex mu_;
};

// Whether `url` names a PostgreSQL database ("postgresql://..." or "postgres://...").
bool IsPostgresUrl(std::string_view url);

// `url` empty: the SQLite file at `sqlite_path`. "postgresql://..." or "postgres://...":
// PostgreSQL (postgres_database.h). Anything else is InvalidArgument naming metadata_url.
Result<std::unique_ptr<Database>> OpenDatabase(const std::string& url,
                                               const std::string& sqlite_path);

}  // namespace tributary::metadata
