#include "forecast/trainer.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>

#include "base/files.h"
#include "forecast/artifact.h"
#include "forecast/compute.h"
#include "forecast/features.h"
#include "forecast/internal/deepar_net.h"
#include "forecast/internal/likelihood.h"
#include "forecast/metrics.h"
#include "forecast/predictor.h"

namespace tributary::forecast {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kClipNorm = 10.0;
constexpr double kDecayFactor = 0.5;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Resolves cardinality and num_dynamic_feat against the data and checks every
// series; errors name the series' file and line.
Result<FeatureSpec> ResolveSpec(const Hyperparameters& hp, std::vector<TimeSeries>& train,
                                std::vector<TimeSeries>& test) {
  if (hp.cardinality_mode == FeatureMode::kIgnore) {
    for (auto& s : train) s.cat.clear();
    for (auto& s : test) s.cat.clear();
  }
  if (hp.num_dynamic_feat_mode == FeatureMode::kIgnore) {
    for (auto& s : train) s.dynamic_feat.clear();
    for (auto& s : test) s.dynamic_feat.clear();
  }
  const size_t num_cat = train.front().cat.size();
  const size_t num_dyn = train.front().dynamic_feat.size();
  std::vector<int64_t> cardinality;
  if (hp.cardinality_mode == FeatureMode::kExplicit) {
    if (hp.cardinality.size() != num_cat) {
      return InvalidArgument(fmt::format("hyperparameter 'cardinality' lists {} features but {} has {} cat values",
                                         hp.cardinality.size(), train.front().origin, num_cat));
    }
    cardinality = hp.cardinality;
  } else if (hp.cardinality_mode == FeatureMode::kAuto) {
    cardinality.assign(num_cat, 1);
    for (const auto& s : train) {
      for (size_t i = 0; i < s.cat.size() && i < num_cat; ++i) cardinality[i] = std::max(cardinality[i], s.cat[i] + 1);
    }
  }
  if (hp.num_dynamic_feat_mode == FeatureMode::kExplicit && static_cast<size_t>(hp.num_dynamic_feat) != num_dyn) {
    return InvalidArgument(fmt::format("hyperparameter 'num_dynamic_feat' is {} but {} has {} dynamic features",
                                       hp.num_dynamic_feat, train.front().origin, num_dyn));
  }
  TRY(CheckShapes(train, cardinality.size(), num_dyn, 0));
  TRY(CheckShapes(test, cardinality.size(), num_dyn, 0));
  for (const auto* channel : {&train, &test}) {
    for (const TimeSeries& s : *channel) {
      TRY(internal::CheckSupport(hp.likelihood, s.target, s.origin));
      for (size_t i = 0; i < s.cat.size(); ++i) {
        if (s.cat[i] < 0 || s.cat[i] >= cardinality[i]) {
          return InvalidArgument(
              fmt::format("{}: field 'cat[{}]': {} is not in 0..{} (cardinality {})", s.origin, i,
                          s.cat[i], cardinality[i] - 1, cardinality[i]));
        }
      }
    }
  }
  for (const TimeSeries& s : test) {
    if (s.target.size() <= static_cast<size_t>(hp.prediction_length)) {
      return InvalidArgument(fmt::format(
          "{}: field 'target': a test series needs more than prediction_length ({}) points, it has {}", s.origin,
          hp.prediction_length, s.target.size()));
    }
  }
  return FeatureSpec::For(hp.time_freq, hp.context_length, hp.prediction_length, static_cast<int>(num_dyn),
                          cardinality);
}

// A batch of windows as tensors.
struct Batch {
  torch::Tensor real, target, observed, scale, cats;
};

class BatchBuilder {
 public:
  explicit BatchBuilder(const FeatureSpec& spec) : spec_(spec) {}

  // windows: (series, first step) pairs. `prediction_only` masks the context steps
  // out of the loss (validation).
  Batch Build(const std::vector<std::pair<const TimeSeries*, int64_t>>& windows, bool prediction_only) {
    const int64_t B = static_cast<int64_t>(windows.size()), T = spec_.WindowLength(), F = spec_.NumRealFeatures();
    const int64_t ncat = static_cast<int64_t>(spec_.cardinality.size());
    Batch b;
    b.real = torch::empty({B, T, F}, torch::kFloat);
    b.target = torch::empty({B, T}, torch::kFloat);
    b.observed = torch::empty({B, T}, torch::kFloat);
    b.scale = torch::empty({B, 1}, torch::kFloat);
    b.cats = torch::zeros({B, ncat}, torch::kLong);
    float* real = b.real.data_ptr<float>();
    float* target = b.target.data_ptr<float>();
    float* observed = b.observed.data_ptr<float>();
    auto scale = b.scale.accessor<float, 2>();
    auto cats = b.cats.accessor<int64_t, 2>();
    for (int64_t i = 0; i < B; ++i) {
      const auto& [series, first] = windows[i];
      BuildWindow(spec_, *series, first, w_);
      std::copy(w_.features.begin(), w_.features.end(), real + i * T * F);
      std::copy(w_.target.begin(), w_.target.end(), target + i * T);
      if (prediction_only) std::fill(w_.observed.begin(), w_.observed.begin() + spec_.context_length, 0.0f);
      std::copy(w_.observed.begin(), w_.observed.end(), observed + i * T);
      scale[i][0] = w_.scale;
      for (int64_t c = 0; c < ncat; ++c) cats[i][c] = series->cat[c];
    }
    return b;
  }

 private:
  const FeatureSpec& spec_;
  WindowData w_;
};

// Mean negative log-likelihood over the observed steps, and the observed count.
std::pair<torch::Tensor, double> Loss(internal::DeepARNet& net, Likelihood kind, const Batch& b) {
  auto [raw, state] = net->Forward(b.real, b.cats);
  auto dist = internal::MakeDist(kind, raw, b.scale);
  auto lp = internal::LogProb(dist, b.target);
  auto mask = b.observed > 0;
  auto nll = -torch::where(mask, lp, torch::zeros_like(lp)).sum();
  double n = b.observed.sum().item<double>();
  return {nll / std::max(n, 1.0), n};
}

// Samples window starts uniformly over all windows whose last step lies in the
// series and whose prediction range holds at least one step of it.
class WindowSampler {
 public:
  WindowSampler(const std::vector<TimeSeries>& series, const FeatureSpec& spec) : series_(series), spec_(spec) {
    int64_t total = 0;
    for (const TimeSeries& s : series) {
      auto len = static_cast<int64_t>(s.target.size());
      total += len - LowestEnd(len) + 1;
      cumulative_.push_back(total);
    }
  }
  std::pair<const TimeSeries*, int64_t> Draw(std::mt19937_64& rng) const {
    std::uniform_int_distribution<int64_t> pick(0, cumulative_.back() - 1);
    int64_t r = pick(rng);
    size_t i = std::upper_bound(cumulative_.begin(), cumulative_.end(), r) - cumulative_.begin();
    int64_t offset = r - (i == 0 ? 0 : cumulative_[i - 1]);
    auto len = static_cast<int64_t>(series_[i].target.size());
    int64_t end = LowestEnd(len) + offset;  // exclusive end of the window
    return {&series_[i], end - spec_.WindowLength()};
  }

 private:
  int64_t LowestEnd(int64_t len) const { return std::min<int64_t>(len, spec_.prediction_length); }
  const std::vector<TimeSeries>& series_;
  const FeatureSpec& spec_;
  std::vector<int64_t> cumulative_;
};

Status Cancelled() { return {ErrorCode::kCancelled, "training cancelled"}; }

Result<TrainReport> TrainImpl(const TrainRequest& req, const ProgressFn& progress) {
  const Hyperparameters& hp = req.hyperparameters;
  if (req.output_dir.empty()) return InvalidArgument("training needs an output directory for the model");
  std::vector<TimeSeries> train = req.train_series, test = req.test_series;
  if (!req.train_path.empty()) {
    auto r = ReadChannel(req.train_path);
    if (!r.ok()) return r.status().WithContext("train channel");
    train = std::move(r).value();
  }
  if (!req.test_path.empty()) {
    auto r = ReadChannel(req.test_path);
    if (!r.ok()) return r.status().WithContext("test channel");
    test = std::move(r).value();
  }
  if (train.empty()) return InvalidArgument("train channel holds no time series");
  TRY_ASSIGN(FeatureSpec spec, ResolveSpec(hp, train, test));

  SetComputeThreads(req.num_threads);
  torch::manual_seed(req.seed);
  std::mt19937_64 rng(req.seed);
  internal::NetShape shape{spec.NumRealFeatures(), spec.cardinality, hp.embedding_dimension, hp.num_cells,
                           hp.num_layers,          hp.dropout_rate,  hp.likelihood};
  internal::DeepARNet net(shape);
  torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(hp.learning_rate));
  BatchBuilder builder(spec);
  WindowSampler sampler(train, spec);

  int64_t total_points = 0;
  for (const auto& s : train) total_points += static_cast<int64_t>(s.target.size());
  const int64_t batches_per_epoch = std::max<int64_t>(
      1, (total_points + int64_t{hp.prediction_length} * hp.mini_batch_size - 1) /
             (int64_t{hp.prediction_length} * hp.mini_batch_size));

  std::vector<std::pair<const TimeSeries*, int64_t>> val_windows;
  for (const auto& s : test) {
    val_windows.emplace_back(&s, static_cast<int64_t>(s.target.size()) - spec.WindowLength());
  }

  TrainReport report;
  report.best_validation_loss = std::numeric_limits<double>::quiet_NaN();
  double best_monitored = std::numeric_limits<double>::infinity();
  double plateau_best = best_monitored;
  int plateau_epochs = 0, epochs_without_improvement = 0;
  double lr = hp.learning_rate;
  std::vector<torch::Tensor> best_params;
  const auto start = Clock::now();
  std::vector<std::pair<const TimeSeries*, int64_t>> windows(hp.mini_batch_size);
  int64_t windows_seen = 0;

  for (int epoch = 1; epoch <= hp.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    net->train();
    double loss_sum = 0, weight_sum = 0;
    bool stopping = false;
    for (int64_t b = 0; b < batches_per_epoch; ++b) {
      if (req.cancel != nullptr && req.cancel->load()) return Cancelled();
      if (req.stop != nullptr && req.stop->load()) {
        stopping = true;
        break;
      }
      for (auto& w : windows) w = sampler.Draw(rng);
      Batch batch = builder.Build(windows, /*prediction_only=*/false);
      optimizer.zero_grad();
      auto [loss, n] = Loss(net, hp.likelihood, batch);
      loss.backward();
      torch::nn::utils::clip_grad_norm_(net->parameters(), kClipNorm);
      optimizer.step();
      loss_sum += loss.item<double>() * n;
      weight_sum += n;
    }
    if (stopping) {
      if (best_params.empty()) {
        return Status(ErrorCode::kCancelled, "training stopped during the first epoch: no model to save");
      }
      report.stopped = true;
      break;
    }
    windows_seen += batches_per_epoch * hp.mini_batch_size;
    double train_loss = loss_sum / std::max(weight_sum, 1.0);
    double val_loss = std::numeric_limits<double>::quiet_NaN();
    if (!val_windows.empty()) {
      torch::NoGradGuard no_grad;
      net->eval();
      double sum = 0, count = 0;
      for (size_t i = 0; i < val_windows.size(); i += hp.mini_batch_size) {
        std::vector<std::pair<const TimeSeries*, int64_t>> part(
            val_windows.begin() + i, val_windows.begin() + std::min(val_windows.size(), i + hp.mini_batch_size));
        auto [loss, n] = Loss(net, hp.likelihood, builder.Build(part, /*prediction_only=*/true));
        sum += loss.item<double>() * n;
        count += n;
      }
      val_loss = sum / std::max(count, 1.0);
    }
    if (!std::isfinite(train_loss)) {
      return Internal(fmt::format("training diverged in epoch {} (loss {}); lower learning_rate", epoch, train_loss));
    }
    double monitored = std::isnan(val_loss) ? train_loss : val_loss;
    report.epochs_run = epoch;
    report.final_train_loss = train_loss;
    if (monitored < best_monitored) {
      best_monitored = monitored;
      report.best_epoch = epoch;
      report.best_validation_loss = val_loss;
      epochs_without_improvement = 0;
      best_params.clear();
      for (const auto& p : net->parameters()) best_params.push_back(p.detach().clone());
    } else {
      ++epochs_without_improvement;
    }
    if (monitored < plateau_best) {
      plateau_best = monitored;
      plateau_epochs = 0;
    } else if (++plateau_epochs >= kPlateauPatience) {
      lr = std::max(lr * kDecayFactor, hp.learning_rate * 0.01);
      for (auto& group : optimizer.param_groups()) {
        static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
      }
      plateau_epochs = 0;
    }
    const double epoch_seconds = Seconds(Clock::now() - epoch_start);
    const double elapsed = Seconds(Clock::now() - start);
    if (progress) {
      EpochProgress p;
      p.epoch = epoch;
      p.epochs = hp.epochs;
      p.train_loss = train_loss;
      p.validation_loss = val_loss;
      p.learning_rate = lr;
      p.samples_per_second = batches_per_epoch * hp.mini_batch_size / std::max(epoch_seconds, 1e-9);
      p.elapsed_seconds = elapsed;
      p.remaining_seconds = elapsed / epoch * (hp.epochs - epoch);
      progress(p);
    }
    if (hp.early_stopping_patience && epochs_without_improvement >= *hp.early_stopping_patience) {
      report.stopped_early = epoch < hp.epochs;
      break;
    }
  }
  report.seconds = Seconds(Clock::now() - start);
  report.samples_per_second = windows_seen / std::max(report.seconds, 1e-9);
  {
    torch::NoGradGuard no_grad;
    auto params = net->parameters();
    for (size_t i = 0; i < params.size() && i < best_params.size(); ++i) params[i].copy_(best_params[i]);
  }

  // The artifact: model.json and hyperparameters.json, then the weights.
  if (req.cancel != nullptr && req.cancel->load()) return Cancelled();
  ModelInfo info{hp, spec};
  TRY(WriteModelInfo(req.output_dir, info));
  const std::string weights = req.output_dir + "/" + kWeightsFile;
  torch::save(net, weights + ".tmp");
  std::error_code ec;
  std::filesystem::rename(weights + ".tmp", weights, ec);
  if (ec) return IoError("cannot rename '" + weights + ".tmp': " + ec.message());
  report.model_dir = req.output_dir;
  report.parameter_checksum = internal::ParameterChecksum(*net);

  report.metrics["train:final_loss"] = report.final_train_loss;
  if (!test.empty()) {
    TRY_ASSIGN(auto predictor, Predictor::Load(req.output_dir));
    ForecastConfig config;
    config.num_samples = hp.num_eval_samples;
    config.quantiles = hp.test_quantiles;
    config.seed = req.seed;
    MetricsAccumulator metrics(hp.test_quantiles);
    for (const TimeSeries& s : test) {
      TimeSeries context = s;
      const size_t keep = s.target.size() - hp.prediction_length;
      context.target.resize(keep);
      TRY_ASSIGN(Forecast f, predictor->Predict(context, config));
      std::vector<double> actual(s.target.begin() + keep, s.target.end());
      std::vector<std::vector<double>> qs;
      for (auto& [q, values] : f.quantiles) qs.push_back(values);
      metrics.Add(actual, f.mean, qs);
    }
    for (const auto& [k, v] : metrics.ToMap()) report.metrics[k] = v;
  }
  TRY(WriteMetrics(req.output_dir, report.metrics));
  return report;
}

}  // namespace

std::string FormatProgress(const EpochProgress& p) {
  auto hms = [](double s) {
    auto t = static_cast<long>(std::llround(std::max(s, 0.0)));
    return fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
  };
  std::string val = std::isnan(p.validation_loss) ? "-" : fmt::format("{:.4f}", p.validation_loss);
  return fmt::format("epoch {}/{} loss={:.4f} val_loss={} lr={:g} samples/s={:.0f} elapsed={} eta={}", p.epoch,
                     p.epochs, p.train_loss, val, p.learning_rate, p.samples_per_second, hms(p.elapsed_seconds),
                     hms(p.remaining_seconds));
}

Result<TrainReport> Train(const TrainRequest& request, const ProgressFn& progress) {
  try {
    return TrainImpl(request, progress);
  } catch (const std::exception& e) {
    return Internal(std::string("training failed: ") + e.what());
  }
}

}  // namespace tributary::forecast
