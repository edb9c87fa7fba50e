#include "rules/rule_set.h"

#include <algorithm>

namespace tributary::rules {

std::shared_ptr<const RuleSet> RuleSet::Build(
    std::vector<std::shared_ptr<const CompiledRule>> rules) {
  auto set = std::shared_ptr<RuleSet>(new RuleSet());
  for (auto& r : rules) {
    if (!r || r->definition().disabled) continue;
    set->rules_.push_back(std::move(r));
  }
  for (size_t i = 0; i < set->rules_.size(); ++i) {
    // A rule without FROM is reached by Basic Ingest alone (Find), never by a topic.
    if (!set->rules_[i]->topic_filter().empty()) set->Insert(set->rules_[i]->topic_filter(), i);
    set->by_name_.emplace(set->rules_[i]->name(), i);
  }
  return set;
}

const CompiledRule* RuleSet::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : rules_[it->second].get();
}

void RuleSet::Insert(std::string_view filter, size_t rule_index) {
  TrieNode* node = &root_;
  while (true) {
    size_t slash = filter.find('/');
    std::string_view level = filter.substr(0, slash);
    if (level == "#") {
      node->hash_rules.push_back(rule_index);
      return;
    }
    std::unique_ptr<TrieNode>* next;
    if (level == "+") {
      next = &node->plus;
    } else {
      auto it = node->children.find(level);
      if (it == node->children.end()) {
        it = node->children.emplace(std::string(level), nullptr).first;
      }
      next = &it->second;
    }
    if (!*next) *next = std::make_unique<TrieNode>();
    node = next->get();
    if (slash == std::string_view::npos) {
      node->end_rules.push_back(rule_index);
      return;
    }
    filter.remove_prefix(slash + 1);
  }
}

// `rest` is the part of the topic not yet matched; `at_end` is true when every level has
// been consumed (an empty `rest` can still be one empty level, as in "a/").
void RuleSet::Walk(const TrieNode& node, std::string_view rest, bool at_end, bool first_level,
                   std::vector<size_t>* out) const {
  bool dollar = first_level && !rest.empty() && rest[0] == '$';
  // '#' matches the parent level too ("a/#" matches "a"), but never a leading '$' level.
  if (!dollar) out->insert(out->end(), node.hash_rules.begin(), node.hash_rules.end());
  if (at_end) {
    out->insert(out->end(), node.end_rules.begin(), node.end_rules.end());
    return;
  }
  size_t slash = rest.find('/');
  std::string_view level = rest.substr(0, slash);
  bool last = slash == std::string_view::npos;
  std::string_view next_rest = last ? std::string_view() : rest.substr(slash + 1);
  if (auto it = node.children.find(level); it != node.children.end()) {
    Walk(*it->second, next_rest, last, false, out);
  }
  if (node.plus && !dollar) Walk(*node.plus, next_rest, last, false, out);
}

void RuleSet::Match(std::string_view topic, std::vector<const CompiledRule*>* out) const {
  // Called for every PUBLISH: the hit list is one buffer per thread, and one hit (the
  // usual case) needs no sorting.
  thread_local std::vector<size_t> hits;
  hits.clear();
  Walk(root_, topic, false, true, &hits);
  if (hits.size() > 1) {
    std::sort(hits.begin(), hits.end());
    hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  }
  for (size_t i : hits) out->push_back(rules_[i].get());
}

const std::shared_ptr<const RuleSet>& RuleSetHolder::GetCached() const {
  struct Cached {
    uint64_t version = 0;
    std::shared_ptr<const RuleSet> set;
  };
  thread_local Cached cached;
  // Read the version first: a Replace between the two loads leaves an older version
  // with the newer set, which only costs one extra reload.
  uint64_t version = version_.load(std::memory_order_acquire);
  if (cached.version != version) {
    cached.set = Get();
    cached.version = version;
  }
  return cached.set;
}

std::vector<RuleResult> RuleSet::Evaluate(const MessageContext& m) const {
  std::vector<const CompiledRule*> matched;
  Match(m.topic, &matched);
  std::vector<RuleResult> results;
  results.reserve(matched.size());
  for (const CompiledRule* r : matched) results.push_back(RuleResult{r, r->Evaluate(m)});
  return results;
}

}  // namespace tributary::rules
