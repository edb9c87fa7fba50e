// MQTT 5 properties (spec 2.2.2): which property may appear on which packet, and
// their decoding and encoding. Internal to src/mqtt/. Pure functions, thread-safe.
//
// The encoder writes only the properties allowed on the packet being encoded, in
// identifier order (user properties and subscription identifiers keep their order),
// so a Properties value taken from one packet can be reused on another.
#pragma once

#include <cstdint>

#include "mqtt/packet.h"
#include "mqtt/wire.h"

namespace tributary::mqtt::internal {

// Where a property block sits. PUBACK, PUBREC, PUBREL and PUBCOMP share kPubAck.
enum class PropertyContext : uint8_t {
  kConnect,
  kConnack,
  kPublish,
  kWill,
  kPubAck,
  kSubscribe,
  kSuback,
  kUnsubscribe,
  kUnsuback,
  kDisconnect,
  kAuth,
};

enum PropertyId : uint8_t {
  kPayloadFormatIndicator = 0x01,
  kMessageExpiryInterval = 0x02,
  kContentType = 0x03,
  kResponseTopic = 0x08,
  kCorrelationData = 0x09,
  kSubscriptionIdentifier = 0x0B,
  kSessionExpiryInterval = 0x11,
  kAssignedClientIdentifier = 0x12,
  kServerKeepAlive = 0x13,
  kAuthenticationMethod = 0x15,
  kAuthenticationData = 0x16,
  kRequestProblemInformation = 0x17,
  kWillDelayInterval = 0x18,
  kRequestResponseInformation = 0x19,
  kResponseInformation = 0x1A,
  kServerReference = 0x1C,
  kReasonString = 0x1F,
  kReceiveMaximum = 0x21,
  kTopicAliasMaximum = 0x22,
  kTopicAlias = 0x23,
  kMaximumQoS = 0x24,
  kRetainAvailable = 0x25,
  kUserProperty = 0x26,
  kMaximumPacketSize = 0x27,
  kWildcardSubscriptionAvailable = 0x28,
  kSubscriptionIdentifierAvailable = 0x29,
  kSharedSubscriptionAvailable = 0x2A,
};

// Whether property `id` may appear in `ctx` (spec table 2-4).
bool PropertyAllowed(uint8_t id, PropertyContext ctx);
// "Topic Alias"; "unknown property" for an identifier the spec does not define.
const char* PropertyName(uint8_t id);

// Reads a property length and the properties after it into `*out`. Unknown or
// disallowed identifiers and bad values are Malformed Packet; a repeated property
// that may appear once, or a value the spec forbids (0 for Receive Maximum...), is
// Protocol Error. Returns false with the error recorded in `r`.
bool ReadProperties(Reader& r, PropertyContext ctx, Properties* out);

// Byte count of the properties (without the length prefix) as encoded in `ctx`.
size_t PropertyBodySize(const Properties& p, PropertyContext ctx);

template <class Out>
void WritePropertyBody(const Properties& p, PropertyContext ctx, Out& o) {
  auto ok = [ctx](uint8_t id) { return PropertyAllowed(id, ctx); };
  auto byte = [&](uint8_t id, const std::optional<uint8_t>& v) {
    if (v && ok(id)) {
      o.U8(id);
      o.U8(*v);
    }
  };
  auto u16 = [&](uint8_t id, const std::optional<uint16_t>& v) {
    if (v && ok(id)) {
      o.U8(id);
      o.U16(*v);
    }
  };
  auto u32 = [&](uint8_t id, const std::optional<uint32_t>& v) {
    if (v && ok(id)) {
      o.U8(id);
      o.U32(*v);
    }
  };
  auto str = [&](uint8_t id, const std::optional<std::string>& v) {
    if (v && ok(id)) {
      o.U8(id);
      o.Str(*v);
    }
  };
  byte(kPayloadFormatIndicator, p.payload_format_indicator);
  u32(kMessageExpiryInterval, p.message_expiry_interval);
  str(kContentType, p.content_type);
  str(kResponseTopic, p.response_topic);
  str(kCorrelationData, p.correlation_data);
  if (ok(kSubscriptionIdentifier)) {
    // Only PUBLISH may carry several; SUBSCRIBE carries at most one.
    for (uint32_t id : p.subscription_identifiers) {
      o.U8(kSubscriptionIdentifier);
      o.VarInt(id);
      if (ctx != PropertyContext::kPublish) break;
    }
  }
  u32(kSessionExpiryInterval, p.session_expiry_interval);
  str(kAssignedClientIdentifier, p.assigned_client_identifier);
  u16(kServerKeepAlive, p.server_keep_alive);
  str(kAuthenticationMethod, p.authentication_method);
  str(kAuthenticationData, p.authentication_data);
  byte(kRequestProblemInformation, p.request_problem_information);
  u32(kWillDelayInterval, p.will_delay_interval);
  byte(kRequestResponseInformation, p.request_response_information);
  str(kResponseInformation, p.response_information);
  str(kServerReference, p.server_reference);
  str(kReasonString, p.reason_string);
  u16(kReceiveMaximum, p.receive_maximum);
  u16(kTopicAliasMaximum, p.topic_alias_maximum);
  u16(kTopicAlias, p.topic_alias);
  byte(kMaximumQoS, p.maximum_qos);
  byte(kRetainAvailable, p.retain_available);
  if (ok(kUserProperty)) {
    for (const auto& [k, v] : p.user_properties) {
      o.U8(kUserProperty);
      o.Str(k);
      o.Str(v);
    }
  }
  u32(kMaximumPacketSize, p.maximum_packet_size);
  byte(kWildcardSubscriptionAvailable, p.wildcard_subscription_available);
  byte(kSubscriptionIdentifierAvailable, p.subscription_identifier_available);
  byte(kSharedSubscriptionAvailable, p.shared_subscription_available);
}

// Property length followed by the properties.
inline void WriteProperties(const Properties& p, PropertyContext ctx, Writer& w) {
  w.VarInt(static_cast<uint32_t>(PropertyBodySize(p, ctx)));
  WritePropertyBody(p, ctx, w);
}
inline void WriteProperties(const Properties& p, PropertyContext ctx, Counter& c) {
  size_t n = PropertyBodySize(p, ctx);
  c.VarInt(static_cast<uint32_t>(n));
  c.Add(n);
}

}  // namespace tributary::mqtt::internal
