#include "forecast/command_flags.h"

#include <cstdint>
#include <cstdio>
#include <limits>

#include "flags/flag_checks.h"

namespace tributary::forecast {
namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= s.size()) {
    size_t end = s.find(',', begin);
    if (end == std::string::npos) end = s.size();
    if (end > begin) out.push_back(s.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

// A seed is any whole number a signed 64-bit integer holds, typed in plain decimal: CLI11
// alone reads -1 as 18446744073709551615 and 010 as 8.
void SeedFlag(CLI::Option* option) {
  WholeNumberIn(option, 0, std::numeric_limits<int64_t>::max())->capture_default_str();
}

}  // namespace

bool PredictFlags::Apply() {
  if (!quantiles.empty()) {
    options.quantiles.clear();
    for (const std::string& q : SplitCommas(quantiles)) {
      size_t used = 0;
      try {
        options.quantiles.push_back(std::stod(q, &used));
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != q.size()) {
        std::fprintf(
            stderr,
            "tributary predict: --quantiles: '%s' is not a number (give e.g. 0.1,0.5,0.9)\n",
            q.c_str());
        return false;
      }
    }
  }
  if (!output_types.empty()) options.output_types = SplitCommas(output_types);
  return true;
}

void AddTrainFlags(CLI::App* cmd, TrainCommandOptions* o) {
  cmd->add_option("--train", o->train,
                  "train channel: JSON Lines (.gz) or Parquet file, or a directory of them")
      ->required();
  cmd->add_option("--test", o->test,
                  "test channel: the train series extended by prediction_length points");
  cmd->add_option(
         "--hyperparameters", o->hyperparameters,
         "JSON file: an object of SageMaker DeepAR hyperparameters (values may be strings), "
         "as SageMaker's hyperparameters.json")
      ->required();
  cmd->add_option("--output", o->output,
                  "model directory to write (weights, hyperparameters, metrics.json)")
      ->required();
  WholeNumberIn(cmd->add_option("--threads", o->threads, "compute threads (1..256)"), 1, 256)
      ->capture_default_str();
  SeedFlag(cmd->add_option("--seed", o->seed, "random seed (same seed and threads, same model)"));
}

void AddPredictFlags(CLI::App* cmd, PredictFlags* f) {
  PredictCommandOptions* o = &f->options;
  cmd->add_option("--model", o->model, "model directory written by 'train'")->required();
  cmd->add_option("--input", o->input, "series: JSON Lines (.gz) or Parquet file")->required();
  cmd->add_option("--output", o->output,
                  "forecasts as JSON Lines, one per input series; '-' for stdout")
      ->required();
  WholeNumberIn(
      cmd->add_option("--num-samples", o->num_samples, "sample paths per series (1..100000)"), 1,
      100000)
      ->capture_default_str();
  cmd->add_option("--quantiles", f->quantiles,
                  "comma-separated quantiles (default 0.1,0.2,...,0.9)");
  cmd->add_option("--output-types", f->output_types,
                  "comma-separated: mean,quantiles,samples (default mean,quantiles)");
  WholeNumberIn(cmd->add_option("--threads", o->threads, "compute threads (1..256)"), 1, 256)
      ->capture_default_str();
  SeedFlag(cmd->add_option("--seed", o->seed, "random seed of the sample paths"));
}

void AddServeFlags(CLI::App* cmd, ServeCommandOptions* o) {
  cmd->add_option("--model", o->model, "model directory written by 'train'")->required();
  WholeNumberIn(
      cmd->add_option("--threads", o->threads, "torch intra-op threads per worker (1..256)"), 1,
      256)
      ->capture_default_str();
  SeedFlag(
      cmd->add_option("--seed", o->seed, "base seed of the sample paths; 0 draws one at start"));
}

std::vector<std::string> TrainArgs(const TrainCommandOptions& o) {
  std::vector<std::string> a = {
      "--train", o.train,     "--hyperparameters",       o.hyperparameters, "--output",
      o.output,  "--threads", std::to_string(o.threads), "--seed",          std::to_string(o.seed)};
  if (!o.test.empty()) a.insert(a.end(), {"--test", o.test});
  return a;
}

std::vector<std::string> PredictArgs(const PredictFlags& f) {
  const PredictCommandOptions& o = f.options;
  std::vector<std::string> a = {"--model",       o.model,
                                "--input",       o.input,
                                "--output",      o.output,
                                "--num-samples", std::to_string(o.num_samples),
                                "--threads",     std::to_string(o.threads),
                                "--seed",        std::to_string(o.seed)};
  if (!f.quantiles.empty()) a.insert(a.end(), {"--quantiles", f.quantiles});
  if (!f.output_types.empty()) a.insert(a.end(), {"--output-types", f.output_types});
  return a;
}

}  // namespace tributary::forecast
