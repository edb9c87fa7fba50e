#include "rules/rule_metrics.h"

namespace tributary::rules {

RuleMetricsTable::RuleMetricsTable(MetricsRegistry* registry)
    : registry_(registry),
      basic_ingest_dropped_(registry->NewCounter("tributary_rules_basic_ingest_dropped_total",
                                                 "Basic Ingest messages ($aws/rules/<rule>/...) "
                                                 "whose rule does not exist or is disabled")),
      loop_dropped_(registry->NewCounter("tributary_rules_loop_dropped_total",
                                         "Messages not given to the rules because more than 8 "
                                         "rules' republishes led to them (a loop)")) {}

const RuleMetrics* RuleMetricsTable::Start(const std::string& rule) {
  std::lock_guard<std::mutex> lock(mu_);
  RemoveShown(rule);
  auto m = std::make_unique<RuleMetrics>();
  m->rule = rule;
  m->failure_log = std::make_unique<LogThrottle>();
  Labels labels{{"rule", rule}};
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
  shown_[rule] = m.get();
  all_.push_back(std::move(m));
  return all_.back().get();
}

void RuleMetricsTable::Retire(const RuleMetrics* metrics) {
  if (metrics == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = shown_.find(metrics->rule);
  if (it == shown_.end() || it->second != metrics) return;  // a newer set is shown
  RemoveShown(metrics->rule);
}

void RuleMetricsTable::RemoveShown(const std::string& rule) {
  if (shown_.erase(rule) == 0) return;
  // Only the per-rule families carry a "rule" label under this prefix.
  removed_.push_back(registry_->RemoveSeries("tributary_rule_", {{"rule", rule}}));
}

}  // namespace tributary::rules
