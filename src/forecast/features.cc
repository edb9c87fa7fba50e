#include "forecast/features.h"

#include <cmath>

namespace tributary::forecast {

FeatureSpec FeatureSpec::For(const Frequency& freq, int context_length, int prediction_length,
                             int num_dynamic_feat, std::vector<int64_t> cardinality) {
  FeatureSpec s;
  s.freq = freq;
  s.context_length = context_length;
  s.prediction_length = prediction_length;
  s.lags = LagsFor(freq);
  s.time_features = TimeFeaturesFor(freq);
  s.num_dynamic_feat = num_dynamic_feat;
  s.cardinality = std::move(cardinality);
  return s;
}

float ComputeScale(const std::vector<float>& target, int64_t begin, int64_t end) {
  double sum = 0;
  long n = 0;
  for (int64_t t = std::max<int64_t>(begin, 0); t < end && t < static_cast<int64_t>(target.size()); ++t) {
    if (std::isnan(target[t])) continue;
    sum += std::fabs(target[t]);
    ++n;
  }
  return n == 0 ? 1.0f : static_cast<float>(1.0 + sum / n);
}

void FillCovariates(const FeatureSpec& spec, const TimeSeries& series, int64_t t, float scale, float* out) {
  int64_t ts = AddSteps(series.start, spec.freq, t);
  for (TimeFeature f : spec.time_features) *out++ = TimeFeatureValue(f, ts);
  *out++ = static_cast<float>(std::log10(2.0 + static_cast<double>(std::max<int64_t>(t, 0))));
  for (int i = 0; i < spec.num_dynamic_feat; ++i) {
    const std::vector<float>& f = series.dynamic_feat[i];
    *out++ = (t >= 0 && t < static_cast<int64_t>(f.size())) ? f[t] : 0.0f;
  }
  *out++ = std::log(scale);
}

void BuildWindow(const FeatureSpec& spec, const TimeSeries& series, int64_t first, WindowData& out) {
  const int len = spec.WindowLength();
  const int nf = spec.NumRealFeatures();
  const auto n = static_cast<int64_t>(series.target.size());
  out.features.assign(static_cast<size_t>(len) * nf, 0.0f);
  out.target.assign(len, 0.0f);
  out.observed.assign(len, 0.0f);
  out.scale = ComputeScale(series.target, first, first + spec.context_length);
  auto value = [&](int64_t t) -> float {
    if (t < 0 || t >= n || std::isnan(series.target[t])) return 0.0f;
    return series.target[t];
  };
  for (int i = 0; i < len; ++i) {
    int64_t t = first + i;
    float* row = out.features.data() + static_cast<size_t>(i) * nf;
    for (int l = 0; l < spec.NumLags(); ++l) row[l] = value(t - spec.lags[l]) / out.scale;
    FillCovariates(spec, series, t, out.scale, row + spec.NumLags());
    if (t >= 0 && t < n && !std::isnan(series.target[t])) {
      out.target[i] = series.target[t];
      out.observed[i] = 1.0f;
    }
  }
}

std::vector<float> InitialPathHistory(const TimeSeries& series, int max_lag, int horizon, int paths) {
  const int64_t len = static_cast<int64_t>(series.target.size());
  const size_t stride = static_cast<size_t>(max_lag + horizon);
  std::vector<float> history(static_cast<size_t>(paths) * stride, 0.0f);
  for (int i = 0; i < max_lag; ++i) {
    int64_t t = len - max_lag + i;
    float v = (t >= 0 && !std::isnan(series.target[t])) ? series.target[t] : 0.0f;
    for (int s = 0; s < paths; ++s) history[static_cast<size_t>(s) * stride + i] = v;
  }
  return history;
}

}  // namespace tributary::forecast
