// One application message as the broker routes it: built once when a PUBLISH is
// accepted (or a will / $SYS / server-side publish fires) and shared, immutable, by every
// subscriber it is delivered to. The encoded PUBLISH bytes for the common case (no
// subscription identifiers, no expiry) are cached per (protocol version, QoS, retain) so
// that a fan-out encodes once and only patches the packet identifier per subscriber.
//
// Thread-safety: immutable after construction except for the encoding cache, which has
// its own mutex; share it freely across io_contexts through MessagePtr.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "mqtt/packet.h"

namespace tributary::broker {

struct Message {
  std::string topic;
  std::string payload;
  mqtt::QoS qos = mqtt::QoS::kAtMostOnce;
  bool retain = false;
  // Properties forwarded untouched (payload format, content type, response topic,
  // correlation data, user properties). Topic alias, subscription identifiers and the
  // message expiry interval are cleared here: they are per hop.
  mqtt::Properties properties;
  std::string origin_client_id;  // for no-local; "" for server-side publishes
  int64_t received_at_ms = 0;    // wall clock
  std::optional<int64_t> expires_at_ms;  // wall clock, from the message expiry interval
  // Arrival order in this process (MessageFromPublish counts up from 1; 0: read back from
  // disk): the retained store keeps the later of two messages whose verdicts came back in
  // another order.
  uint64_t seq = 0;

  // Whether the message has expired at `now_ms` (wall clock).
  bool Expired(int64_t now_ms) const { return expires_at_ms && *expires_at_ms <= now_ms; }

  // Builds the PUBLISH packet for one subscriber. `remaining_expiry_s` is set when the
  // message has an expiry (the interval left, rounded up).
  mqtt::Publish ToPublish(mqtt::QoS qos, bool retain, uint16_t packet_id, bool dup,
                          const std::vector<uint32_t>& subscription_ids, int64_t now_ms) const;

  // Appends the encoded PUBLISH for one subscriber to `out`; returns the number of bytes
  // appended. Uses the per-(version, qos, retain) cache when no per-subscriber property
  // differs.
  size_t AppendEncoded(mqtt::Version version, mqtt::QoS qos, bool retain, uint16_t packet_id,
                       bool dup, const std::vector<uint32_t>& subscription_ids, int64_t now_ms,
                       std::string* out) const;

  // The size AppendEncoded would append (for the client's maximum packet size).
  size_t EncodedSize(mqtt::Version version, mqtt::QoS qos, bool retain,
                     const std::vector<uint32_t>& subscription_ids, int64_t now_ms) const;

 private:
  const std::string& Cached(mqtt::Version version, mqtt::QoS qos, bool retain) const;
  mutable std::mutex cache_mu_;
  mutable std::array<std::unique_ptr<std::string>, 12> cache_;
};

using MessagePtr = std::shared_ptr<const Message>;

// Builds a Message from an accepted PUBLISH (the topic already resolved from its alias).
MessagePtr MessageFromPublish(mqtt::Publish&& publish, std::string origin_client_id,
                              int64_t now_ms);

}  // namespace tributary::broker
