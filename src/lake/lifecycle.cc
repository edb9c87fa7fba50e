#include "lake/lifecycle.h"

#include <algorithm>
#include <set>

#include "base/utf8.h"
#include "objstore/xml.h"

namespace tributary::lake {

namespace {

using nlohmann::json;

constexpr int64_t kDayMs = 86'400'000;
constexpr int kMaxDays = LifecycleRule::kMaxDays;

// What S3 lifecycle rules have that the lake does not, and why.
const char* Unsupported(std::string_view member) {
  if (member == "Transitions" || member == "Transition" ||
      member == "NoncurrentVersionTransitions" || member == "NoncurrentVersionTransition")
    return "the lake has one storage class, so there is nothing to move objects to";
  if (member == "NoncurrentVersionExpiration" || member == "ExpiredObjectDeleteMarker")
    return "the lake keeps no object versions";
  if (member == "AbortIncompleteMultipartUpload")
    return "the server aborts an upload itself after a day with no part";
  if (member == "Date") return "only Days is supported (an object's age, not a calendar date)";
  if (member == "Tag" || member == "And" || member == "ObjectSizeGreaterThan" ||
      member == "ObjectSizeLessThan")
    return "the lake's objects have no tags and rules filter by prefix only";
  return nullptr;
}

Status CheckMembers(const json& object, const std::string& where,
                    std::initializer_list<std::string_view> known) {
  if (!object.is_object()) return InvalidArgument(where + " must be an object");
  for (const auto& [name, value] : object.items()) {
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    if (const char* why = Unsupported(name))
      return InvalidArgument(where + "." + name + " is not supported: " + why);
    return InvalidArgument(where + " has an unknown member '" + name + "'");
  }
  return Status::Ok();
}

// A member's text; XML's bytes are checked here (JSON's parser has checked them).
Result<std::string> StringMember(const json& object, const char* name, const std::string& where) {
  auto it = object.find(name);
  if (it == object.end()) return std::string();
  if (!it->is_string()) return InvalidArgument(where + "." + name + " must be a string");
  std::string text = it->get<std::string>();
  if (!IsWellFormedUtf8(text)) return InvalidArgument(where + "." + name + " is not valid UTF-8");
  return text;
}

Result<LifecycleRule> RuleFromJson(const json& r, const std::string& where) {
  TRY(CheckMembers(r, where, {"ID", "Status", "Filter", "Prefix", "Expiration"}));
  LifecycleRule rule;
  TRY_ASSIGN(rule.id, StringMember(r, "ID", where));
  if (rule.id.size() > 255) return InvalidArgument(where + ".ID is longer than 255 characters");
  TRY_ASSIGN(std::string status, StringMember(r, "Status", where));
  if (status != "Enabled" && status != "Disabled") {
    return InvalidArgument(where + ".Status must be \"Enabled\" or \"Disabled\"" +
                           (status.empty() ? std::string() : ", got \"" + status + "\""));
  }
  rule.enabled = status == "Enabled";
  TRY_ASSIGN(rule.prefix, StringMember(r, "Prefix", where));
  if (auto filter = r.find("Filter"); filter != r.end()) {
    if (r.contains("Prefix"))
      return InvalidArgument(where + " has both Prefix and Filter: give one");
    TRY(CheckMembers(*filter, where + ".Filter", {"Prefix"}));
    TRY_ASSIGN(rule.prefix, StringMember(*filter, "Prefix", where + ".Filter"));
  }
  auto expiration = r.find("Expiration");
  if (expiration == r.end()) {
    return InvalidArgument(where +
                           " has no Expiration: a rule of the lake expires objects after Days");
  }
  TRY(CheckMembers(*expiration, where + ".Expiration", {"Days"}));
  auto days = expiration->find("Days");
  if (days == expiration->end() || !days->is_number_integer() || days->get<int64_t>() < 1 ||
      days->get<int64_t>() > kMaxDays) {
    return InvalidArgument(
        where + ".Expiration.Days must be a whole number of days, 1.." + std::to_string(kMaxDays) +
        (days == expiration->end()
             ? std::string()
             : ", got " + days->dump(-1, ' ', false, json::error_handler_t::replace)));
  }
  rule.days = days->get<int>();
  return rule;
}

// XML's elements as the JSON form: repeated Rule elements an array, Days a number.
json XmlToJson(const objstore::XmlNode& node) {
  if (node.children.empty()) {
    if (node.name == "Filter") return json::object();  // <Filter/>: the whole bucket
    if (node.name == "Days" && !node.text.empty() &&
        std::all_of(node.text.begin(), node.text.end(),
                    [](char c) { return c >= '0' && c <= '9'; }) &&
        node.text.size() < 10) {
      return std::stoi(node.text);
    }
    return node.text;
  }
  json out = json::object();
  for (const objstore::XmlNode& child : node.children) {
    if (node.name == "LifecycleConfiguration" && child.name == "Rule") {
      out["Rules"].push_back(XmlToJson(child));
    } else {
      out[child.name] = XmlToJson(child);
    }
  }
  return out;
}

}  // namespace

Result<LifecycleConfiguration> LifecycleFromJson(const json& doc) {
  TRY(CheckMembers(doc, "the lifecycle configuration", {"Rules"}));
  auto rules = doc.find("Rules");
  if (rules == doc.end() || !rules->is_array() || rules->empty()) {
    return InvalidArgument("the lifecycle configuration needs Rules: an array of 1.." +
                           std::to_string(LifecycleConfiguration::kMaxRules) + " rules");
  }
  if (rules->size() > LifecycleConfiguration::kMaxRules) {
    return InvalidArgument("the lifecycle configuration has " + std::to_string(rules->size()) +
                           " rules; at most " + std::to_string(LifecycleConfiguration::kMaxRules));
  }
  LifecycleConfiguration config;
  std::set<std::string> ids;
  for (size_t i = 0; i < rules->size(); ++i) {
    TRY_ASSIGN(LifecycleRule rule, RuleFromJson((*rules)[i], "Rules[" + std::to_string(i) + "]"));
    if (!rule.id.empty() && !ids.insert(rule.id).second) {
      return InvalidArgument("Rules[" + std::to_string(i) + "].ID '" + rule.id +
                             "' is given to two rules");
    }
    config.rules.push_back(std::move(rule));
  }
  // A rule given no ID gets one, as S3 gives it.
  int n = 0;
  for (LifecycleRule& rule : config.rules) {
    while (rule.id.empty()) {
      std::string id = "rule-" + std::to_string(++n);
      if (ids.insert(id).second) rule.id = id;
    }
  }
  return config;
}

json LifecycleToJson(const LifecycleConfiguration& config) {
  json rules = json::array();
  for (const LifecycleRule& r : config.rules) {
    rules.push_back({{"ID", r.id},
                     {"Status", r.enabled ? "Enabled" : "Disabled"},
                     {"Filter", {{"Prefix", r.prefix}}},
                     {"Expiration", {{"Days", r.days}}}});
  }
  return {{"Rules", rules}};
}

Result<LifecycleConfiguration> LifecycleFromXml(std::string_view xml) {
  Result<objstore::XmlNode> root = objstore::ParseXml(xml);
  if (!root.ok())
    return InvalidArgument("the lifecycle configuration is not XML: " + root.status().message());
  if (root->name != "LifecycleConfiguration") {
    return InvalidArgument("the lifecycle configuration's root element is <" + root->name +
                           ">, not <LifecycleConfiguration>");
  }
  return LifecycleFromJson(XmlToJson(*root));
}

std::string LifecycleToXml(const LifecycleConfiguration& config) {
  std::string xml = "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const LifecycleRule& r : config.rules) {
    xml += "<Rule><ID>" + objstore::XmlEscape(r.id) + "</ID><Filter><Prefix>" +
           objstore::XmlEscape(r.prefix) + "</Prefix></Filter><Status>" +
           (r.enabled ? "Enabled" : "Disabled") + "</Status><Expiration><Days>" +
           std::to_string(r.days) + "</Days></Expiration></Rule>";
  }
  return xml + "</LifecycleConfiguration>";
}

int64_t ExpiresAtMs(int64_t modified_ms, int days) {
  const int64_t due = modified_ms + int64_t{days} * kDayMs;
  return (due + kDayMs - 1) / kDayMs * kDayMs;
}

const LifecycleRule* RuleFor(const LifecycleConfiguration& config, std::string_view key) {
  const LifecycleRule* best = nullptr;
  for (const LifecycleRule& r : config.rules) {
    if (!r.enabled || !key.starts_with(r.prefix)) continue;
    if (best == nullptr || r.days < best->days) best = &r;
  }
  return best;
}

}  // namespace tributary::lake
