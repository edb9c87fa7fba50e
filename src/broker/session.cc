#include "broker/session.h"

#include <algorithm>

#include "base/clock.h"

namespace tributary::broker {

Session::Session(std::string client_id, uint32_t max_queued, ChangedSessions* changed)
    : max_queued_(max_queued), changed_(changed) {
  state_.client_id = std::move(client_id);
}

Session::Session(SessionState state, uint32_t max_queued, ChangedSessions* changed)
    : max_queued_(max_queued), changed_(changed), state_(std::move(state)) {
  for (auto& [id, o] : state_.inflight) o.resend = true;
  resend_due_ = !state_.inflight.empty();
}

void Session::Attach(std::shared_ptr<SessionSink> sink, mqtt::Version version,
                     uint16_t receive_maximum, uint32_t expiry_interval_s) {
  std::lock_guard<std::mutex> lock(mu_);
  sink_ = std::move(sink);
  attached_at_ms_ = WallMillis();
  state_.version = version;
  state_.expiry_interval_s = expiry_interval_s;
  state_.disconnected_at_ms = 0;
  receive_maximum_ = receive_maximum == 0 ? 65535 : receive_maximum;
  for (auto& [id, o] : state_.inflight) o.resend = true;
  resend_due_ = !state_.inflight.empty();
  wake_pending_ = false;
  online_.store(true, std::memory_order_relaxed);
  Changed();
}

bool Session::Detach(const SessionSink* sink, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sink_.get() != sink || sink == nullptr) return false;
  sink_.reset();
  online_.store(false, std::memory_order_relaxed);
  state_.disconnected_at_ms = now_ms;
  // QoS 0 messages are not kept for an offline session.
  state_.queue.EraseIf([](const Outgoing& o) { return o.qos == mqtt::QoS::kAtMostOnce; });
  while (state_.queue.size() > max_queued_) {
    state_.queue.pop_front();
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
  Changed();
  return true;
}

std::shared_ptr<SessionSink> Session::sink() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sink_;
}

bool Session::Enqueue(MessagePtr msg, mqtt::QoS qos, bool retain, std::vector<uint32_t> sub_ids,
                      bool* displaced) {
  std::shared_ptr<SessionSink> wake;
  bool kept = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!sink_ && qos == mqtt::QoS::kAtMostOnce) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    size_t limit = sink_ ? OnlineQueueLimit(max_queued_) : max_queued_;
    if (limit == 0) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    const uint64_t bytes = OutgoingQueue::BytesOf(msg.get());
    while (!state_.queue.empty() &&
           (state_.queue.size() >= limit || state_.queue.bytes() + bytes > kMaxQueuedBytes)) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      state_.queue.DropOldest([](const Outgoing& o) { return o.qos == mqtt::QoS::kAtMostOnce; });
      if (displaced != nullptr) *displaced = true;
    }
    Outgoing o;
    o.msg = std::move(msg);
    o.qos = qos;
    o.retain = retain;
    o.subscription_ids = std::move(sub_ids);
    state_.queue.push_back(std::move(o));
    if (qos != mqtt::QoS::kAtMostOnce) Changed();
    if (sink_ && !wake_pending_) {
      wake_pending_ = true;
      wake = sink_;
    }
  }
  if (wake) wake->Wake();
  return kept;
}

uint16_t Session::NextPacketId() {
  for (int tries = 0; tries < 65536; ++tries) {
    uint16_t id = state_.next_packet_id++;
    if (state_.next_packet_id == 0) state_.next_packet_id = 1;
    if (id != 0 && state_.inflight.count(id) == 0) return id;
  }
  return 0;  // unreachable while the window is below 65535
}

size_t Session::NextBatch(SessionSink* sink, size_t max_items, std::vector<Outbound>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sink_.get() != sink || sink == nullptr) return 0;
  wake_pending_ = false;
  size_t added = 0;
  size_t refused = 0;
  // The in-flight map is walked only while resends are due (after a reconnect), not for
  // every batch: a subscriber with thousands in flight would cost a walk per batch.
  if (resend_due_) {
    auto it = state_.inflight.begin();
    for (; it != state_.inflight.end() && added < max_items; ++it) {
      auto& [id, o] = *it;
      if (!o.resend) continue;
      o.resend = false;
      Outbound ob;
      ob.packet_id = id;
      if (o.state == OutState::kAwaitPubcomp) {
        ob.pubrel = true;
      } else {
        ob.msg = o.msg;
        ob.qos = o.qos;
        ob.retain = o.retain;
        ob.dup = true;
        ob.subscription_ids = o.subscription_ids;
      }
      out->push_back(std::move(ob));
      ++added;
    }
    resend_due_ = it != state_.inflight.end();  // the rest is walked by the next batch
  }
  bool changed = false;
  while (!state_.queue.empty() && added < max_items) {
    Outgoing& o = state_.queue.front();
    if (o.qos != mqtt::QoS::kAtMostOnce && state_.inflight.size() >= receive_maximum_) break;
    if (!sink->Accept(*o.msg, o.qos, o.retain, o.subscription_ids)) {
      state_.queue.pop_front();
      ++refused;
      changed = true;
      continue;
    }
    Outbound ob;
    ob.msg = o.msg;
    ob.qos = o.qos;
    ob.retain = o.retain;
    ob.subscription_ids = o.subscription_ids;
    if (o.qos != mqtt::QoS::kAtMostOnce) {
      uint16_t id = NextPacketId();
      o.packet_id = id;
      o.state = o.qos == mqtt::QoS::kAtLeastOnce ? OutState::kAwaitPuback : OutState::kAwaitPubrec;
      ob.packet_id = id;
      state_.inflight.emplace(id, std::move(o));
      changed = true;
    }
    state_.queue.pop_front();
    out->push_back(std::move(ob));
    ++added;
  }
  if (changed) Changed();
  dropped_.fetch_add(refused, std::memory_order_relaxed);
  return refused;
}

bool Session::HasSendable() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (resend_due_) {
    for (const auto& [id, o] : state_.inflight) {
      if (o.resend) return true;
    }
  }
  if (state_.queue.empty()) return false;
  return state_.queue.front().qos == mqtt::QoS::kAtMostOnce ||
         state_.inflight.size() < receive_maximum_;
}

bool Session::OnPuback(uint16_t packet_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_.inflight.find(packet_id);
  if (it == state_.inflight.end() || it->second.state != OutState::kAwaitPuback) return false;
  state_.inflight.erase(it);
  Changed();
  return true;
}

bool Session::OnPubrec(uint16_t packet_id, bool error) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_.inflight.find(packet_id);
  if (it == state_.inflight.end()) return false;
  if (it->second.state == OutState::kAwaitPubcomp) return true;  // PUBREC again: resend PUBREL
  if (it->second.state != OutState::kAwaitPubrec) return false;
  if (error) {
    state_.inflight.erase(it);
  } else {
    it->second.state = OutState::kAwaitPubcomp;
    it->second.msg.reset();  // the payload is delivered; only the identifier remains
  }
  Changed();
  return true;
}

bool Session::OnPubcomp(uint16_t packet_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_.inflight.find(packet_id);
  if (it == state_.inflight.end() || it->second.state != OutState::kAwaitPubcomp) return false;
  state_.inflight.erase(it);
  Changed();
  return true;
}

Session::Qos2Begin Session::InboundQos2Begin(uint16_t packet_id, bool verdict_to_come,
                                             const std::function<Qos2Waiter()>& waiter_for_resend) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_.inbound_qos2.count(packet_id) != 0) return Qos2Begin::kHeld;
  if (auto it = inbound_qos2_awaiting_.find(packet_id); it != inbound_qos2_awaiting_.end()) {
    if (waiter_for_resend) it->second.push_back(waiter_for_resend());
    return Qos2Begin::kAwaitingVerdict;
  }
  if (verdict_to_come) {
    inbound_qos2_awaiting_.emplace(packet_id, std::vector<Qos2Waiter>{});
  } else {
    state_.inbound_qos2.insert(packet_id);
    Changed();
  }
  return Qos2Begin::kNew;
}

void Session::InboundQos2Settle(uint16_t packet_id, PublishVerdict verdict) {
  std::vector<Qos2Waiter> waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = inbound_qos2_awaiting_.find(packet_id);
    if (it == inbound_qos2_awaiting_.end()) return;
    waiters = std::move(it->second);
    inbound_qos2_awaiting_.erase(it);
    if (verdict == PublishVerdict::kAccepted) {
      state_.inbound_qos2.insert(packet_id);
      Changed();
    }
  }
  for (Qos2Waiter& w : waiters) w(verdict);
}

bool Session::InboundQos2Release(uint16_t packet_id) {
  std::lock_guard<std::mutex> lock(mu_);
  bool erased = state_.inbound_qos2.erase(packet_id) > 0;
  if (erased) Changed();
  return erased;
}

size_t Session::InboundQos2Count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.inbound_qos2.size() + inbound_qos2_awaiting_.size();
}

Session::SubscriptionAdded Session::AddSubscription(const std::string& filter,
                                                    const SubscriptionRecord& rec,
                                                    size_t max_subscriptions) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& subs = state_.subscriptions;
  if (max_subscriptions != 0 && subs.size() >= max_subscriptions && subs.count(filter) == 0) {
    return SubscriptionAdded::kOverQuota;
  }
  bool is_new = subs.insert_or_assign(filter, rec).second;
  Changed();
  return is_new ? SubscriptionAdded::kNew : SubscriptionAdded::kReplaced;
}

bool Session::RemoveSubscription(const std::string& filter) {
  std::lock_guard<std::mutex> lock(mu_);
  bool erased = state_.subscriptions.erase(filter) > 0;
  if (erased) Changed();
  return erased;
}

std::map<std::string, SubscriptionRecord> Session::Subscriptions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.subscriptions;
}

SessionState Session::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

uint32_t Session::expiry_interval_s() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.expiry_interval_s;
}

void Session::set_expiry_interval_s(uint32_t s) {
  std::lock_guard<std::mutex> lock(mu_);
  state_.expiry_interval_s = s;
  Changed();
}

int64_t Session::attached_at_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return attached_at_ms_;
}

int64_t Session::disconnected_at_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.disconnected_at_ms;
}

size_t Session::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.queue.size();
}

size_t Session::inflight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.inflight.size();
}

}  // namespace tributary::broker
