// The forecasting subcommands as plain functions over option structs; the
// `tributary` binary's flags (cli/forecast_commands.cc) fill them in.
// Both print progress/results to `out`, a one-line reason to `err` on failure
// ("tributary train: <message>", as every command's errors begin; training jobs find the
// trainer's error in their log by that prefix), and return the process exit code (0 on
// success).
//
//   tributary train --train F [--test F] --hyperparameters H.json --output DIR
//   tributary predict --model DIR --input F.jsonl --output F.jsonl [--num-samples N]
//                     [--quantiles 0.1,0.5,0.9] [--output-types mean,quantiles,samples]
//   tributary-forecast serve --model DIR [--threads N] [--seed S]   (a serving worker, serve.h)
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace tributary::forecast {

struct TrainCommandOptions {
  std::string train;            // file or directory (the `train` channel)
  std::string test;             // optional `test` channel
  std::string hyperparameters;  // JSON object file, SageMaker's hyperparameters.json
  std::string output;           // model directory
  int threads = 1;
  uint64_t seed = 1;
};

struct PredictCommandOptions {
  std::string model;   // model directory
  std::string input;   // JSON Lines series (optionally gzip)
  std::string output;  // JSON Lines forecasts, one per input line ("-" for stdout)
  int num_samples = 100;
  std::vector<double> quantiles = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
  std::vector<std::string> output_types = {"mean", "quantiles"};
  int threads = 1;
  uint64_t seed = 0;
};

struct ServeCommandOptions {
  std::string model;  // model directory
  int threads = 1;    // torch intra-op threads; a variant scales by adding workers instead
  uint64_t seed = 0;  // base of the per-forecast seeds (serve.h); 0 = drawn at start
};

int RunTrainCommand(const TrainCommandOptions& options, std::ostream& out, std::ostream& err);
int RunPredictCommand(const PredictCommandOptions& options, std::ostream& out, std::ostream& err);
// Loads the model, writes the ready line to `out` (or the load error, returning
// 1) and answers worker-protocol requests from `in` until it ends.
int RunServeCommand(const ServeCommandOptions& options, std::istream& in, std::ostream& out,
                    std::ostream& err);

}  // namespace tributary::forecast
