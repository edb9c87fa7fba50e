// The backtest against an endpoint that is a function: what the requests hold, how the
// answers are scored (against forecast/metrics.h's definitions), and the errors.
#include "monitor/backtest.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "monitor/monitor_spec.h"

namespace tributary::monitor {
namespace {

using nlohmann::json;

BacktestOptions Options() {
  BacktestOptions o;
  o.prediction_length = 2;
  o.metric = "test:mean_wQuantileLoss";
  o.quantiles = {"0.5"};
  o.quantile_values = {0.5};
  o.num_samples = 7;
  o.batch_size = 2;
  return o;
}

// Forecasts `level` for every step of every instance.
std::string Flat(const json& request, double level, size_t steps = 2) {
  json predictions = json::array();
  for (size_t i = 0; i < request["instances"].size(); ++i) {
    std::vector<double> v(steps, level);
    predictions.push_back({{"mean", v}, {"quantiles", {{"0.5", v}}}});
  }
  return json{{"predictions", predictions}}.dump();
}

TEST(BacktestTest, HoldsOutTheLastValuesAndScoresThem) {
  std::vector<std::string> lines = {
      R"({"start":"2026-01-01 00:00:00","target":[1,2,3,10,10],"cat":[0],"dynamic_feat":[[1,1,1,1,1]]})",
      R"({"start":"2026-01-01 00:00:00","target":[4,5,6,20,"NaN"],"cat":[1],"dynamic_feat":[[2,2,2,2,2]]})",
      R"({"start":"2026-01-01 00:00:00","target":[7,30,30],"cat":[2],"dynamic_feat":[[3,3,3]]})",
      R"({"start":"2026-01-01 00:00:00","target":[8,9],"cat":[3],"dynamic_feat":[[4,4]]})",  // too short
  };
  std::vector<json> requests;
  auto invoke = [&](const std::string& body) -> Result<std::string> {
    requests.push_back(json::parse(body));
    return Flat(requests.back(), 10);
  };
  auto r = RunBacktest(lines, {"a", "b", "c", "d"}, Options(), invoke);
  ASSERT_TRUE(r.ok()) << r.status().ToString();

  ASSERT_EQ(requests.size(), 2u);  // batches of 2: a+b, c
  const json& first = requests[0];
  EXPECT_EQ(first["configuration"]["num_samples"], 7);
  EXPECT_EQ(first["configuration"]["quantiles"], json::array({"0.5"}));
  EXPECT_EQ(first["instances"][0]["target"], json::array({1, 2, 3}));
  EXPECT_EQ(first["instances"][0]["dynamic_feat"][0].size(), 5u);  // covers the forecast too
  EXPECT_EQ(first["instances"][1]["cat"], json::array({1}));
  EXPECT_EQ(requests[1]["instances"][0]["target"], json::array({7}));

  // Median forecast 10 everywhere; actuals 10,10 | 20,NaN | 30,30 (NaN left out):
  // wQL[0.5] = 2 * sum(0.5 * |y - 10|) / sum|y| = (0 + 10 + 40) / (10+10+20+30+30) = 0.5
  EXPECT_EQ(r->series, 3);
  EXPECT_EQ(r->skipped, 1);
  EXPECT_NEAR(r->value, 0.5, 1e-12);
  EXPECT_NEAR(r->metrics.at("test:wQuantileLoss[0.5]"), 0.5, 1e-12);
  // RMSE over the 5 known steps: sqrt((0+0+100+400+400)/5)
  EXPECT_NEAR(r->metrics.at("test:RMSE"), std::sqrt(900.0 / 5), 1e-9);
  ASSERT_EQ(r->worst.size(), 3u);
  EXPECT_EQ(r->worst[0].group, "c");  // 40/60
  EXPECT_NEAR(r->worst[0].value, 40.0 / 60.0, 1e-12);
  EXPECT_EQ(r->worst[2].group, "a");
  EXPECT_EQ(r->worst[2].value, 0);
}

// A monitor whose Quantiles are spelled "0.50": the request asks for the spelling the
// spec kept, the worker keys its answer by that spelling (as DeepAR's does), and the
// scoring finds it.
TEST(BacktestTest, QuantilesSpelledWithATrailingZeroEvaluate) {
  json body = {{"MonitorName", "m"},
               {"EndpointName", "ep"},
               {"Data", {{"table", "raw"}, {"target", "pm25"}, {"prediction_length", 2}}},
               {"Metric", "test:wQuantileLoss[0.5]"},
               {"Quantiles", {"0.10", "0.50"}}};
  auto spec = MonitorSpec::FromJson(body);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  BacktestOptions o = Options();
  o.metric = spec->metric;
  o.quantiles = spec->quantiles;
  o.quantile_values = spec->quantile_values;
  auto keyed_as_asked = [](const std::string& text) -> Result<std::string> {
    json request = json::parse(text);
    json predictions = json::array();
    for (size_t i = 0; i < request["instances"].size(); ++i) {
      json quantiles = json::object();
      for (const auto& key : request["configuration"]["quantiles"]) quantiles[key] = {10, 10};
      predictions.push_back({{"mean", {10, 10}}, {"quantiles", quantiles}});
    }
    return json{{"predictions", predictions}}.dump();
  };
  auto r = RunBacktest({R"({"start":"2026-01-01 00:00:00","target":[1,2,3,10,20]})"}, {"a"}, o,
                       keyed_as_asked);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(r->value, 10.0 / 30.0, 1e-12);  // 2 * 0.5 * |20 - 10| / (10 + 20)
}

TEST(BacktestTest, ErrorsNameTheSeriesOrTheRequest) {
  std::vector<std::string> lines = {R"({"start":"2026-01-01 00:00:00","target":[1,2,3]})",
                                    R"({"start":"2026-01-01 00:00:00","target":[1,2,3]})"};
  auto fails = [&](const std::function<Result<std::string>(const json&)>& answer, const std::string& want) {
    auto r = RunBacktest(lines, {"a", "b"}, Options(),
                         [&](const std::string& body) { return answer(json::parse(body)); });
    ASSERT_FALSE(r.ok()) << want;
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
  };
  fails([](const json&) -> Result<std::string> { return Unavailable("503: endpoint 'ep' is Updating"); },
        "forecasting series 1 (a) .. series 2 (b): 503: endpoint 'ep' is Updating");
  fails([](const json&) -> Result<std::string> { return std::string("{\"nope\":1}"); }, "no 'predictions' array");
  fails([](const json& req) -> Result<std::string> {
          json one = json::parse(Flat(req, 1));
          one["predictions"].erase(1);
          return one.dump();
        },
        "answered 1 predictions for 2 instances");
  fails([](const json& req) -> Result<std::string> { return Flat(req, 1, 3); },
        "prediction for series 1 (a): 'mean' has 3 values, expected 2 (the monitor's prediction_length)");
  fails([](const json& req) -> Result<std::string> {
          json a = json::parse(Flat(req, 1));
          a["predictions"][1]["quantiles"].erase("0.5");
          return a.dump();
        },
        "prediction for series 2 (b): quantiles: no '0.5' array");

  auto none = RunBacktest({R"({"start":"2026-01-01 00:00:00","target":[1,2]})"}, {}, Options(),
                          [](const std::string&) -> Result<std::string> { return std::string(); });
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no series has more than prediction_length (2)"), std::string::npos);
  auto bad = RunBacktest({"not json"}, {}, Options(), [](const std::string&) -> Result<std::string> { return std::string(); });
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("series 1: not a JSON object"), std::string::npos);
  // Nothing known to score against: the metric is undefined, not 0.
  auto empty = RunBacktest({R"({"start":"2026-01-01 00:00:00","target":[1,"NaN","NaN"]})"}, {}, Options(),
                           [](const std::string& body) -> Result<std::string> { return Flat(json::parse(body), 1); });
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("is undefined for this data"), std::string::npos);
}

TEST(BacktestTest, StopsWhenCancelled) {
  std::vector<std::string> lines(5, R"({"start":"2026-01-01 00:00:00","target":[1,2,3]})");
  int calls = 0;
  BacktestOptions o = Options();
  o.batch_size = 1;
  o.cancelled = [&] { return calls >= 2; };
  auto r = RunBacktest(lines, {}, o, [&](const std::string& body) -> Result<std::string> {
    ++calls;
    return Flat(json::parse(body), 1);
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCancelled);
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace tributary::monitor
