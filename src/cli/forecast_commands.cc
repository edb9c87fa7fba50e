// tributary train|predict: DeepAR training and offline forecasts (src/forecast/).
//
// This binary does not link LibTorch: loading it costs ~290 shared libraries,
// about a second and 160 MB before main() on every start of the server and of
// every other command. The flags are parsed and checked here (command_flags.h,
// shared with the tool), then the process execs `tributary-forecast`, which
// links LibTorch and does the work, with the same options as canonical arguments.
// The tool is looked for in $TRIBUTARY_FORECAST_TOOL, then beside this binary
// (the build puts both in the build directory), then on PATH.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/files.h"
#include "cli/command.h"
#include "forecast/command_flags.h"

namespace tributary::cli {

namespace {

constexpr char kTool[] = "tributary-forecast";

// Replaces this process with the tool; returns only on failure.
int ExecTool(const char* command, std::vector<std::string> args) {
  std::string tool = FindCompanionTool(kTool, "TRIBUTARY_FORECAST_TOOL");  // execvp searches PATH
  args.insert(args.begin(), {tool, command});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  ::execvp(tool.c_str(), argv.data());
  std::fprintf(
      stderr,
      "tributary %s: cannot run the forecasting tool '%s': %s (build it with 'ninja %s', which "
      "needs "
      "LibTorch and TRIBUTARY_WITH_TORCH=ON, or set TRIBUTARY_FORECAST_TOOL to its path)\n",
      command, tool.c_str(), std::strerror(errno), kTool);
  return 1;
}

}  // namespace

void AddForecastCommands(CLI::App* parent, CommandContext* ctx) {
  auto train = std::make_shared<forecast::TrainCommandOptions>();
  auto* t = parent->add_subcommand(
      "train",
      "Train a DeepAR model (SageMaker DeepAR's data format, hyperparameters and metrics)");
  forecast::AddTrainFlags(t, train.get());
  t->callback(
      [=] { ctx->run = [=]() -> int { return ExecTool("train", forecast::TrainArgs(*train)); }; });

  auto predict = std::make_shared<forecast::PredictFlags>();
  auto* p = parent->add_subcommand("predict",
                                   "Forecast prediction_length points after each input series "
                                   "(SageMaker batch-transform lines)");
  forecast::AddPredictFlags(p, predict.get());
  p->callback([=] {
    ctx->run = [=]() -> int {
      if (!predict->Apply()) return 2;
      return ExecTool("predict", forecast::PredictArgs(*predict));
    };
  });
}

}  // namespace tributary::cli
