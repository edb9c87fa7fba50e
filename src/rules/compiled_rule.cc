#include "rules/compiled_rule.h"

#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/base64.h"
#include "base/utf8.h"
#include "expr/conversions.h"
#include "expr/payload_access.h"
#include "mqtt/topic.h"
#include "mqtt/utf8.h"
#include "objstore/object_store.h"
#include "rules/rule_sql.h"

namespace tributary::rules {
namespace {

// Whether `text` names traceid() (in any case; perhaps in a string or a field name).
bool NamesTraceId(std::string_view text) {
  constexpr std::string_view kName = "traceid";
  for (size_t i = 0; i + kName.size() <= text.size(); ++i) {
    size_t k = 0;
    while (k < kName.size() &&
           (text[i + k] | 0x20) == kName[k]) {  // ASCII letters: 0x20 lower-cases them
      ++k;
    }
    if (k == kName.size()) return true;
  }
  return false;
}

}  // namespace

Result<std::shared_ptr<const CompiledRule>> CompiledRule::CompileSql(std::string_view sql) {
  RuleDefinition def;
  def.sql = std::string(sql);
  return Compile(def);
}

Result<std::shared_ptr<const CompiledRule>> CompiledRule::Compile(
    const RuleDefinition& def, std::shared_ptr<const RuleMetrics> metrics) {
  auto rule = std::shared_ptr<CompiledRule>(new CompiledRule());
  rule->def_ = def;
  rule->metrics_ = std::move(metrics);
  auto query = ParseRuleSql(def.sql);
  if (!query.ok()) return query.status().WithContext(RuleFieldPath(def, "sql"));
  RuleQuery& q = *query;
  rule->topic_filter_ = q.topic_filter;
  rule->select_value_ = q.select_value;
  // SET: each definition sees the variables before it; the rest of the rule sees all.
  expr::VariableScope scope{&rule->variables_, 0, false};
  for (Assignment& a : q.set) rule->variables_.Declare(a.name);
  for (size_t i = 0; i < q.set.size(); ++i) {
    scope.visible = i;
    auto node = expr::CompileAst(*q.set[i].expr, q.multiline, scope);
    if (!node.ok()) return node.status().WithContext(RuleFieldPath(def, "sql"));
    rule->variables_.Define(i, std::move(node).value());
  }
  scope.visible = rule->variables_.size();
  for (SelectItem& item : q.items) {
    if (item.star) {
      rule->star_ = true;
      continue;
    }
    auto node = expr::CompileAst(*item.expr, q.multiline, scope);
    if (!node.ok()) return node.status().WithContext(RuleFieldPath(def, "sql"));
    Item it;
    expr::AppendJsonString(item.name, &it.key_json);
    it.key_json.push_back(':');
    it.name = item.name;
    it.node = std::move(node).value();
    rule->items_.push_back(std::move(it));
  }
  if (q.where) {
    auto node = expr::CompileAst(*q.where, q.multiline, scope);
    if (!node.ok()) return node.status().WithContext(RuleFieldPath(def, "sql"));
    rule->where_ = std::move(node).value();
  }
  // A republish action's topic, an s3 action's key, an http action's path and headers;
  // none for a firehose action.
  auto compile_template = [&scope](const RuleAction& a,
                                   const std::string& path) -> Result<ActionTemplates> {
    ActionTemplates out;
    std::string text, field;
    if (const auto* r = std::get_if<RepublishAction>(&a)) {
      text = r->topic;
      field = ".topic";
      // Parsing checked their syntax; only a variable the SET clause lacks fails here.
      std::string hpath = path + ".republish.headers.";
      auto compile = [&](const std::string& t, const std::string& field,
                         std::optional<SubstitutionTemplate>* slot) -> Status {
        if (t.empty()) return Status::Ok();
        auto c = SubstitutionTemplate::Compile(t, scope);
        if (!c.ok()) return c.status().WithContext(hpath + field);
        *slot = std::move(c).value();
        return Status::Ok();
      };
      const RepublishHeaders& h = r->headers;
      TRY(compile(h.payload_format, "payloadFormatIndicator", &out.payload_format));
      TRY(compile(h.content_type, "contentType", &out.content_type));
      TRY(compile(h.response_topic, "responseTopic", &out.response_topic));
      TRY(compile(h.correlation_data, "correlationData", &out.correlation_data));
      TRY(compile(h.message_expiry, "messageExpiry", &out.message_expiry));
      for (size_t i = 0; i < h.user_properties.size(); ++i) {
        std::string field = "userProperties[" + std::to_string(i) + "]";
        std::optional<SubstitutionTemplate> key, value;
        TRY(compile(h.user_properties[i].first, field + ".key", &key));
        TRY(compile(h.user_properties[i].second, field + ".value", &value));
        out.user_properties.emplace_back(std::move(*key),
                                         value ? std::move(*value) : SubstitutionTemplate());
      }
    } else if (const auto* s3 = std::get_if<S3Action>(&a)) {
      text = s3->key;
      field = ".key";
    } else if (const auto* http = std::get_if<HttpAction>(&a)) {
      text = http->target;
      field = ".url";
      for (size_t i = 0; i < http->headers.size(); ++i) {
        auto h = SubstitutionTemplate::Compile(http->headers[i].value, scope);
        if (!h.ok()) {
          return h.status().WithContext(path + ".http.headers[" + std::to_string(i) + "].value");
        }
        out.headers.push_back(std::move(h).value());
      }
    } else {
      return out;
    }
    auto t = SubstitutionTemplate::Compile(text, scope);
    if (!t.ok()) return t.status().WithContext(path + "." + std::string(ActionType(a)) + field);
    out.main = std::move(t).value();
    return out;
  };
  for (size_t i = 0; i < def.actions.size(); ++i) {
    TRY_ASSIGN(auto t, compile_template(def.actions[i],
                                        RuleFieldPath(def, "actions[" + std::to_string(i) + "]")));
    rule->action_templates_.push_back(std::move(t));
  }
  if (def.error_action) {
    TRY_ASSIGN(rule->error_action_template_,
               compile_template(*def.error_action, RuleFieldPath(def, "errorAction")));
  }
  auto names_trace_id = [](const ActionTemplates& t) {
    auto in = [](const std::optional<SubstitutionTemplate>& x) {
      return x && NamesTraceId(x->text());
    };
    if (in(t.main) || in(t.payload_format) || in(t.content_type) || in(t.response_topic) ||
        in(t.correlation_data) || in(t.message_expiry)) {
      return true;
    }
    for (const SubstitutionTemplate& h : t.headers) {
      if (NamesTraceId(h.text())) return true;
    }
    for (const auto& [key, value] : t.user_properties) {
      if (NamesTraceId(key.text()) || NamesTraceId(value.text())) return true;
    }
    return false;
  };
  rule->may_use_trace_id_ = NamesTraceId(def.sql) || names_trace_id(rule->error_action_template_);
  for (const ActionTemplates& t : rule->action_templates_) {
    rule->may_use_trace_id_ = rule->may_use_trace_id_ || names_trace_id(t);
  }
  return std::shared_ptr<const CompiledRule>(std::move(rule));
}

Result<std::vector<std::string>> BatchRecords(const std::string& output) {
  nlohmann::json doc = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_array()) return InvalidArgument("the rule's output is not a JSON array");
  if (doc.empty() || doc.size() > 500) {
    return InvalidArgument("the array holds " + std::to_string(doc.size()) +
                           " records; batchMode takes 1..500");
  }
  std::vector<std::string> out;
  out.reserve(doc.size());
  for (const auto& element : doc) out.push_back(element.dump());
  return out;
}

std::optional<std::vector<std::string>> CompiledRule::OutputFields() const {
  if (star_ || select_value_) return std::nullopt;
  std::vector<std::string> fields;
  for (const Item& item : items_) fields.push_back(item.name);
  return fields;
}

bool CompiledRule::Matches(std::string_view topic) const {
  return mqtt::TopicMatches(topic_filter_, topic);
}

bool CompiledRule::WhereHolds(const MessageContext& m) const {
  if (!where_) return true;
  auto b = expr::ToBoolean(where_->Eval(m));
  return b && *b;
}

Status CompiledRule::AppendStarMembers(const MessageContext& m, std::string* out,
                                       bool* first) const {
  simdjson::dom::element slot;
  const simdjson::dom::element* root = expr::PayloadAccess::Root(m, &slot);
  if (root == nullptr || root->type() != simdjson::dom::element_type::OBJECT) {
    return FailedPrecondition(
        std::string("SELECT *, ... needs a payload that is a JSON object, but this payload is ") +
        (root == nullptr ? "not JSON" : "JSON but not an object") +
        " (select a non-JSON payload with SELECT * alone)");
  }
  simdjson::dom::object obj = root->get_object().value_unsafe();
  for (auto field : obj) {
    bool replaced = false;
    for (const Item& it : items_) replaced = replaced || it.name == field.key;
    if (replaced || expr::IsOutOfRangeNumber(field.value))
      continue;  // the select list's value wins; 1e400 is Undefined
    if (!*first) out->push_back(',');
    *first = false;
    expr::AppendJsonString(field.key, out);
    out->push_back(':');
    expr::AppendDomJson(field.value, out);
  }
  return Status::Ok();
}

namespace {

// Whether `s` holds a byte JSON counts as whitespace: four memchr scans (vectorized in
// the C library), cheaper than one byte loop over a typical payload.
bool HasJsonWhitespace(std::string_view s) {
  for (char c : {' ', '\n', '\r', '\t'}) {
    if (std::memchr(s.data(), c, s.size()) != nullptr) return true;
  }
  return false;
}

}  // namespace

bool CompiledRule::OutputIsPayload(std::string_view payload) const {
  return star_ && items_.empty() && !select_value_ && !where_ &&
         payload.size() <= kMaxOutputBytes && !HasJsonWhitespace(payload);
}

namespace {

Status OverBuildBudget() {
  return ResourceExhausted("the rule's SQL would build more than " +
                           std::to_string(expr::kBuildBudgetBytes) +
                           " bytes of strings and arrays for this message (replace(), "
                           "concat(), regexp_replace() ... give Undefined past that)");
}

// Why the evaluation of `m` ran out of its bounds, if it did.
std::optional<Status> OverBounds(const MessageContext& m) {
  if (m.BuildBudgetExceeded()) return OverBuildBudget();
  if (m.NestedRowsExceeded()) {
    return ResourceExhausted("the rule's nested queries would read more than " +
                             std::to_string(expr::kNestedQueryRowBudget) +
                             " rows for this message (each element of a nested query's FROM "
                             "counts, whether its WHERE keeps it or not)");
  }
  if (const char* function = m.TooSlow()) {
    return ResourceExhausted(std::string(function) +
                             " ran past its 100 ms of CPU time for this message (its "
                             "pattern reads far ahead for every match of a long text)");
  }
  return std::nullopt;
}

}  // namespace

Result<std::optional<OutputRecord>> CompiledRule::Evaluate(const MessageContext& m) const {
  m.ResetBuildBudget();
  expr::VariableBinding bind(variables_, m);
  bool holds = WhereHolds(m);
  if (auto over = OverBounds(m)) return *over;
  if (!holds) return std::optional<OutputRecord>();
  OutputRecord rec;
  if (select_value_) {
    items_[0].node->AppendJsonTo(m, &rec.payload);
  } else if (star_ && items_.empty()) {
    // Room for the firehose separator the record usually gets next, so appending it
    // does not reallocate.
    rec.payload.reserve(m.payload.size() + 8);
    if (m.PayloadIsJson()) {
      rec.payload.resize(m.payload.size());
      size_t len = 0;
      if (simdjson::minify(m.payload.data(), m.payload.size(), rec.payload.data(), len) !=
          simdjson::SUCCESS) {
        return Internal("could not minify a payload that parsed as JSON");
      }
      rec.payload.resize(len);
    } else {
      rec.payload.assign(m.payload);
      rec.is_json = false;
    }
  } else {
    rec.payload.reserve(64 + (star_ ? m.payload.size() : 0));
    rec.payload.push_back('{');
    bool first = true;
    if (star_) TRY(AppendStarMembers(m, &rec.payload, &first));
    for (const Item& it : items_) {
      size_t mark = rec.payload.size();
      if (!first) rec.payload.push_back(',');
      rec.payload.append(it.key_json);
      if (it.node->AppendJsonTo(m, &rec.payload)) {
        first = false;
      } else {
        rec.payload.resize(mark);  // Undefined: the key is left out
      }
    }
    rec.payload.push_back('}');
  }
  if (auto over = OverBounds(m)) return *over;
  if (rec.payload.size() > kMaxOutputBytes) {
    return ResourceExhausted("rule output is " + std::to_string(rec.payload.size()) +
                             " bytes, over the " + std::to_string(kMaxOutputBytes) +
                             "-byte limit");
  }
  return std::optional<OutputRecord>(std::move(rec));
}

Result<CompiledRule::ActionRef> CompiledRule::ActionOf(int action_index,
                                                      std::string_view type) const {
  ActionRef ref{nullptr, nullptr};
  if (action_index < 0) {
    if (def_.error_action) ref = {&*def_.error_action, &error_action_template_};
  } else if (static_cast<size_t>(action_index) < action_templates_.size()) {
    ref = {&def_.actions[action_index], &action_templates_[action_index]};
  }
  if (ref.action == nullptr || ActionType(*ref.action) != type || !ref.templates->main) {
    return InvalidArgument("action " + std::to_string(action_index) + " of rule '" + def_.name +
                           "' is not " + (type == "republish" ? "a " : "an ") +
                           std::string(type) + " action");
  }
  return ref;
}

Result<std::string> CompiledRule::RepublishTopic(int action_index, const MessageContext& m,
                                                 std::string* rendered) const {
  TRY_ASSIGN(ActionRef ref, ActionOf(action_index, "republish"));
  expr::VariableBinding bind(variables_, m);
  const SubstitutionTemplate* t = &*ref.templates->main;
  std::string topic = t->Render(m);
  if (rendered != nullptr) *rendered = topic;
  // "$$aws/things/..." names the reserved topic "$aws/things/...", as on AWS. Only the
  // template's own text can: a '$' that a message's data put first is refused, or a
  // device could write to another's shadow through the rule.
  if (t->literal_prefix().starts_with("$$")) {
    topic.erase(0, 1);
  } else if (topic.starts_with("$")) {
    return InvalidArgument(
        "republish topic template '" + t->text() + "' rendered '" + PrintableUtf8(topic) +
        "', a reserved topic: only a template that starts with '$$' republishes to one");
  }
  if (!mqtt::IsValidTopicName(topic)) {
    return InvalidArgument("republish topic template '" + t->text() + "' rendered '" +
                           PrintableUtf8(topic) + "', which is not a valid topic name");
  }
  return topic;
}

Result<std::string> CompiledRule::ObjectKey(int action_index, const MessageContext& m) const {
  TRY_ASSIGN(ActionRef ref, ActionOf(action_index, "s3"));
  expr::VariableBinding bind(variables_, m);
  const SubstitutionTemplate* t = &*ref.templates->main;
  std::string key = t->Render(m);
  if (Status st = objstore::ValidateKey(key); !st.ok()) {
    return InvalidArgument("s3 key template '" + t->text() + "' rendered an unusable key: " +
                           st.message());
  }
  return key;
}

Result<HttpRequestParts> CompiledRule::HttpRequest(int action_index,
                                                  const MessageContext& m) const {
  TRY_ASSIGN(ActionRef ref, ActionOf(action_index, "http"));
  expr::VariableBinding bind(variables_, m);
  const HttpAction& action = std::get<HttpAction>(*ref.action);
  HttpRequestParts out;
  out.base = action.base;
  out.target = ref.templates->main->Render(m);
  // Substituted text goes into the request line as it is: what would break it is refused.
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f || c == '#') {
      return InvalidArgument("http url template '" + action.url + "' rendered the path '" +
                             PrintableUtf8(Utf8Prefix(out.target, 200)) +
                             "', which holds a blank, control character or '#'");
    }
  }
  for (size_t i = 0; i < action.headers.size(); ++i) {
    std::string value = ref.templates->headers[i].Render(m);
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < ' ' && c != '\t') || c == 0x7f) {
        return InvalidArgument("http header '" + action.headers[i].key +
                               "' rendered a value with a control character");
      }
    }
    out.headers.emplace_back(action.headers[i].key, std::move(value));
  }
  return out;
}

namespace {

// OK when MQTT can carry `text` as a UTF-8 Encoded String (spec 1.5.4: at most 65535
// bytes of well-formed UTF-8 without U+0000); else why not, naming the header `what`.
Status CheckMqttString(const std::string& what, const std::string& text) {
  if (text.size() > 65535) {
    return InvalidArgument("republish " + what + " rendered " + std::to_string(text.size()) +
                           " bytes, more than an MQTT string holds (65535)");
  }
  if (!mqtt::IsValidMqttUtf8(text)) {
    return InvalidArgument("republish " + what + " rendered '" +
                           PrintableUtf8(Utf8Prefix(text, 100)) +
                           "', which MQTT cannot carry: not UTF-8, or it holds U+0000");
  }
  return Status::Ok();
}

}  // namespace

Result<mqtt::Properties> CompiledRule::RepublishProperties(int action_index,
                                                         const MessageContext& m) const {
  TRY_ASSIGN(ActionRef ref, ActionOf(action_index, "republish"));
  expr::VariableBinding bind(variables_, m);
  const ActionTemplates* t = ref.templates;
  mqtt::Properties p;
  if (t->payload_format) {
    std::string name = t->payload_format->Render(m);
    if (!IsPayloadFormatName(name)) {
      return InvalidArgument("republish payloadFormatIndicator rendered '" +
                             PrintableUtf8(Utf8Prefix(name, 100)) +
                             "', which is neither UTF8_DATA nor UNSPECIFIED_BYTES");
    }
    p.payload_format_indicator = name == "UTF8_DATA" ? 1 : 0;
  }
  if (t->content_type) {
    std::string type = t->content_type->Render(m);
    TRY(CheckMqttString("contentType", type));
    p.content_type = std::move(type);
  }
  if (t->response_topic) {
    std::string topic = t->response_topic->Render(m);
    if (!mqtt::IsValidTopicName(topic)) {
      return InvalidArgument("republish responseTopic rendered '" + PrintableUtf8(topic) +
                             "', which is not a valid topic name");
    }
    p.response_topic = std::move(topic);
  }
  if (t->correlation_data) {
    std::string text = t->correlation_data->Render(m);
    Result<std::string> bytes = Base64Decode(text);
    if (!bytes.ok()) {
      return InvalidArgument("republish correlationData rendered '" +
                             PrintableUtf8(Utf8Prefix(text, 100)) +
                             "', which is not base64: " + bytes.status().message());
    }
    if (bytes->size() > 65535) {
      return InvalidArgument("republish correlationData rendered " + std::to_string(bytes->size()) +
                             " bytes, more than MQTT binary data holds (65535)");
    }
    p.correlation_data = std::move(*bytes);
  }
  if (t->message_expiry) {
    std::string text = t->message_expiry->Render(m);
    uint64_t seconds = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        seconds > 0xffffffffull) {
      return InvalidArgument("republish messageExpiry rendered '" +
                             PrintableUtf8(Utf8Prefix(text, 100)) +
                             "', which is not a number of seconds (0..4294967295)");
    }
    p.message_expiry_interval = static_cast<uint32_t>(seconds);
  }
  for (size_t i = 0; i < t->user_properties.size(); ++i) {
    const auto& [k, v] = t->user_properties[i];
    std::string key = k.Render(m);
    if (key.empty()) {
      return InvalidArgument("republish userProperties key template '" + k.text() +
                             "' rendered an empty key");
    }
    std::string value = v.Render(m);
    const std::string field = "userProperties[" + std::to_string(i) + "]";
    TRY(CheckMqttString(field + ".key", key));
    TRY(CheckMqttString(field + ".value", value));
    p.user_properties.emplace_back(std::move(key), std::move(value));
  }
  return p;
}

}  // namespace tributary::rules
