// tributary-forecast: the DeepAR train and predict subcommands on their own,
// runnable before the main `tributary` binary wires the same functions.
#include <CLI/CLI.hpp>

#include <iostream>

#include "forecast/commands.h"

int main(int argc, char** argv) {
  using namespace tributary::forecast;
  CLI::App app{"DeepAR training and batch forecasts (SageMaker DeepAR compatible)"};
  app.require_subcommand(1);

  TrainCommandOptions train;
  auto* t = app.add_subcommand("train", "train a DeepAR model on JSON Lines series");
  t->add_option("--train", train.train, "train channel: JSON Lines file (or .gz) or directory")->required();
  t->add_option("--test", train.test, "optional test channel: train series plus the last prediction_length points");
  t->add_option("--hyperparameters", train.hyperparameters, "JSON object of SageMaker DeepAR hyperparameters")
      ->required();
  t->add_option("--output", train.output, "model directory to write")->required();
  t->add_option("--threads", train.threads, "compute threads (default 1)")->check(CLI::Range(1, 256));
  t->add_option("--seed", train.seed, "random seed (default 1)");

  PredictCommandOptions predict;
  std::string quantiles, output_types;
  auto* p = app.add_subcommand("predict", "forecast prediction_length points after each input series");
  p->add_option("--model", predict.model, "model directory written by train")->required();
  p->add_option("--input", predict.input, "JSON Lines series (or .gz)")->required();
  p->add_option("--output", predict.output, "JSON Lines forecasts, '-' for stdout")->required();
  p->add_option("--num-samples", predict.num_samples, "sample paths per series (default 100)")
      ->check(CLI::Range(1, 100000));
  p->add_option("--quantiles", quantiles, "comma-separated quantiles (default 0.1,...,0.9)");
  p->add_option("--output-types", output_types, "comma-separated: mean,quantiles,samples (default mean,quantiles)");
  p->add_option("--threads", predict.threads, "compute threads (default 1)")->check(CLI::Range(1, 256));
  p->add_option("--seed", predict.seed, "random seed of the sample paths (default 0)");

  CLI11_PARSE(app, argc, argv);
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    size_t b = 0;
    while (b <= s.size()) {
      size_t e = s.find(',', b);
      if (e == std::string::npos) e = s.size();
      if (e > b) out.push_back(s.substr(b, e - b));
      b = e + 1;
    }
    return out;
  };
  if (*t) return RunTrainCommand(train, std::cout, std::cerr);
  if (!quantiles.empty()) {
    predict.quantiles.clear();
    for (const std::string& q : split(quantiles)) {
      try {
        size_t used = 0;
        predict.quantiles.push_back(std::stod(q, &used));
        if (used != q.size()) throw std::invalid_argument(q);
      } catch (const std::exception&) {
        std::cerr << "error: --quantiles: '" << q << "' is not a number\n";
        return 2;
      }
    }
  }
  if (!output_types.empty()) predict.output_types = split(output_types);
  return RunPredictCommand(predict, std::cout, std::cerr);
}
