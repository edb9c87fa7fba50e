#include "broker/retained_store.h"

#include "mqtt/topic.h"

namespace tributary::broker {

namespace {

uint64_t Footprint(const Message& m) { return m.topic.size() + m.payload.size(); }

}  // namespace

RetainRefusal RetainedStore::Apply(const MessagePtr& msg, bool counted) {
  std::lock_guard<std::mutex> lock(mu_);
  // A message that arrived before the one retained now, or before the topic's last clear
  // (its verdict came back later), does not replace it.
  if (auto it = messages_.find(msg->topic); it != messages_.end() && it->second->seq > msg->seq)
    return RetainRefusal::kNone;
  if (auto it = cleared_.find(msg->topic); it != cleared_.end() && it->second > msg->seq) {
    return RetainRefusal::kNone;
  }
  if (msg->payload.empty()) {
    Remove(msg->topic);
    if (msg->seq != 0) {
      cleared_.insert_or_assign(msg->topic, msg->seq);
      clears_.push_back({msg->received_at_ms, msg->seq, msg->topic});
    }
  } else {
    if (RetainRefusal why =
            counted ? CheckLocked(msg->topic, msg->payload.size(), msg->origin_client_id)
                    : RetainRefusal::kNone;
        why != RetainRefusal::kNone) {
      return why;
    }
    Put(msg, counted);
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
  return RetainRefusal::kNone;
}

RetainRefusal RetainedStore::Check(std::string_view topic, size_t payload_bytes,
                                   std::string_view client_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return CheckLocked(topic, payload_bytes, client_id);
}

RetainRefusal RetainedStore::CheckLocked(std::string_view topic, size_t payload_bytes,
                                         std::string_view client_id) const {
  if (payload_bytes == 0) return RetainRefusal::kNone;  // a clear
  if (limits_.max_payload_bytes != 0 && payload_bytes > limits_.max_payload_bytes) {
    return RetainRefusal::kPayloadTooLarge;
  }
  auto it = messages_.find(topic);
  const Message* now = it != messages_.end() && Counted(topic) ? it->second.get() : nullptr;
  const uint64_t held = now != nullptr ? Footprint(*now) : 0;
  const uint64_t wanted = topic.size() + payload_bytes;
  if (now == nullptr && limits_.max_messages != 0 &&
      messages_.size() - uncounted_.size() >= limits_.max_messages) {
    return RetainRefusal::kStoreFull;
  }
  // Only growth is refused: a store over its limit (lowered since it was saved) still
  // takes a topic's message replaced by one no larger.
  if (wanted > held && limits_.max_bytes != 0 && bytes_ - held + wanted > limits_.max_bytes) {
    return RetainRefusal::kStoreFull;
  }
  if (client_id.empty()) return RetainRefusal::kNone;
  // The publisher's share, growth only as above: its own message on the topic is replaced.
  const bool own = now != nullptr && now->origin_client_id == client_id;
  RetainedShare share;
  if (auto s = shares_.find(client_id); s != shares_.end()) share = s->second;
  const uint64_t own_held = own ? held : 0;
  if (!own && limits_.max_messages_per_client != 0 &&
      share.messages >= limits_.max_messages_per_client) {
    return RetainRefusal::kClientShareFull;
  }
  if (wanted > own_held && limits_.max_bytes_per_client != 0 &&
      share.bytes - own_held + wanted > limits_.max_bytes_per_client) {
    return RetainRefusal::kClientShareFull;
  }
  return RetainRefusal::kNone;
}

void RetainedStore::Put(const MessagePtr& msg, bool counted) {
  auto [it, inserted] = messages_.try_emplace(msg->topic, msg);
  bool was_counted = true;
  if (!inserted) {
    was_counted = Counted(msg->topic);
    if (was_counted) Count(*it->second, -1);
    it->second = msg;
  }
  if (counted) {
    Count(*msg, 1);
    if (!was_counted) uncounted_.erase(uncounted_.find(msg->topic));
  } else if (inserted || was_counted) {
    uncounted_.insert(msg->topic);
  }
}

void RetainedStore::Remove(std::string_view topic) {
  auto it = messages_.find(topic);
  if (it == messages_.end()) return;
  if (auto u = uncounted_.find(topic); u != uncounted_.end()) {
    uncounted_.erase(u);
  } else {
    Count(*it->second, -1);
  }
  messages_.erase(it);
}

void RetainedStore::Count(const Message& m, int sign) {
  const uint64_t footprint = Footprint(m);
  if (sign > 0) {
    bytes_ += footprint;
  } else {
    bytes_ -= footprint;
  }
  if (m.origin_client_id.empty()) return;
  auto s = shares_.try_emplace(m.origin_client_id).first;
  if (sign > 0) {
    s->second.messages += 1;
    s->second.bytes += footprint;
  } else {
    s->second.messages -= 1;
    s->second.bytes -= footprint;
    if (s->second.messages == 0) shares_.erase(s);
  }
}

void RetainedStore::Load(const MessagePtr& msg) {
  std::lock_guard<std::mutex> lock(mu_);
  Put(msg, /*counted=*/true);
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
  // Every topic the filter matches begins with its levels before the first wildcard
  // ("devices/t7/#" matches "devices/t7" and what is under it; "a/+/b" only under "a/"),
  // and the map keeps such topics together: only they are read.
  std::string_view lead = filter.substr(0, filter.find_first_of("+#"));
  if (!lead.empty() && lead.back() == '/') lead.remove_suffix(1);
  for (auto it = messages_.lower_bound(lead); it != messages_.end() && it->first.starts_with(lead);
       ++it) {
    const MessagePtr& msg = it->second;
    if (!msg->Expired(now_ms) && mqtt::TopicMatches(filter, it->first)) out.push_back(msg);
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

size_t RetainedStore::counted_messages() const {
  std::lock_guard<std::mutex> lock(mu_);
  return messages_.size() - uncounted_.size();
}

uint64_t RetainedStore::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

RetainedShare RetainedStore::share(std::string_view client_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto s = shares_.find(client_id);
  return s == shares_.end() ? RetainedShare{} : s->second;
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
