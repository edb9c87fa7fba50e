// The SQLite backend of the metadata database (database.h): one file, WAL journal,
// serialized mode behind the database's mutex.
#pragma once

#include <memory>
#include <string>

#include "metadata/database.h"

struct sqlite3;

namespace tributary::metadata {

class SqliteDatabase : public Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const std::string& path);
  ~SqliteDatabase() override;

  Result<int64_t> Exec(const std::string& sql, const std::vector<Value>& params = {}) override;
  Result<std::vector<Row>> Query(const std::string& sql,
                                 const std::vector<Value>& params = {}) override;
  Status Transaction(const std::function<Status()>& fn) override;
  std::string Describe() const override { return "SQLite " + path_; }

  Status ExecScript(const std::string& ddl) override;

 private:
  SqliteDatabase(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status ErrorStatus(const std::string& what) const;

  sqlite3* db_;
  const std::string path_;
};

}  // namespace tributary::metadata
