#include "broker/session_expiries.h"

namespace tributary::broker {

void SessionExpiries::Set(const std::string& client_id, int64_t due_ms) {
  auto [it, added] = due_of_.try_emplace(client_id, due_ms);
  if (!added) {
    if (it->second == due_ms) return;
    by_due_.erase({it->second, client_id});
    it->second = due_ms;
  }
  by_due_.emplace(due_ms, client_id);
}

void SessionExpiries::Clear(const std::string& client_id) {
  auto it = due_of_.find(client_id);
  if (it == due_of_.end()) return;
  by_due_.erase({it->second, client_id});
  due_of_.erase(it);
}

std::vector<std::string> SessionExpiries::TakeDue(int64_t now_ms) {
  std::vector<std::string> due;
  while (!by_due_.empty() && by_due_.begin()->first <= now_ms) {
    auto node = by_due_.extract(by_due_.begin());
    due_of_.erase(node.value().second);
    due.push_back(std::move(node.value().second));
  }
  return due;
}

}  // namespace tributary::broker
