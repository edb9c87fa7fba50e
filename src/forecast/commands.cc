#include "forecast/commands.h"

#include <fmt/format.h>

#include <signal.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "base/files.h"
#include "forecast/compute.h"
#include "forecast/predictor.h"
#include "forecast/serve.h"
#include "forecast/trainer.h"

namespace tributary::forecast {

int RunTrainCommand(const TrainCommandOptions& o, std::ostream& out, std::ostream& err) {
  auto text = ReadFile(o.hyperparameters);
  if (!text.ok()) {
    err << "tributary train: --hyperparameters: " << text.status().message() << "\n";
    return 2;
  }
  auto hp = ParseHyperparametersJson(*text, o.hyperparameters);
  if (!hp.ok()) {
    err << "tributary train: " << hp.status().message() << "\n";
    return 2;
  }
  TrainRequest req;
  req.train_path = o.train;
  req.test_path = o.test;
  req.hyperparameters = *hp;
  req.output_dir = o.output;
  req.num_threads = o.threads;
  req.seed = o.seed;
  // SIGTERM (StopTrainingJob, MaxRuntimeInSeconds) ends training at the next batch and
  // saves the best epoch so far, as SageMaker's algorithms do in their SIGTERM window.
  static std::atomic<bool> stop_requested{false};
  struct sigaction on_term {};
  on_term.sa_handler = [](int) { stop_requested.store(true); };
  sigemptyset(&on_term.sa_mask);
  sigaction(SIGTERM, &on_term, nullptr);
  req.stop = &stop_requested;
  auto report = Train(req, [&](const EpochProgress& p) { out << FormatProgress(p) << std::endl; });
  if (!report.ok()) {
    err << "tributary train: " << report.status().message() << "\n";
    return report.status().code() == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  out << fmt::format("trained {} epochs in {:.1f}s ({:.0f} samples/s), best epoch {}{}; model in {}\n",
                     report->epochs_run, report->seconds, report->samples_per_second, report->best_epoch,
                     report->stopped ? " (stopped by SIGTERM)" : report->stopped_early ? " (early stop)" : "",
                     report->model_dir);
  for (const auto& [name, value] : report->metrics) out << fmt::format("#metric {}={:.6g}\n", name, value);
  return 0;
}

int RunPredictCommand(const PredictCommandOptions& o, std::ostream& out, std::ostream& err) {
  ForecastConfig config;
  config.num_samples = o.num_samples;
  config.quantiles = o.quantiles;
  config.seed = o.seed;
  if (Status s = config.SetOutputTypes(o.output_types); !s.ok()) {
    err << "tributary predict: " << s.message() << "\n";
    return 2;
  }
  SetComputeThreads(o.threads);
  auto predictor = Predictor::Load(o.model);
  if (!predictor.ok()) {
    err << "tributary predict: " << predictor.status().message() << "\n";
    return 1;
  }
  auto series = ReadSeriesFile(o.input);
  if (!series.ok()) {
    err << "tributary predict: " << series.status().message() << "\n";
    return 2;
  }
  std::ostringstream lines;
  for (const TimeSeries& s : *series) {
    auto f = (*predictor)->Predict(s, config);
    if (!f.ok()) {
      err << "tributary predict: " << f.status().message() << "\n";
      return f.status().code() == ErrorCode::kInvalidArgument ? 2 : 1;
    }
    lines << f->ToJson(config) << "\n";
  }
  if (o.output == "-") {
    out << lines.str();
  } else if (Status s = WriteFileAtomic(o.output, lines.str()); !s.ok()) {
    err << "tributary predict: " << s.message() << "\n";
    return 1;
  }
  return 0;
}

int RunServeCommand(const ServeCommandOptions& o, std::istream& in, std::ostream& out,
                    std::ostream& err) {
  SetComputeThreads(o.threads);
  auto predictor = Predictor::Load(o.model);
  if (!predictor.ok()) {
    err << "error: " << predictor.status().message() << "\n";
    out << nlohmann::json{{"ready", false}, {"error", predictor.status().message()}}.dump()
        << std::endl;
    return 1;
  }
  uint64_t seed = o.seed;
  if (seed == 0) {
    seed = (static_cast<uint64_t>(std::random_device{}()) << 32) | std::random_device{}();
  }
  out << ReadyLine((*predictor)->info()) << std::endl;
  return ServeLoop(**predictor, seed, in, out, err);
}

}  // namespace tributary::forecast
