// model.json is checked when read: what the sampler takes on trust (lags, window
// lengths, cardinality) must hold, or the model fails to load instead of crashing the
// worker at its first forecast.
#include "forecast/artifact.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/testing/temp_dir.h"

namespace tributary::forecast {
namespace {

using nlohmann::json;

class ArtifactTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto hp = ParseHyperparameters({{"time_freq", "H"},
                                    {"context_length", "12"},
                                    {"prediction_length", "6"},
                                    {"epochs", "1"}});
    ASSERT_TRUE(hp.ok()) << hp.status().ToString();
    ModelInfo info;
    info.hyperparameters = *hp;
    info.spec = FeatureSpec::For(hp->time_freq, 12, 6, 1, {2});
    ASSERT_TRUE(WriteModelInfo(dir_.path(), info).ok());
    auto text = ReadFile(ModelJson());
    ASSERT_TRUE(text.ok());
    model_json_ = json::parse(*text);
  }
  std::string ModelJson() const { return dir_.path() + "/model.json"; }

  // ReadModelInfo's status after `change` to model.json.
  Status ReadChanged(const std::function<void(json&)>& change) {
    json j = model_json_;
    change(j);
    EXPECT_TRUE(WriteFileAtomic(ModelJson(), j.dump()).ok());
    return ReadModelInfo(dir_.path()).status();
  }

  testing_support::TempDir dir_;
  json model_json_;
};

TEST_F(ArtifactTest, ReadsWhatWasWritten) {
  auto info = ReadModelInfo(dir_.path());
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->spec.context_length, 12);
  EXPECT_EQ(info->spec.cardinality, std::vector<int64_t>{2});
  EXPECT_FALSE(info->spec.lags.empty());
}

TEST_F(ArtifactTest, CorruptModelJsonIsDataLossNamingTheField) {
  struct Case {
    std::function<void(json&)> change;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](json& j) {
         j["lags"] = json::array({1, 2, 0});
       },
       "lags[2]: 0 is not in 1..100000"},
      {[](json& j) { j["lags"] = json::array({-5}); }, "lags[0]: -5 is not in 1..100000"},
      {[](json& j) {
         j["lags"] = json::array({1, 3, 2});
       },
       "lags[2]: 2 is not above lags[1] (lags must increase)"},
      {[](json& j) {
         j["lags"] = json::array({1, 1});
       },
       "lags[1]: 1 is not above lags[0] (lags must increase)"},
      {[](json& j) {
         j["lags"] = json::array({1, 2000000});
       },
       "lags[1]: 2000000 is not in 1..100000"},
      {[](json& j) { j["lags"] = json::array(); }, "lags is empty"},
      {[](json& j) { j["context_length"] = 0; }, "context_length 0 is below 1"},
      {[](json& j) { j["prediction_length"] = -1; }, "prediction_length -1 is below 1"},
      {[](json& j) { j["context_length"] = 48; },
       "context_length 48 and prediction_length 6 differ from hyperparameters.json's 12 and 6"},
      {[](json& j) { j["cardinality"] = json::array({0}); }, "cardinality[0]: 0 is below 1"},
      {[](json& j) { j["num_dynamic_feat"] = -1; }, "num_dynamic_feat is negative"},
  };
  for (const Case& c : cases) {
    Status st = ReadChanged([&](json& j) {
      c.change(j);
      // Keep the count consistent, so that the check under test is the one that fails.
      j["num_real_features"] = j["num_real_features"].get<int>() - model_json_["lags"].size() +
                               j["lags"].size() - model_json_["num_dynamic_feat"].get<int>() +
                               j["num_dynamic_feat"].get<int>();
    });
    EXPECT_EQ(st.code(), ErrorCode::kDataLoss) << c.message;
    EXPECT_EQ(st.message(), ModelJson() + ": " + c.message);
  }
}

}  // namespace
}  // namespace tributary::forecast
