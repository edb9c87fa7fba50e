// TryRule: a rule's output and each action's rendered destination for one message, the
// failures that would go to the error action, and nothing done.
#include "rules/rule_trial.h"

#include <gtest/gtest.h>

#include "rules/rule_registry.h"

namespace tributary::rules {
namespace {

std::shared_ptr<const CompiledRule> Compile(const std::string& json) {
  auto rule = RuleRegistry::CompileUnsaved("trial", json);
  EXPECT_TRUE(rule.ok()) << rule.status().ToString();
  return rule.ok() ? *rule : nullptr;
}

// TryRule on a message from client "d1" at 2025-11-30T00:00:00Z.
nlohmann::json Try(const CompiledRule& rule, const std::string& topic, const std::string& payload,
                   const StreamCheck& check_stream = {}) {
  MessageContext m(topic, payload);
  m.client_id = "d1";
  m.received_at_ms = 1764460800000;
  return TryRule(rule, m, check_stream);
}

TEST(RuleTrialTest, ShowsTheOutputAndWhereEachActionWouldSendIt) {
  auto rule = Compile(R"({"sql": "SELECT pm10, topic(2) AS device FROM 'devices/+/pollution'",
    "actions": [{"firehose": {"deliveryStreamName": "pollution", "separator": "\n"}},
                {"republish": {"topic": "alerts/${topic(2)}", "qos": 1,
                               "headers": {"contentType": "application/json"}}},
                {"s3": {"bucketName": "raw", "key": "${topic(2)}/${timestamp()}.json"}},
                {"http": {"url": "https://hooks.example/${clientid()}",
                          "headers": [{"key": "X-Device", "value": "${topic(2)}"}]}}]})");
  ASSERT_NE(rule, nullptr);
  nlohmann::json t = Try(*rule, "devices/d1/pollution", R"({"pm10": 7, "x": 1})");
  EXPECT_EQ(t["matches"], true);
  EXPECT_EQ(t["selected"], true);
  EXPECT_EQ(t["output"], R"({"pm10":7,"device":"d1"})");
  ASSERT_EQ(t["actions"].size(), 4u);
  EXPECT_EQ(t["actions"][0]["firehose"]["record"], "{\"pm10\":7,\"device\":\"d1\"}\n");
  EXPECT_EQ(t["actions"][1]["republish"]["topic"], "alerts/d1");
  EXPECT_EQ(t["actions"][1]["republish"]["properties"]["contentType"], "application/json");
  EXPECT_EQ(t["actions"][2]["s3"]["key"], "d1/1764460800000.json");
  EXPECT_EQ(t["actions"][3]["http"]["url"], "https://hooks.example/d1");
  EXPECT_EQ(t["actions"][3]["http"]["headers"][0]["value"], "d1");
  EXPECT_TRUE(t["failures"].empty());
}

TEST(RuleTrialTest, ShowsTheSetVariablesAndRendersTemplatesWithThem) {
  auto rule = Compile(R"({"sql": "SET @c = round((f - 32) * 5 / 9), @hot = @c > 30, @none = missing SELECT @c AS celsius FROM 'env/+'",
    "actions": [{"republish": {"topic": "env/${topic(2)}/${@c}"}}]})");
  ASSERT_NE(rule, nullptr);
  nlohmann::json t = Try(*rule, "env/d1", R"({"f": 95})");
  EXPECT_EQ(t["output"], R"({"celsius":35})");
  EXPECT_EQ(t["variables"], nlohmann::json::parse(R"({"c": 35, "hot": true})")) << t.dump();
  EXPECT_EQ(t["actions"][0]["republish"]["topic"], "env/d1/35");
}

TEST(RuleTrialTest, ABasicIngestTopicIsTriedOnTheTopicAfterItsPrefix) {
  auto rule = Compile(R"({"sql": "SELECT pm10, topic(2) AS device FROM 'devices/+/pollution'",
    "actions": [{"firehose": {"deliveryStreamName": "pollution"}}]})");
  ASSERT_NE(rule, nullptr);
  nlohmann::json t = Try(*rule, "$aws/rules/trial/devices/d9/pollution", R"({"pm10": 7})");
  EXPECT_EQ(t["matches"], true);
  EXPECT_EQ(t["basicIngest"], (nlohmann::json{{"rule", "trial"}, {"topic", "devices/d9/pollution"}}));
  EXPECT_EQ(t["output"], R"({"pm10":7,"device":"d9"})");
  // Another rule's name: not for this one, whatever the rest of the topic.
  t = Try(*rule, "$aws/rules/other/devices/d9/pollution", R"({"pm10": 7})");
  EXPECT_EQ(t["matches"], false);
  EXPECT_EQ(t["basicIngest"]["rule"], "other");
  // A plain topic says nothing of Basic Ingest.
  EXPECT_FALSE(Try(*rule, "devices/d9/pollution", "{}").contains("basicIngest"));
}

TEST(RuleTrialTest, ShowsFailuresAndWhereTheErrorActionWouldSendThem) {
  auto rule = Compile(R"({"sql": "SELECT *, 1 AS one FROM 'devices/+/x' WHERE true",
    "actions": [{"s3": {"bucketName": "raw", "key": "${name}"}}],
    "errorAction": {"republish": {"topic": "errors/${topic(2)}"}}})");
  ASSERT_NE(rule, nullptr);
  // A key that walks out of the bucket.
  nlohmann::json bad_key = Try(*rule, "devices/d1/x", R"({"name": "../etc"})");
  ASSERT_EQ(bad_key["failures"].size(), 1u);
  EXPECT_EQ(bad_key["failures"][0]["failedAction"], "S3Action");
  EXPECT_EQ(bad_key["errorAction"]["republish"]["topic"], "errors/d1");
  // An output that cannot be built (SELECT *, ... of a payload that is not an object).
  nlohmann::json not_json = Try(*rule, "devices/d2/x", "not json");
  EXPECT_EQ(not_json["selected"], false);
  EXPECT_EQ(not_json["failures"][0]["failedAction"], "RuleEvaluation");
  EXPECT_EQ(not_json["errorAction"]["republish"]["topic"], "errors/d2");
  // Another topic: the rule would not run at all.
  EXPECT_EQ(Try(*rule, "other/d1/x", "{}")["matches"], false);
}

// At run time a record for a stream that does not exist goes to the error action: so the
// trial lists it as a failure, with the stream's own error, and not as an action.
TEST(RuleTrialTest, AFirehoseActionToAStreamThatDoesNotExistIsAFailure) {
  auto rule = Compile(R"({"sql": "SELECT * FROM 'devices/+/x'",
    "actions": [{"firehose": {"deliveryStreamName": "nosuch"}},
                {"firehose": {"deliveryStreamName": "raw"}}],
    "errorAction": {"firehose": {"deliveryStreamName": "errors_gone"}}})");
  ASSERT_NE(rule, nullptr);
  StreamCheck only_raw = [](std::string_view stream) {
    return stream == "raw"
               ? Status::Ok()
               : NotFound("delivery stream '" + std::string(stream) + "' does not exist");
  };
  nlohmann::json t = Try(*rule, "devices/d1/x", R"({"a": 1})", only_raw);
  ASSERT_EQ(t["actions"].size(), 1u) << t.dump();
  EXPECT_EQ(t["actions"][0]["firehose"]["deliveryStreamName"], "raw");
  ASSERT_EQ(t["failures"].size(), 1u) << t.dump();
  EXPECT_EQ(t["failures"][0]["failedAction"], "FirehoseAction");
  EXPECT_EQ(t["failures"][0]["errorMessage"], "delivery stream 'nosuch' does not exist");
  // The error action's own stream is missing too: it would fail in turn.
  EXPECT_FALSE(t.contains("errorAction")) << t.dump();
  EXPECT_EQ(t["errorActionFailure"], "delivery stream 'errors_gone' does not exist");
  // Without a check every stream is taken to exist.
  EXPECT_TRUE(Try(*rule, "devices/d1/x", R"({"a": 1})")["failures"].empty());
}

TEST(RuleTrialTest, AWhereThatDoesNotHoldSelectsNothing) {
  auto rule = Compile(R"({"sql": "SELECT * FROM 'a/#' WHERE level > 5",
    "actions": [{"republish": {"topic": "b"}}]})");
  ASSERT_NE(rule, nullptr);
  nlohmann::json t = Try(*rule, "a/1", R"({"level": 2})");
  EXPECT_EQ(t["matches"], true);
  EXPECT_EQ(t["selected"], false);
  EXPECT_FALSE(t.contains("output"));
  EXPECT_TRUE(t["actions"].empty());
  EXPECT_TRUE(t["failures"].empty());
}

}  // namespace
}  // namespace tributary::rules
