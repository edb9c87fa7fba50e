#include "forecast/internal/fast_sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "base/testing/temp_dir.h"
#include "forecast/internal/deepar_net.h"
#include "forecast/internal/likelihood.h"
#include "forecast/predictor.h"
#include "forecast/trainer.h"

namespace tributary::forecast::internal {
namespace {

constexpr Likelihood kAll[] = {Likelihood::kStudentT, Likelihood::kGaussian,
                               Likelihood::kNegativeBinomial, Likelihood::kBeta,
                               Likelihood::kDeterministicL1};

// Hourly, one cat feature of cardinality 3, one dynamic feature; values fit
// every likelihood's support (integral counts, or within [0, 1] for beta).
TimeSeries MakeSeries(int len, Likelihood kind, int64_t cat) {
  TimeSeries s;
  s.start = *ParseTimestamp("2026-02-01 00:00:00");
  s.cat = {cat};
  s.dynamic_feat = {std::vector<float>(len + 24)};
  for (int t = 0; t < len + 24; ++t) s.dynamic_feat[0][t] = static_cast<float>(t % 5 == 0);
  for (int t = 0; t < len; ++t) {
    double v = 12 + 6 * std::sin(2 * M_PI * t / 24) + (t * 7) % 4;
    if (kind == Likelihood::kNegativeBinomial) v = std::round(v);
    if (kind == Likelihood::kBeta) v = v / 25;
    s.target.push_back(static_cast<float>(v));
  }
  s.target[len / 2] = NAN;  // a missing value inside the lags
  s.origin = "fast:1";
  return s;
}

void ExpectClose(float fast, float ref, const std::string& what) {
  EXPECT_NEAR(fast, ref, 1e-5 * std::max(1.0f, std::fabs(ref))) << what;
}

// The deterministic part: with the default network's size (40 cells, 2
// layers), random weights made larger than the initialization so the gates
// saturate, the state after the context and the first prediction step's
// parameters equal the torch module's.
TEST(FastSamplerTest, StateAndFirstStepParametersMatchTorch) {
  for (Likelihood kind : kAll) {
    SCOPED_TRACE(LikelihoodName(kind));
    FeatureSpec spec = FeatureSpec::For(*ParseFrequency("H"), 24, 6, 1, {3});
    NetShape shape;
    shape.num_real_features = spec.NumRealFeatures();
    shape.cardinality = spec.cardinality;
    shape.embedding_dimension = 4;
    shape.num_cells = 40;
    shape.num_layers = 2;
    shape.likelihood = kind;
    torch::manual_seed(7);
    DeepARNet net(shape);
    net->eval();
    {
      torch::NoGradGuard no_grad;
      for (auto& p : net->parameters()) p.mul_(3);
    }
    FastSampler fast(net->ExportWeights(), spec);

    TimeSeries series = MakeSeries(200, kind, 2);
    const int C = spec.context_length, nf = spec.NumRealFeatures(), nl = spec.NumLags();
    const auto len = static_cast<int64_t>(series.target.size());
    WindowData w;
    BuildWindow(spec, series, len - C, w);

    c10::InferenceMode inference;
    auto ctx = torch::from_blob(w.features.data(), {1, C, nf}, torch::kFloat).clone();
    auto cats = torch::tensor(std::vector<int64_t>{2}, torch::kLong).reshape({1, 1});
    auto [ctx_raw, state] = net->Forward(ctx, cats);
    fast.Encode(w.features.data(), C, {2});
    auto h = std::get<0>(state);
    for (int l = 0; l < 2; ++l) {
      std::vector<float> fh = fast.Hidden(l, 0);
      for (int j = 0; j < 40; ++j)
        ExpectClose(fh[j], h[l][0][j].item<float>(), "h layer " + std::to_string(l));
    }

    // The first prediction step, as Predictor builds its input row.
    std::vector<float> row(nf);
    for (int l = 0; l < nl; ++l) {
      int64_t t = len - spec.lags[l];
      float v = std::isnan(series.target[t]) ? 0.0f : series.target[t];
      row[l] = v / w.scale;
    }
    FillCovariates(spec, series, len, w.scale, row.data() + nl);
    auto x = torch::from_blob(row.data(), {1, 1, nf}, torch::kFloat).clone();
    auto [step_raw, next] = net->Forward(x, cats, state);
    DistParams d = MakeDist(kind, step_raw.select(1, 0), torch::full({1}, w.scale, torch::kFloat));

    // Four identical rows go through the multi-row path (sgemm) and agree.
    const int rows = 4, D = fast.num_outputs();
    fast.Broadcast(rows);
    std::vector<float> lags(static_cast<size_t>(rows) * nl);
    for (int r = 0; r < rows; ++r) std::copy(row.begin(), row.begin() + nl, lags.begin() + r * nl);
    std::vector<float> raw(static_cast<size_t>(rows) * D);
    fast.Step(lags.data(), row.data() + nl, raw.data());
    for (int r = 0; r < rows; ++r) {
      for (int i = 0; i < D; ++i)
        ExpectClose(raw[r * D + i], step_raw[0][0][i].item<float>(), "raw output");
      RowParams p = MakeRowParams(kind, raw.data() + r * D, w.scale);
      ExpectClose(p.a, d.a[0].item<float>(), "a");
      if (d.b.defined()) ExpectClose(p.b, d.b[0].item<float>(), "b");
      if (d.c.defined()) ExpectClose(p.c, d.c[0].item<float>(), "c");
    }
    auto h2 = std::get<0>(next);
    for (int j = 0; j < 40; ++j)
      ExpectClose(fast.Hidden(1, rows - 1)[j], h2[1][0][j].item<float>(), "h after step");
  }
}

// Draws follow the likelihood: moments of many draws from fixed parameters.
TEST(FastSamplerTest, DrawsHaveTheLikelihoodsMoments) {
  std::mt19937_64 rng(3);
  auto moments = [&](Likelihood kind, RowParams p) {
    const int n = 200000;
    double sum = 0, sq = 0;
    for (int i = 0; i < n; ++i) {
      double x = SampleRow(kind, p, rng);
      sum += x;
      sq += x * x;
    }
    double mean = sum / n;
    return std::pair<double, double>(mean, sq / n - mean * mean);
  };
  auto [gm, gv] = moments(Likelihood::kGaussian, {2, 3, 0});
  EXPECT_NEAR(gm, 2, 0.03);
  EXPECT_NEAR(gv, 9, 0.15);
  auto [tm, tv] = moments(Likelihood::kStudentT, {1, 2, 8});
  EXPECT_NEAR(tm, 1, 0.03);
  EXPECT_NEAR(tv, 4.0 * 8 / 6, 0.15);
  auto [nm, nv] = moments(Likelihood::kNegativeBinomial, {4, 0.5, 0});
  EXPECT_NEAR(nm, 4, 0.05);
  EXPECT_NEAR(nv, 4 + 0.5 * 16, 0.3);
  auto [bm, bv] = moments(Likelihood::kBeta, {2, 5, 0});
  EXPECT_NEAR(bm, 2.0 / 7, 0.003);
  EXPECT_NEAR(bv, 10.0 / (49 * 8), 0.001);
  EXPECT_EQ(SampleRow(Likelihood::kDeterministicL1, {2.5f, 0, 0}, rng), 2.5f);
}

Status TrainSmall(const std::string& dir, Likelihood kind) {
  TrainRequest req;
  for (int i = 0; i < 4; ++i) {
    TimeSeries s = MakeSeries(120, kind, i % 3);
    s.dynamic_feat[0].resize(120);
    req.train_series.push_back(std::move(s));
  }
  TRY_ASSIGN(req.hyperparameters,
             ParseHyperparameters({{"time_freq", "H"},
                                   {"context_length", "24"},
                                   {"prediction_length", "8"},
                                   {"epochs", "2"},
                                   {"num_cells", "16"},
                                   {"num_layers", "2"},
                                   {"mini_batch_size", "16"},
                                   {"embedding_dimension", "3"},
                                   {"likelihood", std::string(LikelihoodName(kind))}}));
  req.output_dir = dir;
  auto report = Train(req);
  return report.ok() ? Status::Ok() : report.status();
}

// Sample quantile of sorted values, and a Monte-Carlo standard error for it
// from the density estimated by the spacing of nearby quantiles.
double Quantile(const std::vector<double>& sorted, double q) {
  double pos = q * (sorted.size() - 1);
  size_t i = static_cast<size_t>(pos);
  double f = pos - i;
  return i + 1 < sorted.size() ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}
double QuantileError(const std::vector<double>& sorted, double q) {
  const double n = static_cast<double>(sorted.size()), delta = 0.03;
  double inv_density = (Quantile(sorted, q + delta) - Quantile(sorted, q - delta)) / (2 * delta);
  return std::sqrt(q * (1 - q) / n) * inv_density;
}

// The whole forecast: per step, the fast path's mean and 0.1 / 0.5 / 0.9
// quantiles over 2000 paths agree with the torch path's within 5 standard
// errors of the difference (deterministic-L1: the same single path).
TEST(FastSamplerTest, ForecastsAgreeWithTorchPathInDistribution) {
  for (Likelihood kind : kAll) {
    SCOPED_TRACE(LikelihoodName(kind));
    testing_support::TempDir dir;
    Status trained = TrainSmall(dir.path(), kind);
    ASSERT_TRUE(trained.ok()) << trained.ToString();
    auto predictor = Predictor::Load(dir.path());
    ASSERT_TRUE(predictor.ok()) << predictor.status().ToString();
    TimeSeries series = MakeSeries(150, kind, 1);
    series.dynamic_feat[0].resize(150 + 8);  // prediction_length 8
    ForecastConfig config;
    config.num_samples = 2000;
    config.output_samples = true;
    config.seed = 11;
    auto fast = (*predictor)->Predict(series, config);
    config.use_torch_sampler = true;
    auto ref = (*predictor)->Predict(series, config);
    ASSERT_TRUE(fast.ok()) << fast.status().ToString();
    ASSERT_TRUE(ref.ok()) << ref.status().ToString();
    const double floor = kind == Likelihood::kNegativeBinomial ? 1.0 : 0.0;  // integer-valued
    for (size_t k = 0; k < fast->mean.size(); ++k) {
      std::vector<double> a, b;
      for (int s = 0; s < config.num_samples; ++s) {
        a.push_back(fast->samples[s][k]);
        b.push_back(ref->samples[s][k]);
      }
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      if (kind == Likelihood::kDeterministicL1) {
        EXPECT_NEAR(a.front(), b.front(), 1e-4 * std::max(1.0, std::fabs(b.front())))
            << "step " << k;
        // Every path is the same up to rounding (sgemm's edge rows sum in another order).
        EXPECT_NEAR(a.front(), a.back(), 1e-5 * std::max(1.0, std::fabs(a.back())));
        continue;
      }
      for (double q : {0.1, 0.5, 0.9}) {
        double se = std::hypot(QuantileError(a, q), QuantileError(b, q));
        EXPECT_NEAR(Quantile(a, q), Quantile(b, q), 5 * se + floor) << "step " << k << " q " << q;
      }
      auto variance = [](const std::vector<double>& v, double mean) {
        double sq = 0;
        for (double x : v) sq += (x - mean) * (x - mean);
        return sq / (v.size() - 1);
      };
      double n = config.num_samples;
      double se = std::sqrt(variance(a, fast->mean[k]) / n + variance(b, ref->mean[k]) / n);
      EXPECT_NEAR(fast->mean[k], ref->mean[k], 5 * se) << "step " << k;
    }
  }
}

}  // namespace
}  // namespace tributary::forecast::internal
