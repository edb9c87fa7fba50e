// The model's per-time-step inputs, built from a series without torch so they
// can be tested on their own. At step t of a series the input row is
//
//   [ z[t - lag] / scale for each lag | time features(t) | age(t) | dynamic_feat[.][t] | log(scale) ]
//
// where a lag reaching before the series start or onto a missing value reads 0,
// age(t) = log10(2 + t) with t counted from the series start, and
// scale = 1 + mean |z| over the observed values of the context window (the
// DeepAR paper's "1 + average"; the 1 keeps series of zeros or tiny values from
// being blown up). Static categorical features go to embeddings, not to the row.
// Value types, thread-compatible.
#pragma once

#include <cstdint>
#include <vector>

#include "forecast/frequency.h"
#include "forecast/series.h"

namespace tributary::forecast {

struct FeatureSpec {
  Frequency freq;
  int context_length = 0;
  int prediction_length = 0;
  std::vector<int> lags;
  std::vector<TimeFeature> time_features;
  int num_dynamic_feat = 0;
  std::vector<int64_t> cardinality;  // one per cat feature; empty when cats are not used

  // Lags and time features chosen from `freq` (frequency.h).
  static FeatureSpec For(const Frequency& freq, int context_length, int prediction_length,
                         int num_dynamic_feat, std::vector<int64_t> cardinality);

  int NumRealFeatures() const {
    return static_cast<int>(lags.size() + time_features.size()) + 1 + num_dynamic_feat + 1;
  }
  int NumLags() const { return static_cast<int>(lags.size()); }
  int WindowLength() const { return context_length + prediction_length; }
};

// 1 + mean |z| over the non-NaN values of target[begin, end) (indices outside
// the series are skipped); 1 when none is observed.
float ComputeScale(const std::vector<float>& target, int64_t begin, int64_t end);

// Writes everything after the lags (time features, age, dynamic features,
// log scale) for step t of `series` into out[0 .. NumRealFeatures() - NumLags()).
// Dynamic features are read at index t, which may lie past the target's end.
void FillCovariates(const FeatureSpec& spec, const TimeSeries& series, int64_t t, float scale, float* out);

// A training or evaluation window: steps [first, first + WindowLength()) of a
// series, context first. `first` may be negative (padded, unobserved).
struct WindowData {
  std::vector<float> features;  // WindowLength() x NumRealFeatures(), row-major
  std::vector<float> target;    // WindowLength(); 0 where missing or padded
  std::vector<float> observed;  // WindowLength(); 1 where target holds a real value
  float scale = 1;
};

void BuildWindow(const FeatureSpec& spec, const TimeSeries& series, int64_t first, WindowData& out);

// The lag history of `paths` sample paths, path-major: history[s * (max_lag + horizon) + i]
// holds, for i < max_lag, the observed target max_lag - i steps before the forecast
// (missing and out-of-range values as 0, the same for every path); the horizon slots
// after them are 0, for the sampler to fill with each path's draws.
std::vector<float> InitialPathHistory(const TimeSeries& series, int max_lag, int horizon, int paths);

}  // namespace tributary::forecast
