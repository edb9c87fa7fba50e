#include "forecast/trainer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "base/files.h"
#include "forecast/commands.h"
#include "forecast/predictor.h"

namespace tributary::forecast {
namespace {

namespace fs = std::filesystem;

// Hourly series with a daily cycle; values stay positive (and integral for counts).
std::vector<TimeSeries> MakeSeries(int n, int len, uint64_t seed, bool counts = false, bool unit = false) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 1);
  std::vector<TimeSeries> out;
  for (int i = 0; i < n; ++i) {
    TimeSeries s;
    s.start = *ParseTimestamp("2021-03-01 00:00:00");
    s.cat = {i % 2};
    s.dynamic_feat = {std::vector<float>(len)};
    for (int t = 0; t < len; ++t) {
      double v = 10 + 5 * std::sin(2 * M_PI * t / 24) + noise(rng);
      if (counts) v = std::max(0.0, std::round(v));
      if (unit) v = 0.5 + 0.04 * (v - 10);
      s.target.push_back(static_cast<float>(v));
      s.dynamic_feat[0][t] = static_cast<float>(t % 7 == 0);
    }
    s.origin = "mem:" + std::to_string(i + 1);
    out.push_back(std::move(s));
  }
  return out;
}

Hyperparameters SmallHp(int epochs = 2) {
  auto hp = ParseHyperparameters({{"time_freq", "H"},
                                  {"context_length", "12"},
                                  {"prediction_length", "6"},
                                  {"epochs", std::to_string(epochs)},
                                  {"num_cells", "8"},
                                  {"num_layers", "1"},
                                  {"mini_batch_size", "16"},
                                  {"embedding_dimension", "2"},
                                  {"num_eval_samples", "20"},
                                  {"test_quantiles", "[0.1, 0.5, 0.9]"}});
  EXPECT_TRUE(hp.ok()) << hp.status().ToString();
  return *hp;
}

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("forecast_trainer_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }
  void WriteLines(const std::string& path, const std::vector<TimeSeries>& series) {
    std::ofstream f(path);
    for (const auto& s : series) f << SeriesToJson(s) << "\n";
  }
  TrainRequest Request(const std::string& out, int epochs = 2) {
    TrainRequest req;
    req.train_series = MakeSeries(4, 120, 1);
    req.test_series = MakeSeries(4, 126, 1);
    req.hyperparameters = SmallHp(epochs);
    req.output_dir = Path(out);
    return req;
  }
  fs::path dir_;
};

TEST_F(TrainerTest, WritesArtifactThatLoadsBackBitForBit) {
  std::vector<EpochProgress> progress;
  auto report = Train(Request("model"), [&](const EpochProgress& p) { progress.push_back(p); });
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(progress.size(), 2u);
  EXPECT_EQ(progress[1].epoch, 2);
  EXPECT_TRUE(std::isfinite(progress[1].train_loss));
  EXPECT_TRUE(std::isfinite(progress[1].validation_loss));
  EXPECT_GT(progress[1].samples_per_second, 0);
  EXPECT_NE(FormatProgress(progress[1]).find("epoch 2/2 loss="), std::string::npos);
  for (const char* f : {"model.json", "hyperparameters.json", "model.pt", "metrics.json"}) {
    EXPECT_TRUE(fs::exists(dir_ / "model" / f)) << f;
  }
  auto metrics = nlohmann::json::parse(*ReadFile(Path("model/metrics.json")));
  for (const char* k : {"test:RMSE", "test:mean_wQuantileLoss", "test:wQuantileLoss[0.1]",
                        "test:wQuantileLoss[0.5]", "test:wQuantileLoss[0.9]", "train:final_loss"}) {
    ASSERT_TRUE(metrics.contains(k)) << k;
    EXPECT_TRUE(metrics[k].is_number()) << k;
    EXPECT_NEAR(metrics[k].get<double>(), report->metrics.at(k), 1e-9);
  }
  auto model_json = nlohmann::json::parse(*ReadFile(Path("model/model.json")));
  EXPECT_EQ(model_json["cardinality"], nlohmann::json::array({2}));
  EXPECT_EQ(model_json["num_dynamic_feat"], 1);
  EXPECT_EQ(model_json["time_freq"], "H");

  auto predictor = Predictor::Load(Path("model"));
  ASSERT_TRUE(predictor.ok()) << predictor.status().ToString();
  EXPECT_EQ((*predictor)->ParameterChecksum(), report->parameter_checksum);
  auto again = Predictor::Load(Path("model"));
  ASSERT_TRUE(again.ok());

  TimeSeries s = MakeSeries(1, 126, 9)[0];
  s.target.resize(120);  // dynamic_feat covers the 6 future steps
  ForecastConfig config;
  config.num_samples = 50;
  config.quantiles = {0.1, 0.5, 0.9};
  config.output_samples = true;
  auto f1 = (*predictor)->Predict(s, config);
  auto f2 = (*again)->Predict(s, config);
  ASSERT_TRUE(f1.ok()) << f1.status().ToString();
  ASSERT_TRUE(f2.ok());
  EXPECT_EQ(f1->samples, f2->samples);  // same weights, same seed: identical paths
  ASSERT_EQ(f1->mean.size(), 6u);
  ASSERT_EQ(f1->samples.size(), 50u);
  for (int k = 0; k < 6; ++k) {
    EXPECT_LE(f1->quantiles[0].second[k], f1->quantiles[1].second[k]);
    EXPECT_LE(f1->quantiles[1].second[k], f1->quantiles[2].second[k]);
    double m = 0;
    for (const auto& path : f1->samples) m += path[k] / 50;
    EXPECT_NEAR(f1->mean[k], m, 1e-9);
  }
  config.seed = 5;
  auto f3 = (*predictor)->Predict(s, config);
  EXPECT_NE(f1->samples, f3->samples);

  // Inference input errors name the series and the field.
  TimeSeries short_dyn = s;
  short_dyn.dynamic_feat[0].resize(120);
  auto bad = (*predictor)->Predict(short_dyn, config);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("mem:1: field 'dynamic_feat[0]'"), std::string::npos)
      << bad.status().message();
  TimeSeries bad_cat = s;
  bad_cat.cat = {7};
  bad = (*predictor)->Predict(bad_cat, config);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("field 'cat[0]'"), std::string::npos);
}

TEST_F(TrainerTest, SameSeedSameModelDifferentSeedDifferentModel) {
  auto a = Train(Request("a", 1));
  auto b = Train(Request("b", 1));
  TrainRequest other = Request("c", 1);
  other.seed = 2;
  auto c = Train(other);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.status().ToString();
  EXPECT_EQ(a->parameter_checksum, b->parameter_checksum);
  EXPECT_EQ(a->metrics, b->metrics);
  EXPECT_NE(a->parameter_checksum, c->parameter_checksum);
}

TEST_F(TrainerTest, BadInputFailsBeforeTrainingAndWritesNothing) {
  auto series = MakeSeries(3, 50, 1);
  WriteLines(Path("train.json"), series);
  std::ofstream(Path("train.json"), std::ios::app)
      << R"({"start": "2021-03-01 00:00:00", "target": [1, 2, 3], "cat": [0, 1], "dynamic_feat": [[0, 0, 0]]})"
      << "\n";
  TrainRequest req;
  req.train_path = Path("train.json");
  req.hyperparameters = SmallHp();
  req.output_dir = Path("out");
  auto r = Train(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("train.json:4: field 'cat'"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(Path("out")));

  // Ragged dynamic_feat against the target.
  WriteLines(Path("train2.json"), series);
  std::ofstream(Path("train2.json"), std::ios::app)
      << R"({"start": "2021-03-01 00:00:00", "target": [1, 2, 3], "cat": [0], "dynamic_feat": [[0, 0, 0, 0]]})"
      << "\n";
  req.train_path = Path("train2.json");
  r = Train(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("train2.json:4: field 'dynamic_feat[0]'"), std::string::npos)
      << r.status().message();

  // Negative values under negative-binomial.
  req.train_path.clear();
  req.train_series = MakeSeries(2, 50, 1);
  req.train_series[1].target[3] = -1;
  req.hyperparameters.likelihood = Likelihood::kNegativeBinomial;
  r = Train(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("mem:2: field 'target[3]'"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(Path("out")));
}

TEST_F(TrainerTest, EarlyStoppingKeepsTheBestEpoch) {
  // A learning rate this high makes the validation loss jump around, so
  // patience runs out long before the 40 epochs.
  TrainRequest req = Request("early", 40);
  req.hyperparameters.learning_rate = 0.5;
  req.hyperparameters.dropout_rate = 0;
  req.hyperparameters.early_stopping_patience = 2;
  std::vector<double> val;
  auto r = Train(req, [&](const EpochProgress& p) { val.push_back(p.validation_loss); });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->stopped_early);
  EXPECT_EQ(r->epochs_run, r->best_epoch + 2);
  ASSERT_EQ(val.size(), static_cast<size_t>(r->epochs_run));
  EXPECT_EQ(*std::min_element(val.begin(), val.end()), val[r->best_epoch - 1]);
  EXPECT_EQ(r->best_validation_loss, val[r->best_epoch - 1]);
}

TEST_F(TrainerTest, CancelledTrainingWritesNoModel) {
  std::atomic<bool> cancel{true};
  TrainRequest req = Request("cancelled");
  req.cancel = &cancel;
  auto r = Train(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCancelled);
  EXPECT_FALSE(fs::exists(dir_ / "cancelled" / "model.pt"));
}

// `stop` (SIGTERM in `train`) ends training at the next batch and saves the best epoch
// so far; before the first epoch has ended there is nothing to save.
TEST_F(TrainerTest, StoppedTrainingSavesTheBestEpochSoFar) {
  std::atomic<bool> stop{false};
  TrainRequest req = Request("stopped", 50);
  req.stop = &stop;
  int epochs_seen = 0;
  auto r = Train(req, [&](const EpochProgress& p) {
    epochs_seen = p.epoch;
    if (p.epoch == 2) stop = true;
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->stopped);
  EXPECT_EQ(r->epochs_run, 2);
  EXPECT_EQ(epochs_seen, 2);
  EXPECT_GE(r->best_epoch, 1);
  EXPECT_LE(r->best_epoch, 2);
  EXPECT_TRUE(r->metrics.count("test:RMSE"));
  auto loaded = Predictor::Load(Path("stopped"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->ParameterChecksum(), r->parameter_checksum);

  std::atomic<bool> at_once{true};
  TrainRequest early = Request("too-early");
  early.stop = &at_once;
  auto none = Train(early);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), ErrorCode::kCancelled);
  EXPECT_NE(none.status().message().find("no model to save"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "too-early" / "model.pt"));
}

TEST_F(TrainerTest, EveryLikelihoodTrainsAndForecastsInItsSupport) {
  for (Likelihood l : {Likelihood::kGaussian, Likelihood::kNegativeBinomial, Likelihood::kBeta,
                       Likelihood::kDeterministicL1}) {
    bool counts = l == Likelihood::kNegativeBinomial, unit = l == Likelihood::kBeta;
    TrainRequest req;
    req.train_series = MakeSeries(2, 80, 3, counts, unit);
    req.test_series = MakeSeries(2, 86, 3, counts, unit);
    req.hyperparameters = SmallHp(1);
    req.hyperparameters.likelihood = l;
    req.output_dir = Path(std::string(LikelihoodName(l)));
    auto r = Train(req);
    ASSERT_TRUE(r.ok()) << LikelihoodName(l) << ": " << r.status().ToString();
    EXPECT_TRUE(std::isfinite(r->metrics.at("test:RMSE"))) << LikelihoodName(l);
    auto p = Predictor::Load(req.output_dir);
    ASSERT_TRUE(p.ok());
    ForecastConfig config;
    config.num_samples = 30;
    config.output_samples = true;
    TimeSeries s = req.test_series[0];
    s.target.resize(80);
    auto f = (*p)->Predict(s, config);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    for (const auto& path : f->samples) {
      for (double v : path) {
        ASSERT_TRUE(std::isfinite(v)) << LikelihoodName(l);
        if (counts) {
          ASSERT_GE(v, 0);
          ASSERT_EQ(v, std::round(v));
        }
        if (unit) {
          ASSERT_GE(v, 0);
          ASSERT_LE(v, 1);
        }
      }
    }
    if (l == Likelihood::kDeterministicL1) {
      EXPECT_EQ(f->samples[0], f->samples[1]);
    }
  }
}

TEST_F(TrainerTest, CommandsTrainAndPredictLikeSageMaker) {
  WriteLines(Path("train.json"), MakeSeries(3, 100, 4));
  WriteLines(Path("test.json"), MakeSeries(3, 106, 4));
  std::ofstream(Path("hp.json")) << R"({"time_freq": "H", "context_length": "12", "prediction_length": "6",
      "epochs": "2", "num_cells": "8", "num_layers": "1", "mini_batch_size": "16", "num_eval_samples": "10"})";
  TrainCommandOptions t;
  t.train = Path("train.json");
  t.test = Path("test.json");
  t.hyperparameters = Path("hp.json");
  t.output = Path("model");
  std::ostringstream out, err;
  ASSERT_EQ(RunTrainCommand(t, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("epoch 1/2 loss="), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("epoch 2/2 loss="), std::string::npos);
  EXPECT_NE(out.str().find("#metric test:mean_wQuantileLoss="), std::string::npos);

  std::vector<TimeSeries> inputs = MakeSeries(2, 106, 8);
  for (auto& s : inputs) s.target.resize(100);
  WriteLines(Path("in.json"), inputs);
  PredictCommandOptions p;
  p.model = Path("model");
  p.input = Path("in.json");
  p.output = Path("out.json");
  p.num_samples = 7;
  p.quantiles = {0.1, 0.9};
  p.output_types = {"mean", "quantiles", "samples"};
  ASSERT_EQ(RunPredictCommand(p, out, err), 0) << err.str();
  std::ifstream in(Path("out.json"));
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["mean"].size(), 6u);
    EXPECT_EQ(j["quantiles"]["0.1"].size(), 6u);
    EXPECT_EQ(j["quantiles"]["0.9"].size(), 6u);
    EXPECT_EQ(j["samples"].size(), 7u);
    ++lines;
  }
  EXPECT_EQ(lines, 2);

  std::ofstream(Path("bad_hp.json")) << R"({"time_freq": "H", "context_length": "12", "epochs": "1"})";
  t.hyperparameters = Path("bad_hp.json");
  std::ostringstream err2;
  EXPECT_EQ(RunTrainCommand(t, out, err2), 2);
  EXPECT_NE(err2.str().find("hyperparameter 'prediction_length' is required"), std::string::npos) << err2.str();
  EXPECT_EQ(err2.str().rfind("tributary train: ", 0), 0u)
      << err2.str();  // as every command's errors begin
  p.output_types = {"median"};
  std::ostringstream err3;
  EXPECT_EQ(RunPredictCommand(p, out, err3), 2);
  EXPECT_NE(err3.str().find("'median'"), std::string::npos);
  EXPECT_EQ(err3.str().rfind("tributary predict: ", 0), 0u) << err3.str();
}

}  // namespace
}  // namespace tributary::forecast
