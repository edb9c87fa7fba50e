// Per-rule counters (matched, errors, action failures, error action failures) shown at
// /metrics with the label rule="<name>", and the rules' counters of dropped messages.
//
// Each incarnation of a rule (created, or first read from the database) gets its own set
// from Start, which the RuleRegistry gives its CompiledRule: what the rule's actions
// report later (an http request retrying, an error action's record) counts into that
// set, never into a rule created anew under the same name. /metrics shows the name's
// newest set; a deleted rule's leaves it (Retire).
//
// Thread-safety: Start and Retire may be called from any thread; the counters are
// lock-free.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/log_throttle.h"
#include "base/metrics.h"

namespace tributary::rules {

// Counters of one incarnation of a rule, valid for the process's life.
struct RuleMetrics {
  std::string rule;
  Counter* matched = nullptr;                // messages the rule's WHERE accepted
  Counter* errors = nullptr;                 // messages the rule's evaluation failed on
  Counter* action_failures = nullptr;        // action attempts that failed
  Counter* error_action_failures = nullptr;  // error documents not sent or stored
  // The rule's action failures are logged at warn through this, at most once a second
  // per rule (one rule's flood neither fills the log nor hides another rule's failures).
  std::unique_ptr<LogThrottle> failure_log;
};

class RuleMetricsTable {
 public:
  explicit RuleMetricsTable(MetricsRegistry* registry);

  // A new set, from zero, for a rule created (or read from the database) as `rule`; it
  // takes the place of the name's earlier set at /metrics (Prometheus reads a counter
  // reset). The earlier set stays valid, unshown, for what the earlier rule still
  // finishes. Kept for the process's life (a few hundred bytes per rule created).
  const RuleMetrics* Start(const std::string& rule);
  // The rule of `metrics` was deleted: its counters leave /metrics, unless a newer set
  // of the name already took their place. They stay valid.
  void Retire(const RuleMetrics* metrics);

  // Basic Ingest messages that named a rule which does not exist or is disabled.
  Counter* basic_ingest_dropped() const { return basic_ingest_dropped_; }
  // Messages the rules did not see for being more than kMaxRuleHops republishes deep.
  Counter* loop_dropped() const { return loop_dropped_; }

 private:
  // Takes the series of `rule`'s shown set off /metrics. mu_ held.
  void RemoveShown(const std::string& rule);

  MetricsRegistry* registry_;
  Counter* basic_ingest_dropped_;
  Counter* loop_dropped_;
  std::mutex mu_;
  std::vector<std::unique_ptr<RuleMetrics>> all_;              // every set handed out
  std::vector<std::shared_ptr<void>> removed_;                 // keeps retired series' counters
  std::unordered_map<std::string, const RuleMetrics*> shown_;  // by rule name
};

}  // namespace tributary::rules
