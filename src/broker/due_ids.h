// Ids by the time they are due, so that the broker finds those due without walking
// everything it holds: the detached sessions that expire (a connected one, or one that
// never expires, has no entry), and the wills whose publication is delayed.
//
// Not thread-safe: its owner keeps it under its own lock.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tributary::broker {

class DueIds {
 public:
  // `id` is due at `due_ms`; replaces an earlier time.
  void Set(const std::string& id, int64_t due_ms);
  // `id` is no longer due (a session attached again or removed, a will cancelled). No-op
  // without an entry.
  void Clear(const std::string& id);
  // Removes and returns the ids due at `now_ms` or before, soonest first.
  std::vector<std::string> TakeDue(int64_t now_ms);
  // When `id` is due, if it has an entry.
  std::optional<int64_t> Due(const std::string& id) const {
    auto it = due_of_.find(id);
    if (it == due_of_.end()) return std::nullopt;
    return it->second;
  }
  size_t size() const { return due_of_.size(); }

 private:
  std::set<std::pair<int64_t, std::string>> by_due_;
  std::unordered_map<std::string, int64_t> due_of_;
};

}  // namespace tributary::broker
