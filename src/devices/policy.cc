#include "devices/policy.h"

#include <algorithm>
#include <cctype>

#include "base/ascii.h"
#include "base/json_text.h"

namespace tributary::devices {
namespace {

using nlohmann::json;

constexpr const char* kVersion = "2012-10-17";
constexpr const char* kExpectedActions =
    "expected iot:Connect, iot:Publish, iot:Subscribe, iot:Receive or iot:*";
constexpr const char* kExpectedResources =
    "expected client/<client id>, topic/<topic>, topicfilter/<topic filter> or *";

// A field that may be one string or an array of strings, as in IAM.
Result<std::vector<std::pair<std::string, std::string>>> StringList(const json& v,
                                                                    const std::string& where) {
  std::vector<std::pair<std::string, std::string>> out;  // (path, value)
  if (v.is_string()) {
    out.emplace_back(where, v.get<std::string>());
    return out;
  }
  if (!v.is_array()) return InvalidArgument(where + ": must be a string or an array of strings");
  if (v.empty()) return InvalidArgument(where + ": must not be empty");
  for (size_t i = 0; i < v.size(); ++i) {
    std::string path = where + "[" + std::to_string(i) + "]";
    if (!v[i].is_string()) return InvalidArgument(path + ": must be a string, got " + v[i].dump());
    out.emplace_back(path, v[i].get<std::string>());
  }
  return out;
}

Result<uint8_t> ParseAction(const std::string& action, const std::string& where) {
  static const std::pair<const char*, uint8_t> kActions[] = {
      {"iot:Connect", kActionConnect}, {"iot:Publish", kActionPublish},
      {"iot:Subscribe", kActionSubscribe}, {"iot:Receive", kActionReceive},
      {"iot:*", kActionAll}, {"*", kActionAll}};
  for (const auto& [name, bits] : kActions)
    if (EqualsIgnoreCase(action, name)) return bits;
  return InvalidArgument(where + ": unknown action '" + action + "' (" + kExpectedActions + ")");
}

// Checks that every "${...}" names a supported variable.
Status CheckVariables(const std::string& pattern, const std::string& where) {
  static const char* kVariables[] = {"${thing}", "${iot:Connection.Thing.ThingName}",
                                     "${iot:ClientId}"};
  for (size_t pos = pattern.find("${"); pos != std::string::npos;
       pos = pattern.find("${", pos + 2)) {
    size_t end = pattern.find('}', pos);
    if (end == std::string::npos)
      return InvalidArgument(where + ": unterminated policy variable at position " +
                             std::to_string(pos) + " in '" + pattern + "'");
    std::string var = pattern.substr(pos, end - pos + 1);
    if (std::find_if(std::begin(kVariables), std::end(kVariables),
                     [&](const char* v) { return var == v; }) == std::end(kVariables))
      return InvalidArgument(where + ": unknown policy variable '" + var +
                             "' (supported: ${thing}, ${iot:Connection.Thing.ThingName}, "
                             "${iot:ClientId})");
  }
  return Status::Ok();
}

Result<PolicyResource> ParseResource(std::string resource, const std::string& where) {
  std::string original = resource;
  if (resource.rfind("arn:", 0) == 0) {
    // arn:<partition>:iot:<region>:<account>:<resource>
    size_t pos = 0;
    for (int i = 0; i < 5 && pos != std::string::npos; ++i) pos = resource.find(':', pos + 1);
    if (pos == std::string::npos)
      return InvalidArgument(where + ": malformed ARN '" + original +
                             "' (expected arn:aws:iot:<region>:<account>:<resource>)");
    resource = resource.substr(pos + 1);
  }
  PolicyResource out;
  if (resource == "*") return out;
  static const std::pair<const char*, ResourceType> kTypes[] = {
      {"client/", ResourceType::kClient},
      {"topic/", ResourceType::kTopic},
      {"topicfilter/", ResourceType::kTopicFilter}};
  for (const auto& [prefix, type] : kTypes) {
    if (resource.rfind(prefix, 0) != 0) continue;
    out.type = type;
    out.pattern = resource.substr(std::string_view(prefix).size());
    if (out.pattern.empty())
      return InvalidArgument(where + ": '" + original + "' names no " +
                             std::string(prefix, std::string_view(prefix).size() - 1) +
                             " (use '" + prefix + "*' for all)");
    TRY(CheckVariables(out.pattern, where));
    return out;
  }
  return InvalidArgument(where + ": unknown resource '" + original + "' (" + kExpectedResources +
                         ")");
}

Result<PolicyStatement> ParseStatement(const json& s, const std::string& where) {
  if (!s.is_object()) return InvalidArgument(where + ": must be an object");
  for (const auto& [key, value] : s.items()) {
    if (key == "Effect" || key == "Action" || key == "Resource" || key == "Sid") continue;
    if (key == "Condition" || key == "NotAction" || key == "NotResource")
      return InvalidArgument(where + "." + key + ": not supported by Tributary policies");
    return InvalidArgument(where + ": unknown field '" + key +
                           "' (expected Effect, Action, Resource, Sid)");
  }
  PolicyStatement out;
  auto effect = s.find("Effect");
  if (effect == s.end()) return InvalidArgument(where + ".Effect: missing (\"Allow\" or \"Deny\")");
  if (*effect == "Allow") {
    out.effect = PolicyEffect::kAllow;
  } else if (*effect == "Deny") {
    out.effect = PolicyEffect::kDeny;
  } else {
    return InvalidArgument(where + ".Effect: must be \"Allow\" or \"Deny\", got " + effect->dump());
  }
  auto sid = s.find("Sid");
  if (sid != s.end() && !sid->is_string()) return InvalidArgument(where + ".Sid: must be a string");

  auto actions = s.find("Action");
  if (actions == s.end()) return InvalidArgument(where + ".Action: missing");
  TRY_ASSIGN(auto action_list, StringList(*actions, where + ".Action"));
  for (const auto& [path, name] : action_list) {
    TRY_ASSIGN(uint8_t bits, ParseAction(name, path));
    out.actions |= bits;
  }

  auto resources = s.find("Resource");
  if (resources == s.end()) return InvalidArgument(where + ".Resource: missing");
  TRY_ASSIGN(auto resource_list, StringList(*resources, where + ".Resource"));
  bool any_applies = false;
  for (const auto& [path, text] : resource_list) {
    TRY_ASSIGN(PolicyResource r, ParseResource(text, path));
    for (PolicyAction a : {kActionConnect, kActionPublish, kActionSubscribe, kActionReceive})
      if ((out.actions & a) && (r.type == ResourceType::kAny || r.type == ResourceTypeFor(a)))
        any_applies = true;
    out.resources.push_back(std::move(r));
  }
  if (!any_applies)
    return InvalidArgument(where + ": none of its resources applies to its actions (iot:Connect "
                           "is checked against client/..., iot:Publish and iot:Receive against "
                           "topic/..., iot:Subscribe against topicfilter/...)");
  return out;
}

Result<PolicyDocument> ParseDocument(const json& doc);

}  // namespace

ResourceType ResourceTypeFor(PolicyAction action) {
  switch (action) {
    case kActionConnect: return ResourceType::kClient;
    case kActionSubscribe: return ResourceType::kTopicFilter;
    default: return ResourceType::kTopic;
  }
}

Result<PolicyDocument> ParsePolicy(std::string_view json_text) {
  TRY_ASSIGN(json doc, ParseJsonText(json_text, "the policy"));
  return ParsePolicyJson(doc);
}

Result<PolicyDocument> ParsePolicyJson(const json& doc) {
  try {
    return ParseDocument(doc);
  } catch (const json::exception& e) {  // e.g. dump() of a string that is not UTF-8
    return InvalidArgument(std::string("policy: ") + e.what());
  }
}

namespace {

Result<PolicyDocument> ParseDocument(const json& doc) {
  if (!doc.is_object()) return InvalidArgument("policy must be a JSON object, got " +
                                               std::string(doc.type_name()));
  for (const auto& [key, value] : doc.items())
    if (key != "Version" && key != "Statement" && key != "Id")
      return InvalidArgument("policy: unknown field '" + key + "' (expected Version, Statement)");
  auto version = doc.find("Version");
  if (version == doc.end())
    return InvalidArgument(std::string("Version: missing; use \"") + kVersion + "\"");
  if (*version != kVersion)
    return InvalidArgument("Version: must be \"" + std::string(kVersion) + "\", got " +
                           version->dump());
  auto statements = doc.find("Statement");
  if (statements == doc.end()) return InvalidArgument("Statement: missing");
  PolicyDocument out;
  out.source = doc;
  if (statements->is_object()) {
    TRY_ASSIGN(PolicyStatement s, ParseStatement(*statements, "Statement"));
    out.statements.push_back(std::move(s));
    return out;
  }
  if (!statements->is_array())
    return InvalidArgument("Statement: must be an array of statements or one statement object");
  if (statements->empty()) return InvalidArgument("Statement: must hold at least one statement");
  for (size_t i = 0; i < statements->size(); ++i) {
    TRY_ASSIGN(PolicyStatement s,
               ParseStatement((*statements)[i], "Statement[" + std::to_string(i) + "]"));
    out.statements.push_back(std::move(s));
  }
  return out;
}

}  // namespace

Status ValidatePolicyName(std::string_view name) {
  if (name.empty() || name.size() > 128)
    return InvalidArgument("policy name must be 1-128 characters, got " +
                           std::to_string(name.size()));
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (std::isalnum(c) || std::string_view("+=,.@_-").find(static_cast<char>(c)) !=
                               std::string_view::npos)
      continue;
    return InvalidArgument("policy name '" + std::string(name) + "': character '" +
                           std::string(1, static_cast<char>(c)) + "' at position " +
                           std::to_string(i) + " is not allowed (use a-z A-Z 0-9 + = , . @ _ -)");
  }
  return Status::Ok();
}

const char* DefaultPolicyJson() {
  return R"({
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ConnectWithOwnName",
      "Effect": "Allow",
      "Action": "iot:Connect",
      "Resource": "client/${thing}"
    },
    {
      "Sid": "OwnTopics",
      "Effect": "Allow",
      "Action": ["iot:Publish", "iot:Receive"],
      "Resource": "topic/devices/${thing}/*"
    },
    {
      "Sid": "OwnFilters",
      "Effect": "Allow",
      "Action": "iot:Subscribe",
      "Resource": "topicfilter/devices/${thing}/*"
    },
    {
      "Sid": "OwnShadows",
      "Effect": "Allow",
      "Action": ["iot:Publish", "iot:Receive"],
      "Resource": "topic/$aws/things/${thing}/shadow/*"
    },
    {
      "Sid": "OwnShadowFilters",
      "Effect": "Allow",
      "Action": "iot:Subscribe",
      "Resource": "topicfilter/$aws/things/${thing}/shadow/*"
    }
  ]
})";
}

bool IsEarlierDefaultPolicy(const nlohmann::json& document) {
  // The default policy before device shadows: its own topics under devices/ only.
  static const nlohmann::json kBeforeShadows = nlohmann::json::parse(R"({
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ConnectWithOwnName", "Effect": "Allow", "Action": "iot:Connect", "Resource": "client/${thing}"},
    {"Sid": "OwnTopics", "Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
     "Resource": "topic/devices/${thing}/*"},
    {"Sid": "OwnFilters", "Effect": "Allow", "Action": "iot:Subscribe", "Resource": "topicfilter/devices/${thing}/*"}
  ]
})");
  return document == kBeforeShadows;
}

}  // namespace tributary::devices
