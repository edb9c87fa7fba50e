// Training jobs (SageMaker's CreateTrainingJob, DescribeTrainingJob, ListTrainingJobs,
// StopTrainingJob): DeepAR trained by the trainer tool in a child process, over
// channels copied from the lake, the model uploaded back to the lake.
//
// A job is queued on Create and jobs run one at a time, first in first out (training
// takes the machine's cores). Its life:
//
//   TrainingJobStatus  InProgress ──────────────────────────────▶ Completed | Failed
//                          │ StopTrainingJob / MaxRuntimeInSeconds
//                          ▼
//                       Stopping ─────────────────────────────▶ Stopped
//   SecondaryStatus    Starting (queued) → Downloading → Training → Uploading → Completed
//                      (or Failed, Stopping → Stopped, MaxRuntimeExceeded), each with its
//                      start and end time in SecondaryStatusTransitions
//
// Downloading copies every object under each channel's prefix to
// <scratch>/<job>/input/data/<channel>/ (SageMaker's /opt/ml layout) and the
// hyperparameters to input/config/hyperparameters.json. Training runs
// `<trainer...> train --train DIR [--test DIR] --hyperparameters F --output DIR`; every
// output line is kept as the job's log (bounded, see job_log.h), progress lines fill
// "Progress" (progress.h), and a non-zero exit fails the job with the trainer's last
// "error: ..." line as FailureReason. Stopping sends SIGTERM to the trainer's process
// group, then SIGKILL after `stop_grace_ms`. MaxRuntimeInSeconds counts from the end of
// the queue wait. Uploading copies the model directory to
// <S3OutputPath><job>/output/model/ (ModelArtifacts.S3ModelArtifacts), and metrics.json
// becomes FinalMetricDataList ("test:RMSE", "test:mean_wQuantileLoss", ...).
//
// Jobs and their logs are kept in the metadata database (component "training"). A job
// still InProgress when the server stops (or stopped while it ran) is Failed, saying so.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "metadata/database.h"
#include "objstore/object_store.h"
#include "training/job_log.h"
#include "training/job_spec.h"

namespace tributary::training {

struct TrainingOptions {
  // The trainer's argv before "train": FindCompanionTool("tributary-forecast", ...) in
  // the server; a stand-in in tests.
  std::vector<std::string> trainer = {"tributary-forecast"};
  std::string scratch_dir;  // required: <data-dir>/tmp/training
  int stop_grace_ms = 10000;
  size_t log_lines_kept = 10000;
  // While a trainer runs, its new log lines and progress are saved this often, so that a
  // server that dies mid-training still shows what the trainer printed.
  int log_save_interval_ms = 2000;
};

class TrainingJobs {
 public:
  static Result<std::unique_ptr<TrainingJobs>> Open(metadata::Database* db, objstore::ObjectStoreProvider* lake,
                                                    TrainingOptions options);
  ~TrainingJobs();  // Shutdown()
  TrainingJobs(const TrainingJobs&) = delete;
  TrainingJobs& operator=(const TrainingJobs&) = delete;

  // Checks the request (job_spec.h), records and queues the job; returns its description.
  Result<nlohmann::json> Create(const nlohmann::json& request);
  Result<nlohmann::json> Describe(const std::string& name) const;
  // Summaries, oldest first: {"TrainingJobName", "TrainingJobStatus", "SecondaryStatus",
  // "CreationTime", "TrainingEndTime"?, "LastModifiedTime"}.
  Result<nlohmann::json> List() const;
  // {"TrainingJobName", "TrainingJobStatus", "Lines": [...], "FirstLine", "NextLine",
  //  "Truncated"}: up to `limit` lines from line number `offset` (see job_log.h).
  Result<nlohmann::json> Logs(const std::string& name, int64_t offset, size_t limit) const;
  // StopTrainingJob: a queued job ends Stopped now, a running one once its trainer
  // is gone. FailedPrecondition when the job has already ended.
  Status StopJob(const std::string& name);

  // Ends the running job and every queued one (Failed: the server stopped) and waits
  // for the runner. Idempotent.
  void Shutdown();

 private:
  struct Job;
  TrainingJobs(metadata::Database* db, objstore::ObjectStoreProvider* lake, TrainingOptions options)
      : db_(db), lake_(lake), options_(std::move(options)) {}

  void RunQueue();
  void Run(Job& job);
  // The steps of Run (job_run.cc); each returns an error that ends the job.
  Status Download(Job& job, const std::string& dir);
  // `saved_when_stopped`: stopped, the trainer still exited 0 with a model (it saves the
  // best epoch so far on SIGTERM).
  Status Train(Job& job, const std::string& dir, bool* saved_when_stopped);
  Status Upload(Job& job, const std::string& dir);

  // Under mu_: moves the job to a new secondary status (closing the previous one).
  void TransitionLocked(Job& job, const std::string& secondary, const std::string& message);
  void NoteLocked(Job& job, const std::string& line);  // a line of the job's own in its log
  Status SaveLocked(const Job& job);
  void Finish(Job& job, const Status& outcome);
  // Between the objects of a copy: why the job must end now, or OK. The server stopping
  // always ends it (kCancelled); when `stoppable`, so do StopTrainingJob (kCancelled) and
  // MaxRuntimeInSeconds (kDeadlineExceeded). `step` completes "... while <step>".
  Status CheckRunning(const Job& job, const std::string& step, bool stoppable) const;

  metadata::Database* db_;
  objstore::ObjectStoreProvider* lake_;
  const TrainingOptions options_;
  mutable std::mutex mu_;
  std::condition_variable queue_cv_;
  bool shutting_down_ = false;
  std::map<std::string, std::shared_ptr<Job>> active_;  // queued or running
  std::deque<std::shared_ptr<Job>> queue_;
  std::thread runner_;
};

}  // namespace tributary::training
