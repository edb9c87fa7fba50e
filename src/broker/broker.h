// The MQTT broker: listeners, sessions, subscriptions, retained messages and wills.
//
// Thread-safety: Create/Start/Stop from the owning thread; DisconnectClient, Publish and
// Stats from any thread. Each connection lives on one io_context of the Runtime.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "broker/hooks.h"
#include "mqtt/packet.h"
#include "net/runtime.h"

namespace tributary::broker {

struct BrokerOptions {
  std::string bind_address = "0.0.0.0";
  int tls_port = 8883;   // MQTT over TLS with client certificates; -1 disables; 0 picks a free port
  int ws_port = 8443;    // MQTT over WebSocket (TLS); -1 disables
  int tcp_port = -1;     // plain MQTT, off unless enabled
  std::string server_cert_file;  // PEM, for the TLS and WebSocket listeners
  std::string server_key_file;
  std::string ca_cert_file;      // client certificates must chain to this CA
  // true: the TLS handshake fails without a client certificate. false: a certificate is
  // requested and verified when given, and the Authorizer decides at CONNECT about
  // clients without one (e.g. the administrator's user name and password).
  bool tls_require_client_cert = true;
  uint32_t max_payload_size = 128 * 1024;  // bytes; packets may be this plus header room
  uint16_t receive_maximum = 100;          // QoS 1/2 messages a client may have in flight to us
  uint16_t max_inflight_to_client = 1000;  // ours to a client, below its own Receive Maximum
  uint16_t topic_alias_maximum = 16;
  uint32_t max_session_expiry_s = 7 * 24 * 3600;
  uint32_t max_queued_messages = 1000;     // per offline session; oldest QoS 0 dropped first
  std::string state_dir;                   // persistent sessions and retained messages
  uint32_t connect_timeout_ms = 10000;     // a connection must send CONNECT within this
  uint32_t sys_interval_ms = 10000;        // how often $SYS topics are published

  // Connections held at once over all listeners, from the accept (handshakes included)
  // until closed; past either a new one is closed as soon as it is accepted. 0: no cap.
  size_t max_connections = 0;
  size_t max_connections_per_address = 0;  // loopback's never counted against it
  bool loopback_unlimited = true;          // false: loopback as any address (tests)
  // Of those, the ones from one address whose CONNECT has not been accepted yet (a TLS
  // or WebSocket handshake, or a CONNECT awaited), so that one address cannot take the
  // whole cap with connections that never connect. Loopback's never counted. 0: no cap.
  size_t max_handshakes_per_address = 64;

  // What clients can make the broker keep, in memory and in state_dir (src/broker/
  // README.md, "Limits"). 0: no limit. Past one a SUBSCRIBE's filter is refused (v5 0x97
  // Quota exceeded, or 0x8F for a filter too long; 3.1.1 0x80), and a retained PUBLISH
  // is refused (v5 QoS 1/2: PUBACK/PUBREC 0x97) or delivered without being retained.
  uint32_t max_subscriptions_per_session = 100;
  uint32_t max_topic_filter_bytes = 1024;
  uint32_t max_retained_messages = 100000;
  uint64_t max_retained_bytes = 64ull << 20;  // topics and payloads together
  uint32_t max_retained_payload_bytes = 64 * 1024;
  // Of those, what one client's retained messages may hold (the server's own publishes
  // take no share), so that one device cannot fill the store for all.
  uint32_t max_retained_messages_per_client = 10000;
  uint64_t max_retained_bytes_per_client = 8ull << 20;
};

struct BrokerStats {
  uint64_t connections = 0;         // currently open
  uint64_t sessions = 0;            // including offline persistent ones
  uint64_t subscriptions = 0;
  uint64_t retained_messages = 0;
  uint64_t messages_received = 0;   // PUBLISH packets in
  uint64_t messages_sent = 0;       // PUBLISH packets out
  uint64_t publish_denied = 0;      // dropped by authorization
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;
};

class Broker {
 public:
  virtual ~Broker() = default;

  // `runtime`, `auth` and `metrics` must outlive the broker.
  static Result<std::unique_ptr<Broker>> Create(const BrokerOptions& options, net::Runtime* runtime,
                                                Authorizer* auth, MetricsRegistry* metrics);

  // Set before Start(); may be null.
  virtual void SetInterceptor(MessageInterceptor* interceptor) = 0;
  // Told when a topic filter gains its first subscription here, or loses its last
  // (SubscriptionTree::InterestFn: under the tree's lock, in order; it must not call the
  // broker). Set before Start(), so that restored sessions' subscriptions are told too.
  virtual void SetInterestObserver(std::function<void(std::string_view filter, bool present)> fn) = 0;

  // Told of the client id of each CONNECT accepted here, on its connection's thread.
  // Set before Start().
  virtual void SetConnectObserver(std::function<void(const std::string& client_id)> fn) = 0;
  // Another server accepted a connection of `client_id` at `since_ms` (Unix ms; the NATS
  // bridge hears of it): as when a client connects again here, the connection here is
  // closed (v5: 0x8E Session taken over) and its session discarded, unless it was
  // attached at or after `since_ms` (it is the newer one).
  virtual void EndSessionTakenElsewhere(const std::string& client_id, int64_t since_ms) = 0;
  // The clients connected here now, each with the time it connected (Unix ms): what the
  // NATS bridge tells a server that starts again, which may hold older sessions of them.
  virtual std::vector<std::pair<std::string, int64_t>> ConnectedClients() const = 0;

  // Loads persisted state and binds the listeners. The runtime must be started.
  virtual Status Start() = 0;
  // Stops accepting, disconnects clients (v5: reason 0x8B Server shutting down), persists
  // sessions and retained messages. Idempotent.
  virtual void Stop() = 0;

  // The ports actually bound (useful when the options asked for port 0); -1 if disabled.
  virtual int tls_port() const = 0;
  virtual int ws_port() const = 0;
  virtual int tcp_port() const = 0;

  // Closes the live connection of `client_id`, if any (e.g. its thing was deactivated).
  virtual void DisconnectClient(const std::string& client_id, mqtt::ReasonCode reason) = 0;
  // Closes every live connection whose ClientGrant::thing() is `thing`.
  virtual void DisconnectThing(const std::string& thing, mqtt::ReasonCode reason) = 0;

  // Publishes from inside the server (republish actions, $SYS topics); bypasses
  // authorization and the interceptor. `properties` are the message's MQTT 5 properties
  // (a message expiry interval counts from now).
  virtual void Publish(const std::string& topic, std::string payload, mqtt::QoS qos,
                       bool retain, mqtt::Properties properties = {}) = 0;

  virtual BrokerStats Stats() const = 0;
};

}  // namespace tributary::broker
