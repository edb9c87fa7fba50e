#include "rules/rule_definition.h"

#include <gtest/gtest.h>

#include "rules/compiled_rule.h"

namespace tributary::rules {
namespace {

constexpr std::string_view kReference = R"({
  "ruleName": "pollution_to_lake",
  "topicRulePayload": {
    "sql": "SELECT * FROM 'devices/+/pollution'",
    "ruleDisabled": false,
    "awsIotSqlVersion": "2016-03-23",
    "actions": [
      {"firehose": {"deliveryStreamName": "pollution", "separator": ",",
                    "roleArn": "arn:aws:iam::123456789012:role/x"}},
      {"republish": {"topic": "alerts/${topic(2)}", "qos": 1}}
    ],
    "errorAction": {"republish": {"topic": "errors/${clientid()}"}}
  }
})";

std::string ErrorOf(std::string_view json) {
  auto r = ParseRuleDefinition(json);
  return r.ok() ? "OK" : r.status().message();
}

TEST(RuleDefinitionTest, ReferencePayload) {
  auto def = ParseRuleDefinition(kReference);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->name, "pollution_to_lake");
  EXPECT_EQ(def->sql, "SELECT * FROM 'devices/+/pollution'");
  EXPECT_FALSE(def->disabled);
  ASSERT_EQ(def->actions.size(), 2u);
  const auto& fh = std::get<FirehoseAction>(def->actions[0]);
  EXPECT_EQ(fh.delivery_stream_name, "pollution");
  EXPECT_EQ(fh.separator, ",");
  const auto& rp = std::get<RepublishAction>(def->actions[1]);
  EXPECT_EQ(rp.topic, "alerts/${topic(2)}");
  EXPECT_EQ(rp.qos, 1);
  ASSERT_TRUE(def->error_action.has_value());
  EXPECT_EQ(ActionType(*def->error_action), "republish");

  auto rule = CompiledRule::Compile(*def);
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  expr::Message m("devices/d42/pollution", R"({"pm25": 3})");
  m.client_id = "d42";
  auto topic = (*rule)->RepublishTopic(1, m);
  ASSERT_TRUE(topic.ok()) << topic.status().ToString();
  EXPECT_EQ(*topic, "alerts/d42");
  auto err_topic = (*rule)->RepublishTopic(-1, m);
  ASSERT_TRUE(err_topic.ok());
  EXPECT_EQ(*err_topic, "errors/d42");
  EXPECT_FALSE((*rule)->RepublishTopic(0, m).ok());  // a firehose action
}

TEST(RuleDefinitionTest, S3ActionKeysAreRenderedPerMessage) {
  auto def = ParseRuleDefinition(R"({"sql": "SELECT * FROM 'devices/+/images'",
    "actions": [{"s3": {"bucketName": "raw-images", "key": "${topic(2)}/${timestamp()}.json",
                        "cannedAcl": "private", "roleArn": "arn:aws:iam::1:role/r"}}],
    "errorAction": {"s3": {"bucketName": "errors", "key": "${principal()}"}}})");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  const auto& s3 = std::get<S3Action>(def->actions[0]);
  EXPECT_EQ(s3.bucket_name, "raw-images");
  EXPECT_EQ(s3.key, "${topic(2)}/${timestamp()}.json");
  EXPECT_EQ(ActionType(def->actions[0]), "s3");

  auto rule = CompiledRule::Compile(*def);
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  expr::Message m("devices/cam-7/images", "{}");
  m.received_at_ms = 1764460800123;
  auto key = (*rule)->ObjectKey(0, m);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(*key, "cam-7/1764460800123.json");
  EXPECT_FALSE((*rule)->RepublishTopic(0, m).ok());  // an s3 action

  // The error action's key renders from the message too; an empty one is refused.
  m.principal = "cam-7";
  EXPECT_EQ(*(*rule)->ObjectKey(-1, m), "cam-7");
  m.principal = "";
  auto empty = (*rule)->ObjectKey(-1, m);
  ASSERT_FALSE(empty.ok()) << *empty;
  EXPECT_EQ(empty.status().message(),
            "s3 key template '${principal()}' rendered an unusable key: object key is empty");
}

TEST(RuleDefinitionTest, ErrorsNameThePath) {
  EXPECT_EQ(ErrorOf("[1]"), "rule definition must be a JSON object");
  EXPECT_EQ(ErrorOf("{"), "rule definition is not valid JSON");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"actions": []}})"),
            "topicRulePayload.sql: must be a non-empty string");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "SELECT * FROM 'a'"}})"),
            "topicRulePayload.actions: must be an array of actions");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "actions": [
                 {"firehose": {"deliveryStreamName": "s"}},
                 {"republish": {"topic": ""}}]}})"),
            "topicRulePayload.actions[1].republish.topic: must be a non-empty string");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "actions": [{"lambda": {}}]}})"),
            "topicRulePayload.actions[0].lambda: unsupported action type (supported: "
            "firehose, republish, s3)");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "actions": [
                 {"s3": {"key": "k"}}]}})"),
            "topicRulePayload.actions[0].s3.bucketName: must be a non-empty string");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "actions": [
                 {"s3": {"bucketName": "Raw_Data", "key": "k"}}]}})"),
            "topicRulePayload.actions[0].s3.bucketName: bucket name 'Raw_Data' contains 'R' (S3 "
            "bucket names are 3..63 characters of a-z, 0-9, '.' and '-')");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "actions": [
                 {"s3": {"bucketName": "raw", "key": "../etc/passwd"}}]}})"),
            "topicRulePayload.actions[0].s3.key: object key '../etc/passwd' has a '..' segment; keys "
            "may not walk the hierarchy");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "actions": [
                 {"s3": {"bucketName": "raw", "key": "${topic(}"}}]}})"),
            "topicRulePayload.actions[0].s3.key: ${...} at position 1: column 7: expected an "
            "expression, found end of input");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "actions": [
                 {"s3": {"bucketName": "raw", "key": "k", "acl": "private"}}]}})"),
            "topicRulePayload.actions[0].s3.acl: unknown field (allowed: bucketName, key, "
            "roleArn, cannedAcl)");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "actions": [
                 {"republish": {"topic": "a/+"}}]}})"),
            "topicRulePayload.actions[0].republish.topic: 'a/+' is not a valid topic name (no "
            "'+' or '#')");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "actions": [
                 {"republish": {"topic": "a/${nope(}"}}]}})"),
            "topicRulePayload.actions[0].republish.topic: ${...} at position 3: column 6: "
            "expected an expression, found end of input");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "actions": [
                 {"republish": {"topic": "a", "qos": 2}}]}})"),
            "topicRulePayload.actions[0].republish.qos: must be 0 or 1");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "actions": [
                 {"firehose": {"deliveryStreamName": "s", "separator": ";"}}]}})"),
            "topicRulePayload.actions[0].firehose.separator: must be one of \"\\n\", \"\\t\", "
            "\"\\r\\n\", \",\"");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "awsIotSqlVersion": "2015-10-08",
                 "actions": []}})"),
            "topicRulePayload.awsIotSqlVersion: only \"2016-03-23\" is supported (the "
            "2015-10-08 and beta dialects are not)");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "actions": [], "sqll": 1}})"),
            "topicRulePayload.sqll: unknown field (allowed: sql, description, ruleDisabled, "
            "awsIotSqlVersion, actions, errorAction)");
  EXPECT_EQ(ErrorOf(R"({"ruleName": "bad name", "topicRulePayload": {"sql": "x",
                 "actions": []}})"),
            "ruleName: must be 1-128 letters, digits or '_'");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "actions": [
                 {"firehose": {"deliveryStreamName": "s", "bufferSize": 5}}]}})"),
            "topicRulePayload.actions[0].firehose.bufferSize: unknown field (allowed: "
            "deliveryStreamName, separator, batchMode, roleArn)");
}

TEST(RuleDefinitionTest, BareInnerObjectAndSqlErrors) {
  auto def = ParseRuleDefinition(R"({"sql": "SELECT a FROM 'x' WHERE", "actions": []})");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  auto rule = CompiledRule::Compile(*def);
  ASSERT_FALSE(rule.ok());
  EXPECT_EQ(rule.status().message(),
            "topicRulePayload.sql: column 24: expected an expression, found end of input");
}

}  // namespace
}  // namespace tributary::rules
