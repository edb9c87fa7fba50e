#include "broker/due_ids.h"

namespace tributary::broker {

void DueIds::Set(const std::string& id, int64_t due_ms) {
  auto [it, added] = due_of_.try_emplace(id, due_ms);
  if (!added) {
    if (it->second == due_ms) return;
    by_due_.erase({it->second, id});
    it->second = due_ms;
  }
  by_due_.emplace(due_ms, id);
}

void DueIds::Clear(const std::string& id) {
  auto it = due_of_.find(id);
  if (it == due_of_.end()) return;
  by_due_.erase({it->second, id});
  due_of_.erase(it);
}

std::vector<std::string> DueIds::TakeDue(int64_t now_ms) {
  std::vector<std::string> due;
  while (!by_due_.empty() && by_due_.begin()->first <= now_ms) {
    auto node = by_due_.extract(by_due_.begin());
    due_of_.erase(node.value().second);
    due.push_back(std::move(node.value().second));
  }
  return due;
}

}  // namespace tributary::broker
