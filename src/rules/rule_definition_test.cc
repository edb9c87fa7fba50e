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

// "$$" starts a reserved topic in a republish action, as on AWS: a rule can update a
// device's shadow through $aws/things/<thing>/shadow/update.
TEST(RuleDefinitionTest, ARepublishTopicOfDoubleDollarNamesAReservedTopic) {
  auto def = ParseRuleDefinition(R"({"sql": "SELECT state FROM 'devices/+/desired'",
    "actions": [{"republish": {"topic": "$$aws/things/${topic(2)}/shadow/update"}}],
    "errorAction": {"republish": {"topic": "$$aws/rules/errors/${topic(2)}"}}})");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  auto rule = CompiledRule::Compile(*def);
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  expr::Message m("devices/lamp-1/desired", R"({"state": {"desired": {"on": true}}})");
  auto topic = (*rule)->RepublishTopic(0, m);
  ASSERT_TRUE(topic.ok()) << topic.status().ToString();
  EXPECT_EQ(*topic, "$aws/things/lamp-1/shadow/update");
  EXPECT_EQ(*(*rule)->RepublishTopic(-1, m), "$aws/rules/errors/lamp-1");
}

// Only the rule's own text names a reserved topic: a '$' (or "$$") that a message's data
// puts first is refused, or a device could write to any thing's shadow through the rule;
// a literal single '$' is refused when the rule is created, naming the "$$" spelling.
TEST(RuleDefinitionTest, AMessageCannotRepublishToAReservedTopic) {
  auto def = ParseRuleDefinition(R"({"sql": "SELECT state FROM 'in/+'",
    "actions": [{"republish": {"topic": "${dest}"}}]})");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  auto rule = CompiledRule::Compile(*def);
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  for (const char* dest :
       {"$aws/things/victim/shadow/update", "$$aws/things/victim/shadow/update"}) {
    const std::string payload = std::string(R"({"dest": ")") + dest + R"("})";
    expr::Message m("in/q", payload);
    auto topic = (*rule)->RepublishTopic(0, m);
    ASSERT_FALSE(topic.ok()) << *topic;
    EXPECT_NE(
        topic.status().message().find("a reserved topic: only a template that starts with '$$'"),
        std::string::npos)
        << topic.status().message();
  }
  expr::Message fine("in/q", R"({"dest": "out/x"})");
  EXPECT_EQ(*(*rule)->RepublishTopic(0, fine), "out/x");
  // "$${dest}" is a literal '$' and then the data: not the "$$" convention, refused.
  EXPECT_FALSE(
      ParseRuleDefinition(
          R"({"sql": "SELECT * FROM 'in/+'", "actions": [{"republish": {"topic": "$${dest}"}}]})")
          .ok());

  auto literal = ParseRuleDefinition(R"({"sql": "SELECT * FROM 'a'",
    "actions": [{"republish": {"topic": "$aws/things/lt/shadow/update"}}]})");
  ASSERT_FALSE(literal.ok());
  EXPECT_EQ(literal.status().message(),
            "actions[0].republish.topic: '$aws/things/lt/shadow/update' is a reserved "
            "topic: write '$$aws/things/lt/shadow/update' to republish to it, as on AWS IoT");
}

// Literal '+' or '#' beside a ${...} part make every rendering invalid: refused when the
// rule is created, as for a wholly literal topic. A user property whose key renders
// empty fails the action (MQTT has no empty key to send).
TEST(RuleDefinitionTest, TopicTemplatesThatCanNeverRenderAValidTopicAreRefused) {
  for (const char* topic : {"w/${topic(2)}/+/x", "ev/${topic(2)}/err#"}) {
    auto def = ParseRuleDefinition(
        std::string(R"({"sql": "SELECT * FROM 'w/+'", "actions": [{"republish": {"topic": ")") +
        topic + R"("}}]})");
    ASSERT_FALSE(def.ok()) << topic;
    EXPECT_NE(def.status().message().find("is not a valid topic name"), std::string::npos)
        << def.status().message();
  }
  auto headers =
      ParseRuleDefinition(R"({"sql": "SELECT * FROM 'w/+'", "actions": [{"republish": {"topic": "o",
    "headers": {"responseTopic": "r/${topic(2)}/#"}}}]})");
  ASSERT_FALSE(headers.ok());
  EXPECT_NE(headers.status().message().find("responseTopic"), std::string::npos)
      << headers.status().message();

  auto def =
      ParseRuleDefinition(R"({"sql": "SELECT * FROM 'w/+'", "actions": [{"republish": {"topic": "o",
    "headers": {"userProperties": [{"key": "${k}", "value": "v"}]}}}]})");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  auto rule = CompiledRule::Compile(*def);
  ASSERT_TRUE(rule.ok());
  auto none = (*rule)->RepublishProperties(0, expr::Message("w/a", "{}"));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("rendered an empty key"), std::string::npos)
      << none.status().message();
  auto some = (*rule)->RepublishProperties(0, expr::Message("w/a", R"({"k": "site"})"));
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(some->user_properties.at(0).first, "site");
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

// As in AWS IoT: a rule has at most 10 actions.
TEST(RuleDefinitionTest, ARuleHasAtMostTenActions) {
  auto payload = [](int n) {
    std::string actions;
    for (int i = 0; i < n; ++i) {
      actions += std::string(i ? "," : "") + R"({"republish": {"topic": "out/)" +
                 std::to_string(i) + R"("}})";
    }
    return R"({"sql": "SELECT * FROM 'a'", "actions": [)" + actions + "]}";
  };
  EXPECT_EQ(ErrorOf(payload(10)), "OK");
  EXPECT_EQ(ErrorOf(payload(11)), "actions: holds 11 actions; a rule has at most 10");
}

TEST(RuleDefinitionTest, ErrorsNameThePath) {
  EXPECT_EQ(ErrorOf("[1]"), "rule definition must be a JSON object");
  EXPECT_EQ(
      ErrorOf("{"),
      "the rule definition is not valid JSON: column 2: syntax error while parsing object key - "
      "unexpected end of input; expected string literal");
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
            "firehose, republish, s3, http)");
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
  EXPECT_EQ(rule.status().message(), "sql: column 24: expected an expression, found end of input");
  // Templates too are named where they are: at the top, or under topicRulePayload.
  def = ParseRuleDefinition(
      R"({"sql": "SELECT a FROM 'x'", "actions": [{"republish": {"topic": "t/${@v}"}}]})");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(CompiledRule::Compile(*def).status().message().substr(0, 26),
            "actions[0].republish.topic");
  def = ParseRuleDefinition(R"({"topicRulePayload": {"sql": "SELECT a FROM 'x'", "actions": [],
      "errorAction": {"republish": {"topic": "t/${@v}"}}}})");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(CompiledRule::Compile(*def).status().message().substr(0, 29),
            "topicRulePayload.errorAction.");
}

// What `rule describe --json` and GetTopicRule give can be sent again: the fields the
// server keeps about a rule are ignored there, and refused in CreateTopicRule's form.
TEST(RuleDefinitionTest, ARuleAsReadBackIsTakenAgain) {
  auto def = ParseRuleDefinition(R"({"ruleName": "r", "sql": "SELECT a FROM 'x'",
      "description": "d", "ruleDisabled": true, "awsIotSqlVersion": "2016-03-23",
      "actions": [{"republish": {"topic": "t"}}], "createdAt": "2026-12-06T12:00:00.000Z",
      "updatedAt": "2026-12-06T12:00:00.000Z", "metrics": {"matched": 3},
      "error": "the stored rule does not compile"})");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->sql, "SELECT a FROM 'x'");
  EXPECT_EQ(def->description, "d");
  EXPECT_TRUE(def->disabled);
  ASSERT_EQ(def->actions.size(), 1u);
  def = ParseRuleDefinition(R"({"ruleArn": "arn:aws:iot:local:000000000000:rule/r",
      "rule": {"ruleName": "r", "sql": "SELECT a FROM 'x'", "createdAt": 1796047331.5,
               "actions": [], "ruleDisabled": false}})");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->sql, "SELECT a FROM 'x'");
  EXPECT_EQ(ErrorOf(R"({"rule": {"sql": "SELECT a FROM 'x'", "actions": [], "sqll": 1}})"),
            "rule.sqll: unknown field (allowed: sql, description, ruleDisabled, "
            "awsIotSqlVersion, actions, errorAction)");
  EXPECT_EQ(ErrorOf(R"({"rule": {"sql": "x", "actions": []}, "tags": []})"),
            "tags: unknown field (allowed: rule, ruleArn)");
  EXPECT_EQ(ErrorOf(R"({"topicRulePayload": {"sql": "x", "actions": [], "createdAt": 1}})"),
            "topicRulePayload.createdAt: unknown field (allowed: sql, description, ruleDisabled, "
            "awsIotSqlVersion, actions, errorAction)");
}

TEST(RuleDefinitionTest, HttpActionsSendToAFixedHostWithTemplatedPathsAndHeaders) {
  auto def = ParseRuleDefinition(R"({"sql": "SELECT * FROM 'devices/+/alarm'",
    "actions": [{"http": {"url": "https://hooks.example:8443/iot/${topic(2)}?at=${timestamp()}",
                          "confirmationUrl": "https://hooks.example:8443/",
                          "headers": [{"key": "X-Device", "value": "${clientid()}"},
                                      {"key": "Authorization", "value": "Bearer s3cret"}]}}]})");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  const auto& http = std::get<HttpAction>(def->actions[0]);
  EXPECT_EQ(http.base, "https://hooks.example:8443");
  EXPECT_EQ(http.target, "/iot/${topic(2)}?at=${timestamp()}");
  EXPECT_EQ(ActionType(def->actions[0]), "http");

  auto rule = CompiledRule::Compile(*def);
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  expr::Message m("devices/d9/alarm", "{}");
  m.client_id = "d9";
  m.received_at_ms = 1764460800000;
  auto request = (*rule)->HttpRequest(0, m);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->base, "https://hooks.example:8443");
  EXPECT_EQ(request->target, "/iot/d9?at=1764460800000");
  ASSERT_EQ(request->headers.size(), 2u);
  EXPECT_EQ(request->headers[0], (std::pair<std::string, std::string>{"X-Device", "d9"}));
  EXPECT_EQ(request->headers[1].second, "Bearer s3cret");
  EXPECT_FALSE((*rule)->ObjectKey(0, m).ok());  // an http action

  // What a message substitutes cannot break the request line.
  expr::Message spaced("devices/a b/alarm", "{}");
  auto bad = (*rule)->HttpRequest(0, spaced);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("holds a blank"), std::string::npos) << bad.status().message();

  // A host with no path gets "/"; http:// is for loopback hosts only.
  auto local = ParseRuleDefinition(R"({"sql": "SELECT * FROM 'a'",
    "actions": [{"http": {"url": "http://127.0.0.1:8080"}}]})");
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_EQ(std::get<HttpAction>(local->actions[0]).target, "/");
}

TEST(RuleDefinitionTest, HttpActionErrorsNameThePath) {
  auto error_of = [](const std::string& http) {
    auto def = ParseRuleDefinition(R"({"sql": "SELECT * FROM 'a'", "actions": [{"http": )" +
                                   http + "}]}");
    return def.ok() ? std::string("(accepted)") : def.status().message();
  };
  EXPECT_EQ(error_of(R"({"url": "http://hooks.example/x"})"),
            "actions[0].http.url: must be https:// (http:// only to a loopback host: the "
            "messages would cross the network in the clear)");
  // A name that starts like a loopback address is a name, which DNS may send anywhere.
  for (const char* host : {"127.example.com", "127.0.0.1.example.com", "1270.0.0.1"}) {
    EXPECT_NE(
        error_of(std::string(R"({"url": "http://)") + host + R"(/x"})").find("must be https://"),
        std::string::npos)
        << host;
  }
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "[::1]"}) {
    EXPECT_EQ(error_of(std::string(R"({"url": "http://)") + host + R"(:9000/x"})"), "(accepted)")
        << host;
  }
  EXPECT_EQ(error_of(R"({"url": "https://${topic(1)}.example/x"})"),
            "actions[0].http.url: the scheme, host and port must be written out, not "
            "substituted: only the path and query may hold ${...}");
  EXPECT_EQ(error_of(R"({"url": "ftp://hooks.example/"})"),
            "actions[0].http.url 'ftp://hooks.example/' must start with http:// or https://");
  EXPECT_EQ(error_of(R"({"url": "https://hooks.example:0/"})"),
            "actions[0].http.url 'https://hooks.example:0/' has a bad port '0'");
  EXPECT_EQ(error_of(R"({"url": "https://h.example/a#frag"})"),
            "actions[0].http.url: has a fragment ('#')");
  EXPECT_EQ(error_of(R"({"url": "https://h.example/", "auth": {"sigv4": {}}})"),
            "actions[0].http.auth: is not supported (SigV4 to AWS services has no use here): "
            "put a token in a header instead");
  EXPECT_EQ(error_of(R"({"url": "https://h.example/", "headers": [{"key": "Host", "value": "x"}]})"),
            "actions[0].http.headers[0].key: 'Host' is set by the server");
  EXPECT_EQ(error_of(R"({"url": "https://h.example/", "headers": [{"key": "a b", "value": "x"}]})"),
            "actions[0].http.headers[0].key: is not an HTTP header name");
  EXPECT_EQ(error_of(R"({"url": "https://h.example/", "headers": [{"key": "X", "value": "${x(}"}]})"),
            "actions[0].http.headers[0].value: ${...} at position 1: column 3: expected an "
            "expression, found end of input");
}

TEST(RuleDefinitionTest, RepublishHeaderErrorsNameThePath) {
  auto error_of = [](const std::string& headers) {
    auto def = ParseRuleDefinition(R"({"sql": "SELECT * FROM 'a'", "actions": [{"republish": {
      "topic": "b", "headers": )" + headers + "}}]}");
    return def.ok() ? std::string("(accepted)") : def.status().message();
  };
  EXPECT_EQ(error_of(R"({"contentType": "text/plain", "userProperties": [{"key": "k", "value": "v"}]})"),
            "(accepted)");
  EXPECT_EQ(error_of(R"({"payloadFormatIndicator": "UTF16"})"),
            "actions[0].republish.headers.payloadFormatIndicator: must be \"UTF8_DATA\" or "
            "\"UNSPECIFIED_BYTES\" (or a substitution template rendering one of them)");
  // A template, as AWS's MqttHeaders allows: what it renders is checked per message.
  EXPECT_EQ(error_of(R"({"payloadFormatIndicator": "${get_mqtt_property('format_indicator')}"})"),
            "(accepted)");
  EXPECT_EQ(error_of(R"({"payloadFormatIndicator": "${x(}"})"),
            "actions[0].republish.headers.payloadFormatIndicator: ${...} at position 1: column 3: "
            "expected an expression, found end of input");
  EXPECT_EQ(error_of(R"({"payloadFormatIndicator": 1})"),
            "actions[0].republish.headers.payloadFormatIndicator: must be a string");
  EXPECT_EQ(error_of(R"({"responseTopic": "a/#"})"),
            "actions[0].republish.headers.responseTopic: 'a/#' is not a valid topic name");
  EXPECT_EQ(error_of(R"({"messageExpiry": 30})"),
            "actions[0].republish.headers.messageExpiry: must be a string");
  EXPECT_EQ(error_of(R"({"userProperties": [{"key": "", "value": "v"}]})"),
            "actions[0].republish.headers.userProperties[0].key: must be a non-empty string");
  EXPECT_EQ(error_of(R"({"retain": true})"),
            "actions[0].republish.headers.retain: unknown field (allowed: payloadFormatIndicator, "
            "contentType, responseTopic, correlationData, messageExpiry, userProperties)");
}

}  // namespace
}  // namespace tributary::rules
