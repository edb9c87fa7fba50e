#include "mqtt/properties.h"

#include <array>

#include "mqtt/topic.h"

namespace tributary::mqtt::internal {

namespace {

constexpr uint16_t Bit(PropertyContext c) { return uint16_t{1} << static_cast<int>(c); }
constexpr uint16_t kConnectB = Bit(PropertyContext::kConnect);
constexpr uint16_t kConnackB = Bit(PropertyContext::kConnack);
constexpr uint16_t kPublishB = Bit(PropertyContext::kPublish);
constexpr uint16_t kWillB = Bit(PropertyContext::kWill);
constexpr uint16_t kPubAckB = Bit(PropertyContext::kPubAck);
constexpr uint16_t kSubscribeB = Bit(PropertyContext::kSubscribe);
constexpr uint16_t kSubackB = Bit(PropertyContext::kSuback);
constexpr uint16_t kUnsubscribeB = Bit(PropertyContext::kUnsubscribe);
constexpr uint16_t kUnsubackB = Bit(PropertyContext::kUnsuback);
constexpr uint16_t kDisconnectB = Bit(PropertyContext::kDisconnect);
constexpr uint16_t kAuthB = Bit(PropertyContext::kAuth);

struct PropertyInfo {
  const char* name = nullptr;   // nullptr: identifier not defined by the spec
  const char* field = nullptr;  // as named in error messages
  uint16_t allowed = 0;         // PropertyContext bits
};

constexpr std::array<PropertyInfo, 0x2B> MakeTable() {
  std::array<PropertyInfo, 0x2B> t{};
  auto set = [&t](uint8_t id, const char* name, const char* field, uint16_t allowed) {
    t[id] = PropertyInfo{name, field, allowed};
  };
  set(kPayloadFormatIndicator, "Payload Format Indicator", "Payload Format Indicator property",
      kPublishB | kWillB);
  set(kMessageExpiryInterval, "Message Expiry Interval", "Message Expiry Interval property",
      kPublishB | kWillB);
  set(kContentType, "Content Type", "Content Type property", kPublishB | kWillB);
  set(kResponseTopic, "Response Topic", "Response Topic property", kPublishB | kWillB);
  set(kCorrelationData, "Correlation Data", "Correlation Data property", kPublishB | kWillB);
  set(kSubscriptionIdentifier, "Subscription Identifier", "Subscription Identifier property",
      kPublishB | kSubscribeB);
  set(kSessionExpiryInterval, "Session Expiry Interval", "Session Expiry Interval property",
      kConnectB | kConnackB | kDisconnectB);
  set(kAssignedClientIdentifier, "Assigned Client Identifier",
      "Assigned Client Identifier property", kConnackB);
  set(kServerKeepAlive, "Server Keep Alive", "Server Keep Alive property", kConnackB);
  set(kAuthenticationMethod, "Authentication Method", "Authentication Method property",
      kConnectB | kConnackB | kAuthB);
  set(kAuthenticationData, "Authentication Data", "Authentication Data property",
      kConnectB | kConnackB | kAuthB);
  set(kRequestProblemInformation, "Request Problem Information",
      "Request Problem Information property", kConnectB);
  set(kWillDelayInterval, "Will Delay Interval", "Will Delay Interval property", kWillB);
  set(kRequestResponseInformation, "Request Response Information",
      "Request Response Information property", kConnectB);
  set(kResponseInformation, "Response Information", "Response Information property", kConnackB);
  set(kServerReference, "Server Reference", "Server Reference property", kConnackB | kDisconnectB);
  set(kReasonString, "Reason String", "Reason String property",
      kConnackB | kPubAckB | kSubackB | kUnsubackB | kDisconnectB | kAuthB);
  set(kReceiveMaximum, "Receive Maximum", "Receive Maximum property", kConnectB | kConnackB);
  set(kTopicAliasMaximum, "Topic Alias Maximum", "Topic Alias Maximum property",
      kConnectB | kConnackB);
  set(kTopicAlias, "Topic Alias", "Topic Alias property", kPublishB);
  set(kMaximumQoS, "Maximum QoS", "Maximum QoS property", kConnackB);
  set(kRetainAvailable, "Retain Available", "Retain Available property", kConnackB);
  set(kUserProperty, "User Property", "User Property",
      kConnectB | kConnackB | kPublishB | kWillB | kPubAckB | kSubscribeB | kSubackB |
          kUnsubscribeB | kUnsubackB | kDisconnectB | kAuthB);
  set(kMaximumPacketSize, "Maximum Packet Size", "Maximum Packet Size property",
      kConnectB | kConnackB);
  set(kWildcardSubscriptionAvailable, "Wildcard Subscription Available",
      "Wildcard Subscription Available property", kConnackB);
  set(kSubscriptionIdentifierAvailable, "Subscription Identifier Available",
      "Subscription Identifier Available property", kConnackB);
  set(kSharedSubscriptionAvailable, "Shared Subscription Available",
      "Shared Subscription Available property", kConnackB);
  return t;
}

constexpr std::array<PropertyInfo, 0x2B> kTable = MakeTable();

const char* ContextName(PropertyContext ctx) {
  switch (ctx) {
    case PropertyContext::kConnect:
      return "CONNECT";
    case PropertyContext::kConnack:
      return "CONNACK";
    case PropertyContext::kPublish:
      return "PUBLISH";
    case PropertyContext::kWill:
      return "will properties";
    case PropertyContext::kPubAck:
      return "PUBACK, PUBREC, PUBREL or PUBCOMP";
    case PropertyContext::kSubscribe:
      return "SUBSCRIBE";
    case PropertyContext::kSuback:
      return "SUBACK";
    case PropertyContext::kUnsubscribe:
      return "UNSUBSCRIBE";
    case PropertyContext::kUnsuback:
      return "UNSUBACK";
    case PropertyContext::kDisconnect:
      return "DISCONNECT";
    case PropertyContext::kAuth:
      return "AUTH";
  }
  return "?";
}

std::string Hex(uint32_t v) {
  static const char kDigits[] = "0123456789ABCDEF";
  std::string s = "0x";
  s += kDigits[(v >> 4) & 0xF];
  s += kDigits[v & 0xF];
  return s;
}

// Reads one property value (the identifier is already read and checked).
class ValueReader {
 public:
  ValueReader(Reader& r, uint8_t id, size_t at) : r_(r), f_{kTable[id].field}, at_(at) {}

  bool Byte01(std::optional<uint8_t>* dst) {
    uint8_t v = 0;
    if (!r_.U8(&v, f_)) return false;
    if (v > 1) {
      return r_.FailAt(ReasonCode::kProtocolError, f_, "must be 0 or 1 but is " + std::to_string(v),
                       at_);
    }
    *dst = v;
    return true;
  }
  bool U16(std::optional<uint16_t>* dst, bool nonzero, ReasonCode zero_rc) {
    uint16_t v = 0;
    if (!r_.U16(&v, f_)) return false;
    if (nonzero && v == 0) return r_.FailAt(zero_rc, f_, "must not be 0", at_);
    *dst = v;
    return true;
  }
  bool U32(std::optional<uint32_t>* dst, bool nonzero) {
    uint32_t v = 0;
    if (!r_.U32(&v, f_)) return false;
    if (nonzero && v == 0) return r_.FailAt(ReasonCode::kProtocolError, f_, "must not be 0", at_);
    *dst = v;
    return true;
  }
  bool Utf8(std::optional<std::string>* dst) {
    std::string_view v;
    if (!r_.Utf8(&v, f_)) return false;
    dst->emplace(v);
    return true;
  }
  bool Binary(std::optional<std::string>* dst) {
    std::string_view v;
    if (!r_.Binary(&v, f_)) return false;
    dst->emplace(v);
    return true;
  }
  bool TopicName(std::optional<std::string>* dst) {
    std::string_view v;
    if (!r_.Utf8(&v, f_)) return false;
    if (!IsValidTopicName(v)) {
      return r_.FailAt(ReasonCode::kProtocolError, f_,
                       "is not a valid topic name (empty or has a wildcard)", at_);
    }
    dst->emplace(v);
    return true;
  }
  bool SubscriptionId(std::vector<uint32_t>* dst) {
    uint32_t v = 0;
    if (!r_.VarInt(&v, f_)) return false;
    if (v == 0) return r_.FailAt(ReasonCode::kProtocolError, f_, "must not be 0", at_);
    dst->push_back(v);
    return true;
  }
  bool UserProperty(UserProperties* dst) {
    std::string_view k, v;
    if (!r_.Utf8(&k, Field{"User Property name"})) return false;
    if (!r_.Utf8(&v, Field{"User Property value"})) return false;
    dst->emplace_back(k, v);
    return true;
  }

 private:
  Reader& r_;
  Field f_;
  size_t at_;
};

bool ReadValue(Reader& r, uint8_t id, size_t at, Properties* p) {
  ValueReader v(r, id, at);
  switch (id) {
    case kPayloadFormatIndicator:
      return v.Byte01(&p->payload_format_indicator);
    case kMessageExpiryInterval:
      return v.U32(&p->message_expiry_interval, false);
    case kContentType:
      return v.Utf8(&p->content_type);
    case kResponseTopic:
      return v.TopicName(&p->response_topic);
    case kCorrelationData:
      return v.Binary(&p->correlation_data);
    case kSubscriptionIdentifier:
      return v.SubscriptionId(&p->subscription_identifiers);
    case kSessionExpiryInterval:
      return v.U32(&p->session_expiry_interval, false);
    case kAssignedClientIdentifier:
      return v.Utf8(&p->assigned_client_identifier);
    case kServerKeepAlive:
      return v.U16(&p->server_keep_alive, false, ReasonCode::kProtocolError);
    case kAuthenticationMethod:
      return v.Utf8(&p->authentication_method);
    case kAuthenticationData:
      return v.Binary(&p->authentication_data);
    case kRequestProblemInformation:
      return v.Byte01(&p->request_problem_information);
    case kWillDelayInterval:
      return v.U32(&p->will_delay_interval, false);
    case kRequestResponseInformation:
      return v.Byte01(&p->request_response_information);
    case kResponseInformation:
      return v.Utf8(&p->response_information);
    case kServerReference:
      return v.Utf8(&p->server_reference);
    case kReasonString:
      return v.Utf8(&p->reason_string);
    case kReceiveMaximum:
      return v.U16(&p->receive_maximum, true, ReasonCode::kProtocolError);
    case kTopicAliasMaximum:
      return v.U16(&p->topic_alias_maximum, false, ReasonCode::kProtocolError);
    case kTopicAlias:
      return v.U16(&p->topic_alias, true, ReasonCode::kTopicAliasInvalid);
    case kMaximumQoS:
      return v.Byte01(&p->maximum_qos);
    case kRetainAvailable:
      return v.Byte01(&p->retain_available);
    case kUserProperty:
      return v.UserProperty(&p->user_properties);
    case kMaximumPacketSize:
      return v.U32(&p->maximum_packet_size, true);
    case kWildcardSubscriptionAvailable:
      return v.Byte01(&p->wildcard_subscription_available);
    case kSubscriptionIdentifierAvailable:
      return v.Byte01(&p->subscription_identifier_available);
    case kSharedSubscriptionAvailable:
      return v.Byte01(&p->shared_subscription_available);
  }
  return r.FailAt(ReasonCode::kMalformedPacket, Field{"property identifier"},
                  Hex(id) + " is unknown", at);
}

}  // namespace

bool PropertyAllowed(uint8_t id, PropertyContext ctx) {
  return id < kTable.size() && (kTable[id].allowed & Bit(ctx)) != 0;
}

const char* PropertyName(uint8_t id) {
  return id < kTable.size() && kTable[id].name ? kTable[id].name : "unknown property";
}

bool ReadProperties(Reader& r, PropertyContext ctx, Properties* out) {
  uint32_t len = 0;
  if (!r.VarInt(&len, Field{"property length"})) return false;
  if (len > r.remaining()) {
    return r.Fail(ReasonCode::kMalformedPacket, Field{"property length"},
                  "is " + std::to_string(len) + " but only " + std::to_string(r.remaining()) +
                      " bytes follow");
  }
  if (len == 0) return true;
  Reader pr = r.Sub(len);
  uint64_t seen = 0;
  while (!pr.empty()) {
    size_t at = pr.offset();
    uint32_t id32 = 0;
    if (!pr.VarInt(&id32, Field{"property identifier"})) return false;
    if (id32 >= kTable.size() || kTable[id32].name == nullptr) {
      return pr.FailAt(ReasonCode::kMalformedPacket, Field{"property identifier"},
                       Hex(id32) + " is unknown", at);
    }
    auto id = static_cast<uint8_t>(id32);
    if (!PropertyAllowed(id, ctx)) {
      return pr.FailAt(ReasonCode::kMalformedPacket, Field{kTable[id].field},
                       std::string("is not allowed in ") + ContextName(ctx), at);
    }
    bool repeatable =
        id == kUserProperty || (id == kSubscriptionIdentifier && ctx == PropertyContext::kPublish);
    if (!repeatable) {
      uint64_t bit = uint64_t{1} << id;
      if (seen & bit) {
        return pr.FailAt(ReasonCode::kProtocolError, Field{kTable[id].field},
                         "appears more than once", at);
      }
      seen |= bit;
    }
    if (!ReadValue(pr, id, at, out)) return false;
  }
  return true;
}

size_t PropertyBodySize(const Properties& p, PropertyContext ctx) {
  Counter c;
  WritePropertyBody(p, ctx, c);
  return c.size();
}

}  // namespace tributary::mqtt::internal
