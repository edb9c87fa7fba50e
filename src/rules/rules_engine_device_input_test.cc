// The rules engine and what devices send it: Basic Ingest topics, bytes that are not
// UTF-8 quoted in failures, MQTT 5 headers rendered from a message, and a payload format
// indicator rendered per message.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "broker/basic_ingest.h"
#include "rules/rules_engine.h"
#include "rules/testing/rules_engine_fixture.h"

namespace tributary::rules {
namespace {

using testing::RulesEngineTest;

// Basic Ingest ($aws/rules/<rule>/<topic>): the named rule alone, whatever its FROM
// filter, on the topic after the prefix; another rule whose filter would match that
// topic does not run, and a rule that does not exist or is disabled drops the message
// (counted) without refusing it.
TEST_F(RulesEngineTest, BasicIngestRunsTheRuleItNamesOnTheTopicAfterThePrefix) {
  ASSERT_TRUE(registry_
                  ->Create("to_lake", R"({"topicRulePayload": {
    "sql": "SELECT *, topic() AS t, topic(2) AS device FROM 'devices/+/pollution'",
    "actions": [{"firehose": {"deliveryStreamName": "pollution"}}]}})")
                  .ok());
  ASSERT_TRUE(registry_
                  ->Create("other", R"({"topicRulePayload": {
    "sql": "SELECT * FROM 'elsewhere/#'",
    "actions": [{"firehose": {"deliveryStreamName": "other"}}]}})")
                  .ok());

  EXPECT_EQ(
      Publish("$aws/rules/to_lake/devices/d7/pollution", R"({"pm10":7})", mqtt::QoS::kAtLeastOnce),
      1);
  // The FROM filter is not matched: the topic named the rule.
  EXPECT_EQ(Publish("$aws/rules/to_lake/elsewhere/x", R"({"pm10":8})", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_EQ(sink_.records["pollution"].size(), 2u);
  EXPECT_EQ(sink_.records["pollution"][0],
            R"({"pm10":7,"t":"devices/d7/pollution","device":"d7"})");
  EXPECT_EQ(sink_.records["pollution"][1], R"({"pm10":8,"t":"elsewhere/x","device":"x"})");
  EXPECT_TRUE(sink_.records["other"].empty()) << "a rule the topic did not name ran";
  EXPECT_EQ(Metrics("to_lake").matched->Value(), 2u);

  // The plain topic still reaches the rule through its filter.
  EXPECT_EQ(Publish("devices/d8/pollution", R"({"pm10":9})", mqtt::QoS::kAtLeastOnce), 1);
  EXPECT_EQ(sink_.records["pollution"].size(), 3u);

  // No such rule, no rule name, a disabled rule: accepted, dropped, counted.
  EXPECT_EQ(Publish("$aws/rules/nope/devices/d7/pollution", "{}", mqtt::QoS::kAtLeastOnce), 1);
  EXPECT_EQ(Publish("$aws/rules/", "{}", mqtt::QoS::kAtLeastOnce), 1);
  ASSERT_TRUE(registry_->SetEnabled("to_lake", false).ok());
  EXPECT_EQ(Publish("$aws/rules/to_lake/devices/d7/pollution", "{}", mqtt::QoS::kAtLeastOnce), 1);
  EXPECT_EQ(sink_.records["pollution"].size(), 3u);
  EXPECT_EQ(table_.basic_ingest_dropped()->Value(), 3u);
}

// A rule without FROM (AWS: optional for rules only Basic Ingest reaches) matches no
// topic; Basic Ingest reaches it by name, with its WHERE and topic() as for any rule.
TEST_F(RulesEngineTest, ARuleWithoutFromIsReachedByBasicIngestAlone) {
  ASSERT_TRUE(registry_
                  ->Create("ingest_only", R"({"topicRulePayload": {
    "sql": "SELECT *, topic(2) AS device WHERE pm10 > 1",
    "actions": [{"firehose": {"deliveryStreamName": "pollution"}}]}})")
                  .ok());
  ASSERT_TRUE(registry_
                  ->Create("catch_all", R"({"topicRulePayload": {
    "sql": "SELECT * FROM '#'",
    "actions": [{"firehose": {"deliveryStreamName": "all"}}]}})")
                  .ok());
  EXPECT_EQ(Publish("$aws/rules/ingest_only/devices/d7", R"({"pm10":7})", mqtt::QoS::kAtLeastOnce),
            1);
  EXPECT_EQ(Publish("$aws/rules/ingest_only/devices/d8", R"({"pm10":0})", mqtt::QoS::kAtLeastOnce),
            1);
  EXPECT_EQ(Publish("devices/d9", R"({"pm10":9})", mqtt::QoS::kAtLeastOnce), 1);
  EXPECT_EQ(sink_.records["pollution"], std::vector<std::string>{R"({"pm10":7,"device":"d7"})"});
  EXPECT_EQ(sink_.records["all"], std::vector<std::string>{R"({"pm10":9})"});
  EXPECT_EQ(Metrics("ingest_only").matched->Value(), 1u);
  EXPECT_EQ(table_.basic_ingest_dropped()->Value(), 0u);
}

TEST(BasicIngestTopicTest, NamesTheRuleAndTheTopicItSees) {
  auto t = broker::ParseBasicIngestTopic("$aws/rules/r1/a/b");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->rule, "r1");
  EXPECT_EQ(t->topic, "a/b");
  t = broker::ParseBasicIngestTopic("$aws/rules/r1");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->rule, "r1");
  EXPECT_EQ(t->topic, "");
  EXPECT_FALSE(broker::ParseBasicIngestTopic("$aws/rulesx/r1/a").has_value());
  EXPECT_FALSE(broker::ParseBasicIngestTopic("aws/rules/r1/a").has_value());
  EXPECT_FALSE(broker::ParseBasicIngestTopic("$aws/things/t/shadow/update").has_value());
}

// Bytes a device sent that are not UTF-8 (here decoded from base64: ff fe 41) and that a
// failure quotes: the error document is still valid JSON that quotes them as \xNN, and
// nothing throws out of OnPublish (the broker's thread) or out of a callback.
TEST_F(RulesEngineTest, FailuresQuotingBytesThatAreNotUtf8StillReachTheErrorAction) {
  ASSERT_TRUE(registry_
                  ->Create("c1", R"({"sql": "SELECT * FROM 'c1/+'",
    "actions": [{"republish": {"topic": "c1o/${decode(b,'base64')}"}}],
    "errorAction": {"republish": {"topic": "c1err"}}})")
                  .ok());
  EXPECT_NO_THROW(Publish("c1/a", R"({"b":"//5B"})", mqtt::QoS::kAtLeastOnce));
  EXPECT_EQ(*last_ack_, 1);
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].topic, "c1err");
  auto doc = nlohmann::json::parse(published_[0].payload);
  EXPECT_EQ(doc["ruleName"], "c1");
  EXPECT_EQ(*Base64Decode(doc["base64OriginalPayload"].get<std::string>()), R"({"b":"//5B"})");
  ASSERT_EQ(doc["failures"].size(), 1u);
  EXPECT_EQ(doc["failures"][0]["failedAction"], "RepublishAction");
  EXPECT_EQ(doc["failures"][0]["failedResource"], "c1o/\\xff\\xfeA");
  EXPECT_EQ(doc["failures"][0]["errorMessage"],
            "republish topic template 'c1o/${decode(b,'base64')}' rendered 'c1o/\\xff\\xfeA', "
            "which is not a valid topic name");
  EXPECT_EQ(Metrics("c1").action_failures->Value(), 1u);

  // An s3 key and an http path rendered from the same bytes, and an endpoint answering
  // with bytes that are not UTF-8.
  ASSERT_TRUE(registry_
                  ->Create("c2", R"({"sql": "SELECT * FROM 'c2/+'",
    "actions": [{"s3": {"bucketName": "raw", "key": "k/${decode(b,'base64')}"}},
                {"http": {"url": "https://hooks.example/p/${decode(b,'base64')}"}}],
    "errorAction": {"republish": {"topic": "c2err"}}})")
                  .ok());
  EXPECT_NO_THROW(Publish("c2/a", R"({"b":"//5B"})", mqtt::QoS::kAtLeastOnce));
  ASSERT_EQ(http_.dones.size(), 1u);
  EXPECT_EQ(http_.posts[0].target,
            "/p/\xff\xfe"
            "A");
  EXPECT_NO_THROW(http_.dones[0](FailedPrecondition("answered 400: \xc3(")));
  ASSERT_EQ(published_.size(), 2u);
  EXPECT_EQ(published_[1].topic, "c2err");
  doc = nlohmann::json::parse(published_[1].payload);
  ASSERT_EQ(doc["failures"].size(), 2u) << doc.dump();
  EXPECT_EQ(doc["failures"][0]["failedAction"], "S3Action");
  EXPECT_EQ(doc["failures"][0]["errorMessage"],
            "s3 key template 'k/${decode(b,'base64')}' rendered an unusable key: object key "
            "'k/\\xff\\xfeA' is not valid UTF-8 at byte 2");
  EXPECT_EQ(doc["failures"][1]["failedAction"], "HttpAction");
  EXPECT_EQ(doc["failures"][1]["failedResource"], "https://hooks.example/p/\\xff\\xfeA");
  // What the sink said, not quoted by the engine: its bytes become U+FFFD.
  EXPECT_EQ(doc["failures"][1]["errorMessage"], "answered 400: \xef\xbf\xbd(");
}

// MQTT 5 string properties carry UTF-8 without U+0000: a content type or user property
// rendered from bytes that are not (ff fe 41, or a NUL) goes to the error action, and
// nothing is published that would get a subscriber disconnected.
TEST_F(RulesEngineTest, HeadersRenderingWhatMqttCannotCarryGoToTheErrorAction) {
  ASSERT_TRUE(registry_
                  ->Create("hdr", R"({"sql": "SELECT * FROM 'h/+'",
    "actions": [{"republish": {"topic": "ho/${topic(2)}", "headers": {
      "contentType": "${decode(ct,'base64')}",
      "userProperties": [{"key": "k", "value": "${decode(v,'base64')}"}]}}}],
    "errorAction": {"republish": {"topic": "herr"}}})")
                  .ok());
  auto error_of = [&](const std::string& payload) -> std::string {
    size_t before = published_.size();
    EXPECT_NO_THROW(Publish("h/a", payload, mqtt::QoS::kAtLeastOnce));
    EXPECT_EQ(published_.size(), before + 1);
    if (published_.size() != before + 1) return "";
    EXPECT_EQ(published_.back().topic, "herr");
    auto doc = nlohmann::json::parse(published_.back().payload);
    EXPECT_EQ(doc["failures"][0]["failedAction"], "RepublishAction");
    return doc["failures"][0]["errorMessage"].get<std::string>();
  };
  // Valid: "text/plain" and "ok".
  Publish("h/a", R"({"ct":"dGV4dC9wbGFpbg==","v":"b2s="})", mqtt::QoS::kAtLeastOnce);
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].topic, "ho/a");
  EXPECT_EQ(published_[0].properties.content_type, std::optional<std::string>("text/plain"));
  EXPECT_EQ(published_[0].properties.user_properties, (mqtt::UserProperties{{"k", "ok"}}));

  EXPECT_EQ(error_of(R"({"ct":"//5B","v":"b2s="})"),
            "republish contentType rendered '\\xff\\xfeA', which MQTT cannot carry: not UTF-8, "
            "or it holds U+0000");
  EXPECT_EQ(error_of(R"({"ct":"dGV4dC9wbGFpbg==","v":"//5B"})"),
            "republish userProperties[0].value rendered '\\xff\\xfeA', which MQTT cannot "
            "carry: not UTF-8, or it holds U+0000");
  EXPECT_EQ(error_of(R"({"ct":"dGV4dC9wbGFpbg==","v":"YQBi"})"),  // "a\0b"
            "republish userProperties[0].value rendered 'a\\x00b', which MQTT cannot carry: "
            "not UTF-8, or it holds U+0000");
  EXPECT_EQ(published_.size(), 4u) << "a message went out with a property MQTT cannot carry";
  EXPECT_EQ(Metrics("hdr").action_failures->Value(), 3u);
}

// payloadFormatIndicator as a substitution template (AWS's MqttHeaders): rendering either
// name sets the property; anything else sends the message to the error action.
TEST_F(RulesEngineTest, APayloadFormatIndicatorTemplateRendersPerMessage) {
  ASSERT_TRUE(registry_
                  ->Create("fmt", R"({"sql": "SELECT * FROM 'f/+'",
    "actions": [{"republish": {"topic": "fo/${topic(2)}", "headers": {
      "payloadFormatIndicator": "${format}"}}}],
    "errorAction": {"republish": {"topic": "ferr"}}})")
                  .ok());
  Publish("f/a", R"({"format":"UTF8_DATA"})", mqtt::QoS::kAtMostOnce);
  Publish("f/b", R"({"format":"UNSPECIFIED_BYTES"})", mqtt::QoS::kAtMostOnce);
  Publish("f/c", R"({"format":"utf8"})", mqtt::QoS::kAtMostOnce);
  ASSERT_EQ(published_.size(), 3u);
  EXPECT_EQ(published_[0].topic, "fo/a");
  EXPECT_EQ(published_[0].properties.payload_format_indicator, std::optional<uint8_t>(1));
  EXPECT_EQ(published_[1].topic, "fo/b");
  EXPECT_EQ(published_[1].properties.payload_format_indicator, std::optional<uint8_t>(0));
  EXPECT_EQ(published_[2].topic, "ferr");
  EXPECT_EQ(nlohmann::json::parse(published_[2].payload)["failures"][0]["errorMessage"],
            "republish payloadFormatIndicator rendered 'utf8', which is neither UTF8_DATA nor "
            "UNSPECIFIED_BYTES");
}

// traceid() is one UUID per message, made when a rule first asks for it: the same in the
// output and templates of every rule the message reaches and in an error action that runs
// after the publish returned (made then for a rule whose SQL did not ask), a new one for
// the next message.
TEST_F(RulesEngineTest, TraceIdIsOnePerMessageAcrossItsRulesAndErrorAction) {
  ASSERT_TRUE(registry_
                  ->Create("a_fails", R"({"sql": "SELECT * FROM 'tr/+'",
    "actions": [{"firehose": {"deliveryStreamName": "missing"}}],
    "errorAction": {"republish": {"topic": "errors/${traceid()}"}}})")
                  .ok());
  ASSERT_TRUE(registry_
                  ->Create("b_asks", R"({"sql": "SELECT traceid() AS trace FROM 'tr/+'",
    "actions": [{"republish": {"topic": "out/${traceid()}"}}]})")
                  .ok());
  sink_.answers["missing"] = NotFound("delivery stream 'missing' does not exist");
  sink_.defer = true;  // the error action runs after OnPublish returned
  for (const char* topic : {"tr/1", "tr/2"}) Publish(topic, "{}", mqtt::QoS::kAtLeastOnce);
  for (size_t i = 0; i < sink_.deferred.size(); ++i) sink_.deferred[i]();
  ASSERT_EQ(published_.size(), 4u);
  std::map<std::string, std::vector<std::string>> topics;  // by trace id
  for (const testing::Published& p : published_) {
    std::string id = p.topic.substr(p.topic.find('/') + 1);
    EXPECT_EQ(id.size(), 36u) << p.topic;
    topics[id].push_back(p.topic);
    if (p.topic.starts_with("out/")) {
      EXPECT_EQ(p.payload, R"({"trace":")" + id + R"("})");
    }
  }
  ASSERT_EQ(topics.size(), 2u) << "one id per message";
  for (const auto& [id, list] : topics) {
    EXPECT_EQ(list.size(), 2u) << id << ": the rule's output and the error action's topic";
  }
}

// principal() and clientid() as the broker hands them over: the certificate's thumbprint
// and the client id for a device over MQTT; for a message published over HTTP, the API's
// user, "n/a" and no traceid() (AWS: Undefined when not sent over MQTT), also in the error
// action.
TEST_F(RulesEngineTest, PrincipalAndClientIdAreTheSendersAndHttpPublishesHaveNoTraceId) {
  ASSERT_TRUE(registry_
                  ->Create("who", R"({"sql":
    "SELECT principal() AS who, clientid() AS client, traceid() AS trace FROM 'who/+'",
    "actions": [{"republish": {"topic": "out/${topic(2)}"}},
                {"firehose": {"deliveryStreamName": "missing"}}],
    "errorAction": {"republish": {"topic": "errors/${principal()}/${clientid()}/${traceid()}"}}})")
                  .ok());
  sink_.answers["missing"] = NotFound("delivery stream 'missing' does not exist");
  const std::string thumbprint(64, 'a');
  broker::InboundMessage device{};
  device.client_id = "sensor-1";
  device.topic = "who/mqtt";
  device.payload = "{}";
  device.principal = thumbprint;
  engine_->OnPublish(device, {});
  broker::InboundMessage http{};
  http.topic = "who/http";
  http.payload = "{}";
  http.principal = "admin";
  http.over_http = true;
  engine_->OnPublish(http, {});

  ASSERT_EQ(published_.size(), 4u);
  auto out = nlohmann::json::parse(published_[0].payload);
  EXPECT_EQ(published_[0].topic, "out/mqtt");
  EXPECT_EQ(out["who"], thumbprint);
  EXPECT_EQ(out["client"], "sensor-1");
  ASSERT_TRUE(out["trace"].is_string());
  const std::string trace = out["trace"];
  EXPECT_EQ(published_[1].topic, "errors/" + thumbprint + "/sensor-1/" + trace);
  EXPECT_EQ(published_[2].topic, "out/http");
  EXPECT_EQ(published_[2].payload, R"({"who":"admin","client":"n/a"})");
  EXPECT_EQ(published_[3].topic, "errors/admin/n/a/");
  EXPECT_EQ(nlohmann::json::parse(published_[3].payload)["clientId"], "n/a");
}

}  // namespace
}  // namespace tributary::rules
