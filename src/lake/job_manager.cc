#include "lake/job_manager.h"

#include <filesystem>

#include "base/clock.h"
#include "base/files.h"
#include "base/log.h"
#include "base/thread_name.h"

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

JobManager::~JobManager() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, active] : active_) active->cancel = true;
  }
  WaitIdle();
}

Status JobManager::Create(const std::string& name, const nlohmann::json& document, bool replace) {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  if (replace && active_.count(name)) return FailedPrecondition("job '" + name + "' is running; update it when the run ends");
  return store_->Create(name, document, replace);
}

Result<JobDefinition> JobManager::Get(const std::string& name) const { return store_->Get(name); }

Result<std::vector<JobDefinition>> JobManager::List() const { return store_->List(); }

Status JobManager::Delete(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  if (active_.count(name)) return FailedPrecondition("job '" + name + "' is running; stop it first ('tributary job stop " + name + "')");
  return store_->Delete(name);
}

Result<int64_t> JobManager::Start(const std::string& name) {
  TRY_ASSIGN(JobDefinition job, store_->Get(name));
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  if (active_.count(name)) {
    return FailedPrecondition("job '" + name + "' is already running (run " + std::to_string(active_[name]->progress.id) + ")");
  }
  JobRun run;
  run.job = name;
  run.phase = "starting";
  run.started_ms = WallMillis();
  run.table = job.spec.target.database + "." + job.spec.target.table;
  TRY_ASSIGN(run.id, store_->InsertRun(run));
  auto active = std::make_unique<Active>();
  active->progress = run;
  Active* raw = active.get();
  active_[name] = std::move(active);
  raw->thread = std::thread([this, job, raw] {
    SetThreadName("etl:" + job.name);
    Execute(job, raw);
  });
  return run.id;
}

void JobManager::Execute(JobDefinition job, Active* active) {
  JobRun run;
  {
    std::lock_guard<std::mutex> lock(mu_);
    run = active->progress;
  }
  JobRunContext ctx;
  ctx.lake = lake_;
  ctx.catalog = catalog_;
  ctx.store = store_.get();
  ctx.scratch_root = scratch_root_;
  ctx.cancel = &active->cancel;
  ctx.workers = workers_;
  ctx.writer = writer_;
  ctx.on_progress = [this, active](const JobRun& progress) {
    std::lock_guard<std::mutex> lock(mu_);
    active->progress = progress;
  };
  run = RunJob(job, std::move(run), ctx);
  if (run.status != RunStatus::kSucceeded) {  // a success was recorded with the bookmark
    Status st = store_->UpdateRun(run);
    if (!st.ok()) Logger("lake")->error("job {} run {}: recording the outcome: {}", job.name, run.id, st.message());
  }
  Logger("lake")->info("job {} run {} {}: {} objects, {} rows read, {} written, {} rejected, {} ms", job.name, run.id,
                       RunStatusName(run.status), run.objects_read, run.rows_read, run.rows_written, run.rows_rejected,
                       run.finished_ms - run.started_ms);
  std::lock_guard<std::mutex> lock(mu_);
  active->progress = std::move(run);
  active->done = true;
  idle_.notify_all();
}

void JobManager::ReapLocked() {
  for (auto it = active_.begin(); it != active_.end();) {
    if (it->second->done) {
      if (it->second->thread.joinable()) it->second->thread.join();
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
}

Status JobManager::Stop(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(name);
  if (it == active_.end() || it->second->done) return FailedPrecondition("job '" + name + "' is not running");
  it->second->cancel = true;
  return Status::Ok();
}

Result<JobRun> JobManager::GetRun(const std::string& name, int64_t id) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(name);
    if (it != active_.end() && it->second->progress.id == id) return it->second->progress;
  }
  TRY(store_->Get(name).status());
  return store_->GetRun(name, id);
}

Result<std::vector<JobRun>> JobManager::ListRuns(const std::string& name, int limit) const {
  TRY(store_->Get(name).status());
  TRY_ASSIGN(auto runs, store_->ListRuns(name, limit));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(name);
  if (it != active_.end()) {
    for (auto& r : runs) {
      if (r.id == it->second->progress.id) r = it->second->progress;
    }
  }
  return runs;
}

std::optional<JobRun> JobManager::Running(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(name);
  if (it == active_.end() || it->second->done) return std::nullopt;
  return it->second->progress;
}

void JobManager::WaitIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] {
    for (auto& [name, a] : active_) {
      if (!a->done) return false;
    }
    return true;
  });
  ReapLocked();
}

}  // namespace tributary::lake
