// RuleDefinition: a topic rule as users write it — the AWS IoT CreateTopicRule
// payload — parsed and checked, before its SQL is compiled (compiled_rule.h).
//
//   {"ruleName": "pollution_to_lake",                       (optional)
//    "topicRulePayload": {
//      "sql": "SELECT * FROM 'devices/+/pollution'",
//      "description": "...",                                 (optional)
//      "ruleDisabled": false,                                (optional, default false)
//      "awsIotSqlVersion": "2016-03-23",                     (optional; the only version)
//      "actions": [{"firehose": {"deliveryStreamName": "pollution", "separator": "\n",
//                                "batchMode": false, "roleArn": "ignored"}},
//                  {"republish": {"topic": "alerts/${topic(2)}", "qos": 1}},
//                  {"s3": {"bucketName": "raw", "key": "${topic()}/${newuuid()}.json"}},
//                  {"http": {"url": "https://hooks.example/iot/${topic(2)}",
//                            "headers": [{"key": "X-Device", "value": "${clientid()}"}]}}],
//      "errorAction": {"republish": {"topic": "errors/rules"}}}}   (optional)
//
// The bare inner object (with "sql" at the top) is accepted too. Errors name the JSON
// path: "topicRulePayload.actions[1].republish.topic: must be a non-empty string".
// roleArn (and the s3 action's cannedAcl, the http action's confirmationUrl) is accepted
// and ignored (there is no IAM here, and no destination to confirm: the rule's author is
// the administrator), and kept with the rest of each action as given, so that a rule read
// back (GetTopicRule) can be sent again as it is. A rule has at most 10 actions, as in AWS
// IoT. Pure; thread-compatible.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"

namespace tributary::rules {

// Records go to a delivery stream (the Firehose action).
struct FirehoseAction {
  std::string delivery_stream_name;
  std::string separator;   // "" (none), "\n", "\t", "\r\n" or ","
  bool batch_mode = false;
};

// MQTT 5 properties of a republished message, as AWS IoT's republish `headers` give them.
// Every string is a substitution template; empty: not set.
struct RepublishHeaders {
  std::string payload_format;  // renders "UTF8_DATA" or "UNSPECIFIED_BYTES"
  std::string content_type;
  std::string response_topic;    // renders a topic name
  std::string correlation_data;  // renders base64, sent decoded
  std::string message_expiry;    // renders seconds, 0..4294967295
  std::vector<std::pair<std::string, std::string>> user_properties;  // key and value templates
  bool empty() const {
    return payload_format.empty() && content_type.empty() && response_topic.empty() &&
           correlation_data.empty() && message_expiry.empty() && user_properties.empty();
  }
};

// The SELECT output is published again on a topic (a substitution template).
struct RepublishAction {
  std::string topic;
  int qos = 0;             // 0 or 1
  RepublishHeaders headers;
};

// The SELECT output is one object in a bucket of the lake (the S3 action): `key` is a
// substitution template, rendered per message.
struct S3Action {
  std::string bucket_name;
  std::string key;
};

// The SELECT output is POSTed to an HTTP(S) endpoint (the HTTP action). The URL's scheme,
// host and port are literal, so that no message can send it elsewhere; its path and
// query, and the header values, are substitution templates. https:// only, but for a
// loopback host (127.0.0.0/8, ::1, localhost), where http:// is allowed too.
struct HttpHeader {
  std::string key;
  std::string value;  // a substitution template
};
struct HttpAction {
  std::string url;
  std::string base;    // "https://host[:port]", from `url`
  std::string target;  // the rest of `url` ("/path?query", at least "/"): a template
  std::vector<HttpHeader> headers;
};

using RuleAction = std::variant<FirehoseAction, RepublishAction, S3Action, HttpAction>;

// "firehose", "republish", "s3" or "http".
std::string_view ActionType(const RuleAction& a);

struct RuleDefinition {
  std::string name;            // "" when the JSON has no ruleName
  std::string sql;
  std::string description;
  bool disabled = false;
  std::string sql_version = "2016-03-23";
  std::vector<RuleAction> actions;
  std::optional<RuleAction> error_action;
  // The actions and errorAction as given, every field kept (those taken and unused too):
  // what the rule reads back as. Null when the definition was not parsed from JSON.
  nlohmann::json actions_given;
  nlohmann::json error_action_given;
  // Where the rule's fields were in its JSON, for errors found later (compiling):
  // "topicRulePayload" (CreateTopicRule's form), or "" when they were at the top.
  std::string fields_at = "topicRulePayload";
};

// The path of the rule's field `key` in the JSON it was read from ("topicRulePayload.sql",
// or "sql" for a definition whose fields were at the top).
std::string RuleFieldPath(const RuleDefinition& d, std::string_view key);

inline constexpr size_t kMaxRuleActions = 10;

// Parses and validates the JSON text. Does not compile the SQL.
Result<RuleDefinition> ParseRuleDefinition(std::string_view json_text);

// Whether one of `d`'s firehose actions, or its firehose error action, names `stream`.
bool SendsToStream(const RuleDefinition& d, std::string_view stream);

// Rule names as AWS IoT allows them: 1-128 characters of [A-Za-z0-9_].
bool IsValidRuleName(std::string_view name);

// Whether `name` is one a republish payloadFormatIndicator may give: "UTF8_DATA" (MQTT's
// payload format indicator 1) or "UNSPECIFIED_BYTES" (0).
bool IsPayloadFormatName(std::string_view name);

}  // namespace tributary::rules
