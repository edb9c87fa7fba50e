// Reads the rows of a catalog table from the lake, whatever wrote it: raw JSON objects
// from devices and streams (what crawlers catalog) or Parquet files (what ETL jobs
// write). Used by ETL jobs whose source is a table and by `forecast prepare`.
//
//   TRY_ASSIGN(lake::Table t, catalog->GetTable("iot", "raw"));
//   TRY_ASSIGN(auto reader, TableReader::Open(t, provider, {"device", "ts", "temp"}));
//   TRY_ASSIGN(auto objects, reader.List({}));
//   simdjson::dom::parser parser;
//   for (const TableObject& o : objects) {
//     TRY(reader.Read(o, &parser, [&](const TableRecord& r) { ...; return true; },
//                     [&](const TableRecord& bad, const std::string& reason) { ...; return true;
//                     }));
//   }
//
// Every row reaches the caller as a JSON object (a simdjson element plus its text), so
// one code path serves both formats:
//   JSON objects     records framed by json_records.h (JSON Lines, {..}{..}, {..},{..}),
//                    gzip, ZIP or Snappy by name or magic (crawler.h's DecodeObject); a
//                    record that is a JSON array is a batch, each element one record;
//                    `line` is the record's 1-based line in the object
//   Parquet objects  one row group at a time through parquet/'s reader, only the
//                    projected columns; a row is rendered as parquet/render.h's JSON
//                    (timestamps as "2026-11-30T14:02:11.000000Z", NaN as "NaN"); a
//                    projected column the file lacks (an older schema) is absent from
//                    its rows; `line` is the 1-based row in the file
// Partition values come from the object keys (partition_detect.h), not from the rows.
//
// Memory: one object at a time per Read (its bytes, decoded, plus one Parquet row group),
// whatever the size of the table. Objects are not streamed from the store in parts.
//
// Thread-safety: List and Read are const and may run on several threads at once, each
// with its own parser (the ETL workers read objects in parallel).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "base/status.h"
#include "lake/catalog.h"
#include "lake/job_store.h"
#include "objstore/object_store.h"

namespace tributary::lake {

// One object of a table and the partition values its key gives, in key order:
// {{"year","2026"},{"month","11"}} for "<location>year=2026/month=11/part-0.parquet".
struct TableObject {
  objstore::ObjectInfo info;
  std::vector<std::pair<std::string, std::string>> partition;
  std::string id;  // "bucket/key", how errors and bookmarks name it
};

// Objects under a table's location that List leaves out because their folders do not
// fit the table's partition keys (FitsTableLayout): counted, the first few named.
struct OffLayoutObjects {
  static constexpr size_t kMaxListed = 10;
  int64_t count = 0;
  std::vector<std::string> listed;  // "bucket/key", up to kMaxListed
  void Add(std::string id) {
    ++count;
    if (listed.size() < kMaxListed) listed.push_back(std::move(id));
  }
};

// Whether an object at `relative_key` (relative to the table's location) is one of the
// table's objects by its folders, as the crawler decides (crawler.cc):
//   a crawled table (parameter "partition_pattern", the keys as detected, before renames)
//     the folders must give exactly those keys (partition_detect.h):
//     pattern year,month,day,hour: 2026/11/30/14/obj yes; capture/x/obj, big/obj, obj no
//   any other table (ETL jobs' output, Glue's CreateTable) with partition keys
//     a folder per key, and a key=value folder must name the key of its level; folders
//     below them are the table's too (as Hive and Athena read them): keys device,day:
//     device=a/day=01/obj, a/01/obj and a/01/14/obj yes; a/obj, day=01/device=a/obj no
//   any other table without partition keys: every object
// Hidden keys and exclusions are the caller's to check (List does).
bool FitsTableLayout(const Table& table, std::string_view relative_key);

// Which objects List returns (all conditions hold at once).
struct TableScanOptions {
  // Only objects whose partition values (in the table's partition-key order) equal one
  // of these; empty: every partition.
  std::vector<std::vector<std::string>> partitions;
  // Objects in the bookmark ("bucket/key" -> entry) with the same etag and size are
  // skipped: what a job has already read.
  const std::map<std::string, BookmarkEntry>* bookmark = nullptr;
  // Only objects modified after this instant (Unix ms); 0: no bound.
  int64_t modified_after_ms = 0;
  // Objects under these paths are skipped (a job's own target and error prefixes).
  std::vector<LakePath> exclude;
  // When set, the objects left out for not fitting the table's layout are counted here.
  OffLayoutObjects* off_layout = nullptr;
};

// One row as the caller sees it. The views live until the callback returns.
struct TableRecord {
  simdjson::dom::element value;  // a JSON object (for a bad record: unset)
  std::string_view text;         // the record as JSON text
  size_t line = 0;               // JSON: 1-based line in the object; Parquet: 1-based row
};

// Return false to stop reading (Read then returns OK).
using RecordFn = std::function<bool(const TableRecord& record)>;
// A record that is not valid JSON or not an object, or the end of an object whose
// last record never closes (text empty); return false to stop.
using BadRecordFn = std::function<bool(const TableRecord& record, const std::string& reason)>;

class TableReader {
 public:
  // `columns`: what Parquet objects read (empty: every column); names the table has
  // neither as a column nor as a partition key are kNotFound, naming the table and its
  // columns. JSON records are always parsed whole.
  static Result<TableReader> Open(const Table& table, objstore::ObjectStoreProvider* lake,
                                  std::vector<std::string> columns = {});

  const Table& table() const { return table_; }
  std::string table_name() const { return table_.database + "." + table_.name; }

  // The table's objects under its location, in key order, without hidden keys
  // (partition_detect.h's IsHiddenKey), the table's exclusions, objects whose folders do
  // not fit its partition keys (FitsTableLayout: what its crawler skipped), and as
  // `options` say.
  Result<std::vector<TableObject>> List(const TableScanOptions& options) const;

  // Reads one object. Errors: the store's (with the object named) when it cannot be
  // fetched; kDataLoss naming the object when it cannot be decoded (corrupt gzip, ZIP or
  // Snappy data, a Parquet file that does not read).
  Status Read(const TableObject& object, simdjson::dom::parser* parser, const RecordFn& on_record,
              const BadRecordFn& on_bad) const;

 private:
  TableReader(Table table, std::shared_ptr<objstore::ObjectStore> bucket, std::vector<std::string> columns)
      : table_(std::move(table)), bucket_(std::move(bucket)), columns_(std::move(columns)) {}
  Status ReadJson(const TableObject& object, std::string bytes, simdjson::dom::parser* parser,
                  const RecordFn& on_record, const BadRecordFn& on_bad) const;
  Status ReadParquet(const TableObject& object, const std::string& bytes, simdjson::dom::parser* parser,
                     const RecordFn& on_record) const;

  Table table_;
  std::shared_ptr<objstore::ObjectStore> bucket_;
  std::vector<std::string> columns_;  // Parquet projection, partition keys removed
};

}  // namespace tributary::lake
