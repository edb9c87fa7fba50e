// DeepAR hyperparameters with SageMaker's names, meanings, defaults and valid
// ranges. SageMaker hands every value over as a string; numbers are accepted too.
//
//   name                     default           valid
//   time_freq                (required)        [k]M, [k]W, [k]D, [k]H, [k]min
//   context_length           (required)        positive integer
//   prediction_length        (required)        positive integer
//   epochs                   (required)        positive integer
//   num_cells                40                1..200
//   num_layers               2                 1..8
//   likelihood               student-T         gaussian, beta, negative-binomial, student-T, deterministic-L1
//   mini_batch_size          128               1..1000000
//   learning_rate            0.001             1e-6..1
//   dropout_rate             0.1               0..1 (exclusive of 1)
//   early_stopping_patience  (off)             positive integer
//   embedding_dimension      10                1..1000000
//   cardinality              auto              auto, ignore, "" or an array such as [2, 3]
//   num_dynamic_feat         auto              auto, ignore, "" or a non-negative integer
//   num_eval_samples         100               positive integer
//   test_quantiles           [0.1, ..., 0.9]   array of values in (0, 1)
//
// `_tuning_objective_metric` (set by SageMaker tuning jobs) is accepted and
// ignored; any other unknown name is an error. Thread-compatible value types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "forecast/frequency.h"
#include "forecast/metrics.h"  // QuantileKey

namespace tributary::forecast {

enum class Likelihood { kStudentT, kGaussian, kNegativeBinomial, kBeta, kDeterministicL1 };

std::string_view LikelihoodName(Likelihood l);  // SageMaker's spelling, e.g. "student-T"
Result<Likelihood> ParseLikelihood(std::string_view name);

// How cardinality / num_dynamic_feat were given.
enum class FeatureMode { kAuto, kIgnore, kExplicit };

struct Hyperparameters {
  Frequency time_freq;
  int context_length = 0;
  int prediction_length = 0;
  int epochs = 0;
  int num_cells = 40;
  int num_layers = 2;
  Likelihood likelihood = Likelihood::kStudentT;
  int mini_batch_size = 128;
  double learning_rate = 0.001;
  double dropout_rate = 0.1;
  std::optional<int> early_stopping_patience;
  int embedding_dimension = 10;
  FeatureMode cardinality_mode = FeatureMode::kAuto;
  std::vector<int64_t> cardinality;  // when kExplicit
  FeatureMode num_dynamic_feat_mode = FeatureMode::kAuto;
  int num_dynamic_feat = 0;  // when kExplicit
  int num_eval_samples = 100;
  std::vector<double> test_quantiles = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};

  // Back to SageMaker's string form (what hyperparameters.json in the artifact holds).
  std::map<std::string, std::string> ToStrings() const;
};

// From name -> string value. Errors name the hyperparameter, the value and the
// valid range, e.g. "hyperparameter 'num_cells': 500 is out of range 1..200".
Result<Hyperparameters> ParseHyperparameters(const std::map<std::string, std::string>& values);

// From the text of a JSON object whose values are strings or numbers (a
// SageMaker hyperparameters.json). `origin` names the file in errors.
Result<Hyperparameters> ParseHyperparametersJson(std::string_view text, const std::string& origin);

}  // namespace tributary::forecast
