// DeepAR training, SageMaker's training stage: reads the `train` channel (and
// the optional `test` channel), fits the network on random windows of
// context_length + prediction_length steps with the likelihood's negative
// log-likelihood, and writes the artifact directory (artifact.h). With a test
// channel, validation loss is the NLL of each test series' last
// prediction_length points, and after training the SageMaker test metrics are
// computed by forecasting those points from the saved artifact.
//
//   - epoch: ceil(sum of series lengths / (prediction_length * mini_batch_size))
//     batches, so each point falls in a prediction range about once per epoch
//   - Adam, gradient norm clipped at 10, learning rate halved after
//     kPlateauPatience epochs without improvement (not below 1% of the start)
//   - early_stopping_patience: stop after that many epochs without improvement
//     of the validation loss (training loss without a test channel); the best
//     epoch's parameters are the ones saved
//   - reproducible for a seed and a thread count
//
// Input errors (format, shapes, support) are reported before any training and
// leave no artifact behind. Train blocks; it may run on any thread, but it sets
// process-wide thread counts (compute.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "forecast/hyperparameters.h"
#include "forecast/series.h"

namespace tributary::forecast {

inline constexpr int kPlateauPatience = 5;

struct TrainRequest {
  // Channels: paths (file or directory) or, when the path is empty, the series given.
  std::string train_path;
  std::string test_path;  // optional
  std::vector<TimeSeries> train_series;
  std::vector<TimeSeries> test_series;
  Hyperparameters hyperparameters;
  std::string output_dir;
  int num_threads = 1;
  uint64_t seed = 1;
  const std::atomic<bool>* cancel = nullptr;  // checked between batches
  // Checked between batches too: training ends, the epoch under way is dropped and the
  // best epoch so far is saved as usual (what `train` does on SIGTERM). Before the first
  // epoch has ended there is nothing to save: kCancelled.
  const std::atomic<bool>* stop = nullptr;
};

struct EpochProgress {
  int epoch = 0;  // 1-based
  int epochs = 0;
  double train_loss = 0;
  double validation_loss = 0;  // NaN without a test channel
  double learning_rate = 0;
  double samples_per_second = 0;  // training windows per second in this epoch
  double elapsed_seconds = 0;
  double remaining_seconds = 0;  // estimate for the remaining epochs
};

// One line for the terminal: "epoch 3/20 loss=1.2345 val_loss=1.1000 lr=0.001 samples/s=2345 eta=0:01:23".
std::string FormatProgress(const EpochProgress& p);

using ProgressFn = std::function<void(const EpochProgress&)>;

struct TrainReport {
  int epochs_run = 0;
  int best_epoch = 0;
  bool stopped_early = false;
  bool stopped = false;  // by TrainRequest::stop
  double final_train_loss = 0;
  double best_validation_loss = 0;  // NaN without a test channel
  double seconds = 0;
  double samples_per_second = 0;
  std::map<std::string, double> metrics;  // test:* and train:final_loss, as in metrics.json
  std::string model_dir;
  uint64_t parameter_checksum = 0;  // of the saved weights, see Predictor::ParameterChecksum
};

Result<TrainReport> Train(const TrainRequest& request, const ProgressFn& progress = nullptr);

}  // namespace tributary::forecast
