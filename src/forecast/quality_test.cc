// Training on data whose generating process is known: hourly series with a
// daily cycle plus Gaussian noise. The best possible quantile forecast is the
// true noise quantile around the true cycle; DeepAR must come within 25% of
// that (mean_wQuantileLoss) and beat a seasonal-naive forecast.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

#include "forecast/metrics.h"
#include "forecast/predictor.h"
#include "forecast/trainer.h"

namespace tributary::forecast {
namespace {

constexpr int kSeries = 8;
constexpr int kTrainLen = 24 * 21;
constexpr int kHorizon = 24;

struct Truth {
  double level, amplitude, phase, sigma;
  double Mean(int t) const { return level + amplitude * std::sin(2 * M_PI * (t + phase) / 24); }
};

double NormalQuantile(double q) {
  double lo = -10, hi = 10;  // bisection on the CDF, plenty for a test
  for (int i = 0; i < 100; ++i) {
    double mid = (lo + hi) / 2;
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < q ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

TEST(ForecastQualityTest, NearTheTrueDistributionAndBetterThanSeasonalNaive) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0, 1);
  std::vector<Truth> truth;
  std::vector<TimeSeries> train, test;
  for (int i = 0; i < kSeries; ++i) {
    Truth tr{20.0 + 5 * i, 4.0 + i % 3 * 2, 3.0 * i, 1.0 + 0.25 * (i % 4)};
    truth.push_back(tr);
    TimeSeries s;
    s.start = *ParseTimestamp("2022-05-02 00:00:00");
    s.cat = {i};
    s.origin = "synthetic:" + std::to_string(i);
    for (int t = 0; t < kTrainLen + kHorizon; ++t) {
      s.target.push_back(static_cast<float>(tr.Mean(t) + tr.sigma * noise(rng)));
    }
    test.push_back(s);
    s.target.resize(kTrainLen);
    train.push_back(s);
  }
  auto hp = ParseHyperparameters({{"time_freq", "H"},
                                  {"context_length", "24"},
                                  {"prediction_length", std::to_string(kHorizon)},
                                  {"epochs", "60"},
                                  {"num_cells", "20"},
                                  {"num_layers", "1"},
                                  {"mini_batch_size", "32"},
                                  {"learning_rate", "0.005"},
                                  {"dropout_rate", "0"},
                                  {"embedding_dimension", "4"},
                                  {"likelihood", "gaussian"},
                                  {"num_eval_samples", "200"}});
  ASSERT_TRUE(hp.ok()) << hp.status().ToString();
  TrainRequest req;
  req.train_series = train;
  req.test_series = test;
  req.hyperparameters = *hp;
  req.output_dir = (std::filesystem::temp_directory_path() / ("forecast_quality_" + std::to_string(::getpid()))).string();
  req.num_threads = 1;
  auto t0 = std::chrono::steady_clock::now();
  auto report = Train(req);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::filesystem::remove_all(req.output_dir);
  ASSERT_TRUE(report.ok()) << report.status().ToString();

  const std::vector<double>& qs = hp->test_quantiles;
  MetricsAccumulator oracle(qs), naive(qs);
  for (int i = 0; i < kSeries; ++i) {
    std::vector<double> actual, mean, last_day;
    std::vector<std::vector<double>> oq(qs.size()), nq(qs.size());
    for (int k = 0; k < kHorizon; ++k) {
      int t = kTrainLen + k;
      actual.push_back(test[i].target[t]);
      mean.push_back(truth[i].Mean(t));
      last_day.push_back(test[i].target[t - 24]);
      for (size_t j = 0; j < qs.size(); ++j) {
        oq[j].push_back(truth[i].Mean(t) + truth[i].sigma * NormalQuantile(qs[j]));
        nq[j].push_back(test[i].target[t - 24]);
      }
    }
    oracle.Add(actual, mean, oq);
    naive.Add(actual, last_day, nq);
  }
  double model = report->metrics.at("test:mean_wQuantileLoss");
  RecordProperty("model_wql", std::to_string(model));
  RecordProperty("oracle_wql", std::to_string(oracle.MeanWeightedQuantileLoss()));
  RecordProperty("naive_wql", std::to_string(naive.MeanWeightedQuantileLoss()));
  RecordProperty("seconds", std::to_string(seconds));
  std::printf("mean_wQuantileLoss: model %.4f oracle %.4f seasonal-naive %.4f; RMSE model %.3f oracle %.3f; %.1fs\n",
              model, oracle.MeanWeightedQuantileLoss(), naive.MeanWeightedQuantileLoss(),
              report->metrics.at("test:RMSE"), oracle.Rmse(), seconds);
  EXPECT_LE(model, 1.25 * oracle.MeanWeightedQuantileLoss());
  EXPECT_LT(model, naive.MeanWeightedQuantileLoss());
}

}  // namespace
}  // namespace tributary::forecast
