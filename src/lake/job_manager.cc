#include "lake/job_manager.h"

#include <filesystem>

#include "base/clock.h"
#include "base/files.h"
#include "base/log.h"

namespace tributary::lake {

Result<std::unique_ptr<JobManager>> JobManager::Open(metadata::Database* db, Catalog* catalog,
                                                     objstore::ObjectStoreProvider* lake, std::string scratch_root) {
  TRY_ASSIGN(auto store, JobStore::Open(db));
  TRY(RecoverAbandonedRuns(store.get(), lake));
  std::error_code ec;
  std::filesystem::remove_all(scratch_root, ec);  // staged files of runs that did not finish
  TRY(MakeDirs(scratch_root));
  return std::unique_ptr<JobManager>(new JobManager(catalog, lake, std::move(store), std::move(scratch_root)));
}

JobManager::~JobManager() = default;  // runs_ goes first: it cancels and joins the runs

Status JobManager::Create(const std::string& name, const nlohmann::json& document, bool replace) {
  if (!replace) return store_->Create(name, document, replace);
  return runs_.IfIdle(name, "update it when the run ends", [&] { return store_->Create(name, document, replace); });
}

Result<JobDefinition> JobManager::Get(const std::string& name) const { return store_->Get(name); }

Result<std::vector<JobDefinition>> JobManager::List() const { return store_->List(); }

Status JobManager::Delete(const std::string& name) {
  return runs_.IfIdle(name, "stop it first ('tributary job stop " + name + "')", [&] { return store_->Delete(name); });
}

Result<int64_t> JobManager::Start(const std::string& name) {
  TRY_ASSIGN(JobDefinition job, store_->Get(name));
  auto record = [&]() -> Result<JobRun> {
    JobRun run;
    run.job = name;
    run.phase = "starting";
    run.started_ms = WallMillis();
    run.table = job.spec.target.database + "." + job.spec.target.table;
    TRY_ASSIGN(run.id, store_->InsertRun(run));
    return run;
  };
  return runs_.Start(name, record, "etl:" + name,
                     [this, job](ActiveRuns<JobRun>::Active& active) { Execute(job, active); });
}

void JobManager::Execute(const JobDefinition& job, ActiveRuns<JobRun>::Active& active) {
  JobRun run = runs_.Progress(active);
  JobRunContext ctx;
  ctx.lake = lake_;
  ctx.catalog = catalog_;
  ctx.store = store_.get();
  ctx.scratch_root = scratch_root_;
  ctx.cancel = &active.cancel;
  ctx.workers = workers_;
  ctx.writer = writer_;
  ctx.on_progress = [this, &active](const JobRun& progress) { runs_.Update(active, progress); };
  run = RunJob(job, std::move(run), ctx);
  if (run.status != RunStatus::kSucceeded) {  // a success was recorded with the bookmark
    Status st = store_->UpdateRun(run);
    if (!st.ok()) Logger("lake")->error("job {} run {}: recording the outcome: {}", job.name, run.id, st.message());
  }
  Logger("lake")->info("job {} run {} {}: {} objects, {} rows read, {} written, {} rejected, {} ms", job.name, run.id,
                       RunStatusName(run.status), run.objects_read, run.rows_read, run.rows_written, run.rows_rejected,
                       run.finished_ms - run.started_ms);
  runs_.Finish(active, std::move(run));
}

Status JobManager::Stop(const std::string& name) { return runs_.Stop(name); }

Result<JobRun> JobManager::GetRun(const std::string& name, int64_t id) const {
  if (std::optional<JobRun> live = runs_.Live(name, id)) return *live;
  TRY(store_->Get(name).status());
  return store_->GetRun(name, id);
}

Result<std::vector<JobRun>> JobManager::ListRuns(const std::string& name, int limit) const {
  TRY(store_->Get(name).status());
  TRY_ASSIGN(auto runs, store_->ListRuns(name, limit));
  runs_.Overlay(name, &runs);
  return runs;
}

std::optional<JobRun> JobManager::Running(const std::string& name) const { return runs_.Running(name); }

void JobManager::WaitIdle() { runs_.WaitIdle(); }

}  // namespace tributary::lake
