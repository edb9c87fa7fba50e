// The flags of `train` and `predict`, defined once for the two binaries that
// parse them: `tributary` (cli/forecast_commands.cc), which must not link
// LibTorch, checks them and hands them on as canonical arguments to
// `tributary-forecast` (main.cc), which links it and does the work. Torch-free;
// built as its own small library (tributary_forecast_flags).
//
//   tributary train --train F [--test F] --hyperparameters H.json --output DIR
//   tributary predict --model DIR --input F.jsonl --output F.jsonl [--num-samples N]
//                     [--quantiles 0.1,0.5,0.9] [--output-types mean,quantiles,samples]
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "forecast/commands.h"

namespace tributary::forecast {

// Predict options plus the comma-separated lists as typed.
struct PredictFlags {
  PredictCommandOptions options;
  std::string quantiles;     // "" = default
  std::string output_types;  // "" = default

  // Parses the lists into `options`; false (with a message on stderr naming the
  // bad entry) when a quantile is not a number.
  bool Apply();
};

// Adds the options to an existing `train` / `predict` subcommand.
void AddTrainFlags(CLI::App* cmd, TrainCommandOptions* options);
void AddPredictFlags(CLI::App* cmd, PredictFlags* flags);
void AddServeFlags(CLI::App* cmd, ServeCommandOptions* options);

// The arguments (after the subcommand name) that parse back to the same options.
std::vector<std::string> TrainArgs(const TrainCommandOptions& options);
std::vector<std::string> PredictArgs(const PredictFlags& flags);

}  // namespace tributary::forecast
