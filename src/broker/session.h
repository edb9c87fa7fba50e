// The state of one MQTT session, which outlives its network connections when it is
// persistent: subscriptions, messages queued for the client, QoS 1/2 messages in flight
// towards it, and the packet identifiers of QoS 2 messages received from it and awaiting
// PUBREL.
//
// Outgoing state machine, per message (packet identifiers are assigned when a message
// leaves the queue for the in-flight window, which holds at most the client's Receive
// Maximum):
//
//   QoS 0:  queued --sent--> gone
//   QoS 1:  queued --PUBLISH--> await PUBACK --PUBACK--> gone
//   QoS 2:  queued --PUBLISH--> await PUBREC --PUBREC--> await PUBCOMP (PUBREL sent)
//                                                        --PUBCOMP--> gone
//   reconnect (session resumed): every in-flight entry is sent again, PUBLISH with DUP=1
//   or PUBREL, in packet-identifier order, before any queued message.
//
// The queue of an offline session is bounded by max_queued_messages and holds QoS 1/2
// only. An online session's queue (messages not yet written to its socket) absorbs
// bursts up to OnlineQueueLimit(max_queued_messages). Either holds at most
// kMaxQueuedBytes of topics and payloads. When full, the oldest QoS 0 message is dropped
// first, else the oldest message.
//
// Thread-safety: every method takes the session's mutex, so delivery may come from any
// thread. The attached SessionSink (the connection) is woken through Wake(), which must
// post to the connection's own io_context and never call back into the session inline.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "broker/changed_sessions.h"
#include "broker/hooks.h"
#include "broker/message.h"
#include "broker/subscription_tree.h"

namespace tributary::broker {

// The connection side of a session.
class SessionSink {
 public:
  virtual ~SessionSink() = default;
  // Thread-safe: schedule a flush of the session on the connection's thread.
  virtual void Wake() = 0;
  // Whether this message may go to the client (authorization, maximum packet size,
  // expiry); a refused message is dropped. Called under the session lock.
  virtual bool Accept(const Message& msg, mqtt::QoS qos, bool retain,
                      const std::vector<uint32_t>& subscription_ids) = 0;
  // Thread-safe: close the connection (v5: DISCONNECT with `reason` first).
  virtual void Kick(mqtt::ReasonCode reason) = 0;
};

enum class OutState : uint8_t { kQueued = 0, kAwaitPuback = 1, kAwaitPubrec = 2, kAwaitPubcomp = 3 };

struct Outgoing {
  MessagePtr msg;
  mqtt::QoS qos = mqtt::QoS::kAtMostOnce;
  bool retain = false;
  std::vector<uint32_t> subscription_ids;
  uint16_t packet_id = 0;
  OutState state = OutState::kQueued;
  bool resend = false;  // in flight and not yet sent on the current connection
  uint32_t queued_bytes = 0;  // the topic's and payload's, counted by OutgoingQueue
};

// The most bytes (topics and payloads) a session's queue holds, online or not: a client
// that stops reading must not make the broker hold thousands of large messages for it.
// Past it the oldest QoS 0 message is dropped first, as past the count.
inline constexpr uint64_t kMaxQueuedBytes = 64ull << 20;

// A session's messages not yet sent, oldest first. A std::deque allocates a 512-byte
// block and its map as soon as it is constructed, and most sessions (devices that only
// publish) never queue anything, so the deque is allocated on the first push_back.
class OutgoingQueue {
  using Deque = std::deque<Outgoing>;

 public:
  OutgoingQueue() = default;
  OutgoingQueue(const OutgoingQueue& other)
      : q_(other.empty() ? nullptr : std::make_unique<Deque>(*other.q_)), bytes_(other.bytes_) {}
  OutgoingQueue& operator=(const OutgoingQueue& other) {
    if (this != &other) {
      q_ = other.empty() ? nullptr : std::make_unique<Deque>(*other.q_);
      bytes_ = other.bytes_;
    }
    return *this;
  }
  OutgoingQueue(OutgoingQueue&& other) noexcept
      : q_(std::move(other.q_)), bytes_(std::exchange(other.bytes_, 0)) {}
  OutgoingQueue& operator=(OutgoingQueue&& other) noexcept {
    q_ = std::move(other.q_);
    bytes_ = std::exchange(other.bytes_, 0);
    return *this;
  }

  bool empty() const { return !q_ || q_->empty(); }
  size_t size() const { return q_ ? q_->size() : 0; }
  uint64_t bytes() const { return bytes_; }  // of the messages' topics and payloads
  // Not empty():
  Outgoing& front() { return q_->front(); }
  const Outgoing& front() const { return q_->front(); }
  void pop_front() {
    bytes_ -= q_->front().queued_bytes;
    q_->pop_front();
  }
  const Outgoing& operator[](size_t i) const { return (*q_)[i]; }

  static uint32_t BytesOf(const Message* m) {
    return m == nullptr ? 0 : static_cast<uint32_t>(m->topic.size() + m->payload.size());
  }
  void push_back(Outgoing o) {
    if (!q_) q_ = std::make_unique<Deque>();
    o.queued_bytes = BytesOf(o.msg.get());
    bytes_ += o.queued_bytes;
    q_->push_back(std::move(o));
  }
  // Removes the messages `pred` holds for.
  template <class Pred>
  void EraseIf(Pred pred) {
    if (!q_) return;
    std::erase_if(*q_, [&](const Outgoing& o) {
      if (!pred(o)) return false;
      bytes_ -= o.queued_bytes;
      return true;
    });
  }
  // Removes the oldest message `pred` holds for, or else the oldest; false if empty.
  template <class Pred>
  bool DropOldest(Pred pred) {
    if (empty()) return false;
    auto victim = std::find_if(q_->begin(), q_->end(), pred);
    if (victim == q_->end()) victim = q_->begin();
    bytes_ -= victim->queued_bytes;
    q_->erase(victim);
    return true;
  }

  Deque::const_iterator begin() const { return q_ ? q_->cbegin() : Empty().cbegin(); }
  Deque::const_iterator end() const { return q_ ? q_->cend() : Empty().cend(); }

 private:
  static const Deque& Empty() {
    static const Deque empty;
    return empty;
  }
  std::unique_ptr<Deque> q_;
  uint64_t bytes_ = 0;
};

struct SubscriptionRecord {
  mqtt::SubscribeOptions options;
  uint32_t id = 0;
};

// Everything a session holds; what persistence writes and reads back.
struct SessionState {
  std::string client_id;
  mqtt::Version version = mqtt::Version::kV5;
  uint32_t expiry_interval_s = 0;
  int64_t disconnected_at_ms = 0;  // 0 while a connection is attached
  std::map<std::string, SubscriptionRecord> subscriptions;
  std::map<uint16_t, Outgoing> inflight;
  OutgoingQueue queue;
  std::set<uint16_t> inbound_qos2;
  uint16_t next_packet_id = 1;
};

// A session expiry interval that means "never" (MQTT 5 3.1.2.11.2).
inline constexpr uint32_t kSessionNeverExpires = 0xFFFFFFFFu;

// What the connection should write next.
struct Outbound {
  bool pubrel = false;  // PUBREL for `packet_id` instead of a PUBLISH
  MessagePtr msg;
  mqtt::QoS qos = mqtt::QoS::kAtMostOnce;
  bool retain = false;
  bool dup = false;
  uint16_t packet_id = 0;
  std::vector<uint32_t> subscription_ids;
};

// Queue bound while a connection is attached (bursts from publishers on the same
// io_context arrive before the subscriber's connection gets to run).
inline size_t OnlineQueueLimit(uint32_t max_queued) {
  return std::max<size_t>(size_t{max_queued} * 8, 8192);
}

class Session : public Subscriber {
 public:
  // `changed` (if given, it outlives the session) is told of the session's first change
  // after each ClearChangedMark: what persistence writes.
  Session(std::string client_id, uint32_t max_queued, ChangedSessions* changed = nullptr);
  // A session read back from disk: detached, in-flight entries marked for resend. It is
  // saved as it is, so it starts unchanged.
  Session(SessionState state, uint32_t max_queued, ChangedSessions* changed = nullptr);

  // Never changes after construction, so it needs no lock.
  const std::string& client_id() const override { return state_.client_id; }
  bool online() const override { return online_.load(std::memory_order_relaxed); }
  // The most messages the queue holds now: more while the client is connected.
  size_t queue_limit() const { return online() ? OnlineQueueLimit(max_queued_) : max_queued_; }

  // Attaches a connection; marks in-flight messages for resend. `receive_maximum` is the
  // client's (how many QoS 1/2 PUBLISH it accepts in flight).
  void Attach(std::shared_ptr<SessionSink> sink, mqtt::Version version,
              uint16_t receive_maximum, uint32_t expiry_interval_s);
  // Detaches `sink` if it is the attached one (returns false otherwise: a newer
  // connection took the session over).
  bool Detach(const SessionSink* sink, int64_t now_ms);
  std::shared_ptr<SessionSink> sink() const;

  // Queues a message for the client and wakes the connection. Returns false when the
  // message was dropped (offline QoS 0, or the queue overflowed and this was the victim).
  // *displaced (if given) says whether an older message was dropped to make room.
  bool Enqueue(MessagePtr msg, mqtt::QoS qos, bool retain, std::vector<uint32_t> sub_ids,
               bool* displaced = nullptr);

  // Called by the attached connection: appends what may be sent now to `out` (at most
  // `max_items`) and moves queued QoS 1/2 messages into the in-flight window. Returns
  // the number of messages the sink refused (dropped). No-op if `sink` is not attached.
  size_t NextBatch(SessionSink* sink, size_t max_items, std::vector<Outbound>* out);
  // True if NextBatch would return something.
  bool HasSendable() const;

  // Acknowledgements from the client. Each returns false for an unknown identifier or
  // one in the wrong state (the caller decides whether that is a protocol error).
  bool OnPuback(uint16_t packet_id);
  bool OnPubrec(uint16_t packet_id, bool error);  // error: PUBREC reason >= 0x80
  bool OnPubcomp(uint16_t packet_id);

  // QoS 2 from the client. Begin takes the identifier of a new PUBLISH, or finds it taken
  // (a resent PUBLISH: do not route it again). With `verdict_to_come` (an interceptor
  // decides whether the message is accepted) the identifier waits for Settle: it is not
  // saved meanwhile (after a restart the resend is routed: at least once, never lost),
  // and a resend that finds it waiting gets its answer through the waiter
  // `waiter_for_resend` makes (asked only then, so that a new message costs no waiter),
  // called once from Settle's thread, never while the session's lock is held.
  enum class Qos2Begin : uint8_t { kNew, kHeld, kAwaitingVerdict };
  using Qos2Waiter = std::function<void(PublishVerdict)>;
  Qos2Begin InboundQos2Begin(uint16_t packet_id, bool verdict_to_come = false,
                             const std::function<Qos2Waiter()>& waiter_for_resend = {});
  // The verdict on an identifier taken with `verdict_to_come`: accepted, it is held until
  // PUBREL (and saved); refused, it is let go, so that a resend is routed. Answers the
  // resends waiting for it. An identifier not waiting is left as it is.
  void InboundQos2Settle(uint16_t packet_id, PublishVerdict verdict);
  // PUBREL: lets go of a held identifier; false if none is held (one still waiting for
  // its verdict stays: the client has had no PUBREC for it).
  bool InboundQos2Release(uint16_t packet_id);
  size_t InboundQos2Count() const;  // held and waiting

  // Subscriptions as the session remembers them (the tree holds the routing copy).
  // Adds or replaces the one to `filter`; a new one past `max_subscriptions` (0: no cap)
  // is not added. Replacing one is always allowed.
  enum class SubscriptionAdded : uint8_t { kNew, kReplaced, kOverQuota };
  SubscriptionAdded AddSubscription(const std::string& filter, const SubscriptionRecord& rec,
                                    size_t max_subscriptions = 0);
  bool RemoveSubscription(const std::string& filter);
  std::map<std::string, SubscriptionRecord> Subscriptions() const;

  SessionState Snapshot() const;
  uint32_t expiry_interval_s() const;
  void set_expiry_interval_s(uint32_t s);  // DISCONNECT may change it (MQTT 5)
  int64_t disconnected_at_ms() const;
  int64_t attached_at_ms() const;  // wall clock of the last Attach; 0 if never (restored)
  size_t queued() const;
  size_t inflight() const;
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // Persistence, before it takes a Snapshot to write: the next change tells
  // ChangedSessions again.
  void ClearChangedMark() { changed_mark_.store(false, std::memory_order_relaxed); }

 private:
  // Called under mu_ after every change of what Snapshot returns.
  void Changed() {
    if (changed_ != nullptr && !changed_mark_.load(std::memory_order_relaxed) &&
        !changed_mark_.exchange(true, std::memory_order_relaxed)) {
      changed_->Add(state_.client_id);
    }
  }
  uint16_t NextPacketId();  // skips identifiers still in flight

  const uint32_t max_queued_;
  ChangedSessions* const changed_;
  std::atomic<bool> online_{false};
  std::atomic<bool> changed_mark_{false};  // told `changed_` since the last clear
  std::atomic<uint64_t> dropped_{0};

  mutable std::mutex mu_;
  int64_t attached_at_ms_ = 0;  // mu_
  SessionState state_;
  // QoS 2 identifiers from the client whose verdict is to come, each with the resends
  // waiting for it. In memory only (see InboundQos2Begin).
  std::map<uint16_t, std::vector<Qos2Waiter>> inbound_qos2_awaiting_;
  std::shared_ptr<SessionSink> sink_;
  uint16_t receive_maximum_ = 65535;
  bool resend_due_ = false;  // some in-flight message may still have `resend` set
  bool wake_pending_ = false;
};

}  // namespace tributary::broker
