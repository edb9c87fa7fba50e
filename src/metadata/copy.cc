#include "metadata/copy.h"

#include <regex>

#include <fmt/format.h>

#include "metadata/postgres_database.h"
#include "metadata/sqlite_database.h"

namespace tributary::metadata {
namespace {

std::string Quoted(const std::string& identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

// The column a table's definition makes INTEGER PRIMARY KEY AUTOINCREMENT, or "".
std::string IdentityColumn(const std::string& ddl) {
  static const std::regex kIdentity(R"((\w+)\s+INTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT)",
                                    std::regex::icase);
  std::smatch m;
  return std::regex_search(ddl, m, kIdentity) ? m[1].str() : "";
}

Result<int64_t> CopyRows(Database& from, Database& to, const std::string& table) {
  TRY_ASSIGN(auto columns, from.Query("SELECT name FROM pragma_table_info(?) ORDER BY cid",
                                      {Value(table)}));
  std::string names, marks;
  for (const Row& c : columns) {
    names += (names.empty() ? "" : ", ") + Quoted(c.Text(0));
    marks += marks.empty() ? "?" : ", ?";
  }
  const std::string insert =
      fmt::format("INSERT INTO {}({}) VALUES({})", Quoted(table), names, marks);
  TRY_ASSIGN(auto rows, from.Query(fmt::format("SELECT {} FROM {}", names, Quoted(table))));
  for (size_t i = 0; i < rows.size(); ++i) {
    Status st = to.Exec(insert, rows[i].values).status();
    if (!st.ok()) {
      // The row by its first column (the key, in every store's tables).
      std::string first = rows[i].Text(0).substr(0, 64);
      return Status(st.code(), fmt::format("table {}, row {} of {} ({} '{}'): {}", table, i + 1,
                                           rows.size(), columns[0].Text(0), first, st.message()));
    }
  }
  return static_cast<int64_t>(rows.size());
}

}  // namespace

Result<CopySummary> CopyDatabase(Database& from, Database& to) {
  if (dynamic_cast<SqliteDatabase*>(&from) == nullptr) {
    return InvalidArgument("metadata copy: the source must be a SQLite database, not " +
                           from.Describe());
  }
  if (dynamic_cast<PostgresDatabase*>(&to) == nullptr) {
    return InvalidArgument("metadata copy: the destination must be a PostgreSQL database, not " +
                           to.Describe());
  }
  TRY_ASSIGN(auto applied, to.Query("SELECT component FROM schema_versions ORDER BY component"));
  if (!applied.empty()) {
    std::string components;
    for (const Row& r : applied) components += (components.empty() ? "" : ", ") + r.Text(0);
    return FailedPrecondition(fmt::format(
        "{} already holds metadata (migrations of {}); copy into an empty schema "
        "(?schema=another_name) or drop this one first",
        to.Describe(), components));
  }
  // Creation order: a table comes before the tables and indexes that refer to it.
  TRY_ASSIGN(auto objects,
             from.Query("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND "
                        "type IN ('table', 'index') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                        "AND name <> 'schema_versions' ORDER BY rowid"));
  TRY_ASSIGN(auto versions, from.Query("SELECT component, version FROM schema_versions"));
  CopySummary summary;
  TRY(to.Transaction([&]() -> Status {
    for (const Row& o : objects) {
      const std::string type = o.Text(0), name = o.Text(1), ddl = o.Text(2);
      Status made = to.ExecScript(ddl);
      if (!made.ok()) {
        return Status(made.code(), fmt::format("{} {}: {}", type, name, made.message()));
      }
      if (type == "index") {
        ++summary.indexes;
        continue;
      }
      TRY_ASSIGN(int64_t rows, CopyRows(from, to, name));
      summary.tables.push_back({name, rows});
      summary.rows += rows;
      if (std::string id = IdentityColumn(ddl); !id.empty()) {
        // The next id PostgreSQL hands out follows the largest one copied.
        TRY(to.Query(fmt::format("SELECT setval(pg_get_serial_sequence(?, ?), "
                                 "(SELECT COALESCE(MAX({0}), 0) + 1 FROM {1}), false)",
                                 Quoted(id), Quoted(name)),
                     {Value(name), Value(id)})
                .status());
      }
    }
    for (const Row& v : versions) {
      TRY(to.Exec("INSERT INTO schema_versions(component, version) VALUES(?, ?)", v.values)
              .status());
      ++summary.migrations;
    }
    return Status::Ok();
  }));
  return summary;
}

}  // namespace tributary::metadata
