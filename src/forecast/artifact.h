// The model artifact directory written by training and read by the predictor:
//
//   model.json             what inference needs: format version, frequency, lags,
//                          time features, cardinality, num_dynamic_feat, network shape
//   hyperparameters.json   the resolved hyperparameters in SageMaker's string form
//   model.pt               the network's parameters (torch::save)
//   metrics.json           test:* metrics and train:final_loss (when a test channel was given)
//
// Every file is written atomically (temporary file, fsync, rename), model.pt
// last but one and metrics.json last. Thread-compatible.
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "forecast/features.h"
#include "forecast/hyperparameters.h"

namespace tributary::forecast {

inline constexpr char kModelInfoFile[] = "model.json";
inline constexpr char kHyperparametersFile[] = "hyperparameters.json";
inline constexpr char kWeightsFile[] = "model.pt";
inline constexpr char kMetricsFile[] = "metrics.json";

struct ModelInfo {
  Hyperparameters hyperparameters;  // with cardinality / num_dynamic_feat resolved
  FeatureSpec spec;
};

Status WriteModelInfo(const std::string& dir, const ModelInfo& info);
Result<ModelInfo> ReadModelInfo(const std::string& dir);

Status WriteMetrics(const std::string& dir, const std::map<std::string, double>& metrics);

}  // namespace tributary::forecast
