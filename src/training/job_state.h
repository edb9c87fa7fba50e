// Internal to training/: what TrainingJobs keeps per queued or running job, shared by
// training_jobs.cc (queue, API) and job_run.cc (the steps of a run).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "training/job_log.h"
#include "training/job_spec.h"
#include "training/training_jobs.h"

namespace tributary::training {

// Every member but `spec` and `created_ms` is guarded by TrainingJobs::mu_.
struct TrainingJobs::Job {
  Job(TrainingJobSpec s, size_t log_lines) : spec(std::move(s)), log(log_lines) {}
  const TrainingJobSpec spec;
  int64_t created_ms = 0;
  nlohmann::json doc;  // DescribeTrainingJob's answer
  JobLog log;
  bool stop_requested = false;  // StopTrainingJob was called
  int64_t run_started_ns = 0;   // SteadyNanos() when it left the queue

  // SteadyNanos() at which MaxRuntimeInSeconds is up (the run must have started).
  int64_t deadline_ns() const { return run_started_ns + spec.max_runtime_seconds * 1000000000; }
};

// On a description: closes the open secondary status and opens `secondary`.
void Transition(nlohmann::json& doc, const std::string& secondary, const std::string& message);
// The same, ending the job: TrainingJobStatus `status`, the last transition closed,
// TrainingEndTime set; a non-empty `reason` becomes FailureReason.
void EndJob(nlohmann::json& doc, const std::string& status, const std::string& secondary, const std::string& message,
            const std::string& reason = "");

}  // namespace tributary::training
