// Training and forecasting throughput at SageMaker DeepAR's default network
// (num_cells 40, num_layers 2, mini_batch_size 128, student-T) on hourly data
// with context_length = prediction_length = 24, and the machine's sgemm
// throughput to compare it with. Run: build-*/src/forecast/forecast_bench
// (scripts/bench-forecast runs it and reports the share of peak).
//
// FLOPs per training window, counted analytically (multiply-add = 2 FLOPs): per
// time step and LSTM layer the four gates cost 4 x (input + hidden) x hidden x 2,
// the projection hidden x outputs x 2; over the 48 steps of a window, and x3 for
// forward plus backward (the backward pass costs about twice the forward).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "forecast/compute.h"
#include "forecast/features.h"
#include "forecast/invocation.h"
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

// See the top of the file. No cat features in Data(), so no embeddings.
double TrainingFlopsPerWindow(const Hyperparameters& hp) {
  FeatureSpec spec = FeatureSpec::For(hp.time_freq, hp.context_length, hp.prediction_length, 0, {});
  const double hidden = hp.num_cells;
  double per_step = 0;
  for (int layer = 0; layer < hp.num_layers; ++layer) {
    double input = layer == 0 ? spec.NumRealFeatures() : hidden;
    per_step += 4 * (input + hidden) * hidden * 2;
  }
  per_step += hidden * 3 * 2;  // student-T: 3 distribution parameters
  return 3 * per_step * spec.WindowLength();
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
  const double flops = TrainingFlopsPerWindow(req.hyperparameters);
  state.counters["FLOP/sample"] = flops;
  state.counters["FLOP/s"] = benchmark::Counter(windows * flops, benchmark::Counter::kIsRate);
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

// One real-time request as a serving worker answers it (invocation.h): parse a
// JSON body of one 200-point series, forecast 100 paths of 24 steps, format
// mean, 9 quantiles and the samples. The serving latency target is set on this.
void BM_InvokeOneInstanceAllOutputs(benchmark::State& state) {
  SetComputeThreads(static_cast<int>(state.range(0)));
  TrainRequest req;
  req.train_series = Data(4, 200);
  req.hyperparameters = *ParseHyperparameters(
      {{"time_freq", "H"}, {"context_length", "24"}, {"prediction_length", "24"}, {"epochs", "1"}});
  req.output_dir = Dir("forecast_bench_invoke_");
  if (auto r = Train(req); !r.ok()) state.SkipWithError(r.status().ToString().c_str());
  auto predictor = Predictor::Load(req.output_dir);
  std::string body = "{\"instances\": [" + SeriesToJson(req.train_series[0]) +
                     "], \"configuration\": {\"num_samples\": 100, "
                     "\"output_types\": [\"mean\", \"quantiles\", \"samples\"]}}";
  uint64_t seed = 1;
  for (auto _ : state) {
    InvocationReply r = Invoke(**predictor, kJsonType, "", body, nullptr, seed);
    if (r.status != 200) state.SkipWithError(r.error.c_str());
    benchmark::DoNotOptimize(r);
  }
  std::filesystem::remove_all(req.output_dir);
  SetComputeThreads(1);
}
BENCHMARK(BM_InvokeOneInstanceAllOutputs)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();


// The practical peak: n x n float matrix products (torch::mm -> OpenBLAS sgemm)
// with 1 and 2 threads.
void BM_Sgemm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  SetComputeThreads(static_cast<int>(state.range(1)));
  double best = 0;
  for (auto _ : state) best = std::max(best, MeasureSgemmFlops(n, 3));
  state.counters["FLOP/s"] = best;
  SetComputeThreads(1);
}
BENCHMARK(BM_Sgemm)->Args({1024, 1})->Args({2048, 1})->Args({2048, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace tributary::forecast

BENCHMARK_MAIN();
