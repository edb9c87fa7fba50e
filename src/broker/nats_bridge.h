// NatsBridge: MQTT messages between servers over NATS core (`broker_nats_url`,
// docs/scaling.md). With devices spread over several servers, a subscriber on one server
// receives what devices publish on the others, and a retained message published on one is
// kept by all.
//
// It sits in front of the broker's interceptor chain: every PUBLISH a device sends here
// is also published on NATS (the interceptor after it, the rules, still sees it once,
// here), and so is what the server publishes itself (Forward: republish actions, monitor
// events); every message another server bridges is handed to `deliver`, which publishes
// it to this broker's local subscribers (past the interceptor, so rules never run twice
// and nothing is bridged back).
//
// Subjects: "<prefix>.<level>.<level>..." (TopicToSubject), so `nats sub
// 'tributary.mqtt.devices.*.pollution'` taps a topic filter. A retained message goes on
// "<prefix>.%24retained.<level>..." instead (the first level of a bridged topic never
// starts with '$', so the two cannot meet).
//
// Interest: a server receives only what its own subscribers want. For each topic filter
// that has a subscription here (the broker's SetInterestObserver) or a live-topic watch
// (AddInterest), the bridge holds a NATS subscription to the matching subjects
// (FilterToSubjects: '+' as '*', a trailing '#' as the parent and '>'), and one to every
// retained message, which every server keeps. So a server whose devices subscribe to
// their own command topics receives those commands, not the fleet's telemetry.
// Overlapping filters (a/+ and a/#) make NATS send a message once per matching
// subscription: each bridged message carries its sender's sequence number, and a copy
// at or below the last one delivered from that sender is dropped. That relies on NATS
// keeping one connection's messages in order, which it does.
//
// One client id, one session, across the servers: each CONNECT accepted here is
// announced on "<prefix>.%24connected" (NotifyConnected), and a server that holds a
// session of that client id from before ends it (taken_elsewhere), closing its
// connection with 0x8E Session taken over. The servers' clocks order the two
// connections, so they must agree to well within the time a client takes to reconnect.
// A server that was down heard none of the announcements made meanwhile: once it has
// read back its sessions it says so on "<prefix>.%24started" (AnnounceStarted), and each
// other server announces again every client connected to it, with the time it connected
// (connected_clients). So a device that moved to another server while this one was down
// does not keep an old session here, nor have a delayed will it left here published.
//
// Headers carry the sender's id and sequence number, the QoS and the retain flag; the
// connection asks NATS not to echo its own messages (CONNECT echo false), and a server
// ignores any that come back anyway. Topics starting with '$' stay on their server. NATS
// core delivers at most once: a bridged message is delivered to remote subscribers at
// most once whatever its QoS; one published while NATS is unreachable is not bridged
// (counted in tributary_bridge_dropped_total, logged at most once a second), and one
// published before a new subscription elsewhere reached NATS is not delivered there.
// MQTT 5 properties that mean the same on another server travel too (payload format,
// message expiry, content type, response topic, correlation data, user properties), in
// a header holding their MQTT wire form in base64; a topic alias and subscription
// identifiers belong to one connection and do not.
//
// Thread-safety: OnPublish and Forward run on any thread (the broker's I/O threads);
// AddInterest and RemoveInterest too, and may be called under the subscription tree's
// lock; `deliver` runs on the NATS connection's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/log_throttle.h"
#include "base/metrics.h"
#include "base/status.h"
#include "broker/hooks.h"
#include "mqtt/packet.h"
#include "nats/message.h"

namespace tributary::nats {
class Connection;
}

namespace tributary::broker {

// Topic levels as subject tokens: letters, digits, '-' and '_' kept, every other byte as
// %XX, an empty level as "%". nullopt for a subject over kMaxBridgedSubject bytes.
inline constexpr size_t kMaxBridgedSubject = 4000;
std::optional<std::string> TopicToSubject(std::string_view prefix, std::string_view topic);
// The topic back; nullopt if `subject` is not under `prefix` or not one TopicToSubject makes.
std::optional<std::string> SubjectToTopic(std::string_view prefix, std::string_view subject);
// The subjects a subscription to the MQTT topic filter `filter` needs: "a/+" gives
// "<prefix>.a.*", "a/#" gives "<prefix>.a" and "<prefix>.a.>", "#" gives "<prefix>.>".
// Empty for a filter whose topics are not bridged ('$' first) or too long a subject.
std::vector<std::string> FilterToSubjects(std::string_view prefix, std::string_view filter);

struct NatsBridgeOptions {
  // nats:// or tls://[user:password@|token@]host[:port][,...][?prefix=P&tls_ca=F&tls_cert=F
  // &tls_key=F&creds=F&nkey_seed=F]; prefix default "tributary.mqtt".
  std::string url;
  // Hands a message another server bridged to this server's subscribers.
  std::function<void(const std::string& topic, std::string payload, mqtt::QoS qos, bool retain,
                     mqtt::Properties properties)>
      deliver;
  // Another server accepted a connection of `client_id` at `since_ms` (Unix ms), for
  // the broker's EndSessionTakenElsewhere. Optional.
  std::function<void(const std::string& client_id, int64_t since_ms)> taken_elsewhere;
  // The clients connected here now and when each connected (Unix ms), announced again
  // when another server starts (the broker's ConnectedClients). Optional.
  std::function<std::vector<std::pair<std::string, int64_t>>()> connected_clients;
  MessageInterceptor* next = nullptr;  // required: the rest of the chain
  MetricsRegistry* metrics = nullptr;  // optional: tributary_bridge_* counters
};

class NatsBridge : public MessageInterceptor {
 public:
  // Connects and subscribes. InvalidArgument for a bad URL or parameter, Unavailable if
  // NATS cannot be reached, Unauthenticated if it refuses the credentials.
  static Result<std::unique_ptr<NatsBridge>> Start(NatsBridgeOptions options);
  ~NatsBridge() override;  // Close()
  NatsBridge(const NatsBridge&) = delete;
  NatsBridge& operator=(const NatsBridge&) = delete;

  void OnPublish(const InboundMessage& msg, PublishDone done) override;
  // Publishes a message the server made here (a rule's republish, a monitor's event) for
  // the other servers, as OnPublish does a device's.
  // `properties` (may be null): the message's MQTT 5 properties.
  void Forward(std::string_view topic, std::string_view payload, mqtt::QoS qos, bool retain,
               const mqtt::Properties* properties = nullptr);
  // One more (AddInterest) or one fewer (RemoveInterest) local wish for the messages
  // other servers publish on topics matching `filter`; the first subscribes on NATS, the
  // last unsubscribes. The broker's tree counts once per filter however many subscribe.
  void AddInterest(std::string_view filter);
  void RemoveInterest(std::string_view filter);
  // What SubscriptionTree::SetInterestObserver wants: Add on true, Remove on false.
  void OnInterest(std::string_view filter, bool present);
  // Tells the other servers that a client with this id connected here now (the broker's
  // SetConnectObserver): they end its session there, as a broker does when a client
  // connects again.
  void NotifyConnected(const std::string& client_id);
  // Tells the other servers that this one has started (its sessions read back): each
  // announces again the clients connected to it, so that sessions and wills here of
  // clients that connected there meanwhile end. Call after the broker's Start.
  void AnnounceStarted();
  size_t interest_filters() const;  // filters subscribed to on NATS now
  // Stops bridging both ways (waiting for a delivery under way); OnPublish then only
  // passes messages on. The connection closes with the bridge.
  void Close();
  std::string Describe() const;  // the NATS URL, redacted, and the prefix
  // Where the bridge stands now, for GET /v1/broker and the console.
  struct Link {
    bool connected = false;
    std::string server;  // host:port of the NATS server connected to, or being tried
    uint64_t reconnects = 0;
  };
  Link link() const;

 private:
  struct Interest {
    int64_t wishes = 0;
    std::vector<uint64_t> sids;
  };

  NatsBridge(NatsBridgeOptions options, std::string prefix, std::string self);
  void Receive(nats::Message& m);
  void ReceiveConnected(nats::Message& m);
  void ReceiveStarted(nats::Message& m);
  // Announces on connected_subject_ that `client_id` connected here at `at_ms`.
  void AnnounceConnected(const std::string& client_id, int64_t at_ms);
  // The topic of a bridged subject, and whether it is in the retained space.
  std::optional<std::string> TopicOf(std::string_view subject, bool* retained) const;

  const NatsBridgeOptions options_;
  const std::string prefix_;
  const std::string retained_prefix_;  // "<prefix>.%24retained"
  const std::string connected_subject_;  // "<prefix>.%24connected"
  const std::string started_subject_;    // "<prefix>.%24started"
  const std::string self_;  // this server's id in the origin header
  std::unique_ptr<nats::Connection> conn_;
  // The encoded headers of a bridged message up to the sequence number's value, by QoS
  // (0..2) and retain flag: made once.
  std::vector<std::string> header_heads_;
  // Held while a message is numbered and queued, so that numbers go out in order.
  std::mutex publish_mu_;
  uint64_t seq_ = 0;          // publish_mu_
  std::string header_block_;  // publish_mu_; the last message's, reused
  std::atomic<bool> closed_{false};
  std::mutex deliver_mu_;  // held by a delivery or announcement received; Close waits for it
  // NATS connection thread only: the last sequence number delivered, by sender.
  std::unordered_map<std::string, uint64_t> last_seq_;
  mutable std::mutex interest_mu_;
  std::map<std::string, Interest, std::less<>> interests_;  // interest_mu_
  LogThrottle drop_log_;
  Counter* forwarded_ = nullptr;
  Counter* received_ = nullptr;
  Counter* dropped_ = nullptr;
  Counter* duplicates_ = nullptr;
};

}  // namespace tributary::broker
