// RuleRegistry: the topic rules users created (AWS IoT CreateTopicRule and friends),
// kept in the metadata database (component "rules") and compiled into the RuleSet the
// RulesEngine runs. Every change rebuilds the RuleSet and swaps it in at once; messages
// being evaluated finish on the set they started with.
//
// Several servers sharing one PostgreSQL schema: each change is announced
// (Database::Announce, topic "rules"), and a change another server announces re-reads
// every rule and swaps the new set in.
//
// Thread-safety: every method may be called from any thread (one mutex serialises
// changes; the RuleSetHolder is lock-free for readers).
//
//   TRY_ASSIGN(auto rules, RuleRegistry::Open(db, &metrics_table));
//   TRY(rules->Create("to_lake", R"({"topicRulePayload": {"sql": "SELECT * FROM 'd/#'", ...}})"));
//   RulesEngine engine(rules->rule_set(), sink, publish, &metrics_table);
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "metadata/database.h"
#include "rules/rule_definition.h"
#include "rules/rule_set.h"

namespace tributary::rules {

struct RuleMetrics;
class RuleMetricsTable;

struct StoredRule {
  std::string name;
  RuleDefinition definition;  // definition.disabled is the current state
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  // Why a stored rule is not run: it no longer compiles (a server that checks more than
  // the one that stored it). Listed as disabled, with this; it can be replaced, disabled
  // or deleted, not enabled. Empty for a rule that runs.
  std::string error;
  // This incarnation's counters (RuleMetricsTable::Start when it was created or first
  // read), which its compiled form counts into.
  std::shared_ptr<const RuleMetrics> metrics;
};

class RuleRegistry {
 public:
  // Each rule created or read gets its counters from `metrics` (which must outlive the
  // registry); a deleted rule's are retired.
  static Result<std::unique_ptr<RuleRegistry>> Open(metadata::Database* db,
                                                    RuleMetricsTable* metrics);

  // `payload_json` is the CreateTopicRule body ({"topicRulePayload": {...}}, or the inner
  // object). Its SQL is compiled before anything is stored, so a rule that is stored
  // runs. A "ruleName" in the body must equal `name`.
  Result<StoredRule> Create(const std::string& name, std::string_view payload_json);
  // ReplaceTopicRule: a new definition for an existing rule.
  Result<StoredRule> Replace(const std::string& name, std::string_view payload_json);
  Result<StoredRule> Get(const std::string& name) const;
  // The compiled form of rule `name` as it runs now.
  Result<std::shared_ptr<const CompiledRule>> Compiled(const std::string& name) const;
  // Parses and compiles a CreateTopicRule payload as rule `name` without storing it (to
  // try it first); errors as Create's.
  static Result<std::shared_ptr<const CompiledRule>> CompileUnsaved(const std::string& name,
                                                                    std::string_view payload_json);
  std::vector<StoredRule> List() const;
  Status SetEnabled(const std::string& name, bool enabled);
  Status Delete(const std::string& name);

  const RuleSetHolder* rule_set() const { return &holder_; }

 private:
  RuleRegistry(metadata::Database* db, RuleMetricsTable* metrics) : db_(db), metrics_(metrics) {}
  Status Load();  // every rule from the database, replacing what is held
  Result<StoredRule> Store(const std::string& name, std::string_view payload_json, bool create);
  void Rebuild();  // mu_ held

  metadata::Database* db_;
  RuleMetricsTable* metrics_;
  mutable std::mutex mu_;
  std::vector<StoredRule> rules_;  // by name
  std::vector<std::shared_ptr<const CompiledRule>> compiled_;  // same order
  RuleSetHolder holder_;
  std::unique_ptr<metadata::ChangeWatch> watch_;  // last: dropped first
};

// The AWS GetTopicRule shape: ruleName, sql, description, ruleDisabled,
// awsIotSqlVersion, actions, errorAction, createdAt (ISO 8601) — plus, when `metrics`
// is given, {"metrics": {"matched", "errors", "actionFailures"}}.
nlohmann::json ToJson(const StoredRule& rule, const RuleMetrics* metrics = nullptr);
nlohmann::json ToJson(const RuleAction& action);

}  // namespace tributary::rules
