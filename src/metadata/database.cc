#include "metadata/database.h"

#include "metadata/postgres_database.h"
#include "metadata/sqlite_database.h"

namespace tributary::metadata {

int64_t Row::Int(size_t i) const {
  if (auto* v = std::get_if<int64_t>(&values[i])) return *v;
  if (auto* d = std::get_if<double>(&values[i])) return static_cast<int64_t>(*d);
  return 0;
}

double Row::Double(size_t i) const {
  if (auto* d = std::get_if<double>(&values[i])) return *d;
  if (auto* v = std::get_if<int64_t>(&values[i])) return static_cast<double>(*v);
  return 0;
}

std::string Row::Text(size_t i) const {
  if (auto* s = std::get_if<std::string>(&values[i])) return *s;
  if (auto* v = std::get_if<int64_t>(&values[i])) return std::to_string(*v);
  if (auto* d = std::get_if<double>(&values[i])) return std::to_string(*d);
  return "";
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  return SqliteDatabase::Open(path);
}

Status Database::Migrate(const std::string& component, int version, const std::string& ddl) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  TRY_ASSIGN(auto rows,
             Query("SELECT version FROM schema_versions WHERE component=?", {Value(component)}));
  int64_t current = rows.empty() ? 0 : rows[0].Int(0);
  if (current >= version) return Status::Ok();
  return Transaction([&]() -> Status {
    Status st = ExecScript(ddl);
    if (!st.ok()) {
      return IoError("metadata migration " + component + " v" + std::to_string(version) + ": " +
                     st.message());
    }
    return Exec("INSERT INTO schema_versions(component, version) VALUES(?, ?) "
                "ON CONFLICT(component) DO UPDATE SET version=excluded.version",
                {Value(component), Value(int64_t{version})})
        .status();
  });
}

bool IsPostgresUrl(std::string_view url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

Result<std::unique_ptr<Database>> OpenDatabase(const std::string& url,
                                               const std::string& sqlite_path) {
  if (url.empty()) return SqliteDatabase::Open(sqlite_path);
  if (IsPostgresUrl(url)) return PostgresDatabase::Connect(url);
  size_t colon = url.find("://");
  return InvalidArgument(
      "metadata_url: '" + (colon == std::string::npos ? url : url.substr(0, colon + 3) + "...") +
      "' is not a PostgreSQL URL (postgresql://[user[:password]@]host[:port]/database"
      "[?schema=name]); leave it empty for the SQLite file in the data directory");
}

}  // namespace tributary::metadata
