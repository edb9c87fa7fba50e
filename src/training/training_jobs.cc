#include "training/training_jobs.h"

#include <filesystem>

#include "base/clock.h"
#include "base/log.h"
#include "base/start_thread.h"
#include "training/job_state.h"

namespace tributary::training {

namespace {

using metadata::Value;
using nlohmann::json;

constexpr char kSchemaV1[] = R"sql(
CREATE TABLE training_jobs(name TEXT PRIMARY KEY, created_ms INTEGER NOT NULL,
                           document TEXT NOT NULL, log TEXT NOT NULL);
)sql";

std::string Now() { return FormatIso8601Millis(WallMillis()); }

json Summary(const json& doc) {
  json s{{"TrainingJobName", doc["TrainingJobName"]},
         {"TrainingJobStatus", doc["TrainingJobStatus"]},
         {"SecondaryStatus", doc["SecondaryStatus"]},
         {"CreationTime", doc["CreationTime"]},
         {"LastModifiedTime", doc["LastModifiedTime"]}};
  if (doc.contains("TrainingEndTime")) s["TrainingEndTime"] = doc["TrainingEndTime"];
  return s;
}

}  // namespace

void Transition(json& doc, const std::string& secondary, const std::string& message) {
  std::string now = Now();
  json& transitions = doc["SecondaryStatusTransitions"];
  if (!transitions.empty() && !transitions.back().contains("EndTime")) transitions.back()["EndTime"] = now;
  transitions.push_back({{"Status", secondary}, {"StartTime", now}, {"StatusMessage", message}});
  doc["SecondaryStatus"] = secondary;
  doc["LastModifiedTime"] = now;
}

void EndJob(json& doc, const std::string& status, const std::string& secondary, const std::string& message,
            const std::string& reason) {
  doc["TrainingJobStatus"] = status;
  if (!reason.empty()) doc["FailureReason"] = reason;
  Transition(doc, secondary, message);
  doc["TrainingEndTime"] = doc["LastModifiedTime"];
  doc["SecondaryStatusTransitions"].back()["EndTime"] = doc["TrainingEndTime"];
}

Result<std::unique_ptr<TrainingJobs>> TrainingJobs::Open(metadata::Database* db, objstore::ObjectStoreProvider* lake,
                                                         TrainingOptions options) {
  if (options.scratch_dir.empty()) return InvalidArgument("training jobs: no scratch directory configured");
  if (options.trainer.empty()) return InvalidArgument("training jobs: no trainer command configured");
  TRY(db->Migrate("training", 1, kSchemaV1));
  // Jobs a stopped server left unfinished end Failed, saying so.
  TRY_ASSIGN(auto rows, db->Query("SELECT name, document FROM training_jobs"));
  for (const auto& row : rows) {
    json doc = json::parse(row.Text(1), nullptr, false);
    if (doc.is_discarded()) continue;
    std::string status = doc.value("TrainingJobStatus", "");
    if (status != "InProgress" && status != "Stopping") continue;
    std::string was = doc.value("SecondaryStatus", "Starting");
    std::string reason = was == "Starting" ? "the server stopped before the job started"
                                           : "the server stopped while the job was in " + was;
    EndJob(doc, "Failed", "Failed", reason, reason);
    TRY(db->Exec("UPDATE training_jobs SET document=? WHERE name=?", {Value(doc.dump()), Value(row.Text(0))})
            .status());
  }
  // Scratch space of jobs that can no longer run.
  std::error_code ec;
  std::filesystem::remove_all(options.scratch_dir, ec);
  std::unique_ptr<TrainingJobs> jobs(new TrainingJobs(db, lake, std::move(options)));
  TrainingJobs* j = jobs.get();
  TRY_ASSIGN(jobs->runner_, StartThread("training", [j] { j->RunQueue(); }));
  return jobs;
}

TrainingJobs::~TrainingJobs() { Shutdown(); }

Status TrainingJobs::SaveLocked(const Job& job) {
  return db_
      ->Exec("INSERT INTO training_jobs(name, created_ms, document, log) VALUES(?, ?, ?, ?) "
             "ON CONFLICT(name) DO UPDATE SET created_ms=excluded.created_ms, "
             "document=excluded.document, log=excluded.log",
             {Value(job.spec.name), Value(job.created_ms), Value(job.doc.dump()), Value(job.log.ToJson().dump())})
      .status();
}

void TrainingJobs::TransitionLocked(Job& job, const std::string& secondary, const std::string& message) {
  Transition(job.doc, secondary, message);
  NoteLocked(job, secondary + ": " + message);
  if (Status st = SaveLocked(job); !st.ok()) {
    Logger("training")->error("training job '{}': {}", job.spec.name, st.ToString());
  }
}

void TrainingJobs::NoteLocked(Job& job, const std::string& line) { job.log.Append("[tributary] " + line); }

Result<json> TrainingJobs::Create(const json& request) {
  TRY_ASSIGN(TrainingJobSpec spec, ParseTrainingJob(request));
  auto job = std::make_shared<Job>(spec, options_.log_lines_kept);
  job->created_ms = WallMillis();
  job->doc = RequestJson(spec);
  job->doc["TrainingJobStatus"] = "InProgress";
  job->doc["CreationTime"] = FormatIso8601Millis(job->created_ms);
  job->doc["SecondaryStatusTransitions"] = json::array();
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return Unavailable("the server is stopping; create the training job after it restarts");
  TRY_ASSIGN(auto existing, db_->Query("SELECT 1 FROM training_jobs WHERE name=?", {Value(spec.name)}));
  if (!existing.empty() || active_.count(spec.name)) {
    return AlreadyExists("training job '" + spec.name + "' already exists (names are unique, as in SageMaker)");
  }
  const size_t ahead = active_.size();  // queued, and the one running
  Transition(job->doc, "Starting",
             ahead == 0 ? "Preparing the training job"
                        : "Queued behind " + std::to_string(ahead) + " training job(s); jobs run one at a time");
  NoteLocked(*job, "Starting: " + job->doc["SecondaryStatusTransitions"].back()["StatusMessage"].get<std::string>());
  TRY(SaveLocked(*job));
  active_[spec.name] = job;
  queue_.push_back(job);
  queue_cv_.notify_all();
  return job->doc;
}

Result<json> TrainingJobs::Describe(const std::string& name) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(name);
    if (it != active_.end()) return it->second->doc;
  }
  TRY_ASSIGN(auto rows, db_->Query("SELECT document FROM training_jobs WHERE name=?", {Value(name)}));
  if (rows.empty()) return NotFound("training job '" + name + "' does not exist");
  return json::parse(rows[0].Text(0));
}

Result<json> TrainingJobs::List() const {
  // One query, not one per job: on PostgreSQL each is a round trip. A running job's
  // document is the one in memory, as Describe gives it.
  TRY_ASSIGN(auto rows,
             db_->Query("SELECT name, document FROM training_jobs ORDER BY created_ms, name"));
  json out = json::array();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& row : rows) {
    auto it = active_.find(row.Text(0));
    if (it != active_.end()) {
      out.push_back(Summary(it->second->doc));
      continue;
    }
    json doc = json::parse(row.Text(1), nullptr, /*allow_exceptions=*/false);
    if (!doc.is_discarded()) out.push_back(Summary(doc));
  }
  return out;
}

Result<json> TrainingJobs::Logs(const std::string& name, int64_t offset, size_t limit) const {
  JobLog::Slice slice;
  std::string status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(name);
    if (it != active_.end()) {
      slice = it->second->log.Read(offset, limit);
      status = it->second->doc["TrainingJobStatus"];
    }
  }
  if (status.empty()) {
    TRY_ASSIGN(auto rows, db_->Query("SELECT document, log FROM training_jobs WHERE name=?", {Value(name)}));
    if (rows.empty()) return NotFound("training job '" + name + "' does not exist");
    status = json::parse(rows[0].Text(0)).value("TrainingJobStatus", "");
    slice = JobLog::FromJson(json::parse(rows[0].Text(1), nullptr, false), options_.log_lines_kept).Read(offset, limit);
  }
  return json{{"TrainingJobName", name}, {"TrainingJobStatus", status}, {"Lines", slice.lines},
              {"FirstLine", slice.first}, {"NextLine", slice.next}, {"Truncated", slice.truncated}};
}

Status TrainingJobs::StopJob(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(name);
  if (it == active_.end()) {
    TRY_ASSIGN(auto rows, db_->Query("SELECT document FROM training_jobs WHERE name=?", {Value(name)}));
    if (rows.empty()) return NotFound("training job '" + name + "' does not exist");
    return FailedPrecondition("training job '" + name + "' has already ended (" +
                              json::parse(rows[0].Text(0)).value("TrainingJobStatus", "?") + ")");
  }
  Job& job = *it->second;
  // Ended, its runner not yet done with it (the scratch copy is being removed).
  if (job.doc.contains("TrainingEndTime")) {
    return FailedPrecondition("training job '" + name + "' has already ended (" +
                              job.doc.value("TrainingJobStatus", "?") + ")");
  }
  if (job.stop_requested) return Status::Ok();  // already stopping
  job.stop_requested = true;
  for (auto q = queue_.begin(); q != queue_.end(); ++q) {
    if (q->get() != &job) continue;
    // Never started: ends now.
    EndJob(job.doc, "Stopped", "Stopped", "Stopped by StopTrainingJob before it started");
    NoteLocked(job, "Stopped by StopTrainingJob before it started");
    TRY(SaveLocked(job));
    queue_.erase(q);
    active_.erase(it);
    return Status::Ok();
  }
  job.doc["TrainingJobStatus"] = "Stopping";
  TransitionLocked(job, "Stopping", "Stopping the training job (StopTrainingJob)");
  return Status::Ok();
}

void TrainingJobs::RunQueue() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      queue_cv_.wait(lock, [&] { return shutting_down_ || !queue_.empty(); });
      if (shutting_down_) return;
      job = queue_.front();
      queue_.pop_front();
    }
    Run(*job);
    std::lock_guard<std::mutex> lock(mu_);
    active_.erase(job->spec.name);
  }
}

void TrainingJobs::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_ && !runner_.joinable()) return;
    shutting_down_ = true;
    for (auto& job : queue_) {
      const std::string reason = "the server stopped before the job started";
      EndJob(job->doc, "Failed", "Failed", reason, reason);
      NoteLocked(*job, "Failed: " + reason);
      if (Status st = SaveLocked(*job); !st.ok()) {
        Logger("training")->error("training job '{}': {}", job->spec.name, st.ToString());
      }
      active_.erase(job->spec.name);
    }
    queue_.clear();
    queue_cv_.notify_all();
  }
  if (runner_.joinable()) runner_.join();
}

}  // namespace tributary::training
