#include "lake/job_store.h"

#include <cctype>

#include "base/clock.h"

namespace tributary::lake {
namespace {

using metadata::Row;
using metadata::Value;
using nlohmann::json;

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE lake_jobs(
  name TEXT PRIMARY KEY,
  document TEXT NOT NULL,          -- the job as JSON
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE lake_job_bookmarks(
  job TEXT NOT NULL,
  key TEXT NOT NULL,               -- "bucket/key" of a source object
  etag TEXT NOT NULL,
  size INTEGER NOT NULL,
  run_id INTEGER NOT NULL,
  PRIMARY KEY(job, key)
);
CREATE TABLE lake_job_runs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job TEXT NOT NULL,
  status TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  result TEXT NOT NULL             -- ToJson(JobRun)
);
CREATE INDEX lake_job_runs_by_job ON lake_job_runs(job, id);
)sql";

// The dedupe keys of each successful run (dedupe_keys.h): EncodeDedupeKeys bytes.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE lake_job_dedupe_keys(
  job TEXT NOT NULL,
  run_id INTEGER NOT NULL,
  count INTEGER NOT NULL,
  keys BLOB NOT NULL,
  PRIMARY KEY(job, run_id)
);
)sql";

Status ValidateJobName(const std::string& name) {
  if (name.empty() || name.size() > 255) return InvalidArgument("job name '" + name + "' must be 1..255 characters");
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) {
      return InvalidArgument("job name '" + name + "' contains '" + std::string(1, c) +
                             "'; use letters, digits, '_' and '-'");
    }
  }
  return Status::Ok();
}

Result<JobDefinition> FromRow(const Row& r) {
  JobDefinition j;
  j.name = r.Text(0);
  j.document = json::parse(r.Text(1), nullptr, false);
  auto spec = ParseJobSpec(j.document);
  if (!spec.ok()) return DataLoss("job '" + j.name + "': stored document: " + spec.status().message());
  j.spec = std::move(*spec);
  j.created_ms = r.Int(2);
  j.updated_ms = r.Int(3);
  return j;
}

}  // namespace

json ToJson(const JobRun& r) {
  int64_t end = r.finished_ms != 0 ? r.finished_ms : WallMillis();
  int64_t duration = r.started_ms == 0 ? 0 : end - r.started_ms;
  double mbps = duration > 0 ? static_cast<double>(r.bytes_read) / 1e6 / (duration / 1000.0) : 0;
  return {{"id", r.id},
          {"job", r.job},
          {"status", std::string(RunStatusName(r.status))},
          {"phase", r.phase},
          {"started_ms", r.started_ms},
          {"started_at", FormatIso8601Millis(r.started_ms)},
          {"finished_ms", r.finished_ms},
          {"duration_ms", duration},
          {"workers", r.workers},
          {"objects_listed", r.objects_listed},
          {"objects_skipped", r.objects_skipped},
          {"objects_total", r.objects_total},
          {"objects_read", r.objects_read},
          {"bytes_total", r.bytes_total},
          {"bytes_read", r.bytes_read},
          {"mb_per_s", mbps},
          {"rows_read", r.rows_read},
          {"rows_written", r.rows_written},
          {"rows_rejected", r.rows_rejected},
          {"rows_filtered", r.rows_filtered},
          {"rows_duplicate", r.rows_duplicate},
          {"files_written", r.files_written},
          {"bytes_written", r.bytes_written},
          {"partitions", r.partitions},
          {"table", r.table},
          {"table_version", r.table_version},
          {"dropped_columns", r.dropped_columns},
          {"error_prefix", r.error_prefix},
          {"errors", r.errors},
          {"message", r.message},
          {"committing", r.committing}};
}

JobRun JobRunFromJson(const json& j) {
  JobRun r;
  if (!j.is_object()) {
    r.status = RunStatus::kFailed;
    r.message = "the stored record of this run is not valid JSON";
    return r;
  }
  r.id = j.value("id", int64_t{0});
  r.job = j.value("job", "");
  r.status = ParseRunStatus(j.value("status", "running"));
  r.phase = j.value("phase", "");
  r.started_ms = j.value("started_ms", int64_t{0});
  r.finished_ms = j.value("finished_ms", int64_t{0});
  r.workers = j.value("workers", 0);
  r.objects_listed = j.value("objects_listed", int64_t{0});
  r.objects_skipped = j.value("objects_skipped", int64_t{0});
  r.objects_total = j.value("objects_total", int64_t{0});
  r.objects_read = j.value("objects_read", int64_t{0});
  r.bytes_total = j.value("bytes_total", int64_t{0});
  r.bytes_read = j.value("bytes_read", int64_t{0});
  r.rows_read = j.value("rows_read", int64_t{0});
  r.rows_written = j.value("rows_written", int64_t{0});
  r.rows_rejected = j.value("rows_rejected", int64_t{0});
  r.rows_filtered = j.value("rows_filtered", int64_t{0});
  r.rows_duplicate = j.value("rows_duplicate", int64_t{0});
  r.files_written = j.value("files_written", int64_t{0});
  r.bytes_written = j.value("bytes_written", int64_t{0});
  r.partitions = j.value("partitions", int64_t{0});
  r.table = j.value("table", "");
  r.table_version = j.value("table_version", int64_t{0});
  r.dropped_columns = j.value("dropped_columns", std::vector<std::string>{});
  r.error_prefix = j.value("error_prefix", "");
  r.errors = j.value("errors", std::vector<std::string>{});
  r.message = j.value("message", "");
  r.committing = j.value("committing", std::vector<std::string>{});
  return r;
}

json ToJson(const JobDefinition& j) {
  return {{"name", j.name},
          {"job", j.document},
          {"source", j.spec.source_database + "." + j.spec.source_table},
          {"target", j.spec.target.database + "." + j.spec.target.table},
          {"target_path", j.spec.target.path.ToUri()},
          {"created_ms", j.created_ms},
          {"created_at", FormatIso8601Millis(j.created_ms)},
          {"updated_ms", j.updated_ms}};
}

Result<std::unique_ptr<JobStore>> JobStore::Open(metadata::Database* db) {
  TRY(db->Migrate("lake.jobs", 1, kSchemaV1));
  TRY(db->Migrate("lake.jobs", 2, kSchemaV2));
  return std::unique_ptr<JobStore>(new JobStore(db));
}

Status JobStore::Create(const std::string& name, const json& document, bool replace) {
  TRY(ValidateJobName(name));
  TRY(ParseJobSpec(document).status());
  int64_t now = WallMillis();
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(auto rows, db_->Query("SELECT name FROM lake_jobs WHERE name=?", {Value(name)}));
    if (!rows.empty()) {
      if (!replace) return AlreadyExists("job '" + name + "' already exists (delete it first, or update it)");
      return db_->Exec("UPDATE lake_jobs SET document=?, updated_ms=? WHERE name=?",
                       {Value(document.dump()), Value(now), Value(name)})
          .status();
    }
    return db_->Exec("INSERT INTO lake_jobs(name, document, created_ms, updated_ms) VALUES(?, ?, ?, ?)",
                     {Value(name), Value(document.dump()), Value(now), Value(now)})
        .status();
  });
}

Result<JobDefinition> JobStore::Get(const std::string& name) const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT name, document, created_ms, updated_ms FROM lake_jobs WHERE name=?",
                                   {Value(name)}));
  if (rows.empty()) return NotFound("job '" + name + "' does not exist (see 'tributary job list')");
  return FromRow(rows[0]);
}

Result<std::vector<JobDefinition>> JobStore::List() const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT name, document, created_ms, updated_ms FROM lake_jobs ORDER BY name"));
  std::vector<JobDefinition> out;
  for (const auto& r : rows) {
    TRY_ASSIGN(auto j, FromRow(r));
    out.push_back(std::move(j));
  }
  return out;
}

Status JobStore::Delete(const std::string& name) {
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(int64_t n, db_->Exec("DELETE FROM lake_jobs WHERE name=?", {Value(name)}));
    if (n == 0) return NotFound("job '" + name + "' does not exist");
    TRY(db_->Exec("DELETE FROM lake_job_bookmarks WHERE job=?", {Value(name)}).status());
    TRY(db_->Exec("DELETE FROM lake_job_dedupe_keys WHERE job=?", {Value(name)}).status());
    return runs_.DeleteAll(name);
  });
}

Result<std::map<std::string, BookmarkEntry>> JobStore::Bookmark(const std::string& job) const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT key, etag, size FROM lake_job_bookmarks WHERE job=?", {Value(job)}));
  std::map<std::string, BookmarkEntry> out;
  for (const auto& r : rows) out.emplace(r.Text(0), BookmarkEntry{r.Text(0), r.Text(1), r.Int(2)});
  return out;
}

Status JobStore::ResetBookmark(const std::string& job) {
  return db_->Transaction([&]() -> Status {
    TRY(db_->Exec("DELETE FROM lake_job_bookmarks WHERE job=?", {Value(job)}).status());
    return db_->Exec("DELETE FROM lake_job_dedupe_keys WHERE job=?", {Value(job)}).status();
  });
}

Result<std::vector<uint64_t>> JobStore::DedupeHistory(const std::string& job) const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT run_id, keys FROM lake_job_dedupe_keys WHERE job=?", {Value(job)}));
  std::vector<uint64_t> out;
  for (const auto& r : rows) {
    if (!DecodeDedupeKeys(r.Text(1), &out)) {
      return DataLoss("job '" + job + "': the stored dedupe keys of run " + std::to_string(r.Int(0)) +
                      " are corrupt (not a whole number of 8-byte keys)");
    }
  }
  return out;
}

Result<int64_t> JobStore::InsertRun(const JobRun& run) {
  return runs_.Insert(run.job, run.status, run.started_ms, [&](int64_t id) {
    JobRun copy = run;
    copy.id = id;
    return ToJson(copy);
  });
}

Status JobStore::UpdateRun(const JobRun& run) {
  return runs_.Update(run.id, run.status, ToJson(run));
}

Status JobStore::CommitRun(const JobRun& run, const std::vector<BookmarkEntry>& processed,
                           const std::vector<uint64_t>& dedupe_keys, size_t history_keys) {
  return db_->Transaction([&]() -> Status {
    if (!dedupe_keys.empty()) TRY(AddDedupeKeys(run, dedupe_keys, history_keys));
    for (const auto& o : processed) {
      TRY(db_->Exec("INSERT INTO lake_job_bookmarks(job, key, etag, size, run_id) VALUES(?, ?, ?, ?, ?) "
                    "ON CONFLICT(job, key) DO UPDATE SET etag=excluded.etag, size=excluded.size, "
                    "run_id=excluded.run_id",
                    {Value(run.job), Value(o.key), Value(o.etag), Value(o.size), Value(run.id)})
              .status());
    }
    return UpdateRun(run);
  });
}

// Inside CommitRun's transaction: the run's keys join the history, and the oldest runs'
// keys go while the rest exceeds `history_keys` (the newest run's keys always stay).
Status JobStore::AddDedupeKeys(const JobRun& run, const std::vector<uint64_t>& keys, size_t history_keys) {
  TRY(db_->Exec("INSERT INTO lake_job_dedupe_keys(job, run_id, count, keys) VALUES(?, ?, ?, CAST(? AS BLOB)) "
                "ON CONFLICT(job, run_id) DO UPDATE SET count=excluded.count, keys=excluded.keys",
                {Value(run.job), Value(run.id), Value(static_cast<int64_t>(keys.size())), Value(EncodeDedupeKeys(keys))})
          .status());
  TRY_ASSIGN(auto rows, db_->Query("SELECT run_id, count FROM lake_job_dedupe_keys WHERE job=? ORDER BY run_id DESC",
                                   {Value(run.job)}));
  int64_t total = 0;
  for (const auto& r : rows) {
    if (total > 0 && total + r.Int(1) > static_cast<int64_t>(history_keys)) {
      return db_->Exec("DELETE FROM lake_job_dedupe_keys WHERE job=? AND run_id<=?", {Value(run.job), Value(r.Int(0))})
          .status();
    }
    total += r.Int(1);
  }
  return Status::Ok();
}

Result<JobRun> JobStore::GetRun(const std::string& job, int64_t id) const {
  TRY_ASSIGN(json run, runs_.Get(job, id));
  return JobRunFromJson(run);
}

namespace {

std::vector<JobRun> JobRunsFromJson(const std::vector<json>& runs) {
  std::vector<JobRun> out;
  for (const json& r : runs) out.push_back(JobRunFromJson(r));
  return out;
}

}  // namespace

Result<std::vector<JobRun>> JobStore::ListRuns(const std::string& job, int limit) const {
  TRY_ASSIGN(auto runs, runs_.Newest(job, limit));
  return JobRunsFromJson(runs);
}

Result<std::vector<JobRun>> JobStore::AbandonedRuns() const {
  TRY_ASSIGN(auto runs, runs_.Running());
  return JobRunsFromJson(runs);
}

}  // namespace tributary::lake
