// JobManager: the ETL jobs of a server (Glue's CreateJob, StartJobRun, GetJobRun(s),
// BatchStopJobRun, DeleteJob). A run goes on a worker thread of its own (which starts
// the run's worker pool), so the HTTP threads only start runs and read their progress;
// one run per job at a time.
//
// Thread-safety: every method may be called from any thread. The destructor cancels
// running runs and waits for them.
//
//   TRY_ASSIGN(auto jobs, JobManager::Open(db, catalog, lake, data_dir + "/tmp/etl"));
//   TRY(jobs->Create("curate", job_json));
//   TRY_ASSIGN(int64_t id, jobs->Start("curate"));
//   TRY_ASSIGN(JobRun run, jobs->GetRun("curate", id));   // progress or outcome
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "lake/active_runs.h"
#include "lake/catalog.h"
#include "lake/etl_run.h"
#include "lake/job_store.h"
#include "objstore/object_store.h"

namespace tributary::lake {

class JobManager {
 public:
  // `db`, `catalog` and `lake` must outlive the manager. `scratch_root` is a local
  // directory for staged output (emptied at start). Runs a dead process left behind are
  // rolled back here (RecoverAbandonedRuns).
  static Result<std::unique_ptr<JobManager>> Open(metadata::Database* db, Catalog* catalog,
                                                  objstore::ObjectStoreProvider* lake, std::string scratch_root);
  ~JobManager();

  // kAlreadyExists unless `replace`; kFailedPrecondition when replacing a running job.
  Status Create(const std::string& name, const nlohmann::json& document, bool replace = false);
  Result<JobDefinition> Get(const std::string& name) const;
  Result<std::vector<JobDefinition>> List() const;
  Status Delete(const std::string& name);  // kFailedPrecondition while it runs

  // Starts a run; kFailedPrecondition if one is running. Returns its id.
  Result<int64_t> Start(const std::string& name);
  Status Stop(const std::string& name);
  Result<JobRun> GetRun(const std::string& name, int64_t id) const;
  Result<std::vector<JobRun>> ListRuns(const std::string& name, int limit = 20) const;
  std::optional<JobRun> Running(const std::string& name) const;
  void WaitIdle();

  // Options of every run (tests: fewer workers, smaller files).
  void set_run_options(int workers, EtlWriterOptions writer) {
    workers_ = workers;
    writer_ = std::move(writer);
  }

 private:
  JobManager(Catalog* catalog, objstore::ObjectStoreProvider* lake, std::unique_ptr<JobStore> store,
             std::string scratch_root)
      : catalog_(catalog), lake_(lake), store_(std::move(store)), scratch_root_(std::move(scratch_root)) {}
  void Execute(const JobDefinition& job, ActiveRuns<JobRun>::Active& active);

  Catalog* catalog_;
  objstore::ObjectStoreProvider* lake_;
  std::unique_ptr<JobStore> store_;
  std::string scratch_root_;
  int workers_ = 0;
  EtlWriterOptions writer_;
  ActiveRuns<JobRun> runs_{"job"};  // last: its threads use the members above
};

}  // namespace tributary::lake
