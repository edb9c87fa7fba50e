// The monitor's definition: defaults, what round-trips, and a field-named error for
// each kind of bad input.
#include "monitor/monitor_spec.h"

#include <gtest/gtest.h>

namespace tributary::monitor {
namespace {

using nlohmann::json;

json Minimal() {
  return {{"MonitorName", "pm25-drift"},
          {"EndpointName", "pm25"},
          {"Data", {{"table", "raw"}, {"target", "pm25"}, {"prediction_length", 12}}}};
}

TEST(MonitorSpecTest, DefaultsAndRoundTrip) {
  auto spec = MonitorSpec::FromJson(Minimal());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->metric, "test:mean_wQuantileLoss");
  EXPECT_EQ(spec->interval_s, 0);
  EXPECT_EQ(spec->threshold, 1.5);
  EXPECT_EQ(spec->consecutive_breaches, 1);
  EXPECT_EQ(spec->quantile_values.size(), 9u);
  EXPECT_EQ(spec->baseline.kind, BaselineSpec::Kind::kFirstEvaluation);
  EXPECT_EQ(spec->prepare.prediction_length, 12);
  EXPECT_EQ(spec->prepare.group_by, std::optional<std::string>("device"));
  EXPECT_TRUE(spec->prepare.out.empty());
  EXPECT_FALSE(spec->retraining.has_value());
  EXPECT_EQ(spec->alert_topic, "$SYS/monitors/pm25-drift");

  json full = Minimal();
  full["ScheduleIntervalSeconds"] = 3600;
  full["Metric"] = "test:wQuantileLoss[0.9]";
  full["Quantiles"] = {"0.1", "0.5", "0.9"};
  full["Baseline"] = {{"TrainingJobName", "base"}};
  full["DriftThreshold"] = 2;
  full["ConsecutiveBreaches"] = 3;
  full["AlertTopic"] = "alerts/pm25";
  full["Retraining"] = {{"TrainingJobTemplate", "base"}, {"ChannelsUri", "iot-data/monitor/x"},
                        {"DeploymentConfig", {{"BlueGreenUpdatePolicy", {{"TrafficRoutingConfiguration", {{"Type", "ALL_AT_ONCE"}}}}}}}};
  spec = MonitorSpec::FromJson(full);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->retraining->channels_uri, "s3://iot-data/monitor/x/");
  EXPECT_EQ(spec->baseline.training_job, "base");
  EXPECT_EQ(spec->alert_topic, "alerts/pm25");
  auto again = MonitorSpec::FromJson(spec->ToJson());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ToJson(), spec->ToJson());
}

// Quantiles are kept as the scoring names them (forecast::QuantileKey), whatever the
// spelling: the endpoint's answer is keyed by the spelling the request used.
TEST(MonitorSpecTest, QuantilesAreKeptInTheirShortestSpelling) {
  json body = Minimal();
  body["Quantiles"] = {"0.50", ".9", "1e-1"};
  body["Metric"] = "test:wQuantileLoss[0.5]";
  auto spec = MonitorSpec::FromJson(body);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->quantiles, (std::vector<std::string>{"0.5", "0.9", "0.1"}));
  EXPECT_EQ(spec->ToJson()["Quantiles"], json::array({"0.5", "0.9", "0.1"}));
  // Two spellings of one quantile would be one answer key twice.
  body["Quantiles"] = {"0.5", "0.50"};
  spec = MonitorSpec::FromJson(body);
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(
      spec.status().message().find("Quantiles[1]: '0.50' is the same quantile as Quantiles[0]"),
      std::string::npos)
      << spec.status().message();
}

TEST(MonitorSpecTest, ErrorsNameTheField) {
  struct Case {
    std::function<void(json&)> change;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](json& j) { j.erase("EndpointName"); }, "EndpointName: is required"},
      {[](json& j) { j["MonitorName"] = std::string(48, 'a'); }, "MonitorName: '"},
      {[](json& j) { j["MonitorName"] = "-x"; }, "not starting or ending with '-'"},
      {[](json& j) { j["Surprise"] = 1; }, "unknown field 'Surprise'"},
      {[](json& j) { j.erase("Data"); }, "Data: is required"},
      {[](json& j) { j["Data"].erase("target"); }, "Data: 'target' is required"},
      {[](json& j) { j["Data"]["out"] = "/tmp/x"; }, "Data.out: not allowed"},
      {[](json& j) { j["Data"]["end"] = "2026-01-01"; }, "Data.end: not allowed"},
      {[](json& j) { j["Data"]["prediction_length"] = 0; }, "Data.prediction_length: must be at least 1"},
      {[](json& j) { j["ScheduleIntervalSeconds"] = 5; }, "ScheduleIntervalSeconds: must be 0"},
      {[](json& j) { j["ScheduleIntervalSeconds"] = "1h"; }, "ScheduleIntervalSeconds: must be an integer"},
      {[](json& j) { j["Metric"] = "test:MAPE"; }, "Metric: 'test:MAPE' is not one of test:RMSE"},
      {[](json& j) { j["Quantiles"] = {"0.5", "1.5"}; }, "Quantiles[1]: '1.5' is not a number between 0 and 1"},
      {[](json& j) { j["Quantiles"] = {"0.5"}; j["Metric"] = "test:wQuantileLoss[0.9]"; }, "Metric: 'test:wQuantileLoss[0.9]'"},
      {[](json& j) { j["NumSamples"] = 0; }, "NumSamples: 0 is out of range 1..1000"},
      {[](json& j) { j["Baseline"] = {{"Value", 0}}; }, "Baseline.Value: must be a number above 0"},
      {[](json& j) { j["Baseline"] = {{"Value", 1}, {"TrainingJobName", "t"}}; }, "Baseline: give exactly one"},
      {[](json& j) { j["Baseline"] = {{"TrainingJobName", "bad name"}}; }, "Baseline: TrainingJobName: 'bad name'"},
      {[](json& j) { j["DriftThreshold"] = 0.5; }, "DriftThreshold: must be a number of at least 1"},
      {[](json& j) { j["ConsecutiveBreaches"] = 0; }, "ConsecutiveBreaches: 0 is out of range 1..100"},
      {[](json& j) { j["AlertTopic"] = "alerts/+"; }, "AlertTopic: must be an MQTT topic name"},
      {[](json& j) { j["Retraining"] = {{"ChannelsUri", "s3://data/p/"}}; }, "Retraining.TrainingJobTemplate: is required"},
      {[](json& j) { j["Retraining"] = {{"TrainingJobTemplate", "t"}}; }, "Retraining.ChannelsUri: is required"},
      {[](json& j) { j["Retraining"] = {{"TrainingJobTemplate", "t"}, {"ChannelsUri", "http://data/p/"}}; }, "Retraining.ChannelsUri: "},
      {[](json& j) {
         j["Retraining"] = {{"TrainingJobTemplate", "t"}, {"ChannelsUri", "s3://data/p/"},
                            {"DeploymentConfig", {{"BlueGreenUpdatePolicy", {{"TrafficRoutingConfiguration", {{"Type", "SIDEWAYS"}}}}}}}};
       },
       "Retraining.DeploymentConfig: "},
  };
  for (const Case& c : cases) {
    json body = Minimal();
    c.change(body);
    auto spec = MonitorSpec::FromJson(body);
    ASSERT_FALSE(spec.ok()) << body.dump();
    EXPECT_EQ(spec.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(spec.status().message().find(c.message), std::string::npos)
        << "wanted '" << c.message << "' in: " << spec.status().message();
  }
}

}  // namespace
}  // namespace tributary::monitor
