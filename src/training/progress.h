// The trainer's progress line (forecast::FormatProgress, one per epoch) read back into
// numbers for DescribeTrainingJob:
//
//   "epoch 3/5 loss=5.0229 val_loss=4.9617 lr=0.001 samples/s=224 elapsed=0:00:01 eta=0:01:02"
//     -> epoch 3, epochs 5, loss 5.0229, val_loss 4.9617, learning rate 0.001,
//        samples/s 224, elapsed 1 s, eta 62 s
//   "epoch 1/5 loss=7.1 val_loss=- ..."   -> no validation loss (no test channel yet)
//   "trained 5 epochs in ..." or "#metric ..." -> not a progress line
//
// Keys it does not know are skipped and missing ones stay unset, so that the trainer
// can add fields without breaking the parser. Pure functions; any thread.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tributary::training {

struct EpochProgress {
  int epoch = 0;
  int epochs = 0;
  std::optional<double> loss;
  std::optional<double> validation_loss;
  std::optional<double> learning_rate;
  std::optional<double> samples_per_second;
  std::optional<double> elapsed_seconds;
  std::optional<double> eta_seconds;
};

std::optional<EpochProgress> ParseProgressLine(std::string_view line);

// {"Epoch", "Epochs", "Loss", "ValidationLoss", "LearningRate", "SamplesPerSecond",
//  "ElapsedSeconds", "EtaSeconds"}; unset values are absent.
nlohmann::json ToJson(const EpochProgress& p);

}  // namespace tributary::training
