#include "rules/rule_definition.h"

#include <arpa/inet.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "base/ascii.h"
#include "base/json_text.h"
#include "mqtt/topic.h"
#include "objstore/http_transport.h"
#include "objstore/object_store.h"
#include "rules/substitution_template.h"

namespace tributary::rules {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kActionTypes = "firehose, republish, s3, http";

Status Bad(const std::string& path, const std::string& what) {
  return InvalidArgument(path + ": " + what);
}

Status CheckKeys(const Json& obj, const std::string& path,
                 std::initializer_list<std::string_view> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    std::string list;
    for (std::string_view a : allowed) {
      ok = ok || it.key() == a;
      if (!list.empty()) list += ", ";
      list += a;
    }
    if (!ok) {
      return Bad(path.empty() ? it.key() : path + "." + it.key(),
                 "unknown field (allowed: " + list + ")");
    }
  }
  return Status::Ok();
}

Result<std::string> RequiredString(const Json& obj, const std::string& path, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string() || it->get<std::string>().empty()) {
    return Bad(path + "." + key, "must be a non-empty string");
  }
  return it->get<std::string>();
}

// A template field: a string that compiles.
Result<std::string> TemplateField(const Json& obj, const std::string& path, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::string();
  if (!it->is_string()) return Bad(path + "." + key, "must be a string");
  std::string text = it->get<std::string>();
  auto t = SubstitutionTemplate::Compile(text);
  if (!t.ok()) return t.status().WithContext(path + "." + key);
  return text;
}

// `obj[field]`: an array of at most 100 {"key": template, "value": template}, key not
// empty; none when absent.
Result<std::vector<std::pair<std::string, std::string>>> KeyValueTemplates(
    const Json& obj, const std::string& path, const char* field) {
  std::vector<std::pair<std::string, std::string>> out;
  auto it = obj.find(field);
  if (it == obj.end()) return out;
  std::string fpath = path + "." + field;
  if (!it->is_array() || it->size() > 100) {
    return Bad(fpath, "must be an array of at most 100 {\"key\", \"value\"}");
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& p = (*it)[i];
    std::string ppath = fpath + "[" + std::to_string(i) + "]";
    if (!p.is_object()) return Bad(ppath, "must be an object {\"key\", \"value\"}");
    TRY(CheckKeys(p, ppath, {"key", "value"}));
    TRY_ASSIGN(std::string key, TemplateField(p, ppath, "key"));
    if (key.empty()) return Bad(ppath + ".key", "must be a non-empty string");
    if (!p.contains("value")) return Bad(ppath + ".value", "must be a string");
    TRY_ASSIGN(std::string value, TemplateField(p, ppath, "value"));
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

// localhost, ::1, or an IPv4 literal in 127.0.0.0/8 ("127.example.com" is a name that
// DNS may send anywhere).
bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr address{};
  return ::inet_pton(AF_INET, host.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
}

// An HTTP header name: an RFC 9110 token.
bool IsHeaderName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

Result<RuleAction> ParseHttpAction(const Json& body, const std::string& bpath) {
  TRY(CheckKeys(body, bpath, {"url", "confirmationUrl", "headers", "auth", "batchConfig",
                              "enableBatching"}));
  if (body.contains("auth")) {
    return Bad(bpath + ".auth", "is not supported (SigV4 to AWS services has no use here): put a "
                                "token in a header instead");
  }
  if (body.contains("batchConfig") || body.contains("enableBatching")) {
    return Bad(bpath + (body.contains("batchConfig") ? ".batchConfig" : ".enableBatching"),
               "is not supported: each message is one request");
  }
  HttpAction a;
  TRY_ASSIGN(a.url, RequiredString(body, bpath, "url"));
  const std::string upath = bpath + ".url";
  size_t scheme_end = a.url.find("://");
  size_t authority_end = scheme_end == std::string::npos
                             ? std::string::npos
                             : a.url.find_first_of("/?#", scheme_end + 3);
  a.base = a.url.substr(0, authority_end);
  a.target = authority_end == std::string::npos ? "/" : a.url.substr(authority_end);
  if (a.target.front() != '/') a.target.insert(0, "/");
  if (a.base.find("${") != std::string::npos) {
    return Bad(upath, "the scheme, host and port must be written out, not substituted: only the "
                      "path and query may hold ${...}");
  }
  if (a.target.find('#') != std::string::npos) return Bad(upath, "has a fragment ('#')");
  TRY_ASSIGN(objstore::Endpoint ep, objstore::ParseEndpoint(a.base + "/", upath));
  if (!ep.tls && !IsLoopbackHost(ep.host)) {
    return Bad(upath, "must be https:// (http:// only to a loopback host: the messages would "
                      "cross the network in the clear)");
  }
  auto tmpl = SubstitutionTemplate::Compile(a.target);
  if (!tmpl.ok()) return tmpl.status().WithContext(upath);
  if (auto it = body.find("confirmationUrl"); it != body.end() && !it->is_string()) {
    return Bad(bpath + ".confirmationUrl", "must be a string");
  }
  TRY_ASSIGN(auto headers, KeyValueTemplates(body, bpath, "headers"));
  for (size_t i = 0; i < headers.size(); ++i) {
    auto& [key, value] = headers[i];
    std::string kpath = bpath + ".headers[" + std::to_string(i) + "].key";
    if (!IsHeaderName(key)) return Bad(kpath, "is not an HTTP header name");
    for (std::string_view reserved : {"host", "content-length", "transfer-encoding", "connection"}) {
      if (EqualsIgnoreCase(key, reserved)) return Bad(kpath, "'" + key + "' is set by the server");
    }
    a.headers.push_back({std::move(key), std::move(value)});
  }
  return RuleAction(a);
}

Result<RepublishHeaders> ParseRepublishHeaders(const Json& j, const std::string& path) {
  if (!j.is_object()) return Bad(path, "must be an object");
  TRY(CheckKeys(j, path, {"payloadFormatIndicator", "contentType", "responseTopic",
                          "correlationData", "messageExpiry", "userProperties"}));
  RepublishHeaders h;
  // A template, as on AWS: what it renders is checked per message. Written out, it is
  // checked here.
  TRY_ASSIGN(h.payload_format, TemplateField(j, path, "payloadFormatIndicator"));
  if (auto t = SubstitutionTemplate::Compile(h.payload_format);
      j.contains("payloadFormatIndicator") && t.ok() && t->is_literal() &&
      !IsPayloadFormatName(h.payload_format)) {
    return Bad(path + ".payloadFormatIndicator",
               "must be \"UTF8_DATA\" or \"UNSPECIFIED_BYTES\" (or a substitution template "
               "rendering one of them)");
  }
  TRY_ASSIGN(h.content_type, TemplateField(j, path, "contentType"));
  TRY_ASSIGN(h.response_topic, TemplateField(j, path, "responseTopic"));
  if (auto t = SubstitutionTemplate::Compile(h.response_topic);
      !h.response_topic.empty() && t.ok() &&
      (t->LiteralHoldsAnyOf(std::string_view("+#\0", 3)) ||
       (t->is_literal() && !mqtt::IsValidTopicName(h.response_topic)))) {
    return Bad(path + ".responseTopic", "'" + h.response_topic + "' is not a valid topic name");
  }
  TRY_ASSIGN(h.correlation_data, TemplateField(j, path, "correlationData"));
  TRY_ASSIGN(h.message_expiry, TemplateField(j, path, "messageExpiry"));
  TRY_ASSIGN(h.user_properties, KeyValueTemplates(j, path, "userProperties"));
  return h;
}

Result<RuleAction> ParseAction(const Json& j, const std::string& path) {
  if (!j.is_object() || j.size() != 1) {
    return Bad(path, "must be an object with exactly one action type (supported: " +
                         std::string(kActionTypes) + ")");
  }
  const std::string type = j.begin().key();
  const Json& body = j.begin().value();
  std::string bpath = path + "." + type;
  if (type != "firehose" && type != "republish" && type != "s3" && type != "http") {
    return Bad(bpath, "unsupported action type (supported: " + std::string(kActionTypes) + ")");
  }
  if (!body.is_object()) return Bad(bpath, "must be an object");
  if (type == "firehose") {
    TRY(CheckKeys(body, bpath, {"deliveryStreamName", "separator", "batchMode", "roleArn"}));
    FirehoseAction a;
    TRY_ASSIGN(a.delivery_stream_name, RequiredString(body, bpath, "deliveryStreamName"));
    if (auto it = body.find("separator"); it != body.end()) {
      if (!it->is_string()) return Bad(bpath + ".separator", "must be a string");
      a.separator = it->get<std::string>();
      if (a.separator != "\n" && a.separator != "\t" && a.separator != "\r\n" &&
          a.separator != ",") {
        return Bad(bpath + ".separator", "must be one of \"\\n\", \"\\t\", \"\\r\\n\", \",\"");
      }
    }
    if (auto it = body.find("batchMode"); it != body.end()) {
      if (!it->is_boolean()) return Bad(bpath + ".batchMode", "must be true or false");
      a.batch_mode = it->get<bool>();
    }
    return RuleAction(a);
  }
  if (type == "http") return ParseHttpAction(body, bpath);
  if (type == "s3") {
    TRY(CheckKeys(body, bpath, {"bucketName", "key", "roleArn", "cannedAcl"}));
    S3Action a;
    TRY_ASSIGN(a.bucket_name, RequiredString(body, bpath, "bucketName"));
    if (Status st = objstore::ValidateBucketName(a.bucket_name); !st.ok()) {
      return st.WithContext(bpath + ".bucketName");
    }
    TRY_ASSIGN(a.key, RequiredString(body, bpath, "key"));
    auto tmpl = SubstitutionTemplate::Compile(a.key);
    if (!tmpl.ok()) return tmpl.status().WithContext(bpath + ".key");
    if (tmpl->is_literal()) {
      if (Status st = objstore::ValidateKey(a.key); !st.ok()) return st.WithContext(bpath + ".key");
    }
    if (auto it = body.find("cannedAcl"); it != body.end() && !it->is_string()) {
      return Bad(bpath + ".cannedAcl", "must be a string");
    }
    return RuleAction(a);
  }
  TRY(CheckKeys(body, bpath, {"topic", "qos", "roleArn", "headers"}));
  RepublishAction a;
  TRY_ASSIGN(a.topic, RequiredString(body, bpath, "topic"));
  auto tmpl = SubstitutionTemplate::Compile(a.topic);
  if (!tmpl.ok()) return tmpl.status().WithContext(bpath + ".topic");
  if (tmpl->LiteralHoldsAnyOf(std::string_view("+#\0", 3)) ||
      (tmpl->is_literal() && !mqtt::IsValidTopicName(a.topic))) {
    return Bad(bpath + ".topic", "'" + a.topic + "' is not a valid topic name (no '+' or '#')");
  }
  // A reserved topic ($aws/...) is the rule author's to name, as '$$' (AWS IoT's
  // convention), never a message's: RepublishTopic refuses one rendered from data.
  if (tmpl->literal_prefix().starts_with("$") && !tmpl->literal_prefix().starts_with("$$")) {
    return Bad(bpath + ".topic", "'" + a.topic + "' is a reserved topic: write '$" + a.topic +
                                     "' to republish to it, as on AWS IoT");
  }
  if (auto it = body.find("qos"); it != body.end()) {
    if (!it->is_number_integer() || (it->get<int64_t>() != 0 && it->get<int64_t>() != 1)) {
      return Bad(bpath + ".qos", "must be 0 or 1");
    }
    a.qos = static_cast<int>(it->get<int64_t>());
  }
  if (auto it = body.find("headers"); it != body.end()) {
    TRY_ASSIGN(a.headers, ParseRepublishHeaders(*it, bpath + ".headers"));
  }
  return RuleAction(a);
}

}  // namespace

std::string_view ActionType(const RuleAction& a) {
  if (std::holds_alternative<FirehoseAction>(a)) return "firehose";
  if (std::holds_alternative<RepublishAction>(a)) return "republish";
  if (std::holds_alternative<S3Action>(a)) return "s3";
  return "http";
}

bool IsPayloadFormatName(std::string_view name) {
  return name == "UTF8_DATA" || name == "UNSPECIFIED_BYTES";
}

bool SendsToStream(const RuleDefinition& d, std::string_view stream) {
  auto names = [stream](const RuleAction& a) {
    const auto* fh = std::get_if<FirehoseAction>(&a);
    return fh != nullptr && fh->delivery_stream_name == stream;
  };
  for (const RuleAction& a : d.actions) {
    if (names(a)) return true;
  }
  return d.error_action && names(*d.error_action);
}

std::string RuleFieldPath(const RuleDefinition& d, std::string_view key) {
  return d.fields_at.empty() ? std::string(key) : d.fields_at + "." + std::string(key);
}

bool IsValidRuleName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

Result<RuleDefinition> ParseRuleDefinition(std::string_view json_text) {
  TRY_ASSIGN(Json root, ParseJsonText(json_text, "the rule definition"));
  if (!root.is_object()) return InvalidArgument("rule definition must be a JSON object");
  RuleDefinition def;
  std::string path = "topicRulePayload";
  const Json* payload = &root;
  if (root.contains("topicRulePayload")) {
    TRY(CheckKeys(root, "", {"topicRulePayload", "ruleName", "ruleArn", "tags"}));
    payload = &root["topicRulePayload"];
    if (!payload->is_object()) return Bad(path, "must be an object");
    if (auto it = root.find("ruleName"); it != root.end()) {
      if (!it->is_string() || !IsValidRuleName(it->get<std::string>())) {
        return Bad("ruleName", "must be 1-128 letters, digits or '_'");
      }
      def.name = it->get<std::string>();
    }
  } else if (root.contains("rule") && !root.contains("sql")) {
    // GetTopicRule's answer, sent back as it was read.
    TRY(CheckKeys(root, "", {"rule", "ruleArn"}));
    path = "rule";
    payload = &root["rule"];
    if (!payload->is_object()) return Bad(path, "must be an object");
  } else if (!root.contains("sql")) {
    return InvalidArgument("rule definition needs \"topicRulePayload\" (or \"sql\" at the top)");
  } else {
    path = "";
  }
  def.fields_at = path;
  auto at = [&](const std::string& key) { return RuleFieldPath(def, key); };
  const Json& p = *payload;
  // A rule as read back (`rule describe --json`, GetTopicRule's `rule`) also says what
  // the server keeps about it; sent again, those fields are ignored.
  const bool read_back = path != "topicRulePayload";
  for (auto it = p.begin(); it != p.end(); ++it) {
    static constexpr std::string_view kAllowed[] = {"sql", "description", "ruleDisabled",
                                                    "awsIotSqlVersion", "actions", "errorAction"};
    static constexpr std::string_view kReadBack[] = {"ruleName",  "ruleArn", "createdAt",
                                                     "updatedAt", "error",   "metrics"};
    bool ok = false;
    for (std::string_view a : kAllowed) ok = ok || it.key() == a;
    for (std::string_view a : kReadBack) ok = ok || (read_back && it.key() == a);
    if (!ok) {
      return Bad(at(it.key()), "unknown field (allowed: sql, description, ruleDisabled, "
                               "awsIotSqlVersion, actions, errorAction)");
    }
  }
  auto sql = p.find("sql");
  if (sql == p.end() || !sql->is_string() || sql->get<std::string>().empty()) {
    return Bad(at("sql"), "must be a non-empty string");
  }
  def.sql = sql->get<std::string>();
  if (auto it = p.find("description"); it != p.end()) {
    if (!it->is_string()) return Bad(at("description"), "must be a string");
    def.description = it->get<std::string>();
  }
  if (auto it = p.find("ruleDisabled"); it != p.end()) {
    if (!it->is_boolean()) return Bad(at("ruleDisabled"), "must be true or false");
    def.disabled = it->get<bool>();
  }
  if (auto it = p.find("awsIotSqlVersion"); it != p.end()) {
    if (!it->is_string() || it->get<std::string>() != "2016-03-23") {
      return Bad(at("awsIotSqlVersion"),
                 "only \"2016-03-23\" is supported (the 2015-10-08 and beta dialects are not)");
    }
  }
  auto actions = p.find("actions");
  if (actions == p.end() || !actions->is_array()) {
    return Bad(at("actions"), "must be an array of actions");
  }
  if (actions->size() > kMaxRuleActions) {
    return Bad(at("actions"), "holds " + std::to_string(actions->size()) +
                                  " actions; a rule has at most " +
                                  std::to_string(kMaxRuleActions));
  }
  for (size_t i = 0; i < actions->size(); ++i) {
    TRY_ASSIGN(RuleAction a, ParseAction((*actions)[i], at("actions[" + std::to_string(i) + "]")));
    def.actions.push_back(std::move(a));
  }
  def.actions_given = *actions;
  if (auto it = p.find("errorAction"); it != p.end()) {
    TRY_ASSIGN(RuleAction a, ParseAction(*it, at("errorAction")));
    def.error_action = std::move(a);
    def.error_action_given = *it;
  }
  return def;
}

}  // namespace tributary::rules
