#include "rules/rule_metrics.h"

namespace tributary::rules {

RuleMetricsTable::RuleMetricsTable(MetricsRegistry* registry)
    : registry_(registry),
      basic_ingest_dropped_(registry->NewCounter("tributary_rules_basic_ingest_dropped_total",
                                                 "Basic Ingest messages ($aws/rules/<rule>/...) "
                                                 "whose rule does not exist or is disabled")),
      loop_dropped_(registry->NewCounter("tributary_rules_loop_dropped_total",
                                         "Messages not given to the rules because more than 8 "
                                         "rules' republishes led to them (a loop)")),
      held_(std::make_shared<Held>()) {}

RuleMetricsTable::~RuleMetricsTable() {
  // The shown sets' series stay in the registry, which owns them; sets still held
  // elsewhere keep pointing at them.
  std::lock_guard<std::mutex> lock(mu_);
  shown_.clear();
}

std::shared_ptr<const RuleMetrics> RuleMetricsTable::Start(const std::string& rule) {
  std::lock_guard<std::mutex> lock(mu_);
  RemoveShown(rule);
  Labels labels{{"rule", rule}};
  // Its deleter forgets it (held_ outlives the table for it) and frees it with its
  // retired series.
  std::shared_ptr<RuleMetrics> m(new RuleMetrics(), [held = held_](RuleMetrics* gone) {
    {
      std::lock_guard<std::mutex> l(held->mu);
      held->sets.erase(gone->incarnation);
    }
    delete gone;
  });
  m->rule = rule;
  m->failure_log = std::make_unique<LogThrottle>();
  m->matched = registry_->NewCounter("tributary_rule_matched_total",
                                     "Messages a topic rule selected", labels);
  m->errors = registry_->NewCounter(
      "tributary_rule_errors_total",
      "Messages a topic rule's evaluation failed on (its SQL; action failures are counted apart)",
      labels);
  m->action_failures = registry_->NewCounter("tributary_rule_action_failures_total",
                                             "Rule actions that failed", labels);
  m->error_action_failures = registry_->NewCounter(
      "tributary_rule_error_action_failures_total",
      "Error documents a topic rule's error action could not send or store", labels);
  {
    std::lock_guard<std::mutex> l(held_->mu);
    m->incarnation = ++held_->last_incarnation;
    held_->sets[m->incarnation] = m;
  }
  shown_[rule] = m;
  return m;
}

void RuleMetricsTable::Retire(const RuleMetrics* metrics) {
  if (metrics == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = shown_.find(metrics->rule);
  if (it == shown_.end() || it->second.get() != metrics) return;  // a newer set is shown
  RemoveShown(metrics->rule);
}

std::shared_ptr<const RuleMetrics> RuleMetricsTable::Find(uint64_t incarnation) const {
  std::lock_guard<std::mutex> lock(held_->mu);
  auto it = held_->sets.find(incarnation);
  return it == held_->sets.end() ? nullptr : it->second.lock();
}

size_t RuleMetricsTable::sets_held() const {
  std::lock_guard<std::mutex> lock(held_->mu);
  return held_->sets.size();
}

void RuleMetricsTable::RemoveShown(const std::string& rule) {
  auto it = shown_.find(rule);
  if (it == shown_.end()) return;
  // Only the per-rule families carry a "rule" label under this prefix. The series go with
  // the set: counts of its work still under way land in them, unseen. Letting the set go
  // here (its deleter takes held_->mu, never mu_) frees it if nothing else holds it.
  it->second->retired_series = registry_->RemoveSeries("tributary_rule_", {{"rule", rule}});
  shown_.erase(it);
}

}  // namespace tributary::rules
