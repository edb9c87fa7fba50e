// Device policies: JSON documents in AWS IoT Core's shape, so IoT Core users can paste
// theirs. This file parses and validates them; policy_grant.h compiles them for a
// connection.
//
//   {"Version": "2012-10-17",
//    "Statement": [{"Effect": "Allow",
//                   "Action": ["iot:Publish", "iot:Receive"],
//                   "Resource": ["topic/devices/${thing}/*"]}]}
//
// Actions: iot:Connect, iot:Publish, iot:Subscribe, iot:Receive, iot:* (or *); names are
// matched case-insensitively, as IAM does. Resources, with an optional ARN prefix
// (arn:aws:iot:<region>:<account>:) that is ignored:
//
//   resource                 checked for             against
//   client/<pattern>         iot:Connect             the MQTT client id
//   topic/<pattern>          iot:Publish, Receive    the topic name
//   topicfilter/<pattern>    iot:Subscribe           the subscription filter, as written
//   *                        every action            anything
//
// In a pattern `*` matches any run of characters (including '/') and `?` exactly one:
// they are globs, not MQTT wildcards; '+' and '#' are literal characters. Variables,
// substituted once per connection: ${thing} and its AWS spelling
// ${iot:Connection.Thing.ThingName}, and ${iot:ClientId}. An explicit Deny beats any
// Allow; what no statement allows is denied.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace tributary::devices {

// Bit flags; a statement holds a set of them.
enum PolicyAction : uint8_t {
  kActionConnect = 1,
  kActionPublish = 2,
  kActionSubscribe = 4,
  kActionReceive = 8,
  kActionAll = 15,
};

enum class PolicyEffect { kAllow, kDeny };

enum class ResourceType { kAny, kClient, kTopic, kTopicFilter };

struct PolicyResource {
  ResourceType type = ResourceType::kAny;
  std::string pattern;  // after "client/", "topic/" or "topicfilter/"; variables unexpanded
};

struct PolicyStatement {
  PolicyEffect effect = PolicyEffect::kAllow;
  uint8_t actions = 0;  // PolicyAction bits
  std::vector<PolicyResource> resources;
};

struct PolicyDocument {
  std::vector<PolicyStatement> statements;
  nlohmann::json source;  // the document as the user wrote it, for display
};

// Parses and validates; errors name the offending element, e.g.
// "Statement[1].Action[0]: unknown action 'iot:Pub' (expected ...)".
Result<PolicyDocument> ParsePolicy(std::string_view json_text);
Result<PolicyDocument> ParsePolicyJson(const nlohmann::json& document);

// Policy names: 1-128 characters of [a-zA-Z0-9+=,.@_-] (AWS IoT's rule).
Status ValidatePolicyName(std::string_view name);

// The policy named "default", attached to every new thing unless told otherwise: a
// thing connects only with its own name as client id, and publishes, subscribes and
// receives only under devices/<thing>/.
const char* DefaultPolicyJson();
// Whether `document` is an earlier release's default policy, unchanged (so that it may be
// replaced by today's, which adds the thing's device shadow topics).
bool IsEarlierDefaultPolicy(const nlohmann::json& document);

// Which resource type an action is checked against.
ResourceType ResourceTypeFor(PolicyAction action);

}  // namespace tributary::devices
