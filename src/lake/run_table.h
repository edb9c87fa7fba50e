// The runs of crawlers and of ETL jobs, kept alike in the metadata database: a table
// `<table>(id, <owner column>, status, started_ms, result)` with one row a run, whose
// `result` is the whole run as JSON in its owner's form (CrawlRun, JobRun) and whose id
// the table assigns. RunTable reads and writes those rows; the stores turn the JSON into
// their run type.
//
//   RunTable runs(db, "lake_job_runs", "job", "job");
//   TRY_ASSIGN(int64_t id, runs.Insert("daily", RunStatus::kRunning, now, [&](int64_t id) {
//     JobRun copy = run; copy.id = id; return ToJson(copy); }));
//   TRY(runs.Update(id, RunStatus::kSucceeded, ToJson(finished)));
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "metadata/database.h"

namespace tributary::lake {

enum class RunStatus { kRunning, kSucceeded, kFailed, kCancelled };
std::string_view RunStatusName(RunStatus status);  // "running", "succeeded", ...
RunStatus ParseRunStatus(std::string_view name);   // kRunning for an unknown name

class RunTable {
 public:
  // `table` and `owner_column` are written into SQL: constants, never input. `owner_kind`
  // names the owner in messages ("crawler", "job").
  RunTable(metadata::Database* db, std::string table, std::string owner_column,
           std::string owner_kind);

  // Inserts a run of `owner` and returns its id; `result(id)` is the run as JSON with
  // that id, stored in the same transaction.
  Result<int64_t> Insert(const std::string& owner, RunStatus status, int64_t started_ms,
                         const std::function<nlohmann::json(int64_t id)>& result);
  Status Update(int64_t id, RunStatus status, const nlohmann::json& result);
  // kNotFound "<kind> '<owner>' has no run <id>".
  Result<nlohmann::json> Get(const std::string& owner, int64_t id) const;
  Result<std::vector<nlohmann::json>> Newest(const std::string& owner, int limit) const;
  // Runs whose status is still "running", oldest first: at start-up, those a process
  // that stopped left behind.
  Result<std::vector<nlohmann::json>> Running() const;
  // Every run of `owner` (inside the caller's transaction, when it deletes the owner).
  Status DeleteAll(const std::string& owner);

 private:
  Result<std::vector<nlohmann::json>> Results(const std::string& sql,
                                              std::vector<metadata::Value> args) const;

  metadata::Database* db_;
  std::string table_, owner_column_, owner_kind_;
};

}  // namespace tributary::lake
