#include "forecast/hyperparameters.h"

#include <gtest/gtest.h>

namespace tributary::forecast {
namespace {

std::map<std::string, std::string> Required() {
  return {{"time_freq", "H"}, {"context_length", "24"}, {"prediction_length", "12"}, {"epochs", "5"}};
}

TEST(HyperparametersTest, DefaultsMatchSageMaker) {
  auto h = ParseHyperparameters(Required());
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->num_cells, 40);
  EXPECT_EQ(h->num_layers, 2);
  EXPECT_EQ(h->likelihood, Likelihood::kStudentT);
  EXPECT_EQ(h->mini_batch_size, 128);
  EXPECT_DOUBLE_EQ(h->learning_rate, 0.001);
  EXPECT_DOUBLE_EQ(h->dropout_rate, 0.1);
  EXPECT_FALSE(h->early_stopping_patience.has_value());
  EXPECT_EQ(h->embedding_dimension, 10);
  EXPECT_EQ(h->cardinality_mode, FeatureMode::kAuto);
  EXPECT_EQ(h->num_dynamic_feat_mode, FeatureMode::kAuto);
  EXPECT_EQ(h->num_eval_samples, 100);
  EXPECT_EQ(h->test_quantiles.size(), 9u);
  EXPECT_EQ(h->context_length, 24);
  EXPECT_EQ(h->prediction_length, 12);
}

TEST(HyperparametersTest, ParsesEveryKnob) {
  auto v = Required();
  v["likelihood"] = "negative-binomial";
  v["cardinality"] = "[2, 3]";
  v["num_dynamic_feat"] = "2";
  v["test_quantiles"] = "[0.05, 0.5, 0.95]";
  v["early_stopping_patience"] = "4";
  v["dropout_rate"] = "0.05";
  v["time_freq"] = "15min";
  v["_tuning_objective_metric"] = "test:RMSE";
  auto h = ParseHyperparameters(v);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->likelihood, Likelihood::kNegativeBinomial);
  EXPECT_EQ(h->cardinality, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(h->num_dynamic_feat, 2);
  EXPECT_EQ(h->test_quantiles, (std::vector<double>{0.05, 0.5, 0.95}));
  EXPECT_EQ(*h->early_stopping_patience, 4);
  // Round trip through the strings written to hyperparameters.json.
  auto again = ParseHyperparameters(h->ToStrings());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ToStrings(), h->ToStrings());
}

TEST(HyperparametersTest, ErrorsNameTheHyperparameter) {
  struct Case {
    const char* name;
    const char* value;
    const char* expect;
  } cases[] = {
      {"num_cells", "500", "'num_cells': '500' is out of range 1..200"},
      {"num_layers", "0", "'num_layers'"},
      {"likelihood", "poisson", "'likelihood': 'poisson'"},
      {"learning_rate", "2", "'learning_rate'"},
      {"learning_rate", "fast", "'learning_rate': 'fast' is not a number"},
      {"dropout_rate", "1.0", "'dropout_rate'"},
      {"mini_batch_size", "-3", "'mini_batch_size'"},
      {"epochs", "ten", "'epochs': 'ten' is not an integer"},
      {"time_freq", "5sec", "'time_freq'"},
      {"test_quantiles", "[0.5, 1.5]", "'test_quantiles': '1.5'"},
      {"cardinality", "[2, zero]", "'cardinality'"},
      {"early_stopping_patience", "0", "'early_stopping_patience'"},
      {"num_dynamic_feat", "-1", "'num_dynamic_feat'"},
      {"bogus", "1", "unknown hyperparameter 'bogus'"},
  };
  for (const Case& c : cases) {
    auto v = Required();
    v[c.name] = c.value;
    auto h = ParseHyperparameters(v);
    ASSERT_FALSE(h.ok()) << c.name << "=" << c.value;
    EXPECT_NE(h.status().message().find(c.expect), std::string::npos) << h.status().message();
  }
  for (const char* required : {"time_freq", "context_length", "prediction_length", "epochs"}) {
    auto v = Required();
    v.erase(required);
    auto h = ParseHyperparameters(v);
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.status().message(), std::string("hyperparameter '") + required + "' is required");
  }
}

TEST(HyperparametersTest, JsonWithStringsOrNumbers) {
  auto h = ParseHyperparametersJson(
      R"({"time_freq": "D", "context_length": "30", "prediction_length": 7, "epochs": "10",
          "test_quantiles": [0.1, 0.9]})",
      "hp.json");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->prediction_length, 7);
  EXPECT_EQ(h->test_quantiles, (std::vector<double>{0.1, 0.9}));
  auto bad = ParseHyperparametersJson(R"({"time_freq": "D"})", "hp.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "hp.json: hyperparameter 'context_length' is required");
  EXPECT_FALSE(ParseHyperparametersJson("[1]", "hp.json").ok());
}

}  // namespace
}  // namespace tributary::forecast
