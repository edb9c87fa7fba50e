// The detached sessions that expire, by the time they are due, so that the broker finds
// those due without walking every session: a session that never expires (MQTT 3.1.1's
// persistent ones) or is connected has no entry.
//
// Not thread-safe: BrokerCore keeps it under its sessions lock.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tributary::broker {

class SessionExpiries {
 public:
  // The session of `client_id` is due at `due_ms`; replaces an earlier time.
  void Set(const std::string& client_id, int64_t due_ms);
  // It no longer expires (it was attached again, or removed). No-op without an entry.
  void Clear(const std::string& client_id);
  // Removes and returns the ids due at `now_ms` or before, soonest first.
  std::vector<std::string> TakeDue(int64_t now_ms);
  size_t size() const { return due_of_.size(); }

 private:
  std::set<std::pair<int64_t, std::string>> by_due_;
  std::unordered_map<std::string, int64_t> due_of_;
};

}  // namespace tributary::broker
