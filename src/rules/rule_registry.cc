#include "rules/rule_registry.h"

#include <algorithm>

#include "base/clock.h"
#include "base/log.h"
#include "rules/compiled_rule.h"
#include "rules/rule_metrics.h"

namespace tributary::rules {
namespace {

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE rules(
  name TEXT PRIMARY KEY,
  payload TEXT NOT NULL,          -- the topicRulePayload as the user wrote it
  disabled INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
)sql";

Result<std::shared_ptr<const CompiledRule>> Parse(
    const std::string& name, std::string_view text, RuleDefinition* def,
    std::shared_ptr<const RuleMetrics> metrics = nullptr) {
  TRY_ASSIGN(*def, ParseRuleDefinition(text));
  if (!def->name.empty() && def->name != name) {
    return InvalidArgument("ruleName '" + def->name + "' in the payload differs from the rule name '" +
                           name + "'");
  }
  def->name = name;
  return CompiledRule::Compile(*def, std::move(metrics));
}

// What can be shown of a stored payload that no longer parses or compiles: its SQL and
// description as stored, disabled, no actions.
RuleDefinition BrokenDefinition(const std::string& name, std::string_view text) {
  RuleDefinition def;
  def.name = name;
  def.disabled = true;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("topicRulePayload")) j = j["topicRulePayload"];
  if (j.is_object()) {
    if (auto it = j.find("sql"); it != j.end() && it->is_string()) def.sql = it->get<std::string>();
    if (auto it = j.find("description"); it != j.end() && it->is_string()) {
      def.description = it->get<std::string>();
    }
    if (auto it = j.find("actions"); it != j.end() && it->is_array()) def.actions_given = *it;
  }
  return def;
}

}  // namespace

Result<std::unique_ptr<RuleRegistry>> RuleRegistry::Open(metadata::Database* db,
                                                         RuleMetricsTable* metrics) {
  TRY(db->Migrate("rules", 1, kSchemaV1));
  std::unique_ptr<RuleRegistry> r(new RuleRegistry(db, metrics));
  // Before loading, so that no change another server makes is missed.
  TRY_ASSIGN(r->watch_, db->Watch("rules", [p = r.get()](const std::string& name) {
    if (Status st = p->Load(); !st.ok()) {
      Logger("rules")->error("rules not re-read after a change on another server (rule '{}'): {}",
                             name, st.ToString());
    }
  }));
  TRY(r->Load());
  return r;
}

Status RuleRegistry::Load() {
  // Held while reading too: a change made here meanwhile is not overwritten by older rows.
  std::lock_guard<std::mutex> lock(mu_);
  TRY_ASSIGN(auto rows, db_->Query("SELECT name, payload, disabled, created_at_ms, updated_at_ms "
                                   "FROM rules ORDER BY name"));
  std::vector<StoredRule> rules;
  std::vector<std::shared_ptr<const CompiledRule>> compiled_rules;
  // A rule held already (the same name, created at the same time) keeps its counters;
  // one new here, or deleted and made again on another server, starts its own.
  std::vector<const RuleMetrics*> kept;  // valid: `rules` holds them
  for (const auto& row : rows) {
    StoredRule rule;
    rule.name = row.Text(0);
    rule.created_at_ms = row.Int(3);
    rule.updated_at_ms = row.Int(4);
    auto held = std::find_if(rules_.begin(), rules_.end(), [&](const StoredRule& r) {
      return r.name == rule.name && r.created_at_ms == rule.created_at_ms;
    });
    rule.metrics = held != rules_.end() ? held->metrics : metrics_->Start(rule.name);
    kept.push_back(rule.metrics.get());
    auto compiled = Parse(rule.name, row.Text(1), &rule.definition, rule.metrics);
    if (!compiled.ok()) {
      // Kept out of the running set but not deleted: the user sees it in `rule list`
      // as disabled, with why, and can fix it with `rule replace`.
      Logger("rules")->error("stored rule {} does not compile and is not run: {}", rule.name,
                             compiled.status().message());
      rule.definition = BrokenDefinition(rule.name, row.Text(1));
      rule.error = "the stored rule does not compile: " + compiled.status().message();
      rules.push_back(std::move(rule));
      compiled_rules.push_back(nullptr);
      continue;
    }
    bool disabled = row.Int(2) != 0;
    if (disabled != rule.definition.disabled) {
      // `rule enable|disable` changed it after the payload was stored.
      rule.definition.disabled = disabled;
      compiled = CompiledRule::Compile(rule.definition, rule.metrics);
      if (!compiled.ok()) continue;
    }
    rules.push_back(std::move(rule));
    compiled_rules.push_back(*compiled);
  }
  // Rules deleted on another server.
  for (const StoredRule& r : rules_) {
    if (std::find(kept.begin(), kept.end(), r.metrics.get()) == kept.end()) {
      metrics_->Retire(r.metrics.get());
    }
  }
  rules_ = std::move(rules);
  compiled_ = std::move(compiled_rules);
  Rebuild();
  return Status::Ok();
}

Result<StoredRule> RuleRegistry::Create(const std::string& name, std::string_view payload_json) {
  return Store(name, payload_json, /*create=*/true);
}

Result<StoredRule> RuleRegistry::Replace(const std::string& name, std::string_view payload_json) {
  return Store(name, payload_json, /*create=*/false);
}

Result<StoredRule> RuleRegistry::Store(const std::string& name, std::string_view payload_json,
                                       bool create) {
  if (!IsValidRuleName(name)) {
    return InvalidArgument("rule name '" + name + "' must be 1-128 letters, digits or '_'");
  }
  StoredRule rule;
  rule.name = name;
  TRY_ASSIGN(auto compiled, Parse(name, payload_json, &rule.definition));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::lower_bound(rules_.begin(), rules_.end(), name,
                             [](const StoredRule& r, const std::string& n) { return r.name < n; });
  bool exists = it != rules_.end() && it->name == name;
  if (create && exists) return AlreadyExists("rule '" + name + "' already exists");
  if (!create && !exists) return NotFound("rule '" + name + "' does not exist");
  int64_t now = WallMillis();
  rule.created_at_ms = exists ? it->created_at_ms : now;
  rule.updated_at_ms = now;
  // The database decides, not this server's copy, which may lag another server's change
  // sharing it (until the change notice arrives): a name taken there is taken, a rule
  // deleted there is gone.
  if (create) {
    TRY_ASSIGN(
        int64_t added,
        db_->Exec("INSERT INTO rules(name, payload, disabled, created_at_ms, updated_at_ms) "
                  "VALUES(?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING",
                  {metadata::Value(name), metadata::Value(std::string(payload_json)),
                   metadata::Value(int64_t{rule.definition.disabled}),
                   metadata::Value(rule.created_at_ms), metadata::Value(rule.updated_at_ms)}));
    if (added == 0) return AlreadyExists("rule '" + name + "' already exists");
  } else {
    TRY_ASSIGN(
        int64_t changed,
        db_->Exec("UPDATE rules SET payload = ?, disabled = ?, updated_at_ms = ? WHERE name = ?",
                  {metadata::Value(std::string(payload_json)),
                   metadata::Value(int64_t{rule.definition.disabled}),
                   metadata::Value(rule.updated_at_ms), metadata::Value(name)}));
    if (changed == 0) return NotFound("rule '" + name + "' does not exist");
  }
  // Compiled again with its counters: a rule's own when replaced, a new set when created
  // (the name's earlier rule, deleted, may still be finishing an action).
  rule.metrics = exists ? it->metrics : metrics_->Start(name);
  TRY_ASSIGN(compiled, CompiledRule::Compile(rule.definition, rule.metrics));
  size_t index = static_cast<size_t>(it - rules_.begin());
  if (exists) {
    rules_[index] = rule;
    compiled_[index] = compiled;
  } else {
    rules_.insert(it, rule);
    compiled_.insert(compiled_.begin() + static_cast<std::ptrdiff_t>(index), compiled);
  }
  Rebuild();
  db_->Announce("rules", name);
  return rule;
}

Result<StoredRule> RuleRegistry::Get(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& r : rules_) {
    if (r.name == name) return r;
  }
  return NotFound("rule '" + name + "' does not exist");
}

std::vector<StoredRule> RuleRegistry::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rules_;
}

Status RuleRegistry::SetEnabled(const std::string& name, bool enabled) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].name != name) continue;
    const bool broken = !rules_[i].error.empty();
    if (broken && enabled) {
      return FailedPrecondition("rule '" + name + "' cannot be enabled: " + rules_[i].error +
                                "; replace it with a definition that compiles");
    }
    int64_t now = WallMillis();
    TRY_ASSIGN(int64_t changed,
               db_->Exec("UPDATE rules SET disabled = ?, updated_at_ms = ? WHERE name = ?",
                         {metadata::Value(int64_t{!enabled}), metadata::Value(now),
                          metadata::Value(name)}));
    if (changed == 0) return NotFound("rule '" + name + "' does not exist");  // deleted elsewhere
    rules_[i].definition.disabled = !enabled;
    rules_[i].updated_at_ms = now;
    if (broken) return Status::Ok();  // stays out of the running set
    RuleDefinition def = rules_[i].definition;
    TRY_ASSIGN(compiled_[i], CompiledRule::Compile(def, rules_[i].metrics));
    Rebuild();
    db_->Announce("rules", name);
    return Status::Ok();
  }
  return NotFound("rule '" + name + "' does not exist");
}

Status RuleRegistry::Delete(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].name != name) continue;
    TRY_ASSIGN(int64_t deleted,
               db_->Exec("DELETE FROM rules WHERE name = ?", {metadata::Value(name)}));
    // Its counters leave /metrics; what it still finishes counts into them, unseen, not
    // into a rule created again under the name.
    metrics_->Retire(rules_[i].metrics.get());
    rules_.erase(rules_.begin() + static_cast<std::ptrdiff_t>(i));
    compiled_.erase(compiled_.begin() + static_cast<std::ptrdiff_t>(i));
    Rebuild();
    if (deleted == 0) return NotFound("rule '" + name + "' does not exist");  // gone already
    db_->Announce("rules", name);
    return Status::Ok();
  }
  return NotFound("rule '" + name + "' does not exist");
}

Result<std::shared_ptr<const CompiledRule>> RuleRegistry::Compiled(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].name != name) continue;
    if (!compiled_[i]) return FailedPrecondition("rule '" + name + "': " + rules_[i].error);
    return compiled_[i];
  }
  return NotFound("rule '" + name + "' does not exist");
}

Result<std::shared_ptr<const CompiledRule>> RuleRegistry::CompileUnsaved(
    const std::string& name, std::string_view payload_json) {
  if (!IsValidRuleName(name)) {
    return InvalidArgument("rule name '" + name + "' must be 1-128 letters, digits or '_'");
  }
  RuleDefinition def;
  return Parse(name, payload_json, &def);
}

void RuleRegistry::Rebuild() { holder_.Replace(RuleSet::Build(compiled_)); }

nlohmann::json ToJson(const RuleAction& action) {
  if (const auto* fh = std::get_if<FirehoseAction>(&action)) {
    nlohmann::json out = {{"deliveryStreamName", fh->delivery_stream_name},
                          {"batchMode", fh->batch_mode}};
    if (!fh->separator.empty()) out["separator"] = fh->separator;  // none: records as they are
    return {{"firehose", out}};
  }
  if (const auto* s3 = std::get_if<S3Action>(&action)) {
    return {{"s3", {{"bucketName", s3->bucket_name}, {"key", s3->key}}}};
  }
  if (const auto* http = std::get_if<HttpAction>(&action)) {
    nlohmann::json headers = nlohmann::json::array();
    for (const HttpHeader& h : http->headers) headers.push_back({{"key", h.key}, {"value", h.value}});
    return {{"http", {{"url", http->url}, {"headers", headers}}}};
  }
  const auto& rp = std::get<RepublishAction>(action);
  nlohmann::json out = {{"topic", rp.topic}, {"qos", rp.qos}};
  if (!rp.headers.empty()) {
    const RepublishHeaders& h = rp.headers;
    nlohmann::json headers = nlohmann::json::object();
    auto set = [&](const char* key, const std::string& v) {
      if (!v.empty()) headers[key] = v;
    };
    set("payloadFormatIndicator", h.payload_format);
    set("contentType", h.content_type);
    set("responseTopic", h.response_topic);
    set("correlationData", h.correlation_data);
    set("messageExpiry", h.message_expiry);
    if (!h.user_properties.empty()) {
      nlohmann::json props = nlohmann::json::array();
      for (const auto& [k, v] : h.user_properties) props.push_back({{"key", k}, {"value", v}});
      headers["userProperties"] = props;
    }
    out["headers"] = headers;
  }
  return {{"republish", out}};
}

nlohmann::json ToJson(const StoredRule& rule, const RuleMetrics* metrics) {
  const RuleDefinition& d = rule.definition;
  nlohmann::json actions = d.actions_given;
  if (!actions.is_array()) {
    actions = nlohmann::json::array();
    for (const auto& a : d.actions) actions.push_back(ToJson(a));
  }
  nlohmann::json j = {{"ruleName", rule.name},
                      {"sql", d.sql},
                      {"description", d.description},
                      {"ruleDisabled", d.disabled},
                      {"awsIotSqlVersion", d.sql_version},
                      {"actions", actions},
                      {"createdAt", FormatIso8601Millis(rule.created_at_ms)},
                      {"updatedAt", FormatIso8601Millis(rule.updated_at_ms)}};
  if (!rule.error.empty()) j["error"] = rule.error;
  if (d.error_action) {
    j["errorAction"] =
        d.error_action_given.is_object() ? d.error_action_given : ToJson(*d.error_action);
  }
  if (metrics != nullptr) {
    j["metrics"] = {{"matched", metrics->matched->Value()},
                    {"errors", metrics->errors->Value()},
                    {"actionFailures", metrics->action_failures->Value()},
                    {"errorActionFailures", metrics->error_action_failures->Value()}};
  }
  return j;
}

}  // namespace tributary::rules
