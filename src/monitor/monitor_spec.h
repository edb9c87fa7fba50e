// A drift monitor's definition (README.md, "Resource"): what it watches, how it scores,
// when it calls the scores drift, and how it retrains. Parsed once at creation; errors
// are InvalidArgument naming the field ("Retraining.ChannelsUri: ...", "Data: 'target'
// is required").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "forecast/prepare.h"

namespace tributary::monitor {

inline constexpr size_t kMaxMonitorNameLength = 47;  // + "-yyyyMMdd-HHmmss" <= 63
inline constexpr int64_t kMinIntervalSeconds = 60;
inline constexpr int64_t kMaxIntervalSeconds = 86400;

struct BaselineSpec {
  enum class Kind { kFirstEvaluation, kValue, kTrainingJob };
  Kind kind = Kind::kFirstEvaluation;
  double value = 0;          // kValue
  std::string training_job;  // kTrainingJob
};

struct RetrainingSpec {
  std::string template_job;    // a training job whose settings the new job copies
  std::string channels_uri;    // "s3://bucket/prefix/" (normalized)
  nlohmann::json deployment = nlohmann::json::object();  // serving's DeploymentConfig, checked
};

struct MonitorSpec {
  std::string name;
  std::string endpoint;
  nlohmann::json data;                // the Data object as given
  forecast::PrepareRequest prepare;   // Data parsed; `out` left empty
  int64_t interval_s = 0;             // 0: on demand only
  std::string metric = "test:mean_wQuantileLoss";
  std::vector<std::string> quantiles = {"0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"};
  std::vector<double> quantile_values;  // the same, as numbers
  int num_samples = 100;
  BaselineSpec baseline;
  double threshold = 1.5;
  int consecutive_breaches = 1;
  std::optional<RetrainingSpec> retraining;
  std::string alert_topic;  // where evaluations and retrainings are published; default $SYS/monitors/<name>

  static Result<MonitorSpec> FromJson(const nlohmann::json& body);
  // The definition as described: every field, defaults filled in.
  nlohmann::json ToJson() const;
};

// 1..47 letters, digits and '-', not starting or ending with '-'.
Status ValidateMonitorName(const std::string& name);

}  // namespace tributary::monitor
