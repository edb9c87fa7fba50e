#include "forecast/invocation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/testing/temp_dir.h"
#include "forecast/testing/tiny_model.h"

namespace tributary::forecast {
namespace {

using nlohmann::json;

// One instance the tiny model accepts: 20 points, cat 0, a dynamic feature
// covering the 6 forecast steps.
json Instance(int cat = 0, int target_len = 20, int dyn_len = 26) {
  json target = json::array();
  for (int t = 0; t < target_len; ++t) target.push_back(10 + (t % 5));
  if (target_len > 3) target[2] = "NaN";
  if (target_len > 4) target[3] = nullptr;
  json dyn = json::array();
  for (int t = 0; t < dyn_len; ++t) dyn.push_back(t % 7 == 0 ? 1 : 0);
  return {{"start", "2026-01-01 00:00:00"},
          {"target", target},
          {"cat", {cat}},
          {"dynamic_feat", {dyn}}};
}

class InvocationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing_support::TempDir();
    Status s = testing::TrainTinyModel(dir_->path() + "/model");
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto p = Predictor::Load(dir_->path() + "/model");
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    predictor_ = p->release();
  }
  static void TearDownTestSuite() {
    delete predictor_;
    delete dir_;
  }

  // The error of parsing `body` as JSON, "" when it parsed.
  static std::string JsonError(const std::string& body) {
    auto inv = ParseInvocation(BodyFormat::kJson, body, nullptr, predictor_->info());
    return inv.ok() ? "" : inv.status().message();
  }
  static std::string ConfigError(const json& configuration) {
    return JsonError(json{{"instances", {Instance()}}, {"configuration", configuration}}.dump());
  }
  static InvocationReply Call(const std::string& body, const std::string& type = kJsonType,
                              const std::string& accept = "", const json* config = nullptr) {
    return Invoke(*predictor_, type, accept, body, config, seed_);
  }

  static testing_support::TempDir* dir_;
  static Predictor* predictor_;
  static uint64_t seed_;
};

testing_support::TempDir* InvocationTest::dir_ = nullptr;
Predictor* InvocationTest::predictor_ = nullptr;
uint64_t InvocationTest::seed_ = 1;

TEST(ContentTypeTest, JsonAndJsonLinesWithParameters) {
  EXPECT_EQ(*ParseContentType("application/json"), BodyFormat::kJson);
  EXPECT_EQ(*ParseContentType("Application/JSON; charset=utf-8"), BodyFormat::kJson);
  EXPECT_EQ(*ParseContentType("application/jsonlines"), BodyFormat::kJsonLines);
  EXPECT_EQ(*ParseContentType("application/x-jsonlines"), BodyFormat::kJsonLines);
  auto csv = ParseContentType("text/csv");
  ASSERT_FALSE(csv.ok());
  EXPECT_NE(csv.status().message().find("'text/csv' is not supported"), std::string::npos);
}

TEST_F(InvocationTest, MalformedBodiesNameWhatAndWhere) {
  std::string e = JsonError("{\"instances\": [{\"start\": ]}");
  EXPECT_NE(e.find("the body is not valid JSON: column 26: syntax error"), std::string::npos) << e;
  EXPECT_EQ(JsonError("[1, 2]"), "body: expected a JSON object {\"instances\": [...]}");
  EXPECT_EQ(JsonError("{\"configuration\": {}}"),
            "instances: missing; the body must be {\"instances\": [...]}");
  EXPECT_EQ(JsonError("{\"instances\": {}}"), "instances: expected an array of series objects");
  EXPECT_EQ(JsonError(json{{"instances", {Instance(), 7}}}.dump()),
            "instances[1]: expected a JSON object");

  json bad_target = Instance();
  bad_target["target"][4] = "x";
  EXPECT_EQ(JsonError(json{{"instances", {bad_target}}}.dump()),
            "instances[0]: field 'target[4]': expected a number, \"NaN\" or null, got \"x\"");
  json empty = Instance(0, 0, 6);
  EXPECT_EQ(JsonError(json{{"instances", {Instance(), empty}}}.dump()),
            "instances[1]: field 'target': is empty");
  json no_start = Instance();
  no_start.erase("start");
  EXPECT_EQ(JsonError(json{{"instances", {no_start}}}.dump()),
            "instances[0]: field 'start': missing");
}

TEST_F(InvocationTest, ShapesAreCheckedAgainstTheModel) {
  json no_cat = Instance();
  no_cat.erase("cat");
  EXPECT_EQ(JsonError(json{{"instances", {Instance(), Instance(), no_cat}}}.dump()),
            "instances[2]: field 'cat': has 0 values, the model expects 1");
  EXPECT_EQ(JsonError(json{{"instances", {Instance(0, 20, 20)}}}.dump()),
            "instances[0]: field 'dynamic_feat[0]': has 20 values, expected 26 (target length + "
            "prediction_length)");
  json no_dyn = Instance();
  no_dyn.erase("dynamic_feat");
  EXPECT_EQ(JsonError(json{{"instances", {no_dyn}}}.dump()),
            "instances[0]: field 'dynamic_feat': has 0 features, the model expects 1");
  // Shorter than context_length (12) is fine: the window is padded.
  EXPECT_EQ(JsonError(json{{"instances", {Instance(1, 1, 7)}}}.dump()), "");
}

TEST_F(InvocationTest, ConfigurationErrors) {
  EXPECT_EQ(ConfigError({{"num_samples", 0}}), "configuration.num_samples: 0 is outside 1..1000");
  EXPECT_EQ(ConfigError({{"num_samples", 1001}}),
            "configuration.num_samples: 1001 is outside 1..1000");
  EXPECT_EQ(ConfigError({{"num_samples", "50"}}),
            "configuration.num_samples: expected an integer, got \"50\"");
  EXPECT_EQ(ConfigError({{"quantiles", {"0.1", "1.5"}}}),
            "configuration.quantiles[1]: 1.5 is not in (0, 1)");
  EXPECT_EQ(ConfigError({{"quantiles", {0}}}), "configuration.quantiles[0]: 0 is not in (0, 1)");
  EXPECT_EQ(ConfigError({{"quantiles", {"0.5x"}}}),
            "configuration.quantiles[0]: '0.5x' is not a number");
  EXPECT_EQ(ConfigError({{"quantiles", "0.5"}}),
            "configuration.quantiles: expected an array such as [\"0.1\", \"0.9\"]");
  EXPECT_EQ(
      ConfigError({{"output_types", {"mean", "median"}}}),
      "configuration.output_types[1]: output type 'median' is not one of mean, quantiles, samples");
  EXPECT_EQ(
      ConfigError({{"output_type", {"mean"}}}),
      "configuration.output_type: unknown key; expected num_samples, output_types or quantiles");
  EXPECT_EQ(ConfigError(json::array()), "configuration: expected an object");
}

TEST_F(InvocationTest, ConfigurationAndDefaults) {
  auto inv = ParseInvocation(BodyFormat::kJson, json{{"instances", {Instance()}}}.dump(), nullptr,
                             predictor_->info());
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->config.num_samples, 100);
  EXPECT_TRUE(inv->config.output_mean && inv->config.output_quantiles &&
              !inv->config.output_samples);
  EXPECT_EQ(inv->quantile_keys, (std::vector<std::string>{"0.1", "0.2", "0.3", "0.4", "0.5", "0.6",
                                                          "0.7", "0.8", "0.9"}));
  json c = {{"num_samples", 7}, {"output_types", {"samples"}}, {"quantiles", {"0.50", 0.25}}};
  inv = ParseInvocation(BodyFormat::kJson,
                        json{{"instances", {Instance()}}, {"configuration", c}}.dump(), nullptr,
                        predictor_->info());
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  EXPECT_EQ(inv->config.num_samples, 7);
  EXPECT_TRUE(!inv->config.output_mean && !inv->config.output_quantiles &&
              inv->config.output_samples);
  EXPECT_EQ(inv->config.quantiles, (std::vector<double>{0.5, 0.25}));
  EXPECT_EQ(inv->quantile_keys, (std::vector<std::string>{"0.50", "0.25"}));
}

TEST_F(InvocationTest, JsonLinesTakeTheHeaderConfiguration) {
  std::string body = Instance().dump() + "\r\n\n" + Instance(1).dump() + "\n";
  json config = {{"num_samples", 3}, {"output_types", {"mean", "samples"}}};
  auto inv = ParseInvocation(BodyFormat::kJsonLines, body, &config, predictor_->info());
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  ASSERT_EQ(inv->instances.size(), 2u);
  EXPECT_EQ(inv->instances[1].cat, std::vector<int64_t>{1});
  EXPECT_EQ(inv->config.num_samples, 3);

  auto bad = ParseInvocation(BodyFormat::kJsonLines, Instance().dump() + "\n{\"start\": x}\n",
                             nullptr, predictor_->info());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 2 is not valid JSON: column 11: syntax error"),
            std::string::npos)
      << bad.status().message();
  json bad_config = {{"num_samples", -1}};
  bad = ParseInvocation(BodyFormat::kJsonLines, body, &bad_config, predictor_->info());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "inference_config.num_samples: -1 is outside 1..1000");
}

TEST_F(InvocationTest, AnswerHasTheRequestedShape) {
  json c = {{"num_samples", 50},
            {"output_types", {"mean", "quantiles", "samples"}},
            {"quantiles", {"0.10", "0.5", "0.9"}}};
  InvocationReply r =
      Call(json{{"instances", {Instance(0), Instance(1, 5, 11)}}, {"configuration", c}}.dump());
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.content_type, kJsonType);
  json answer = json::parse(r.body);
  ASSERT_EQ(answer.size(), 1u);
  ASSERT_EQ(answer["predictions"].size(), 2u);
  for (const json& p : answer["predictions"]) {
    ASSERT_EQ(p["mean"].size(), 6u);
    ASSERT_EQ(p["samples"].size(), 50u);
    ASSERT_EQ(p["quantiles"].size(), 3u);
    for (const char* q : {"0.10", "0.5", "0.9"}) ASSERT_EQ(p["quantiles"][q].size(), 6u) << q;
    for (int k = 0; k < 6; ++k) {
      double lo = INFINITY, hi = -INFINITY;
      for (const json& path : p["samples"]) {
        ASSERT_EQ(path.size(), 6u);
        lo = std::min(lo, path[k].get<double>());
        hi = std::max(hi, path[k].get<double>());
      }
      double mean = p["mean"][k].get<double>();
      EXPECT_GE(mean, lo);
      EXPECT_LE(mean, hi);
      EXPECT_LE(p["quantiles"]["0.10"][k].get<double>(), p["quantiles"]["0.5"][k].get<double>());
      EXPECT_LE(p["quantiles"]["0.5"][k].get<double>(), p["quantiles"]["0.9"][k].get<double>());
    }
  }

  // Only what was asked for.
  r = Call(json{{"instances", {Instance()}},
                {"configuration", {{"output_types", {"quantiles"}}, {"quantiles", {"0.5"}}}}}
               .dump());
  ASSERT_EQ(r.status, 200) << r.error;
  answer = json::parse(r.body);
  EXPECT_EQ(answer["predictions"][0].size(), 1u);
  EXPECT_EQ(answer["predictions"][0]["quantiles"].size(), 1u);
  EXPECT_TRUE(json::parse(Call("{\"instances\": []}").body) ==
              json::parse("{\"predictions\": []}"));
}

TEST_F(InvocationTest, JsonLinesAnswerOneLinePerInstance) {
  json config = {{"num_samples", 5}, {"output_types", {"mean"}}};
  InvocationReply r =
      Call(Instance().dump() + "\n" + Instance(1).dump(), kJsonLinesType, "", &config);
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.content_type, kJsonLinesType);
  ASSERT_EQ(std::count(r.body.begin(), r.body.end(), '\n'), 2);
  json first = json::parse(r.body.substr(0, r.body.find('\n')));
  EXPECT_EQ(first.size(), 1u);
  EXPECT_EQ(first["mean"].size(), 6u);
  // Whatever JSON accept type the server passes on: a JSON Lines request gets JSON Lines.
  r = Call(Instance().dump(), kJsonLinesType, "application/json", &config);
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.content_type, kJsonLinesType);
  EXPECT_EQ(json::parse(r.body).size(), 1u);
  EXPECT_EQ(r.body.back(), '\n');
}

TEST_F(InvocationTest, StatusCodes) {
  std::string ok = json{{"instances", {Instance()}}}.dump();
  EXPECT_EQ(Call(ok, "text/csv").status, 415);
  EXPECT_EQ(Call(ok, kJsonType, "text/csv").status, 406);
  EXPECT_EQ(Call(ok, kJsonType, "*/*").status, 200);
  InvocationReply r = Call("{\"instances\": [");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"], r.error);
  // Checked by the predictor itself: the category is out of the model's range.
  r = Call(json{{"instances", {Instance(), Instance(7)}}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error,
            "instances[1]: field 'cat[0]': 7 is not in 0..1 (the model's cardinality is 2)");
  // A negative one is refused by the parser, in either form, never reaching the embeddings.
  json negative = Instance();
  negative["cat"] = -1;
  r = Call(json{{"instances", {Instance(), negative}}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error,
            "instances[1]: field 'cat': expected an integer in 0..9007199254740992, got -1");
  negative["cat"] = {1e19};
  r = Call(json{{"instances", {negative}}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.error.find("instances[0]: field 'cat[0]': expected an integer"), std::string::npos)
      << r.error;
}

// Predict checks both ends of the range itself: a series built in code skips the parser.
TEST_F(InvocationTest, PredictRefusesACatOutsideTheEmbeddings) {
  auto series = ParseSeriesJson(Instance(), "built");
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ForecastConfig config;
  config.num_samples = 2;
  for (int64_t cat : {int64_t{-1}, int64_t{2}, int64_t{-4000000000}}) {
    series->cat = {cat};
    auto f = predictor_->Predict(*series, config);
    ASSERT_FALSE(f.ok()) << cat;
    EXPECT_EQ(f.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(f.status().message(), "built: field 'cat[0]': " + std::to_string(cat) +
                                        " is not in 0..1 (the model's cardinality is 2)");
  }
}

// Values the model's floats cannot hold are the client's error (400), not a model
// failure (500) that would count against a deployment's alarms.
TEST_F(InvocationTest, HugeValuesAreBadRequests) {
  json huge = Instance();
  huge["target"][5] = 3e38;
  InvocationReply r = Call(json{{"instances", {huge}}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.error.find("instances[0]: field 'target[5]': 3e+38 is out of range"),
            std::string::npos)
      << r.error;
  huge = Instance();
  huge["dynamic_feat"][0][25] = -1e39;
  r = Call(huge.dump() + "\n", kJsonLinesType);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.error.find("line 1: field 'dynamic_feat[0][25]': -1e+39 is out of range"),
            std::string::npos)
      << r.error;
}

// Work and answer size are bounded per request (invocation.h): instances, quantiles
// and the numbers the answer would hold, each refused with what to change.
TEST_F(InvocationTest, LimitsOfOneRequest) {
  json quantiles = json::array();
  for (int i = 1; i <= kMaxQuantiles + 1; ++i) quantiles.push_back(i / 102.0);
  EXPECT_EQ(ConfigError({{"quantiles", quantiles}}),
            "configuration.quantiles: 101 quantiles, more than 100 per request");

  json many = json::array();
  for (int i = 0; i <= kMaxInstances; ++i) many.push_back(Instance());
  InvocationReply r = Call(json{{"instances", many}}.dump());
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(
      r.error,
      "instances: 1001 or more, more than 1000 per request; split them over several requests");
  std::string lines;
  for (int i = 0; i <= kMaxInstances; ++i) lines += Instance().dump() + "\n";
  r = Call(lines, kJsonLinesType);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(
      r.error,
      "instances: 1001 or more, more than 1000 per request; split them over several requests");

  // 200 instances x 6 steps x (mean + 9 quantiles + 1000 samples) = 1,212,000 numbers.
  many.erase(many.begin() + 200, many.end());
  json samples = {{"num_samples", 1000}, {"output_types", {"mean", "quantiles", "samples"}}};
  r = Call(json{{"instances", many}, {"configuration", samples}}.dump());
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(
      r.error,
      "the answer would hold 1212000 numbers (200 instances x prediction_length 6 x 1010 per "
      "step: the mean, each quantile and each sample asked for), more than 1000000 per "
      "request; ask for fewer instances or samples, or leave \"samples\" out of output_types");
  samples["output_types"] = {"mean", "quantiles"};
  EXPECT_EQ(JsonError(json{{"instances", many}, {"configuration", samples}}.dump()), "");
}

TEST_F(InvocationTest, EveryForecastGetsTheNextSeed) {
  std::string body = json{{"instances", {Instance(), Instance()}},
                          {"configuration", {{"output_types", {"samples"}}}}}
                         .dump();
  uint64_t seed = 40;
  InvocationReply a = Invoke(*predictor_, kJsonType, "", body, nullptr, seed);
  EXPECT_EQ(seed, 42u);
  InvocationReply b = Invoke(*predictor_, kJsonType, "", body, nullptr, seed);
  ASSERT_EQ(a.status, 200);
  json pa = json::parse(a.body)["predictions"], pb = json::parse(b.body)["predictions"];
  EXPECT_NE(pa[0], pa[1]);  // same series, seeds 40 and 41
  EXPECT_NE(pa[0], pb[0]);  // a repeated request draws new paths
  seed = 41;
  InvocationReply c = Invoke(*predictor_, kJsonType, "", body, nullptr, seed);
  EXPECT_EQ(json::parse(c.body)["predictions"][0], pa[1]);  // ... reproducible from the seed
}

TEST(CheckFiniteTest, NamesTheValue) {
  Forecast f;
  f.mean = {1, 2};
  f.samples = {{1, 2}, {1, NAN}};
  Status s = CheckFinite(f, 3);
  EXPECT_EQ(s.code(), ErrorCode::kInternal);
  EXPECT_EQ(s.message(), "model produced a non-finite forecast: instance 3, samples[1][1] = nan");
  f.samples[1][1] = 2;
  EXPECT_TRUE(CheckFinite(f, 3).ok());
}

}  // namespace
}  // namespace tributary::forecast
