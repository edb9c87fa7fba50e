// Test-only: a DeepAR model small enough to train in well under a second
// (hourly, context 12, prediction 6, 8 cells, one cat feature of cardinality 2,
// one dynamic feature), for the tests of what runs on top of a trained model.
#pragma once

#include <cmath>
#include <string>

#include "forecast/trainer.h"

namespace tributary::forecast::testing {

// Writes the model into `dir`; the status says why training failed.
inline Status TrainTinyModel(const std::string& dir) {
  TrainRequest req;
  for (int i = 0; i < 4; ++i) {
    TimeSeries s;
    s.start = *ParseTimestamp("2026-01-01 00:00:00");
    s.cat = {i % 2};
    s.dynamic_feat = {std::vector<float>(96)};
    for (int t = 0; t < 96; ++t) {
      s.target.push_back(
          static_cast<float>(10 + 5 * std::sin(2 * M_PI * t / 24) + (t * 7 + i) % 3));
      s.dynamic_feat[0][t] = static_cast<float>(t % 7 == 0);
    }
    s.origin = "tiny:" + std::to_string(i + 1);
    req.train_series.push_back(std::move(s));
  }
  TRY_ASSIGN(req.hyperparameters, ParseHyperparameters({{"time_freq", "H"},
                                                        {"context_length", "12"},
                                                        {"prediction_length", "6"},
                                                        {"epochs", "1"},
                                                        {"num_cells", "8"},
                                                        {"num_layers", "1"},
                                                        {"mini_batch_size", "16"},
                                                        {"embedding_dimension", "2"}}));
  req.output_dir = dir;
  auto report = Train(req);
  return report.ok() ? Status::Ok() : report.status();
}

}  // namespace tributary::forecast::testing
