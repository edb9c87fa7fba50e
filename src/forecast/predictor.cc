#include "forecast/predictor.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

#include "forecast/internal/deepar_net.h"
#include "forecast/internal/fast_sampler.h"
#include "forecast/internal/likelihood.h"
#include "forecast/metrics.h"

namespace tributary::forecast {

using internal::DeepARNet;

struct Predictor::Impl {
  ModelInfo info;
  DeepARNet net{nullptr};
  // The weights copied out of `net` once, for the torch-op-free path.
  std::unique_ptr<internal::FastSampler> fast;
  bool force_torch = false;  // TRIBUTARY_FORECAST_SAMPLER=torch
  std::mutex mu;

  // The torch path: every step through DeepARNet::Forward and likelihood.h,
  // ~50 small LibTorch ops per step. Fills f.samples.
  void TorchSamples(const TimeSeries& series, const ForecastConfig& config, Forecast& f);
};

Status ForecastConfig::SetOutputTypes(const std::vector<std::string>& types) {
  output_mean = output_quantiles = output_samples = false;
  for (const std::string& t : types) {
    if (t == "mean") {
      output_mean = true;
    } else if (t == "quantiles") {
      output_quantiles = true;
    } else if (t == "samples") {
      output_samples = true;
    } else {
      return InvalidArgument("output type '" + t + "' is not one of mean, quantiles, samples");
    }
  }
  return Status::Ok();
}

std::string Forecast::ToJson(const ForecastConfig& config) const {
  nlohmann::json j = nlohmann::json::object();
  if (config.output_mean) j["mean"] = mean;
  if (config.output_quantiles) {
    j["quantiles"] = nlohmann::json::object();
    for (const auto& [q, values] : quantiles) j["quantiles"][QuantileKey(q)] = values;
  }
  if (config.output_samples) j["samples"] = samples;
  return j.dump();
}

Predictor::Predictor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Predictor::~Predictor() = default;

const ModelInfo& Predictor::info() const { return impl_->info; }

Result<std::unique_ptr<Predictor>> Predictor::Load(const std::string& dir) {
  auto impl = std::make_unique<Impl>();
  TRY_ASSIGN(impl->info, ReadModelInfo(dir));
  const Hyperparameters& hp = impl->info.hyperparameters;
  internal::NetShape shape;
  shape.num_real_features = impl->info.spec.NumRealFeatures();
  shape.cardinality = impl->info.spec.cardinality;
  shape.embedding_dimension = hp.embedding_dimension;
  shape.num_cells = hp.num_cells;
  shape.num_layers = hp.num_layers;
  shape.dropout_rate = hp.dropout_rate;
  shape.likelihood = hp.likelihood;
  std::string weights = dir + "/" + kWeightsFile;
  try {
    impl->net = DeepARNet(shape);
    torch::load(impl->net, weights);
    impl->net->eval();
    impl->fast =
        std::make_unique<internal::FastSampler>(impl->net->ExportWeights(), impl->info.spec);
  } catch (const std::exception& e) {
    return DataLoss("cannot load model weights '" + weights + "': " + e.what());
  }
  const char* sampler = std::getenv("TRIBUTARY_FORECAST_SAMPLER");
  impl->force_torch = sampler != nullptr && std::string(sampler) == "torch";
  return std::unique_ptr<Predictor>(new Predictor(std::move(impl)));
}

uint64_t Predictor::ParameterChecksum() const { return internal::ParameterChecksum(*impl_->net); }

void Predictor::Impl::TorchSamples(const TimeSeries& series, const ForecastConfig& config,
                                   Forecast& f) {
  const FeatureSpec& spec = info.spec;
  const Likelihood likelihood = info.hyperparameters.likelihood;
  const int C = spec.context_length, P = spec.prediction_length, S = config.num_samples;
  const int nf = spec.NumRealFeatures(), nl = spec.NumLags();
  const auto len = static_cast<int64_t>(series.target.size());
  const int max_lag = spec.lags.empty() ? 0 : spec.lags.back();
  // Inference mode also skips autograd's version counters and view tracking,
  // which NoGradGuard keeps, on each of the many small per-step ops.
  c10::InferenceMode inference;
  torch::Generator gen = at::detail::createCPUGenerator(config.seed);
  WindowData w;
  BuildWindow(spec, series, len - C, w);
  auto ctx = torch::from_blob(w.features.data(), {1, C, nf}, torch::kFloat).clone();
  std::vector<int64_t> cat_values(series.cat.begin(), series.cat.end());
  auto cats1 = torch::tensor(cat_values, torch::kLong).reshape({1, static_cast<int64_t>(cat_values.size())});
  auto [raw, state] = net->Forward(ctx, cats1);
  auto [h, c] = state;
  internal::LstmState paths_state{h.repeat({1, S, 1}), c.repeat({1, S, 1})};
  auto cats = cats1.repeat({S, 1});
  auto scale = torch::full({S}, w.scale, torch::kFloat);

  // history[s][max_lag + k] is step len + k of path s; the first max_lag are observed.
  const int hist_len = max_lag + P;
  std::vector<float> history = InitialPathHistory(series, max_lag, P, S);
  std::vector<float> cov(nf - nl);
  std::vector<float> step_input(static_cast<size_t>(S) * nf);
  auto out = torch::empty({S, P}, torch::kFloat);
  for (int k = 0; k < P; ++k) {
    FillCovariates(spec, series, len + k, w.scale, cov.data());
    for (int s = 0; s < S; ++s) {
      float* row = step_input.data() + static_cast<size_t>(s) * nf;
      const float* hist = history.data() + static_cast<size_t>(s) * hist_len;
      for (int l = 0; l < nl; ++l) row[l] = hist[max_lag + k - spec.lags[l]] / w.scale;
      std::copy(cov.begin(), cov.end(), row + nl);
    }
    auto x = torch::from_blob(step_input.data(), {S, 1, nf}, torch::kFloat);
    auto [step_raw, next_state] = net->Forward(x, cats, paths_state);
    paths_state = next_state;
    auto dist = internal::MakeDist(likelihood, step_raw.select(1, 0), scale);
    auto z = internal::Sample(dist, gen).contiguous();
    out.select(1, k).copy_(z);
    const float* zs = z.data_ptr<float>();
    for (int s = 0; s < S; ++s) history[static_cast<size_t>(s) * hist_len + max_lag + k] = zs[s];
  }
  auto acc = out.accessor<float, 2>();
  f.samples.assign(S, std::vector<double>(P));
  for (int s = 0; s < S; ++s) {
    for (int k = 0; k < P; ++k) f.samples[s][k] = acc[s][k];
  }
}

Result<Forecast> Predictor::Predict(const TimeSeries& input, const ForecastConfig& config) {
  const ModelInfo& info = impl_->info;
  const FeatureSpec& spec = info.spec;
  const Hyperparameters& hp = info.hyperparameters;
  if (config.num_samples < 1) return InvalidArgument("num_samples must be >= 1");
  for (double q : config.quantiles) {
    if (!(q > 0 && q < 1)) return InvalidArgument("quantile " + std::to_string(q) + " is not in (0, 1)");
  }
  TimeSeries series = input;
  if (hp.cardinality_mode == FeatureMode::kIgnore) series.cat.clear();
  if (hp.num_dynamic_feat_mode == FeatureMode::kIgnore) series.dynamic_feat.clear();
  if (series.target.empty()) return InvalidArgument(series.origin + ": field 'target': is empty");
  TRY(CheckShapes({series}, spec.cardinality.size(), spec.num_dynamic_feat, spec.prediction_length));
  for (size_t i = 0; i < series.cat.size(); ++i) {
    // Both ends: the value indexes the embedding table (fast_sampler.cc).
    if (series.cat[i] < 0 || series.cat[i] >= spec.cardinality[i]) {
      return InvalidArgument(series.origin + ": field 'cat[" + std::to_string(i) +
                             "]': " + std::to_string(series.cat[i]) + " is not in 0.." +
                             std::to_string(spec.cardinality[i] - 1) +
                             " (the model's cardinality is " + std::to_string(spec.cardinality[i]) +
                             ")");
    }
  }
  TRY(internal::CheckSupport(hp.likelihood, series.target, series.origin));

  const int P = spec.prediction_length, S = config.num_samples;
  Forecast f;
  std::lock_guard<std::mutex> lock(impl_->mu);
  try {
    if (config.use_torch_sampler || impl_->force_torch) {
      impl_->TorchSamples(series, config, f);
    } else {
      // FastSampler covers every likelihood and input the network takes; the
      // torch path stays as its reference (tests) and as a fallback by flag.
      const int C = spec.context_length;
      WindowData w;
      BuildWindow(spec, series, static_cast<int64_t>(series.target.size()) - C, w);
      std::vector<float> paths = impl_->fast->SamplePaths(series, w, S, config.seed);
      f.samples.assign(S, std::vector<double>(P));
      for (int s = 0; s < S; ++s) {
        for (int k = 0; k < P; ++k) f.samples[s][k] = paths[static_cast<size_t>(s) * P + k];
      }
    }
  } catch (const std::exception& e) {
    return Internal(std::string("forecast failed: ") + e.what());
  }
  f.mean.assign(P, 0.0);
  for (const auto& path : f.samples) {
    for (int k = 0; k < P; ++k) f.mean[k] += path[k] / S;
  }
  for (double q : config.quantiles) f.quantiles.emplace_back(q, std::vector<double>(P));
  std::vector<double> column(S);
  for (int k = 0; k < P; ++k) {
    for (int s = 0; s < S; ++s) column[s] = f.samples[s][k];
    std::sort(column.begin(), column.end());
    for (auto& [q, values] : f.quantiles) values[k] = QuantileOfSorted(column, q);
  }
  return f;
}

}  // namespace tributary::forecast
