// From drift to a new model in service (README.md), one step after another, each
// recorded so that `monitor describe` shows where a retraining is and why it ended:
//
//   Preparing   fresh channels: the monitor's Data prepared into <ChannelsUri><stamp>/
//   Training    a job "<monitor>-<stamp>" with the template job's algorithm,
//               hyperparameters, output path and stopping condition over those channels
//   Deploying   model "<monitor>-<stamp>" from the job's artifact; endpoint config
//               "<monitor>-<stamp>": the endpoint's current config with every variant
//               serving the new model; the endpoint updated with the DeploymentConfig
//   Deployed    the endpoint serves the new config; the new job's test metric (if it
//               has one) is the new baseline
//   RolledBack  the deployment's alarms (or a failed start) kept the old config
//   Failed      a step failed (FailureReason names it), or the monitor stopped
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "monitor/monitor_spec.h"
#include "monitor/services.h"
#include "serving/resources.h"

namespace tributary::monitor {

// One step of a retraining and when it ran ("Preparing", "Training", "Deploying"; the
// ending status last, with start and end at the end): SageMaker's StatusTransitions.
struct RetrainingStep {
  std::string status;
  int64_t start_ms = 0;
  int64_t end_ms = 0;  // 0 while it runs
};

struct RetrainingRecord {
  int64_t start_ms = 0;
  int64_t end_ms = 0;  // 0 while it runs
  std::string status = "Preparing";
  std::string failure_reason;
  std::string training_job, model, endpoint_config, previous_endpoint_config;
  double trigger_value = 0;                // the evaluation's value that was drift
  std::optional<double> new_baseline;      // set when Deployed with a test metric
  std::vector<RetrainingStep> steps;       // in order, the current one last

  bool Ended() const { return end_ms != 0; }
  nlohmann::json ToJson() const;
  static RetrainingRecord FromJson(const nlohmann::json& j);
};

// The new job's CreateTrainingJob request: the template's description with a new name
// and the channels <channels_uri>train/ and <channels_uri>test/.
nlohmann::json RetrainingJobRequest(const nlohmann::json& template_description, const std::string& job_name,
                                    const std::string& channels_uri);

// `current` with a new name and every variant serving `model`.
serving::EndpointConfig ConfigServing(const serving::EndpointConfig& current, const std::string& name,
                                      const std::string& model);

// A completed job's FinalMetricDataList value named `metric`, if it has one.
std::optional<double> FinalMetric(const nlohmann::json& job_description, const std::string& metric);

struct RetrainingContext {
  MonitorServices* services = nullptr;
  std::function<void(const RetrainingRecord&)> progress;  // after each change of the record
  std::function<bool()> stopping;                          // the monitor is being deleted or the server stops
  std::function<int64_t()> now_ms;                         // wall clock
  int poll_ms = 500;                                       // how often jobs and the endpoint are described
};

// Runs the steps above for `spec` (which has Retraining set); `stamp` is
// "yyyyMMdd-HHmmss". Returns the ended record.
RetrainingRecord RunRetraining(const MonitorSpec& spec, const std::string& stamp, double trigger_value,
                               const RetrainingContext& context);

}  // namespace tributary::monitor
