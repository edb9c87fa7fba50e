// MQTT 3.1.1 and 5.0 control packets as plain values. This header is the contract
// between the codec (codec.h), the broker and the test clients; it has no I/O and
// no dependencies beyond the standard library.
//
// One struct per packet type. Fields that exist only in MQTT 5 (properties, reason
// codes on acks) are ignored when encoding for 3.1.1 and left at their defaults when
// decoding 3.1.1. PUBACK, PUBREC, PUBREL and PUBCOMP share one shape (PubAck) and are
// told apart by `type`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "mqtt/reason_code.h"

namespace tributary::mqtt {

enum class Version : uint8_t { kV311 = 4, kV5 = 5 };

enum class PacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

const char* PacketTypeName(PacketType t);

enum class QoS : uint8_t { kAtMostOnce = 0, kAtLeastOnce = 1, kExactlyOnce = 2 };

using UserProperties = std::vector<std::pair<std::string, std::string>>;

// MQTT 5 properties (spec section 2.2.2.2). Each packet uses a subset; the codec
// rejects a property that is not allowed on the packet being decoded (Malformed Packet,
// spec 2.2.2.2) and a repeated property that may appear once (Protocol Error).
struct Properties {
  std::optional<uint8_t> payload_format_indicator;       // 0x01
  std::optional<uint32_t> message_expiry_interval;       // 0x02
  std::optional<std::string> content_type;               // 0x03
  std::optional<std::string> response_topic;             // 0x08
  std::optional<std::string> correlation_data;           // 0x09 (binary)
  std::vector<uint32_t> subscription_identifiers;        // 0x0B (varint, may repeat on PUBLISH)
  std::optional<uint32_t> session_expiry_interval;       // 0x11
  std::optional<std::string> assigned_client_identifier; // 0x12
  std::optional<uint16_t> server_keep_alive;             // 0x13
  std::optional<std::string> authentication_method;      // 0x15
  std::optional<std::string> authentication_data;        // 0x16 (binary)
  std::optional<uint8_t> request_problem_information;    // 0x17
  std::optional<uint32_t> will_delay_interval;           // 0x18
  std::optional<uint8_t> request_response_information;   // 0x19
  std::optional<std::string> response_information;       // 0x1A
  std::optional<std::string> server_reference;           // 0x1C
  std::optional<std::string> reason_string;              // 0x1F
  std::optional<uint16_t> receive_maximum;               // 0x21
  std::optional<uint16_t> topic_alias_maximum;           // 0x22
  std::optional<uint16_t> topic_alias;                   // 0x23
  std::optional<uint8_t> maximum_qos;                    // 0x24
  std::optional<uint8_t> retain_available;               // 0x25
  UserProperties user_properties;                        // 0x26 (may repeat, order kept)
  std::optional<uint32_t> maximum_packet_size;           // 0x27
  std::optional<uint8_t> wildcard_subscription_available;    // 0x28
  std::optional<uint8_t> subscription_identifier_available;  // 0x29
  std::optional<uint8_t> shared_subscription_available;      // 0x2A

  bool operator==(const Properties&) const = default;
};

struct Will {
  std::string topic;
  std::string payload;
  QoS qos = QoS::kAtMostOnce;
  bool retain = false;
  Properties properties;  // will properties (v5): delay interval, expiry, content type...
  bool operator==(const Will&) const = default;
};

struct Connect {
  Version version = Version::kV5;
  std::string client_id;
  bool clean_start = true;  // "clean session" in 3.1.1
  uint16_t keep_alive = 60; // seconds
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  // binary
  Properties properties;
  bool operator==(const Connect&) const = default;
};

struct Connack {
  bool session_present = false;
  // v5 reason code; for 3.1.1 the codec maps it to the nearest return code (0..5).
  ReasonCode reason = ReasonCode::kSuccess;
  Properties properties;
  bool operator==(const Connack&) const = default;
};

struct Publish {
  bool dup = false;
  QoS qos = QoS::kAtMostOnce;
  bool retain = false;
  std::string topic;       // may be empty in v5 when a topic alias is used
  uint16_t packet_id = 0;  // only for QoS 1 and 2
  Properties properties;
  std::string payload;
  bool operator==(const Publish&) const = default;
};

// PUBACK, PUBREC, PUBREL, PUBCOMP.
struct PubAck {
  PacketType type = PacketType::kPuback;
  uint16_t packet_id = 0;
  ReasonCode reason = ReasonCode::kSuccess;
  Properties properties;
  bool operator==(const PubAck&) const = default;
};

// Subscription options byte (v5 3.8.3.1); 3.1.1 uses only max_qos.
struct SubscribeOptions {
  QoS max_qos = QoS::kAtMostOnce;
  bool no_local = false;
  bool retain_as_published = false;
  uint8_t retain_handling = 0;  // 0 send at subscribe, 1 only if new, 2 never
  bool operator==(const SubscribeOptions&) const = default;
};

struct Subscribe {
  uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::pair<std::string, SubscribeOptions>> filters;
  bool operator==(const Subscribe&) const = default;
};

struct Suback {
  uint16_t packet_id = 0;
  Properties properties;
  // One per filter: granted QoS (0x00..0x02) or an error reason (>= 0x80). For 3.1.1
  // every error is encoded as 0x80.
  std::vector<ReasonCode> reasons;
  bool operator==(const Suback&) const = default;
};

struct Unsubscribe {
  uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::string> filters;
  bool operator==(const Unsubscribe&) const = default;
};

struct Unsuback {
  uint16_t packet_id = 0;
  Properties properties;
  std::vector<ReasonCode> reasons;  // v5 only; empty for 3.1.1
  bool operator==(const Unsuback&) const = default;
};

struct Pingreq {
  bool operator==(const Pingreq&) const = default;
};
struct Pingresp {
  bool operator==(const Pingresp&) const = default;
};

struct Disconnect {
  ReasonCode reason = ReasonCode::kSuccess;  // v5 only
  Properties properties;
  bool operator==(const Disconnect&) const = default;
};

struct Auth {  // v5 only
  ReasonCode reason = ReasonCode::kSuccess;
  Properties properties;
  bool operator==(const Auth&) const = default;
};

using Packet = std::variant<Connect, Connack, Publish, PubAck, Subscribe, Suback, Unsubscribe,
                            Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

PacketType TypeOf(const Packet& p);

}  // namespace tributary::mqtt
