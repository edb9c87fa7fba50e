#include "broker/retained_store.h"

#include "mqtt/topic.h"

namespace tributary::broker {

void RetainedStore::Apply(const MessagePtr& msg) {
  std::lock_guard<std::mutex> lock(mu_);
  // A message that arrived before the one retained now, or before the topic's last clear
  // (its verdict came back later), does not replace it.
  if (auto it = messages_.find(msg->topic); it != messages_.end() && it->second->seq > msg->seq)
    return;
  if (auto it = cleared_.find(msg->topic); it != cleared_.end() && it->second > msg->seq) return;
  if (msg->payload.empty()) {
    messages_.erase(msg->topic);
    if (msg->seq != 0) {
      cleared_.insert_or_assign(msg->topic, msg->seq);
      clears_.push_back({msg->received_at_ms, msg->seq, msg->topic});
    }
  } else {
    messages_.insert_or_assign(msg->topic, msg);
  }
  changed_.insert(msg->topic);
  while (!clears_.empty() && (clears_.size() > kMaxClearsKept ||
                              clears_.front().at_ms < msg->received_at_ms - kClearKeptMs)) {
    Clear& c = clears_.front();
    if (auto it = cleared_.find(c.topic); it != cleared_.end() && it->second == c.seq) {
      cleared_.erase(it);
    }
    clears_.pop_front();
  }
}

void RetainedStore::Load(const MessagePtr& msg) {
  std::lock_guard<std::mutex> lock(mu_);
  messages_.insert_or_assign(msg->topic, msg);
}

std::vector<MessagePtr> RetainedStore::Match(std::string_view filter, int64_t now_ms) const {
  std::vector<MessagePtr> out;
  std::lock_guard<std::mutex> lock(mu_);
  bool wildcard = filter.find_first_of("+#") != std::string_view::npos;
  if (!wildcard) {
    auto it = messages_.find(filter);
    if (it != messages_.end() && !it->second->Expired(now_ms)) out.push_back(it->second);
    return out;
  }
  for (const auto& [topic, msg] : messages_) {
    if (!msg->Expired(now_ms) && mqtt::TopicMatches(filter, topic)) out.push_back(msg);
  }
  return out;
}

MessagePtr RetainedStore::Get(const std::string& topic) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = messages_.find(topic);
  return it == messages_.end() ? nullptr : it->second;
}

size_t RetainedStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return messages_.size();
}

std::vector<std::pair<std::string, MessagePtr>> RetainedStore::TakeChanges() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, MessagePtr>> out;
  out.reserve(changed_.size());
  for (const auto& topic : changed_) {
    auto it = messages_.find(topic);
    out.emplace_back(topic, it == messages_.end() ? nullptr : it->second);
  }
  changed_.clear();
  return out;
}

std::vector<MessagePtr> RetainedStore::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<MessagePtr> out;
  for (const auto& [topic, msg] : messages_) out.push_back(msg);
  return out;
}

}  // namespace tributary::broker
