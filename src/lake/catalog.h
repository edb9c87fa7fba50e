// The data catalog (AWS Glue Data Catalog): databases, tables and partitions that
// describe what lies in the lake, so the ETL jobs, the trainer and outside engines
// (DuckDB, Spark, Trino) know each table's columns, types, partitioning and location.
// The crawler writes it; ETL jobs read their source tables from it and register their
// targets in it.
//
// Everything is kept in the metadata database (component "lake"; other lake parts use
// their own components, e.g. "lake.crawlers", so their migrations never interleave).
// Nothing is cached in memory: two Catalog objects over one Database see each other's
// changes, and the catalog survives a restart as is.
//
// Names: databases and tables are 1..255 characters of [a-z0-9_] (Glue's and Hive's
// rule; callers turn "Raw-Pollution" into a name with SanitizeName first). Column names
// are free text without control characters, unique within a table (partition keys too).
//
// Column types are Hive type strings, as Glue shows them:
//   boolean  bigint  double  string  timestamp
//   struct<ozone:bigint,pos:struct<lat:double,lon:double>>
//   array<double>   array<struct<a:bigint>>
// (also accepted: int, smallint, tinyint, float, date, binary, decimal(p,s)). Upsert
// rejects anything else, naming the column. lake/hive_type.h parses them.
//
// Versions: a table's schema is its columns and partition keys, in order. Creating a
// table makes version 1; an upsert whose schema differs from the current one makes
// version N+1 and keeps every earlier version (ListVersions); an upsert with the same
// schema updates the other fields (location, counts, last crawl, parameters) in place.
//
// Thread-safety: every method may be called from any thread; each call is one
// metadata-database transaction.
//
//   TRY_ASSIGN(auto catalog, Catalog::Open(db));
//   TRY(catalog->CreateDatabase("iot", "", /*if_not_exists=*/true));
//   TableInput in;
//   in.columns = {{"ozone", "bigint"}, {"timestamp", "timestamp"}};
//   in.partition_keys = {{"year", "string"}, {"month", "string"}};
//   TRY_ASSIGN(in.location, LakePath::Parse("s3://iot-data/raw/"));
//   TRY_ASSIGN(UpsertResult r, catalog->UpsertTable("iot", "raw", in));
//   TRY(catalog->AddPartitions("iot", "raw", {{{"2026", "11"}, loc, 120}}));
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "metadata/database.h"

namespace tributary::lake {

// A place in the lake: a bucket and a key prefix. Parse accepts
//   "iot-data"                     -> bucket "iot-data", prefix ""
//   "iot-data/raw/pollution"       -> bucket "iot-data", prefix "raw/pollution/"
//   "iot-data/raw/pollution/"      -> same
//   "s3://iot-data/raw/"           -> bucket "iot-data", prefix "raw/"
//   "s3a://iot-data", "s3n://..."  -> as s3:// (Hadoop spellings)
// A non-empty prefix always ends with '/' (a prefix names a folder, never part of a
// key). Rejected, with the reason: an empty string, another scheme ("http://..."), a
// bucket name S3 would refuse (objstore::ValidateBucketName), empty segments ("a//b"),
// "." or ".." segments, a leading '/'.
struct LakePath {
  std::string bucket;
  std::string prefix;  // "" or "seg/.../seg/"

  static Result<LakePath> Parse(std::string_view text);
  std::string ToString() const;  // "iot-data/raw/"
  std::string ToUri() const;     // "s3://iot-data/raw/"
  // A path under this one: Child("year=2026/month=11") -> prefix "<prefix>year=2026/month=11/".
  LakePath Child(std::string_view relative) const;
  bool operator==(const LakePath&) const = default;
};

struct Column {
  Column() = default;
  Column(std::string name, std::string type, std::string comment = "")  // {"ozone", "bigint"}
      : name(std::move(name)), type(std::move(type)), comment(std::move(comment)) {}

  std::string name;
  std::string type;     // Hive type string, see above
  std::string comment;  // optional
  bool operator==(const Column& o) const { return name == o.name && type == o.type; }
};

// What the objects of a table hold.
enum class DataFormat { kJson, kParquet };
std::string_view DataFormatName(DataFormat format);         // "json", "parquet"
Result<DataFormat> ParseDataFormat(std::string_view name);  // the same names

struct CatalogDatabase {
  std::string name;
  std::string description;
  int64_t created_ms = 0;  // Unix epoch milliseconds
};

// A table as it is now.
struct Table {
  std::string database;
  std::string name;
  std::vector<Column> columns;         // data columns, in order
  std::vector<Column> partition_keys;  // in prefix order, e.g. year, month, day, hour
  LakePath location;                   // where its objects are
  DataFormat format = DataFormat::kJson;
  std::string compression;  // "none", "gzip", "snappy", "zstd" ("" = unknown)
  int64_t record_count = 0;
  int64_t object_count = 0;
  int64_t size_bytes = 0;
  int64_t last_crawl_ms = 0;  // 0 when never crawled
  int64_t version = 0;        // current schema version, >= 1
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  // Free-form key/values (Glue's Parameters): "classification", "crawler", ...
  std::map<std::string, std::string> parameters;
};

// One schema of a table, current or past.
struct TableVersion {
  int64_t version = 0;
  std::vector<Column> columns;
  std::vector<Column> partition_keys;
  int64_t created_ms = 0;
  std::string created_by;  // TableInput::updated_by of the upsert that made it
};

// What a writer (crawler, ETL job, user) says a table is. Every field is stored as
// given, except that an empty `compression` or `parameters` keeps the existing value.
struct TableInput {
  std::vector<Column> columns;
  std::vector<Column> partition_keys;
  LakePath location;
  DataFormat format = DataFormat::kJson;
  std::string compression;
  int64_t record_count = 0;
  int64_t object_count = 0;
  int64_t size_bytes = 0;
  int64_t last_crawl_ms = 0;
  std::map<std::string, std::string> parameters;
  std::string updated_by;  // "crawler:raw_pollution", "job:curate", "api"
};

struct UpsertResult {
  Table table;               // as stored after the upsert
  bool created = false;      // the table did not exist
  bool new_version = false;  // true when created, or when the schema changed
};

// One partition: the objects under location, whose partition-key values are `values`
// (same order and count as the table's partition_keys).
struct Partition {
  std::vector<std::string> values;  // {"2026", "11", "30", "14"}
  LakePath location;                // "iot-data/raw/2026/11/30/14/"
  int64_t record_count = 0;
  int64_t object_count = 0;
  int64_t size_bytes = 0;
  int64_t created_ms = 0;  // set by the catalog
  int64_t updated_ms = 0;  // set by the catalog
};

// A partition index: what Glue keeps so that engines can look partitions up by these
// keys (here every GetPartitions filter reads the catalog's partitions as they are).
struct PartitionIndex {
  std::string name;               // 1..255 characters
  std::vector<std::string> keys;  // partition key names, in the index's order
  int64_t created_ms = 0;         // set by the catalog
};

// How AddPartitions treats a partition that already exists (same values).
enum class PartitionMerge {
  kReplace,    // its location and counts become the given ones
  kAddCounts,  // the given counts are added to its counts; location kept
};

class Catalog {
 public:
  // Creates the catalog's tables on first use. `db` must outlive the Catalog.
  static Result<std::unique_ptr<Catalog>> Open(metadata::Database* db);

  // --- databases ---
  // kAlreadyExists when taken, unless if_not_exists (then the existing one is returned).
  Result<CatalogDatabase> CreateDatabase(const std::string& name,
                                         const std::string& description = "",
                                         bool if_not_exists = false);
  Result<CatalogDatabase> GetDatabase(const std::string& name) const;
  Result<std::vector<CatalogDatabase>> ListDatabases() const;  // by name
  // Replaces the description; kNotFound when there is no such database.
  Status SetDatabaseDescription(const std::string& name, const std::string& description);
  // kFailedPrecondition while it holds tables, unless `cascade` (then they go too).
  Status DeleteDatabase(const std::string& name, bool cascade = false);

  // --- tables ---
  Result<Table> GetTable(const std::string& database, const std::string& table) const;
  // Tables of one database, or of all databases when `database` is empty; by
  // (database, name).
  Result<std::vector<Table>> ListTables(const std::string& database = "") const;
  // Creates or updates a table (see "Versions" above). The database must exist
  // (kNotFound otherwise). kInvalidArgument for a bad name, an empty column list, a
  // duplicate column or partition key, or a type that is not a Hive type string.
  Result<UpsertResult> UpsertTable(const std::string& database, const std::string& table,
                                   const TableInput& input);
  // Deletes the table, its versions and partitions (not the objects in the lake).
  Status DeleteTable(const std::string& database, const std::string& table);

  // --- versions ---
  Result<std::vector<TableVersion>> ListVersions(const std::string& database,
                                                 const std::string& table) const;  // oldest first
  Result<TableVersion> GetVersion(const std::string& database, const std::string& table,
                                  int64_t version) const;

  // --- partitions ---
  // Adds or merges partitions (one transaction). Each must have as many values as the
  // table has partition keys (kInvalidArgument naming the partition otherwise).
  Status AddPartitions(const std::string& database, const std::string& table,
                       const std::vector<Partition>& partitions,
                       PartitionMerge merge = PartitionMerge::kReplace);
  // In value order (lexicographic per key, keys in order).
  Result<std::vector<Partition>> ListPartitions(const std::string& database,
                                                const std::string& table) const;
  Result<Partition> GetPartition(const std::string& database, const std::string& table,
                                 const std::vector<std::string>& values) const;
  Status DeletePartition(const std::string& database, const std::string& table,
                         const std::vector<std::string>& values);

  // --- partition indexes (Glue's: named lists of partition keys; catalog_partition_indexes.cc) ---
  // Adds index `index` of a table: 1..3 of its partition keys, each once (kInvalidArgument
  // naming the key otherwise); at most kMaxPartitionIndexes a table (kResourceExhausted);
  // a name taken is kAlreadyExists; no such table, kNotFound.
  static constexpr size_t kMaxPartitionIndexes = 3;
  Status CreatePartitionIndex(const std::string& database, const std::string& table,
                              const PartitionIndex& index);
  Result<std::vector<PartitionIndex>> ListPartitionIndexes(
      const std::string& database,
      const std::string& table) const;  // by name
  // kNotFound when the table has no such index.
  Status DeletePartitionIndex(const std::string& database, const std::string& table,
                              const std::string& index);

 private:
  explicit Catalog(metadata::Database* db) : db_(db) {}
  metadata::Database* db_;
};

// Database and table names: kInvalidArgument saying why, or OK.
Status ValidateCatalogName(std::string_view what, std::string_view name);
// A valid catalog name from free text: lower-cased, other characters -> '_',
// "" -> "_". "Raw-Pollution.v2" -> "raw_pollution_v2".
std::string SanitizeName(std::string_view text);

}  // namespace tributary::lake
