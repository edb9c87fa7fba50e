// The PostgreSQL backend of the metadata database (database.h), chosen with
// `metadata_url`: the metadata then lives in a server of its own (replicated, backed up,
// reachable from other machines) instead of the data directory's SQLite file.
//
//   postgresql://[user[:password]@]host[:port]/database[?schema=name&<libpq parameter>=...]
//
// The tables live in `schema` (default "tributary"; lower-case letters, digits and '_'),
// created when absent, so several deployments can share one database. libpq's own URL
// parameters (sslmode, sslrootcert, connect_timeout, ...) pass through; connect_timeout
// defaults to 10 s. Statements are rewritten from the stores' dialect (sql_dialect.h).
// Parameters go out as text (numbers) or as bytes (strings: text and BYTEA alike); column
// values come back by type: integers and booleans as int64, floating-point as double,
// NUMERIC as whichever it holds, BYTEA as its bytes, the rest as text.
//
// One connection behind the database's mutex. A connection lost between transactions is
// made again once per statement (the schema's lock retaken, see HoldExclusively); one
// lost inside a transaction fails it. Change notices (Announce, Watch) are pg_notify on
// that connection and a second connection that LISTENs (postgres_listener.h), made at
// the first Watch.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "metadata/database.h"

struct pg_conn;

namespace tributary::metadata {

class PostgresDatabase : public Database {
 public:
  static Result<std::unique_ptr<Database>> Connect(const std::string& url);
  ~PostgresDatabase() override;

  Result<int64_t> Exec(const std::string& sql, const std::vector<Value>& params = {}) override;
  Result<std::vector<Row>> Query(const std::string& sql,
                                 const std::vector<Value>& params = {}) override;
  Status Transaction(const std::function<Status()>& fn) override;
  // A session-level advisory lock keyed by the schema's name: held while the connection
  // lives, released by PostgreSQL if this process dies.
  Status HoldExclusively() override;
  std::string Describe() const override { return describe_; }
  void Announce(std::string_view topic, std::string_view key) override;
  Result<std::unique_ptr<ChangeWatch>> Watch(const std::string& topic, ChangeFn fn) override;

  Status ExecScript(const std::string& ddl) override;

 private:
  PostgresDatabase(pg_conn* conn, std::string schema,
                   std::vector<std::pair<std::string, std::string>> params);
  Status SetUpSession();  // search_path (and the lock, if held), after each connect
  Status TakeLock();
  Result<std::vector<Row>> Run(const std::string& sql, const std::vector<Value>& params,
                               int64_t* changed);
  Status Reconnect();
  Status Failure(const std::string& what) const;

  pg_conn* conn_;
  const std::string schema_;
  const std::vector<std::pair<std::string, std::string>> params_;  // libpq's, to connect again
  const std::string sender_;  // this process's id in change notices
  std::unique_ptr<class PostgresListener> listener_;  // made at the first Watch
  std::string describe_;
  bool hold_lock_ = false;
  int in_transaction_ = 0;
  bool reconnecting_ = false;
  std::unordered_map<std::string, std::string> translated_;  // store SQL -> PostgreSQL's
};

}  // namespace tributary::metadata
