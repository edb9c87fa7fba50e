// What the crawlers keep in the metadata database (component "lake.crawlers"): their
// definitions, the objects each has read (key, etag, size and what they held, so a
// rerun reads only new or changed objects), and the record of every run.
//
// Thread-safety: every method may be called from any thread (each is one statement or
// one transaction of the metadata database).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "lake/catalog.h"
#include "lake/run_table.h"
#include "lake/schema_inference.h"
#include "metadata/database.h"

namespace tributary::lake {

struct CrawlerDefinition {
  std::string name;      // [a-z0-9_-], 1..255
  LakePath source;       // where the raw objects are
  std::string database;  // catalog database the table goes to (created if missing)
  std::string table;     // "" = named after the last segment of the source
  // Glue's Exclusions: globs over keys relative to the source (glue_glob.h, checked by
  // Create and Update); such objects are not crawled, and readers of the table skip them.
  std::vector<std::string> exclusions;
  // Glue's SchemaChangePolicy: what a run does when the records' schema differs from the
  // table's (kLog: keeps the table's columns and names the difference in the run;
  // kMergeNewColumns, Glue's Configuration AddOrUpdateBehavior MergeNewColumns: adds new
  // columns and keeps the existing ones' types, naming the type changes), and
  // when objects it read before are gone (kLog: they and their partitions keep counting;
  // kDeprecate: the same, and a table whose every object is gone gets the parameter
  // DEPRECATED_BY_CRAWLER, the time in epoch milliseconds). New tables and partitions
  // are added whatever the policy.
  enum class UpdateBehavior { kUpdateInDatabase, kLog, kMergeNewColumns };
  enum class DeleteBehavior { kDeleteFromDatabase, kLog, kDeprecateInDatabase };
  UpdateBehavior update_behavior = UpdateBehavior::kUpdateInDatabase;
  DeleteBehavior delete_behavior = DeleteBehavior::kDeleteFromDatabase;
  int64_t created_ms = 0;

  // The table name a run writes: `table`, or SanitizeName(last prefix segment or bucket).
  std::string TableName() const;
};

// Glue's names: "UPDATE_IN_DATABASE", "LOG" (and ours, "MERGE_NEW_COLUMNS", which Glue
// spells as UPDATE_IN_DATABASE with a Configuration); "DELETE_FROM_DATABASE", "LOG",
// "DEPRECATE_IN_DATABASE". The parsers take them in any case, and "update", "merge",
// "delete", "deprecate" (the CLI's); InvalidArgument listing the names otherwise.
std::string_view UpdateBehaviorName(CrawlerDefinition::UpdateBehavior b);
std::string_view DeleteBehaviorName(CrawlerDefinition::DeleteBehavior b);
Result<CrawlerDefinition::UpdateBehavior> ParseUpdateBehavior(std::string_view name);
Result<CrawlerDefinition::DeleteBehavior> ParseDeleteBehavior(std::string_view name);

// One object a crawler has read.
struct SeenObject {
  std::string key;
  std::string etag;
  int64_t size = 0;
  int64_t records = 0;
  std::vector<std::string> partition_values;
};

// One crawl run: progress while it runs, the outcome when it has ended.
struct CrawlRun {
  int64_t id = 0;
  std::string crawler;
  RunStatus status = RunStatus::kRunning;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;     // 0 while running
  int64_t objects_listed = 0;  // under the source prefix (hidden ones excluded)
  int64_t objects_total = 0;   // new or changed: what this run reads
  int64_t objects_read = 0;
  int64_t bytes_total = 0;
  int64_t bytes_read = 0;
  int64_t records = 0;      // records added to the table
  int64_t records_bad = 0;  // records that did not parse (see errors)
  int64_t partitions_added = 0;
  // Objects read by earlier runs that are no longer in the lake (deleted, expired by a
  // lifecycle rule): their records no longer count, and partitions left with no object
  // are removed.
  int64_t objects_gone = 0;
  int64_t partitions_removed = 0;
  bool gone_kept = false;  // DeleteBehavior LOG or DEPRECATE_IN_DATABASE: gone objects still count
  // UpdateBehavior LOG: how the records' schema differs from the table's, which stays
  // ("column added: ozone double", "column pos: struct<lat:double> → ...").
  std::vector<std::string> schema_changes_logged;
  std::string table;  // "db.table", once known
  int64_t table_version = 0;
  bool schema_changed = false;  // this run made a new table version
  std::vector<std::string> columns_added;
  std::vector<TypeConflict> conflicts;
  std::vector<std::string> errors;  // each names the object key and line; capped
  std::string message;              // why it failed or was cancelled
};

nlohmann::json ToJson(const CrawlRun& run);
nlohmann::json ToJson(const CrawlerDefinition& crawler);

class CrawlerStore {
 public:
  static Result<std::unique_ptr<CrawlerStore>> Open(metadata::Database* db);

  // kAlreadyExists when the name is taken; kInvalidArgument for a bad name.
  Status Create(const CrawlerDefinition& crawler);
  Result<CrawlerDefinition> Get(const std::string& name) const;
  Result<std::vector<CrawlerDefinition>> List() const;
  // Replaces the definition of crawler `crawler.name` (its created_ms stays); kNotFound when
  // there is none. A new source forgets the seen set (the next run reads the new prefix
  // whole); its runs stay.
  Status Update(const CrawlerDefinition& crawler);
  // Deletes the crawler, its seen set and its runs (not the table it made).
  Status Delete(const std::string& name);

  Result<std::map<std::string, SeenObject>> SeenObjects(const std::string& crawler) const;
  Status MarkSeen(const std::string& crawler, const std::vector<SeenObject>& objects);
  // Forgets objects that are no longer in the lake.
  Status ForgetSeen(const std::string& crawler, const std::vector<std::string>& keys);

  // Inserts the run (id assigned) or updates it by id.
  Result<int64_t> InsertRun(const CrawlRun& run);
  Status UpdateRun(const CrawlRun& run);
  Result<CrawlRun> GetRun(const std::string& crawler, int64_t id) const;
  Result<std::vector<CrawlRun>> ListRuns(const std::string& crawler,
                                         int limit = 20) const;  // newest first
  // At start-up: runs left "running" by a process that stopped become failed.
  Status FailAbandonedRuns();

 private:
  explicit CrawlerStore(metadata::Database* db)
      : db_(db), runs_(db, "lake_crawler_runs", "crawler", "crawler") {}
  metadata::Database* db_;
  RunTable runs_;
};

}  // namespace tributary::lake
