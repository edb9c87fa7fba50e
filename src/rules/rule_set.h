// RuleSet: the enabled rules at one moment, indexed by their FROM topic filters in a
// trie of topic levels, so finding the rules for a message costs a walk over the
// topic's levels rather than one TopicMatches per rule.
//
// A RuleSet is immutable: Match and Evaluate may run on any number of threads. When
// rules change, build a new RuleSet and swap it into the RuleSetHolder; evaluations
// in flight keep the old one alive through their shared_ptr.
//
//   holder.Replace(RuleSet::Build(compiled_rules));           // admin thread
//   auto set = holder.Get();                                  // broker thread
//   for (const RuleResult& r : set->Evaluate(message)) ...
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ids.h"
#include "base/status.h"
#include "rules/compiled_rule.h"

namespace tributary::rules {

// What one matching rule made of one message.
struct RuleResult {
  const CompiledRule* rule;  // valid while the RuleSet is held
  Result<std::optional<OutputRecord>> output;
};

class RuleSet {
 public:
  // Disabled rules are left out. Rules keep the order given (results come in it).
  static std::shared_ptr<const RuleSet> Build(
      std::vector<std::shared_ptr<const CompiledRule>> rules);

  size_t size() const { return rules_.size(); }
  const std::vector<std::shared_ptr<const CompiledRule>>& rules() const { return rules_; }

  // Appends the rules whose filter matches `topic`, in rule order.
  void Match(std::string_view topic, std::vector<const CompiledRule*>* out) const;
  // The enabled rule named `name` (Basic Ingest names its rule), or null.
  const CompiledRule* Find(std::string_view name) const;

  // Matches and evaluates every rule for `m`; the payload is parsed at most once.
  std::vector<RuleResult> Evaluate(const MessageContext& m) const;

 private:
  struct TrieNode {
    std::map<std::string, std::unique_ptr<TrieNode>, std::less<>> children;
    std::unique_ptr<TrieNode> plus;   // '+'
    std::vector<size_t> hash_rules;   // filters ending in '#' here
    std::vector<size_t> end_rules;    // filters ending exactly here
  };
  void Insert(std::string_view filter, size_t rule_index);
  void Walk(const TrieNode& node, std::string_view rest, bool at_end, bool first_level,
            std::vector<size_t>* out) const;

  std::vector<std::shared_ptr<const CompiledRule>> rules_;
  std::map<std::string, size_t, std::less<>> by_name_;  // index into rules_
  TrieNode root_;
};

// The current RuleSet, swapped atomically. Thread-safe.
class RuleSetHolder {
 public:
  RuleSetHolder() : current_(RuleSet::Build({})), version_(NextProcessUniqueId()) {}
  std::shared_ptr<const RuleSet> Get() const { return current_.load(std::memory_order_acquire); }
  // Get() for the publish path: the set is kept per thread and loaded again only after a
  // Replace, so the shared count is not touched per message. The reference is valid
  // until this thread's next GetCached(); copy it to keep the set longer.
  const std::shared_ptr<const RuleSet>& GetCached() const;
  void Replace(std::shared_ptr<const RuleSet> next) {
    current_.store(std::move(next), std::memory_order_release);
    version_.store(NextProcessUniqueId(), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const RuleSet>> current_;
  // Unique in the process, so one holder's cached set is never taken for another's.
  std::atomic<uint64_t> version_;
};

}  // namespace tributary::rules
