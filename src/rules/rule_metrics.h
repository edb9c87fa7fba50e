// Per-rule counters (matched, errors, action failures, error action failures) shown at
// /metrics with the label rule="<name>", and the rules' counters of dropped messages.
//
// Each incarnation of a rule (created, or first read from the database) gets its own set
// from Start, which the RuleRegistry gives its CompiledRule: what the rule's actions
// report later (an http request retrying, an error action's record) counts into that
// set, never into a rule created anew under the same name. /metrics shows the name's
// newest set; a deleted rule's leaves it (Retire).
//
// A set lives as long as something holds it: the table while it is shown, the registry
// and the compiled rule while the rule exists, and whatever of the rule's work is still
// under way (a callback holds the set, or the rule set that holds its compiled rule).
// Once a retired set is let go it is freed, its series with it: a server whose rules are
// created and deleted all day keeps the sets of its rules and of their work in flight,
// not of every rule it ever had. A path that must not touch a shared reference count per
// message (the single firehose action) keeps the set's `incarnation` instead and looks
// the set up only when it has something to count (Find); a set gone by then was retired
// and is off /metrics, so there is no one to count for.
//
// Counters never go backwards while their series is shown: a shown set is the one its
// series were registered for, and it is freed only after it left /metrics. A rule created
// again under a name starts a new series from zero (Prometheus reads a counter reset); a
// deleted rule's series disappear.
//
// Thread-safety: every method may be called from any thread; the counters are lock-free.
// A set may be let go on any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/log_throttle.h"
#include "base/metrics.h"

namespace tributary::rules {

// Counters of one incarnation of a rule, valid as long as the set is held.
struct RuleMetrics {
  std::string rule;
  uint64_t incarnation = 0;                  // unique in the process (RuleMetricsTable::Find)
  Counter* matched = nullptr;                // messages the rule's WHERE accepted
  Counter* errors = nullptr;                 // messages the rule's evaluation failed on
  Counter* action_failures = nullptr;        // action attempts that failed
  Counter* error_action_failures = nullptr;  // error documents not sent or stored
  // The rule's action failures are logged at warn through this, at most once a second
  // per rule (one rule's flood neither fills the log nor hides another rule's failures).
  std::unique_ptr<LogThrottle> failure_log;
  // Once the set has left /metrics: its series (where the counters above live), taken
  // out of the registry. The table sets it; it goes with the set.
  std::shared_ptr<void> retired_series;
};

class RuleMetricsTable {
 public:
  explicit RuleMetricsTable(MetricsRegistry* registry);
  ~RuleMetricsTable();
  RuleMetricsTable(const RuleMetricsTable&) = delete;
  RuleMetricsTable& operator=(const RuleMetricsTable&) = delete;

  // A new set, from zero, for a rule created (or read from the database) as `rule`; it
  // takes the place of the name's earlier set at /metrics (Prometheus reads a counter
  // reset). The earlier set stays valid, unshown, for as long as it is held (what the
  // earlier rule still finishes).
  std::shared_ptr<const RuleMetrics> Start(const std::string& rule);
  // The rule of `metrics` was deleted: its counters leave /metrics, unless a newer set
  // of the name already took their place. They stay valid while the set is held.
  void Retire(const RuleMetrics* metrics);
  // The set of that incarnation if anything still holds it, else null.
  std::shared_ptr<const RuleMetrics> Find(uint64_t incarnation) const;
  // How many sets are held (shown, or retired and held by work in flight).
  size_t sets_held() const;

  // Basic Ingest messages that named a rule which does not exist or is disabled.
  Counter* basic_ingest_dropped() const { return basic_ingest_dropped_; }
  // Messages the rules did not see for being more than kMaxRuleHops republishes deep.
  Counter* loop_dropped() const { return loop_dropped_; }

 private:
  // Every set held, by incarnation: shared with the sets' deleters, which may run after
  // the table is gone.
  struct Held {
    mutable std::mutex mu;
    std::unordered_map<uint64_t, std::weak_ptr<const RuleMetrics>> sets;
    uint64_t last_incarnation = 0;
  };
  // Takes the series of `rule`'s shown set off /metrics; the set is no longer held here.
  // mu_ held.
  void RemoveShown(const std::string& rule);

  MetricsRegistry* registry_;
  Counter* basic_ingest_dropped_;
  Counter* loop_dropped_;
  const std::shared_ptr<Held> held_;
  std::mutex mu_;                                                        // taken before held_->mu
  std::unordered_map<std::string, std::shared_ptr<RuleMetrics>> shown_;  // by rule name
};

}  // namespace tributary::rules
