#include "lake/catalog.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "base/clock.h"
#include "lake/hive_type.h"

namespace tributary::lake {
namespace {

using metadata::Row;
using metadata::Value;
using nlohmann::json;

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE lake_databases(
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE lake_tables(
  database TEXT NOT NULL,
  name TEXT NOT NULL,
  location TEXT NOT NULL,           -- LakePath::ToString()
  format TEXT NOT NULL,             -- "json" | "parquet"
  compression TEXT NOT NULL,
  record_count INTEGER NOT NULL,
  object_count INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL,
  last_crawl_ms INTEGER NOT NULL,
  version INTEGER NOT NULL,         -- current row of lake_table_versions
  parameters TEXT NOT NULL,         -- JSON object of strings
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY(database, name)
);
CREATE TABLE lake_table_versions(
  database TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  columns TEXT NOT NULL,            -- JSON [{"name", "type", "comment"}]
  partition_keys TEXT NOT NULL,     -- same shape
  created_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY(database, name, version)
);
CREATE TABLE lake_partitions(
  database TEXT NOT NULL,
  table_name TEXT NOT NULL,
  partition_values TEXT NOT NULL,   -- JSON array of strings
  location TEXT NOT NULL,
  record_count INTEGER NOT NULL,
  object_count INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY(database, table_name, partition_values)
);
)sql";

// Glue's partition indexes: named lists of a table's partition keys (catalog_partition_indexes.cc).
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE lake_partition_indexes(
  database TEXT NOT NULL,
  table_name TEXT NOT NULL,
  name TEXT NOT NULL,
  keys TEXT NOT NULL,               -- JSON array of partition key names
  created_ms INTEGER NOT NULL,
  PRIMARY KEY(database, table_name, name)
);
)sql";

std::string ColumnsToJson(const std::vector<Column>& columns) {
  json out = json::array();
  for (const auto& c : columns)
    out.push_back({{"name", c.name}, {"type", c.type}, {"comment", c.comment}});
  return out.dump();
}

Result<std::vector<Column>> ColumnsFromJson(const std::string& text, const std::string& where) {
  json in = json::parse(text, nullptr, false);
  if (!in.is_array())
    return DataLoss("catalog: the stored columns of " + where + " are not a JSON array");
  std::vector<Column> out;
  for (const auto& c : in) {
    if (!c.is_object())
      return DataLoss("catalog: a stored column of " + where + " is not an object");
    out.push_back({c.value("name", ""), c.value("type", "string"), c.value("comment", "")});
  }
  return out;
}

std::string ValuesKey(const std::vector<std::string>& values) { return json(values).dump(); }

std::string Qualified(const std::string& database, const std::string& table) {
  return "table '" + database + "." + table + "'";
}

Status ValidateColumns(const std::vector<Column>& columns, const std::vector<Column>& keys,
                       const std::string& where) {
  if (columns.empty()) return InvalidArgument(where + " needs at least one column");
  std::set<std::string> seen;
  auto check = [&](const Column& c, const char* what) -> Status {
    if (c.name.empty()) return InvalidArgument(where + ": a " + what + " has an empty name");
    for (char ch : c.name) {
      if (static_cast<unsigned char>(ch) < 0x20) {
        return InvalidArgument(where + ": " + what + " '" + c.name + "' holds a control character");
      }
    }
    if (!seen.insert(c.name).second) {
      return InvalidArgument(where + ": the name '" + c.name +
                             "' is used twice (columns and partition keys share one namespace)");
    }
    auto type = ParseHiveType(c.type);
    if (!type.ok())
      return InvalidArgument(where + ": " + what + " '" + c.name + "': " + type.status().message());
    return Status::Ok();
  };
  for (const auto& c : columns) TRY(check(c, "column"));
  for (const auto& k : keys) TRY(check(k, "partition key"));
  return Status::Ok();
}

std::string ParametersToJson(const std::map<std::string, std::string>& p) { return json(p).dump(); }

std::map<std::string, std::string> ParametersFromJson(const std::string& text) {
  std::map<std::string, std::string> out;
  json in = json::parse(text, nullptr, false);
  if (!in.is_object()) return out;
  for (auto it = in.begin(); it != in.end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

constexpr const char* kTableColumns =
    "t.database, t.name, t.location, t.format, t.compression, t.record_count, t.object_count, "
    "t.size_bytes, t.last_crawl_ms, t.version, t.parameters, t.created_ms, t.updated_ms, "
    "v.columns, v.partition_keys";

Result<Table> TableFromRow(const Row& row) {
  Table t;
  t.database = row.Text(0);
  t.name = row.Text(1);
  std::string where = Qualified(t.database, t.name);
  auto location = LakePath::Parse(row.Text(2));
  if (!location.ok()) return DataLoss("catalog: " + where + ": " + location.status().message());
  t.location = *location;
  auto format = ParseDataFormat(row.Text(3));
  t.format = format.ok() ? *format : DataFormat::kJson;
  t.compression = row.Text(4);
  t.record_count = row.Int(5);
  t.object_count = row.Int(6);
  t.size_bytes = row.Int(7);
  t.last_crawl_ms = row.Int(8);
  t.version = row.Int(9);
  t.parameters = ParametersFromJson(row.Text(10));
  t.created_ms = row.Int(11);
  t.updated_ms = row.Int(12);
  TRY_ASSIGN(t.columns, ColumnsFromJson(row.Text(13), where));
  TRY_ASSIGN(t.partition_keys, ColumnsFromJson(row.Text(14), where));
  return t;
}

Result<Partition> PartitionFromRow(const Row& row) {
  Partition p;
  json values = json::parse(row.Text(0), nullptr, false);
  if (!values.is_array())
    return DataLoss("catalog: stored partition values '" + row.Text(0) + "' are not an array");
  for (const auto& v : values) p.values.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  auto location = LakePath::Parse(row.Text(1));
  if (location.ok()) p.location = *location;
  p.record_count = row.Int(2);
  p.object_count = row.Int(3);
  p.size_bytes = row.Int(4);
  p.created_ms = row.Int(5);
  p.updated_ms = row.Int(6);
  return p;
}

}  // namespace

std::string_view DataFormatName(DataFormat format) {
  return format == DataFormat::kParquet ? "parquet" : "json";
}

Result<DataFormat> ParseDataFormat(std::string_view name) {
  if (name == "json") return DataFormat::kJson;
  if (name == "parquet") return DataFormat::kParquet;
  return InvalidArgument("format '" + std::string(name) + "' is not one of json, parquet");
}

Status ValidateCatalogName(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > 255) {
    return InvalidArgument(std::string(what) + " name '" + std::string(name) +
                           "' must be 1..255 characters of a-z, 0-9 and _");
  }
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      return InvalidArgument(std::string(what) + " name '" + std::string(name) + "' contains '" +
                             std::string(1, c) + "'; use a-z, 0-9 and _");
    }
  }
  return Status::Ok();
}

std::string SanitizeName(std::string_view text) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(std::isalnum(u) && u < 0x80 ? static_cast<char>(std::tolower(u)) : '_');
  }
  if (out.empty()) out = "_";
  if (out.size() > 255) out.resize(255);
  return out;
}

Result<std::unique_ptr<Catalog>> Catalog::Open(metadata::Database* db) {
  TRY(db->Migrate("lake", 1, kSchemaV1));
  TRY(db->Migrate("lake", 2, kSchemaV2));
  return std::unique_ptr<Catalog>(new Catalog(db));
}

// --- databases ---

Result<CatalogDatabase> Catalog::CreateDatabase(const std::string& name,
                                                const std::string& description,
                                                bool if_not_exists) {
  TRY(ValidateCatalogName("database", name));
  CatalogDatabase out;
  Status st = db_->Transaction([&]() -> Status {
    TRY_ASSIGN(auto rows,
               db_->Query("SELECT name, description, created_ms FROM lake_databases WHERE name=?",
                          {Value(name)}));
    if (!rows.empty()) {
      if (!if_not_exists) return AlreadyExists("database '" + name + "' already exists");
      out = {rows[0].Text(0), rows[0].Text(1), rows[0].Int(2)};
      return Status::Ok();
    }
    out = {name, description, WallMillis()};
    return db_
        ->Exec("INSERT INTO lake_databases(name, description, created_ms) VALUES(?, ?, ?)",
               {Value(name), Value(description), Value(out.created_ms)})
        .status();
  });
  TRY(st);
  return out;
}

Status Catalog::SetDatabaseDescription(const std::string& name, const std::string& description) {
  TRY_ASSIGN(int64_t changed, db_->Exec("UPDATE lake_databases SET description=? WHERE name=?",
                                        {Value(description), Value(name)}));
  if (changed == 0) return NotFound("database '" + name + "' does not exist (see 'tributary catalog databases')");
  return Status::Ok();
}

Result<CatalogDatabase> Catalog::GetDatabase(const std::string& name) const {
  TRY_ASSIGN(auto rows,
             db_->Query("SELECT name, description, created_ms FROM lake_databases WHERE name=?",
                        {Value(name)}));
  if (rows.empty())
    return NotFound("database '" + name + "' does not exist (see 'tributary catalog databases')");
  return CatalogDatabase{rows[0].Text(0), rows[0].Text(1), rows[0].Int(2)};
}

Result<std::vector<CatalogDatabase>> Catalog::ListDatabases() const {
  TRY_ASSIGN(auto rows,
             db_->Query("SELECT name, description, created_ms FROM lake_databases ORDER BY name"));
  std::vector<CatalogDatabase> out;
  for (const auto& r : rows) out.push_back({r.Text(0), r.Text(1), r.Int(2)});
  return out;
}

Status Catalog::DeleteDatabase(const std::string& name, bool cascade) {
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(auto rows,
               db_->Query("SELECT name FROM lake_databases WHERE name=?", {Value(name)}));
    if (rows.empty()) return NotFound("database '" + name + "' does not exist");
    TRY_ASSIGN(auto tables,
               db_->Query("SELECT COUNT(*) FROM lake_tables WHERE database=?", {Value(name)}));
    if (tables[0].Int(0) > 0 && !cascade) {
      return FailedPrecondition("database '" + name + "' holds " +
                                std::to_string(tables[0].Int(0)) +
                                " tables; delete them first or delete with cascade");
    }
    for (const char* sql :
         {"DELETE FROM lake_partitions WHERE database=?",
          "DELETE FROM lake_partition_indexes WHERE database=?",
          "DELETE FROM lake_table_versions WHERE database=?",
          "DELETE FROM lake_tables WHERE database=?", "DELETE FROM lake_databases WHERE name=?"}) {
      TRY(db_->Exec(sql, {Value(name)}).status());
    }
    return Status::Ok();
  });
}

// --- tables ---

Result<Table> Catalog::GetTable(const std::string& database, const std::string& table) const {
  TRY_ASSIGN(auto rows,
             db_->Query(std::string("SELECT ") + kTableColumns +
                            " FROM lake_tables t JOIN lake_table_versions v ON "
                            "v.database=t.database AND v.name=t.name AND v.version=t.version "
                            "WHERE t.database=? AND t.name=?",
                        {Value(database), Value(table)}));
  if (rows.empty()) {
    return NotFound(Qualified(database, table) +
                    " does not exist (see 'tributary catalog tables')");
  }
  return TableFromRow(rows[0]);
}

Result<std::vector<Table>> Catalog::ListTables(const std::string& database) const {
  std::string sql = std::string("SELECT ") + kTableColumns +
                    " FROM lake_tables t JOIN lake_table_versions v ON "
                    "v.database=t.database AND v.name=t.name AND v.version=t.version";
  std::vector<Value> params;
  if (!database.empty()) {
    TRY(GetDatabase(database).status());
    sql += " WHERE t.database=?";
    params.push_back(Value(database));
  }
  sql += " ORDER BY t.database, t.name";
  TRY_ASSIGN(auto rows, db_->Query(sql, params));
  std::vector<Table> out;
  for (const auto& r : rows) {
    TRY_ASSIGN(Table t, TableFromRow(r));
    out.push_back(std::move(t));
  }
  return out;
}

Result<UpsertResult> Catalog::UpsertTable(const std::string& database, const std::string& table,
                                          const TableInput& input) {
  TRY(ValidateCatalogName("database", database));
  TRY(ValidateCatalogName("table", table));
  std::string where = Qualified(database, table);
  TRY(ValidateColumns(input.columns, input.partition_keys, where));
  if (input.location.bucket.empty()) return InvalidArgument(where + " needs a location");
  UpsertResult result;
  Status st = db_->Transaction([&]() -> Status {
    TRY(GetDatabase(database).status());
    int64_t now = WallMillis();
    auto existing = GetTable(database, table);
    if (!existing.ok() && existing.status().code() != ErrorCode::kNotFound)
      return existing.status();
    int64_t version = 1;
    std::string compression = input.compression.empty() ? "none" : input.compression;
    std::map<std::string, std::string> parameters = input.parameters;
    int64_t created_ms = now;
    if (existing.ok()) {
      const Table& old = *existing;
      bool same = old.columns == input.columns && old.partition_keys == input.partition_keys;
      version = same ? old.version : old.version + 1;
      result.new_version = !same;
      if (input.compression.empty()) compression = old.compression;
      if (input.parameters.empty()) parameters = old.parameters;
      created_ms = old.created_ms;
    } else {
      result.created = true;
      result.new_version = true;
    }
    if (result.new_version) {
      TRY(db_->Exec(
                 "INSERT INTO lake_table_versions(database, name, version, columns, "
                 "partition_keys, "
                 "created_ms, created_by) VALUES(?, ?, ?, ?, ?, ?, ?)",
                 {Value(database), Value(table), Value(version),
                  Value(ColumnsToJson(input.columns)), Value(ColumnsToJson(input.partition_keys)),
                  Value(now), Value(input.updated_by)})
              .status());
    }
    TRY(db_->Exec("INSERT INTO lake_tables(database, name, location, format, compression, "
                  "record_count, "
                  "object_count, size_bytes, last_crawl_ms, version, parameters, created_ms, "
                  "updated_ms) "
                  "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(database, name) DO "
                  "UPDATE SET "
                  "location=excluded.location, format=excluded.format, "
                  "compression=excluded.compression, "
                  "record_count=excluded.record_count, object_count=excluded.object_count, "
                  "size_bytes=excluded.size_bytes, last_crawl_ms=excluded.last_crawl_ms, "
                  "version=excluded.version, parameters=excluded.parameters, "
                  "updated_ms=excluded.updated_ms",
                  {Value(database), Value(table), Value(input.location.ToString()),
                   Value(std::string(DataFormatName(input.format))), Value(compression),
                   Value(input.record_count), Value(input.object_count), Value(input.size_bytes),
                   Value(input.last_crawl_ms), Value(version), Value(ParametersToJson(parameters)),
                   Value(created_ms), Value(now)})
            .status());
    TRY_ASSIGN(result.table, GetTable(database, table));
    return Status::Ok();
  });
  TRY(st);
  return result;
}

Status Catalog::DeleteTable(const std::string& database, const std::string& table) {
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(int64_t n, db_->Exec("DELETE FROM lake_tables WHERE database=? AND name=?",
                                    {Value(database), Value(table)}));
    if (n == 0) return NotFound(Qualified(database, table) + " does not exist");
    TRY(db_->Exec("DELETE FROM lake_table_versions WHERE database=? AND name=?",
                  {Value(database), Value(table)})
            .status());
    TRY(db_->Exec("DELETE FROM lake_partition_indexes WHERE database=? AND table_name=?",
                  {Value(database), Value(table)})
            .status());
    return db_
        ->Exec("DELETE FROM lake_partitions WHERE database=? AND table_name=?",
               {Value(database), Value(table)})
        .status();
  });
}

// --- versions ---

Result<std::vector<TableVersion>> Catalog::ListVersions(const std::string& database,
                                                        const std::string& table) const {
  TRY(GetTable(database, table).status());
  TRY_ASSIGN(auto rows,
             db_->Query("SELECT version, columns, partition_keys, created_ms, created_by "
                        "FROM lake_table_versions WHERE database=? AND name=? ORDER BY version",
                        {Value(database), Value(table)}));
  std::vector<TableVersion> out;
  std::string where = Qualified(database, table);
  for (const auto& r : rows) {
    TableVersion v;
    v.version = r.Int(0);
    TRY_ASSIGN(v.columns, ColumnsFromJson(r.Text(1), where));
    TRY_ASSIGN(v.partition_keys, ColumnsFromJson(r.Text(2), where));
    v.created_ms = r.Int(3);
    v.created_by = r.Text(4);
    out.push_back(std::move(v));
  }
  return out;
}

Result<TableVersion> Catalog::GetVersion(const std::string& database, const std::string& table,
                                         int64_t version) const {
  TRY_ASSIGN(auto versions, ListVersions(database, table));
  for (auto& v : versions) {
    if (v.version == version) return std::move(v);
  }
  return NotFound(Qualified(database, table) + " has no version " + std::to_string(version) +
                  " (it has 1.." + std::to_string(versions.empty() ? 0 : versions.back().version) +
                  ")");
}

// --- partitions ---

Status Catalog::AddPartitions(const std::string& database, const std::string& table,
                              const std::vector<Partition>& partitions, PartitionMerge merge) {
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(Table t, GetTable(database, table));
    int64_t now = WallMillis();
    for (const auto& p : partitions) {
      if (p.values.size() != t.partition_keys.size()) {
        return InvalidArgument("partition " + ValuesKey(p.values) + " of " +
                               Qualified(database, table) + " has " +
                               std::to_string(p.values.size()) + " values but the table has " +
                               std::to_string(t.partition_keys.size()) + " partition keys");
      }
      std::string conflict =
          merge == PartitionMerge::kReplace
              ? "location=excluded.location, record_count=excluded.record_count, "
                "object_count=excluded.object_count, size_bytes=excluded.size_bytes"
              // The stored row's columns named with the table's name: PostgreSQL has
              // them ambiguous with excluded's otherwise.
              : "record_count=lake_partitions.record_count+excluded.record_count, "
                "object_count=lake_partitions.object_count+excluded.object_count, "
                "size_bytes=lake_partitions.size_bytes+excluded.size_bytes";
      LakePath location = p.location.bucket.empty() ? t.location : p.location;
      TRY(db_->Exec("INSERT INTO lake_partitions(database, table_name, partition_values, location, "
                    "record_count, "
                    "object_count, size_bytes, created_ms, updated_ms) VALUES(?, ?, ?, ?, ?, ?, ?, "
                    "?, ?) "
                    "ON CONFLICT(database, table_name, partition_values) DO UPDATE SET " +
                        conflict + ", updated_ms=excluded.updated_ms",
                    {Value(database), Value(table), Value(ValuesKey(p.values)),
                     Value(location.ToString()), Value(p.record_count), Value(p.object_count),
                     Value(p.size_bytes), Value(now), Value(now)})
              .status());
    }
    return Status::Ok();
  });
}

Result<std::vector<Partition>> Catalog::ListPartitions(const std::string& database,
                                                       const std::string& table) const {
  TRY(GetTable(database, table).status());
  TRY_ASSIGN(
      auto rows,
      db_->Query("SELECT partition_values, location, record_count, object_count, size_bytes, "
                 "created_ms, updated_ms FROM lake_partitions WHERE database=? AND table_name=?",
                 {Value(database), Value(table)}));
  std::vector<Partition> out;
  for (const auto& r : rows) {
    TRY_ASSIGN(Partition p, PartitionFromRow(r));
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(),
            [](const Partition& a, const Partition& b) { return a.values < b.values; });
  return out;
}

Result<Partition> Catalog::GetPartition(const std::string& database, const std::string& table,
                                        const std::vector<std::string>& values) const {
  TRY(GetTable(database, table).status());
  TRY_ASSIGN(
      auto rows,
      db_->Query("SELECT partition_values, location, record_count, object_count, size_bytes, "
                 "created_ms, updated_ms FROM lake_partitions WHERE database=? AND "
                 "table_name=? AND partition_values=?",
                 {Value(database), Value(table), Value(ValuesKey(values))}));
  if (rows.empty()) {
    return NotFound("partition " + ValuesKey(values) + " of " + Qualified(database, table) +
                    " does not exist");
  }
  return PartitionFromRow(rows[0]);
}

Status Catalog::DeletePartition(const std::string& database, const std::string& table,
                                const std::vector<std::string>& values) {
  TRY_ASSIGN(int64_t n,
             db_->Exec("DELETE FROM lake_partitions WHERE database=? AND table_name=? AND "
                       "partition_values=?",
                       {Value(database), Value(table), Value(ValuesKey(values))}));
  if (n == 0) {
    return NotFound("partition " + ValuesKey(values) + " of " + Qualified(database, table) +
                    " does not exist");
  }
  return Status::Ok();
}

}  // namespace tributary::lake
