// The catalog's partition indexes (Catalog::CreatePartitionIndex ...), kept in
// lake_partition_indexes beside the tables (catalog.cc migrates it and deletes a
// table's indexes with the table).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "lake/catalog.h"

namespace tributary::lake {
namespace {

using metadata::Value;
using nlohmann::json;

std::string TableName(const std::string& database, const std::string& table) {
  return "table '" + database + "." + table + "'";
}

}  // namespace

Status Catalog::CreatePartitionIndex(const std::string& database, const std::string& table,
                                     const PartitionIndex& index) {
  if (index.name.empty() || index.name.size() > 255) {
    return InvalidArgument("a partition index's name is 1..255 characters, not '" + index.name +
                           "'");
  }
  TRY_ASSIGN(Table t, GetTable(database, table));
  if (index.keys.empty() || index.keys.size() > 3) {
    return InvalidArgument("partition index '" + index.name + "' names " +
                           std::to_string(index.keys.size()) +
                           " keys; an index has 1..3 of the table's partition keys");
  }
  for (size_t i = 0; i < index.keys.size(); ++i) {
    const std::string& key = index.keys[i];
    const bool partition_key = std::any_of(t.partition_keys.begin(), t.partition_keys.end(),
                                           [&](const Column& c) { return c.name == key; });
    if (!partition_key) {
      std::string keys;
      for (const Column& c : t.partition_keys) keys += (keys.empty() ? "" : ", ") + c.name;
      return InvalidArgument("partition index '" + index.name + "': '" + key +
                             "' is not a partition key of " + TableName(database, table) + " (" +
                             (keys.empty() ? "it has none" : keys) + ")");
    }
    if (std::find(index.keys.begin(), index.keys.begin() + static_cast<long>(i), key) !=
        index.keys.begin() + static_cast<long>(i)) {
      return InvalidArgument("partition index '" + index.name + "' names '" + key + "' twice");
    }
  }
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(
        auto rows,
        db_->Query("SELECT name FROM lake_partition_indexes WHERE database=? AND table_name=?",
                   {Value(database), Value(table)}));
    for (const auto& row : rows) {
      if (row.Text(0) == index.name) {
        return AlreadyExists("partition index '" + index.name + "' of " +
                             TableName(database, table) + " already exists");
      }
    }
    if (rows.size() >= kMaxPartitionIndexes) {
      return ResourceExhausted(TableName(database, table) + " has " + std::to_string(rows.size()) +
                               " partition indexes, the most a table may have");
    }
    return db_
        ->Exec(
            "INSERT INTO lake_partition_indexes(database, table_name, name, keys, created_ms) "
            "VALUES(?, ?, ?, ?, ?)",
            {Value(database), Value(table), Value(index.name), Value(json(index.keys).dump()),
             Value(WallMillis())})
        .status();
  });
}

Result<std::vector<PartitionIndex>> Catalog::ListPartitionIndexes(const std::string& database,
                                                                  const std::string& table) const {
  TRY(GetTable(database, table).status());
  TRY_ASSIGN(auto rows, db_->Query("SELECT name, keys, created_ms FROM lake_partition_indexes "
                                   "WHERE database=? AND table_name=? ORDER BY name",
                                   {Value(database), Value(table)}));
  std::vector<PartitionIndex> out;
  for (const auto& row : rows) {
    PartitionIndex index;
    index.name = row.Text(0);
    json keys = json::parse(row.Text(1), nullptr, false);
    if (!keys.is_array()) {
      return DataLoss("catalog: the stored keys of partition index '" + index.name +
                      "' are not a JSON array");
    }
    for (const auto& k : keys)
      index.keys.push_back(k.is_string() ? k.get<std::string>() : k.dump());
    index.created_ms = row.Int(2);
    out.push_back(std::move(index));
  }
  return out;
}

Status Catalog::DeletePartitionIndex(const std::string& database, const std::string& table,
                                     const std::string& index) {
  TRY(GetTable(database, table).status());
  TRY_ASSIGN(
      int64_t n,
      db_->Exec("DELETE FROM lake_partition_indexes WHERE database=? AND table_name=? AND name=?",
                {Value(database), Value(table), Value(index)}));
  if (n == 0)
    return NotFound("partition index '" + index + "' of " + TableName(database, table) +
                    " does not exist");
  return Status::Ok();
}

}  // namespace tributary::lake
