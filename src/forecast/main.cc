// tributary-forecast: the LibTorch half of `tributary train|predict`, and the
// DeepAR worker process of model serving (`serve`, see serve.h). The main
// binary parses the flags (command_flags.h) and execs this tool with them, so
// that the server and every other command start without loading LibTorch
// (~290 shared libraries, about a second and 160 MB before main). It can be run
// directly with the same arguments.
#include <CLI/CLI.hpp>
#include <iostream>

#include "forecast/command_flags.h"

int main(int argc, char** argv) {
  using namespace tributary::forecast;
  CLI::App app{
      "DeepAR training and batch forecasts (SageMaker DeepAR compatible); used by 'tributary "
      "train|predict' and by model serving"};
  app.require_subcommand(1);
  TrainCommandOptions train;
  PredictFlags predict;
  ServeCommandOptions serve;
  auto* t = app.add_subcommand("train", "train a DeepAR model");
  AddTrainFlags(t, &train);
  auto* p =
      app.add_subcommand("predict", "forecast prediction_length points after each input series");
  AddPredictFlags(p, &predict);
  auto* s = app.add_subcommand(
      "serve", "answer real-time requests on stdin/stdout (the worker protocol of src/serving)");
  AddServeFlags(s, &serve);
  CLI11_PARSE(app, argc, argv);
  if (*t) return RunTrainCommand(train, std::cout, std::cerr);
  if (*s) {
    // Bodies are read with istream::read: without this every byte goes through stdio.
    std::ios::sync_with_stdio(false);
    std::cin.tie(nullptr);
    return RunServeCommand(serve, std::cin, std::cout, std::cerr);
  }
  if (!predict.Apply()) return 2;
  return RunPredictCommand(predict.options, std::cout, std::cerr);
}
