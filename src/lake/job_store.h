// What the ETL jobs keep in the metadata database (component "lake.jobs"): their
// definitions (the job document as given), their bookmarks (the source objects each
// successful run processed: key, etag and size) and the record of every run.
//
// Dedupe keys: the 64-bit key hashes each successful run's `dedupe` transforms kept,
// one row per run, committed with the bookmark (dedupe_keys.h has the bound).
//
// Bookmarks: a run processes the source objects whose key is not in the bookmark or
// whose etag or size differ from it (an object rewritten in place is processed again).
// A run's objects join the bookmark in the same transaction that marks it succeeded, so
// a failed or cancelled run leaves the bookmark as it was.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "lake/crawler_store.h"
#include "lake/dedupe_keys.h"
#include "lake/etl_job.h"
#include "lake/run_table.h"
#include "metadata/database.h"

namespace tributary::lake {

struct JobDefinition {
  std::string name;      // [a-z0-9_-], 1..255
  nlohmann::json document;  // the job as given (ParseJobSpec accepts it)
  JobSpec spec;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

struct BookmarkEntry {
  std::string key;
  std::string etag;
  int64_t size = 0;
};

// One run of a job: progress while it runs, the outcome when it has ended.
struct JobRun {
  int64_t id = 0;
  std::string job;
  RunStatus status = RunStatus::kRunning;
  std::string phase;               // "listing", "transforming", "committing", "done"
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  int workers = 0;
  int64_t objects_listed = 0;      // under the source location
  int64_t objects_skipped =
      0;  // of those, not fitting the source's partition keys (FitsTableLayout)
  int64_t objects_total = 0;       // new since the bookmark: what this run reads
  int64_t objects_read = 0;
  int64_t bytes_total = 0;
  int64_t bytes_read = 0;          // of the objects as stored (compressed or not)
  int64_t rows_read = 0;
  int64_t rows_written = 0;
  int64_t rows_rejected = 0;       // could not be converted: in the error prefix
  int64_t rows_filtered = 0;
  int64_t rows_duplicate = 0;
  int64_t files_written = 0;
  int64_t bytes_written = 0;       // Parquet bytes
  int64_t partitions = 0;          // partitions written to
  std::string table;               // "db.table"
  int64_t table_version = 0;
  std::vector<std::string> dropped_columns;  // by drop_null_fields
  std::string error_prefix;        // where this run's rejected records are ("" if none)
  std::vector<std::string> errors;  // capped
  std::string message;
  // While committing: the keys being made visible, so that a process that dies midway
  // can remove them at the next start ("bucket/key").
  std::vector<std::string> committing;
};

nlohmann::json ToJson(const JobRun& run);
JobRun JobRunFromJson(const nlohmann::json& j);
nlohmann::json ToJson(const JobDefinition& job);

class JobStore {
 public:
  static Result<std::unique_ptr<JobStore>> Open(metadata::Database* db);

  // kAlreadyExists when taken (unless `replace`); kInvalidArgument for a bad name or job.
  Status Create(const std::string& name, const nlohmann::json& document, bool replace = false);
  Result<JobDefinition> Get(const std::string& name) const;
  Result<std::vector<JobDefinition>> List() const;
  // Deletes the job, its bookmark and its runs (not its output).
  Status Delete(const std::string& name);

  Result<std::map<std::string, BookmarkEntry>> Bookmark(const std::string& job) const;
  // Forgets the bookmark and the dedupe keys: the next run reads every object afresh.
  Status ResetBookmark(const std::string& job);
  // The dedupe keys of the job's earlier successful runs (dedupe_keys.h), unsorted.
  Result<std::vector<uint64_t>> DedupeHistory(const std::string& job) const;

  Result<int64_t> InsertRun(const JobRun& run);
  Status UpdateRun(const JobRun& run);
  // Marks the run succeeded, adds `processed` to the bookmark and `dedupe_keys` to the
  // dedupe history, in one transaction. The history then keeps the newest runs' keys, at
  // most `history_keys` of them (more only when this run alone has more).
  Status CommitRun(const JobRun& run, const std::vector<BookmarkEntry>& processed,
                   const std::vector<uint64_t>& dedupe_keys = {}, size_t history_keys = kDefaultHistoryKeys);
  Result<JobRun> GetRun(const std::string& job, int64_t id) const;
  Result<std::vector<JobRun>> ListRuns(const std::string& job, int limit = 20) const;  // newest first
  // Runs left "running" by a process that stopped.
  Result<std::vector<JobRun>> AbandonedRuns() const;

 private:
  explicit JobStore(metadata::Database* db) : db_(db), runs_(db, "lake_job_runs", "job", "job") {}
  Status AddDedupeKeys(const JobRun& run, const std::vector<uint64_t>& keys, size_t history_keys);
  metadata::Database* db_;
  RunTable runs_;
};

}  // namespace tributary::lake
