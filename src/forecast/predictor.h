// Loads a trained DeepAR artifact (artifact.h) and forecasts the
// prediction_length points after the end of a series by ancestral sampling:
// the LSTM reads the last context_length observed points, then each of
// num_samples paths draws step t from the likelihood and feeds it back as the
// lagged input of step t + 1. Mean and quantiles are computed over the paths.
//
//   TRY_ASSIGN(auto predictor, Predictor::Load("models/m1"));
//   TRY_ASSIGN(Forecast f, predictor->Predict(series, ForecastConfig{}));
//
// Predict serializes callers with an internal mutex; results depend only on
// the model, the series and config.seed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "forecast/artifact.h"
#include "forecast/series.h"

namespace tributary::forecast {

// SageMaker's inference "configuration" object.
struct ForecastConfig {
  int num_samples = 100;
  std::vector<double> quantiles = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
  bool output_mean = true;
  bool output_quantiles = true;
  bool output_samples = false;
  uint64_t seed = 0;
  // Runs the LibTorch op-by-op sampling loop instead of FastSampler
  // (internal/fast_sampler.h): the reference the fast path is tested against.
  // Also forced for a whole process by TRIBUTARY_FORECAST_SAMPLER=torch.
  bool use_torch_sampler = false;

  // From SageMaker's names: "mean", "quantiles", "samples".
  Status SetOutputTypes(const std::vector<std::string>& types);
};

struct Forecast {
  std::vector<double> mean;                                       // prediction_length values
  std::vector<std::pair<double, std::vector<double>>> quantiles;  // per requested quantile
  std::vector<std::vector<double>> samples;                       // num_samples x prediction_length

  // One line of SageMaker DeepAR batch transform output, with the fields the
  // config asked for: {"mean": [..], "quantiles": {"0.1": [..]}, "samples": [[..]]}.
  std::string ToJson(const ForecastConfig& config) const;
};

class Predictor {
 public:
  static Result<std::unique_ptr<Predictor>> Load(const std::string& dir);
  ~Predictor();

  // Forecasts the prediction_length steps after the series' last target value.
  // The series needs the model's cat count (unless cardinality was "ignore")
  // and dynamic features covering target length + prediction_length.
  Result<Forecast> Predict(const TimeSeries& series, const ForecastConfig& config);

  const ModelInfo& info() const;

  // FNV-1a over every parameter's bytes; equals TrainReport::parameter_checksum
  // when the weights loaded back bit for bit.
  uint64_t ParameterChecksum() const;

 private:
  struct Impl;
  explicit Predictor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::forecast
