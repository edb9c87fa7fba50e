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
// 'tributary.mqtt.devices.*.pollution'` taps a topic filter. Headers carry the sender's
// id, the QoS and the retain flag; the connection asks NATS not to echo its own messages
// (CONNECT echo false), and a server ignores any that come back anyway. Topics starting
// with '$' stay on their server. NATS core delivers at most once: a bridged message is
// delivered to remote subscribers at most once whatever its QoS, and one published while
// NATS is unreachable is not bridged (counted in tributary_bridge_dropped_total, logged
// at most once a second). MQTT 5 properties are not carried.
//
// Thread-safety: OnPublish runs on the broker's I/O threads; `deliver` runs on the NATS
// connection's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
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

struct NatsBridgeOptions {
  // nats:// or tls://[user:password@|token@]host[:port][,...][?prefix=P&tls_ca=F&tls_cert=F
  // &tls_key=F&creds=F&nkey_seed=F]; prefix default "tributary.mqtt".
  std::string url;
  // Hands a message another server bridged to this server's subscribers.
  std::function<void(const std::string& topic, std::string payload, mqtt::QoS qos, bool retain)>
      deliver;
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
  void Forward(std::string_view topic, std::string_view payload, mqtt::QoS qos, bool retain);
  // Stops bridging both ways (waiting for a delivery under way); OnPublish then only
  // passes messages on. The connection closes with the bridge.
  void Close();
  std::string Describe() const;  // the NATS URL, redacted, and the prefix

 private:
  NatsBridge(NatsBridgeOptions options, std::string prefix, std::string self);
  void Receive(const std::string& subject, const std::string& origin, std::string_view qos,
               std::string_view retain, std::string data);

  const NatsBridgeOptions options_;
  const std::string prefix_;
  const std::string self_;  // this server's id in the origin header
  std::unique_ptr<nats::Connection> conn_;
  // The headers of a bridged message, by QoS (0..2) and retain flag: made once, not per
  // message.
  std::vector<nats::Headers> headers_;
  std::atomic<bool> closed_{false};
  std::mutex deliver_mu_;  // held by a delivery; Close waits for it
  LogThrottle drop_log_;
  Counter* forwarded_ = nullptr;
  Counter* received_ = nullptr;
  Counter* dropped_ = nullptr;
};

}  // namespace tributary::broker
