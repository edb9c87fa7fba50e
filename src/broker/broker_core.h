// The state every connection of one broker shares: options, the subscription tree, the
// retained store, the session table, pending wills, metrics and the registry of live
// connections. Connections hold it by shared_ptr so that it outlives their handlers.
//
// Locks, always taken in this order and never held while calling out of the broker:
//   sessions_mu_  ->  SubscriptionTree (internal)  ->  Session (internal)
//   conns_mu_, wills_mu_ and changed_sessions' lock are leaves.
// Route() takes only the tree's shared lock, then each session's lock in turn.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/broker_metrics.h"
#include "broker/changed_sessions.h"
#include "broker/due_ids.h"
#include "broker/message.h"
#include "broker/retained_store.h"
#include "broker/session.h"
#include "broker/subscription_tree.h"
#include "broker/will_state.h"

namespace tributary::broker {

class BrokerCore {
 public:
  BrokerCore(const BrokerOptions& options, net::Runtime* runtime, Authorizer* auth,
             MetricsRegistry* metrics);

  const BrokerOptions options;
  net::Runtime* const runtime;
  Authorizer* const auth;
  MessageInterceptor* interceptor = nullptr;  // set before Start, then read-only
  std::unique_ptr<MetricsRegistry> own_metrics;
  BrokerMetrics metrics;
  SubscriptionTree tree;
  RetainedStore retained;
  std::shared_ptr<spdlog::logger> log;
  std::atomic<bool> stopping{false};
  // Told of each accepted CONNECT's client id, on its connection's thread (set before Start).
  std::function<void(const std::string& client_id)> connect_observer;

  // Largest packet we accept (announced as Maximum Packet Size in the v5 CONNACK).
  uint32_t max_packet_size() const { return options.max_payload_size + 8192; }

  // ---- sessions
  struct OpenResult {
    std::shared_ptr<Session> session;
    bool present = false;
    std::shared_ptr<SessionSink> previous;  // the connection taken over, if any
  };
  // Finds or creates the session of `client_id` and attaches `sink` to it. With
  // `clean_start` an existing session is discarded first.
  OpenResult OpenSession(const std::string& client_id, bool clean_start,
                         std::shared_ptr<SessionSink> sink, mqtt::Version version,
                         uint16_t receive_maximum, uint32_t expiry_s);
  // Detaches `sink`; a session with expiry 0 is removed at once. Returns false when
  // `sink` was no longer attached (taken over).
  bool CloseSession(const std::shared_ptr<Session>& session, const SessionSink* sink);
  // Removes detached sessions whose expiry has passed; returns their client ids. Looks
  // only at those due (DueIds), not at every session.
  std::vector<std::string> SweepSessions(int64_t now_ms);
  // How many detached sessions wait to expire.
  size_t expiring_session_count() const;
  // Told by each session of its changes, and of each session removed.
  ChangedSessions changed_sessions;
  // What persistence writes: the sessions changed or removed since the last call.
  struct SessionChanges {
    std::vector<SessionState> upserts;  // persistent sessions as they are now
    std::vector<std::string> gone;      // removed, or no longer persistent (expiry 0)
  };
  // At most `max_upserts` snapshots; the sessions past them stay for the next call. A
  // session's next change after its snapshot is told again.
  SessionChanges TakeSessionChanges(size_t max_upserts);
  // Changes that were not written: taken again at the next call.
  void ReturnSessionChanges(const SessionChanges& changes);
  std::shared_ptr<Session> FindSession(const std::string& client_id) const;
  // A connection of `client_id` was accepted by another server at `since_ms` (Unix ms):
  // the session here, if it was last attached before then, is removed with its
  // subscriptions. Returns whether it was; `*sink` gets the connection attached to it, if
  // any, to be closed.
  bool RemoveSessionTakenElsewhere(const std::string& client_id, int64_t since_ms,
                                   std::shared_ptr<SessionSink>* sink);
  size_t session_count() const;
  // The sessions with a connection attached: client id and when it attached (Unix ms).
  std::vector<std::pair<std::string, int64_t>> ConnectedClients() const;
  // Adds a session read back from disk and re-subscribes it.
  void RestoreSession(SessionState state);

  // ---- routing
  // Applies the retain flag to the retained store and delivers to every subscriber.
  void Route(const MessagePtr& msg);
  // Only the first half: the retained store (for a message delivered already). A message
  // the store's limits refuse is not retained (RetainRefused).
  void Retain(const MessagePtr& msg);
  // Counts a retained message from `client_id` ("" the server's) refused by the store's
  // limits, and logs it (at most once per 10 s).
  void RetainRefused(std::string_view client_id, std::string_view topic, size_t payload_bytes,
                     RetainRefusal why);
  // Route in two steps, for a caller that needs to know whether anybody subscribes
  // before it builds the message: the subscriptions a message on `topic` from
  // `publisher` reaches now, then the delivery to them (retain flag not applied).
  void MatchSubscribers(std::string_view topic, std::string_view publisher,
                        std::vector<SubscriptionMatch>* out) const;
  void Deliver(const MessagePtr& msg, std::vector<SubscriptionMatch>& matches);
  // Queues one message for one session. A message dropped on the way (offline QoS 0,
  // or the oldest one pushed out of a full queue) is counted in messages_dropped, and a
  // full queue is logged, at most once per 10 s.
  void Enqueue(Session* session, const MessagePtr& msg, mqtt::QoS qos, bool retain,
               std::vector<uint32_t> subscription_ids);

  // ---- wills
  // Who sent a will, as the interceptor sees its client's PUBLISHes: the client's thing
  // (ClientGrant::thing) and principal (InboundMessage::principal).
  struct WillSender {
    std::string thing;
    std::string principal;
  };
  // A will to publish at `due_ms`. The message is built then, so that its expiry
  // interval counts from its publication (MQTT 5 3.1.3.2.4). Its session does not end
  // first: the connection caps the delay at the session's expiry, and the other ways a
  // session ends (a clean start, a connection to another server) cancel the will.
  void ScheduleWill(const std::string& client_id, WillSender sender, mqtt::Publish will,
                    int64_t due_ms);
  // Publishes a will as its client's own PUBLISH would go: to subscribers and the retained
  // store (Route), and to the interceptor (rules, shadows, other servers), which takes it
  // as it takes QoS 0: nobody waits for a verdict.
  void PublishWill(const MessagePtr& will, const WillSender& sender);
  void CancelWill(const std::string& client_id);
  // Publishes the wills that are due (looking at no other); returns how many.
  size_t SweepWills(int64_t now_ms);
  // How many delayed wills wait (the gauge tributary_mqtt_wills_pending says the same).
  size_t pending_will_count();
  // What persistence writes: the wills scheduled, published or cancelled since the last
  // call, as the sessions' changes are.
  struct WillChanges {
    std::vector<WillState> upserts;  // waiting, as they are now
    std::vector<std::string> gone;   // published or cancelled
  };
  // At most `max_upserts` snapshots; the wills past them stay for the next call.
  WillChanges TakeWillChanges(size_t max_upserts);
  // Changes that were not written: taken again at the next call.
  void ReturnWillChanges(const WillChanges& changes);
  // How many wills changed since the last TakeWillChanges (or were left by it).
  size_t unsaved_will_count();
  // Schedules a will read back from disk (saved as it is, so not a change). One already
  // due is published at the next sweep.
  void RestoreWill(WillState state);

  // ---- live connections (for DisconnectClient / DisconnectThing / Stop)
  void AddConnection(SessionSink* conn, std::weak_ptr<SessionSink> weak, std::string thing);
  void RemoveConnection(SessionSink* conn);
  std::vector<std::shared_ptr<SessionSink>> Connections(const std::string* thing) const;
  size_t connection_count() const;
  // Waits until no connection is registered or `timeout_ms` passed.
  bool WaitNoConnections(int timeout_ms);

 private:
  // By value: callers pass the table's own pointer, which the erase destroys.
  void RemoveSessionLocked(std::shared_ptr<Session> session);

  mutable std::mutex sessions_mu_;
  std::unordered_map<std::string, std::shared_ptr<Session>> sessions_;
  DueIds expiries_;  // sessions_mu_

  // A will as it waits: the parts of its PUBLISH, and its properties only when it has
  // any (most wills have none once the delay is taken out): a whole mqtt::Publish is
  // 568 bytes, and a fleet may leave a will waiting for each device.
  struct PendingWill {
    std::string topic;
    std::string payload;
    mqtt::QoS qos = mqtt::QoS::kAtMostOnce;
    bool retain = false;
    std::unique_ptr<mqtt::Properties> properties;
    WillSender sender;
    // Its PUBLISH, the parts moved out of it.
    mqtt::Publish TakePublish();
    PendingWill Copy() const;
  };
  std::mutex wills_mu_;
  // Schedules (or replaces) the will of `client_id`; `changed`: persistence is told.
  void ScheduleWillLocked(const std::string& client_id, WillSender sender, mqtt::Publish will,
                          int64_t due_ms, bool changed);
  std::unordered_map<std::string, PendingWill> wills_;  // wills_mu_
  DueIds wills_due_;                                    // wills_mu_
  // Client ids whose will was scheduled, published or cancelled since persistence last
  // took them.
  std::unordered_set<std::string> wills_changed_;  // wills_mu_

  struct ConnEntry {
    std::weak_ptr<SessionSink> conn;
    std::string thing;
  };
  mutable std::mutex conns_mu_;
  std::condition_variable conns_cv_;
  std::unordered_map<SessionSink*, ConnEntry> conns_;
};

}  // namespace tributary::broker
