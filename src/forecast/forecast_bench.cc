// Training and forecasting throughput at SageMaker DeepAR's default network
// (num_cells 40, num_layers 2, mini_batch_size 128, student-T) on hourly data,
// one compute thread. Run: build-*/src/forecast/forecast_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "forecast/predictor.h"
#include "forecast/trainer.h"

namespace tributary::forecast {
namespace {

std::vector<TimeSeries> Data(int n, int len) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0, 1);
  std::vector<TimeSeries> out(n);
  for (int i = 0; i < n; ++i) {
    out[i].start = *ParseTimestamp("2022-01-01 00:00:00");
    for (int t = 0; t < len; ++t) {
      out[i].target.push_back(static_cast<float>(20 + 5 * std::sin(2 * M_PI * t / 24) + noise(rng)));
    }
  }
  return out;
}

std::string Dir(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string(name) + std::to_string(::getpid()))).string();
}

void BM_TrainEpochSageMakerDefaults(benchmark::State& state) {
  TrainRequest req;
  // 16 series x 768 points -> 4 batches of 128 windows per epoch.
  req.train_series = Data(16, 768);
  req.hyperparameters = *ParseHyperparameters(
      {{"time_freq", "H"}, {"context_length", "24"}, {"prediction_length", "24"}, {"epochs", "1"}});
  req.output_dir = Dir("forecast_bench_train_");
  req.num_threads = static_cast<int>(state.range(0));
  double windows = 0;
  for (auto _ : state) {
    auto r = Train(req);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    windows += 4 * 128;
  }
  state.counters["samples/s"] = benchmark::Counter(windows, benchmark::Counter::kIsRate);
  std::filesystem::remove_all(req.output_dir);
}
BENCHMARK(BM_TrainEpochSageMakerDefaults)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Forecast100Samples(benchmark::State& state) {
  TrainRequest req;
  req.train_series = Data(4, 200);
  req.hyperparameters = *ParseHyperparameters(
      {{"time_freq", "H"}, {"context_length", "24"}, {"prediction_length", "24"}, {"epochs", "1"}});
  req.output_dir = Dir("forecast_bench_predict_");
  if (auto r = Train(req); !r.ok()) state.SkipWithError(r.status().ToString().c_str());
  auto predictor = Predictor::Load(req.output_dir);
  ForecastConfig config;
  for (auto _ : state) {
    auto f = (*predictor)->Predict(req.train_series[0], config);
    benchmark::DoNotOptimize(f);
  }
  std::filesystem::remove_all(req.output_dir);
}
BENCHMARK(BM_Forecast100Samples)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tributary::forecast

BENCHMARK_MAIN();
