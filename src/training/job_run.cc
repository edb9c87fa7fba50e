// The steps of one training job: download the channels, run the trainer, upload the
// model and read its metrics (training_jobs.h has the life cycle).
#include <fmt/format.h>
#include <sys/wait.h>

#include <filesystem>

#include "base/clock.h"
#include "base/files.h"
#include "base/log.h"
#include "base/process.h"
#include "objstore/prefix_copy.h"
#include "training/job_state.h"
#include "training/progress.h"
#include "training/tool_run.h"

namespace tributary::training {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kPumpMs = 100;

std::string Now() { return FormatIso8601Millis(WallMillis()); }

std::string ChannelDir(const std::string& dir, const std::string& channel) {
  return dir + "/input/data/" + channel;
}

}  // namespace

void TrainingJobs::Run(Job& job) {
  const std::string dir = options_.scratch_dir + "/" + job.spec.name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    job.run_started_ns = SteadyNanos();
    job.doc["TrainingStartTime"] = Now();
  }
  Logger("training")->info("training job '{}' started", job.spec.name);
  Status st = Download(job, dir);
  bool saved_when_stopped = false;
  if (st.ok()) st = Train(job, dir, &saved_when_stopped);
  if (st.ok()) {
    st = Upload(job, dir);
  } else if (saved_when_stopped) {
    // Stopped (StopTrainingJob, MaxRuntimeInSeconds), the trainer saved the best model so
    // far, as SageMaker's algorithms do in their SIGTERM window: it is kept, and the job
    // still ends as stopped.
    if (Status uploaded = Upload(job, dir); !uploaded.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      NoteLocked(job, "the model saved when the trainer was stopped was not kept: " + uploaded.ToString());
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  Finish(job, st);
}

Status TrainingJobs::Download(Job& job, const std::string& dir) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    TransitionLocked(job, "Downloading", "Downloading the input data from the lake");
  }
  std::vector<std::pair<std::string, lake::LakePath>> channels = {{"train", job.spec.train}};
  if (job.spec.test) channels.emplace_back("test", *job.spec.test);
  // StopTrainingJob and MaxRuntimeInSeconds end a long download between two objects.
  Status ended;
  auto check = [&] {
    ended = CheckRunning(job, "downloading the input data", /*stoppable=*/true);
    return ended;
  };
  for (const auto& [name, path] : channels) {
    TRY(check());
    TRY_ASSIGN(auto bucket, lake_->Bucket(path.bucket));
    Result<size_t> count = objstore::DownloadPrefix(*bucket, path.prefix, ChannelDir(dir, name), check);
    if (!ended.ok()) return ended;
    if (!count.ok()) return count.status().WithContext("channel '" + name + "' (" + path.ToUri() + ")");
    if (*count == 0) {
      return InvalidArgument("InputDataConfig channel '" + name + "': no objects under " + path.ToUri());
    }
    std::lock_guard<std::mutex> lock(mu_);
    NoteLocked(job, fmt::format("channel {}: {} object(s) from {}", name, *count, path.ToUri()));
  }
  TRY(MakeDirs(dir + "/input/config"));
  return WriteFileAtomic(dir + "/input/config/hyperparameters.json", json(job.spec.hyperparameters).dump(2) + "\n");
}

Status TrainingJobs::Train(Job& job, const std::string& dir, bool* saved_when_stopped) {
  std::vector<std::string> command = options_.trainer;
  command.insert(command.end(), {"train", "--train", ChannelDir(dir, "train")});
  if (job.spec.test) command.insert(command.end(), {"--test", ChannelDir(dir, "test")});
  command.insert(command.end(), {"--hyperparameters", dir + "/input/config/hyperparameters.json", "--output",
                                 dir + "/model"});
  {
    std::lock_guard<std::mutex> lock(mu_);
    TransitionLocked(job, "Training", "Training DeepAR");
  }
  Result<std::unique_ptr<ToolRun>> started = ToolRun::Start(command);
  if (!started.ok()) {
    return FailedPrecondition("cannot run the trainer: " + started.status().message() +
                              " (build tributary-forecast, or set TRIBUTARY_FORECAST_TOOL to its path)");
  }
  ToolRun& run = **started;
  const int64_t deadline_ns = job.deadline_ns();
  std::string last_error, last_line;
  Status ending;  // set once we decide to end the trainer
  bool server_stopped = false;
  int64_t terminated_ns = 0;
  auto on_line = [&](std::string line) {
    constexpr std::string_view kError = "tributary train: ";  // forecast/commands.h
    if (line.rfind(kError, 0) == 0) last_error = line.substr(kError.size());
    if (line.find_first_not_of(" \t") != std::string::npos) last_line = line;
    std::optional<EpochProgress> progress = ParseProgressLine(line);
    std::lock_guard<std::mutex> lock(mu_);
    if (progress) job.doc["Progress"] = ToJson(*progress);
    job.log.Append(std::move(line));
  };
  int64_t saved_ns = SteadyNanos();
  int64_t saved_log_end = -1;
  while (run.Pump(kPumpMs, on_line)) {
    const int64_t now = SteadyNanos();
    bool user_stop, shutdown;
    {
      std::lock_guard<std::mutex> lock(mu_);
      user_stop = job.stop_requested;
      shutdown = shutting_down_;
      if (now - saved_ns >= int64_t{options_.log_save_interval_ms} * 1000000 &&
          job.log.end() != saved_log_end) {
        if (Status st = SaveLocked(job); !st.ok()) {
          Logger("training")->warn("training job '{}': log not saved: {}", job.spec.name, st.ToString());
        }
        saved_ns = now;
        saved_log_end = job.log.end();
      }
    }
    if (shutdown) {
      server_stopped = true;
      run.Kill();  // the server is going: no grace
      if (ending.ok()) ending = Status(ErrorCode::kCancelled, "the server stopped");
    } else if (ending.ok() && (user_stop || now > deadline_ns)) {
      ending = user_stop ? Status(ErrorCode::kCancelled, "Stopped by StopTrainingJob")
                         : Status(ErrorCode::kDeadlineExceeded,
                                  fmt::format("MaxRuntimeInSeconds ({} s) exceeded: the trainer was stopped",
                                              job.spec.max_runtime_seconds));
      run.Terminate();
      terminated_ns = now;
      std::lock_guard<std::mutex> lock(mu_);
      NoteLocked(job, "sent SIGTERM to the trainer (" + ending.message() + ")");
    } else if (terminated_ns != 0 && now - terminated_ns > int64_t{options_.stop_grace_ms} * 1000000) {
      run.Kill();
      terminated_ns = INT64_MAX / 2;  // once
      std::lock_guard<std::mutex> lock(mu_);
      NoteLocked(job, fmt::format("sent SIGKILL to the trainer ({} ms after SIGTERM)", options_.stop_grace_ms));
    }
  }
  const int status = run.Wait();
  const std::string how = DescribeWaitStatus(status);
  {
    std::lock_guard<std::mutex> lock(mu_);
    NoteLocked(job, "the trainer " + how);
  }
  if (!ending.ok()) {
    std::error_code ec;
    // Not when the server is going: that SIGKILLs the trainer, and the job ends Failed.
    *saved_when_stopped = !server_stopped && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                          fs::is_regular_file(dir + "/model/model.json", ec);
    return ending;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  std::string reason = !last_error.empty() ? last_error : !last_line.empty() ? last_line : "no output";
  // The job's scratch files by their place in the job's layout ("input/config/
  // hyperparameters.json: ..."): the server's directories are not the client's business,
  // and the scratch copy is gone once the job ends.
  for (size_t at; (at = reason.find(dir + "/")) != std::string::npos;) reason.erase(at, dir.size() + 1);
  return Internal(reason + " (the trainer " + how + ")");
}

Status TrainingJobs::CheckRunning(const Job& job, const std::string& step, bool stoppable) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return Status(ErrorCode::kCancelled, "the server stopped while " + step);
  if (!stoppable) return Status::Ok();
  if (job.stop_requested) return Status(ErrorCode::kCancelled, "Stopped by StopTrainingJob while " + step);
  if (SteadyNanos() > job.deadline_ns()) {
    return Status(ErrorCode::kDeadlineExceeded,
                  fmt::format("MaxRuntimeInSeconds ({} s) exceeded while {}", job.spec.max_runtime_seconds, step));
  }
  return Status::Ok();
}

Status TrainingJobs::Upload(Job& job, const std::string& dir) {
  const lake::LakePath target = job.spec.ModelArtifacts();
  {
    std::lock_guard<std::mutex> lock(mu_);
    TransitionLocked(job, "Uploading", "Uploading the model to " + target.ToUri());
  }
  const std::string model = dir + "/model";
  std::error_code ec;
  if (!fs::is_regular_file(model + "/model.json", ec)) {
    return Internal("the trainer exited with status 0 but wrote no model.json to its --output directory");
  }
  TRY_ASSIGN(auto bucket, lake_->Bucket(target.bucket));
  // Once trained, the model is uploaded even if StopTrainingJob comes now; only the server
  // stopping ends the upload.
  Result<size_t> count = objstore::UploadDirectory(model, *bucket, target.prefix, [&] {
    return CheckRunning(job, "uploading the model", /*stoppable=*/false);
  });
  if (!count.ok()) return count.status().WithContext("uploading the model to " + target.ToUri());
  json metrics = json::array();
  if (Result<std::string> text = ReadFile(model + "/metrics.json"); text.ok()) {
    json parsed = json::parse(*text, nullptr, false);
    std::string now = Now();
    if (parsed.is_object()) {
      for (const auto& [name, value] : parsed.items()) {
        if (value.is_number()) metrics.push_back({{"MetricName", name}, {"Value", value}, {"Timestamp", now}});
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  NoteLocked(job, fmt::format("uploaded {} file(s) to {}", *count, target.ToUri()));
  job.doc["ModelArtifacts"] = {{"S3ModelArtifacts", target.ToUri()}};
  job.doc["FinalMetricDataList"] = metrics;
  return Status::Ok();
}

void TrainingJobs::Finish(Job& job, const Status& outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  json& doc = job.doc;
  const std::string was = doc.value("SecondaryStatus", "");
  if (outcome.ok()) {
    EndJob(doc, "Completed", "Completed", "Training job completed");
  } else if (outcome.code() == ErrorCode::kCancelled && !job.stop_requested) {
    const std::string reason = "the server stopped while the job was in " + was;
    EndJob(doc, "Failed", "Failed", reason, reason);
  } else if (outcome.code() == ErrorCode::kCancelled) {
    EndJob(doc, "Stopped", "Stopped", outcome.message());
  } else if (outcome.code() == ErrorCode::kDeadlineExceeded) {
    EndJob(doc, "Stopped", "MaxRuntimeExceeded", outcome.message(), outcome.message());
  } else {
    EndJob(doc, "Failed", "Failed", outcome.message(), outcome.message());
  }
  NoteLocked(job, doc["SecondaryStatus"].get<std::string>() + ": " +
                      doc["SecondaryStatusTransitions"].back()["StatusMessage"].get<std::string>());
  doc["TrainingTimeInSeconds"] = (SteadyNanos() - job.run_started_ns) / 1000000000;
  if (Status st = SaveLocked(job); !st.ok()) {
    Logger("training")->error("training job '{}': {}", job.spec.name, st.ToString());
  }
  Logger("training")->info("training job '{}' {}{}", job.spec.name, doc["TrainingJobStatus"].get<std::string>(),
                           doc.contains("FailureReason") ? ": " + doc["FailureReason"].get<std::string>() : "");
}

}  // namespace tributary::training
