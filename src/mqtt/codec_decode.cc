// Decode(): one function per packet type over a Reader that records the first error.
// Each reads the variable header and payload of a frame whose fixed header Decode()
// has already checked, fills the packet in place and returns false on error.
#include <cstring>

#include "mqtt/codec.h"
#include "mqtt/properties.h"
#include "mqtt/topic.h"
#include "mqtt/wire.h"

namespace tributary::mqtt {

namespace {

using internal::Field;
using internal::PropertyContext;
using internal::Reader;
using internal::ReadProperties;

using Result = std::variant<Packet, DecodeError>;

// Constructs the packet in place in the result (no default Connect built first).
template <typename T>
T& Emplace(Result& r) {
  return std::get<T>(r.emplace<Packet>(std::in_place_type<T>));
}

constexpr ReasonCode kMalformed = ReasonCode::kMalformedPacket;
constexpr ReasonCode kProtocol = ReasonCode::kProtocolError;

std::string Hex(uint8_t v) {
  static const char kDigits[] = "0123456789ABCDEF";
  return std::string("0x") + kDigits[v >> 4] + kDigits[v & 0xF];
}

// Reason codes each v5 packet may carry (spec 3.2.2.2, 3.4.2.1, 3.6.2.1, 3.9.3,
// 3.11.3, 3.14.2.1, 3.15.2.1).
bool ValidReason(PacketType t, uint8_t rc) {
  switch (t) {
    case PacketType::kConnack:
      return rc == 0x00 || (rc >= 0x80 && rc <= 0x8A) || rc == 0x8C || rc == 0x90 || rc == 0x95 ||
             rc == 0x97 || (rc >= 0x99 && rc <= 0x9D) || rc == 0x9F;
    case PacketType::kPuback:
    case PacketType::kPubrec:
      return rc == 0x00 || rc == 0x10 || rc == 0x80 || rc == 0x83 || rc == 0x87 || rc == 0x90 ||
             rc == 0x91 || rc == 0x97 || rc == 0x99;
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
      return rc == 0x00 || rc == 0x92;
    case PacketType::kSuback:
      return rc <= 0x02 || rc == 0x80 || rc == 0x83 || rc == 0x87 || rc == 0x8F || rc == 0x91 ||
             rc == 0x97 || rc == 0x9E || rc == 0xA1 || rc == 0xA2;
    case PacketType::kUnsuback:
      return rc == 0x00 || rc == 0x11 || rc == 0x80 || rc == 0x83 || rc == 0x87 || rc == 0x8F ||
             rc == 0x91;
    case PacketType::kDisconnect:
      return rc == 0x00 || rc == 0x04 || (rc >= 0x80 && rc <= 0x83) || rc == 0x87 || rc == 0x89 ||
             rc == 0x8B || (rc >= 0x8D && rc <= 0x90) || (rc >= 0x93 && rc <= 0xA2);
    case PacketType::kAuth:
      return rc == 0x00 || rc == 0x18 || rc == 0x19;
    default:
      return false;
  }
}

bool ReadReason(Reader& r, PacketType t, Field f, ReasonCode* out) {
  uint8_t rc = 0;
  if (!r.U8(&rc, f)) return false;
  if (!ValidReason(t, rc)) {
    return r.FailAt(kProtocol, f, Hex(rc) + " is not a valid reason code for this packet",
                    r.offset() - 1);
  }
  *out = static_cast<ReasonCode>(rc);
  return true;
}

bool ReadPacketId(Reader& r, uint16_t* id) {
  Field f{"packet identifier"};
  if (!r.U16(id, f)) return false;
  if (*id == 0) return r.FailAt(kProtocol, f, "must not be 0", r.offset() - 2);
  return true;
}

bool ExpectEnd(Reader& r) {
  if (r.empty()) return true;
  return r.Fail(kMalformed, Field{"packet"},
                "has " + std::to_string(r.remaining()) + " unexpected trailing bytes");
}

bool HasWildcard(std::string_view s) {
  return std::memchr(s.data(), '+', s.size()) != nullptr ||
         std::memchr(s.data(), '#', s.size()) != nullptr;
}

bool DecodeConnect(Reader& r, Result& out) {
  Connect& c = Emplace<Connect>(out);
  std::string_view name;
  if (!r.Utf8(&name, Field{"protocol name"})) return false;
  if (name == "MQIsdp") {
    return r.Fail(ReasonCode::kUnsupportedProtocolVersion, Field{"protocol name"},
                  "\"MQIsdp\" is MQTT 3.1, which is not supported (use 3.1.1 or 5.0)");
  }
  if (name != "MQTT") {
    return r.Fail(kProtocol, Field{"protocol name"}, "is not \"MQTT\"");
  }
  uint8_t level = 0;
  if (!r.U8(&level, Field{"protocol level"})) return false;
  if (level != 4 && level != 5) {
    return r.FailAt(ReasonCode::kUnsupportedProtocolVersion, Field{"protocol level"},
                    std::to_string(level) + " is not supported (4 is MQTT 3.1.1 and 5 is MQTT 5.0)",
                    r.offset() - 1);
  }
  c.version = static_cast<Version>(level);
  const bool v5 = c.version == Version::kV5;

  uint8_t flags = 0;
  Field ff{"connect flags"};
  if (!r.U8(&flags, ff)) return false;
  size_t flags_at = r.offset() - 1;
  if (flags & 0x01) return r.FailAt(kMalformed, ff, "has the reserved bit set", flags_at);
  c.clean_start = (flags & 0x02) != 0;
  bool will = (flags & 0x04) != 0;
  uint8_t will_qos = (flags >> 3) & 0x03;
  bool will_retain = (flags & 0x20) != 0;
  bool password = (flags & 0x40) != 0;
  bool username = (flags & 0x80) != 0;
  if (!will && (will_qos != 0 || will_retain)) {
    return r.FailAt(kMalformed, ff, "set will QoS or will retain without the will flag", flags_at);
  }
  if (will_qos == 3) return r.FailAt(kMalformed, ff, "set will QoS 3", flags_at);
  if (!v5 && password && !username) {
    return r.FailAt(kMalformed, ff, "set the password flag without the user name flag", flags_at);
  }
  if (!r.U16(&c.keep_alive, Field{"keep alive"})) return false;
  if (v5) {
    if (!ReadProperties(r, PropertyContext::kConnect, &c.properties)) return false;
    if (c.properties.authentication_data && !c.properties.authentication_method) {
      return r.Fail(kProtocol, Field{"properties"},
                    "have Authentication Data without an Authentication Method");
    }
  }

  std::string_view s;
  if (!r.Utf8(&s, Field{"client identifier"})) return false;
  c.client_id.assign(s);
  if (will) {
    Will& w = c.will.emplace();
    w.qos = static_cast<QoS>(will_qos);
    w.retain = will_retain;
    if (v5 && !ReadProperties(r, PropertyContext::kWill, &w.properties)) return false;
    size_t topic_at = r.offset();
    if (!r.Utf8(&s, Field{"will topic"})) return false;
    if (!IsValidTopicName(s)) {
      return r.FailAt(ReasonCode::kTopicNameInvalid, Field{"will topic"},
                      "is empty or has a wildcard", topic_at);
    }
    w.topic.assign(s);
    if (!r.Binary(&s, Field{"will payload"})) return false;
    w.payload.assign(s);
  }
  if (username) {
    if (!r.Utf8(&s, Field{"user name"})) return false;
    c.username.emplace(s);
  }
  if (password) {
    if (!r.Binary(&s, Field{"password"})) return false;
    c.password.emplace(s);
  }
  return ExpectEnd(r);
}

bool DecodeConnack(Reader& r, Version version, Result& out) {
  Connack& c = Emplace<Connack>(out);
  uint8_t flags = 0;
  Field ff{"acknowledge flags"};
  if (!r.U8(&flags, ff)) return false;
  if (flags & 0xFE) return r.FailAt(kMalformed, ff, "has reserved bits set", r.offset() - 1);
  c.session_present = (flags & 0x01) != 0;
  if (version == Version::kV311) {
    uint8_t code = 0;
    if (!r.U8(&code, Field{"return code"})) return false;
    static constexpr ReasonCode kFromV311[] = {ReasonCode::kSuccess,
                                               ReasonCode::kUnsupportedProtocolVersion,
                                               ReasonCode::kClientIdentifierNotValid,
                                               ReasonCode::kServerUnavailable,
                                               ReasonCode::kBadUserNameOrPassword,
                                               ReasonCode::kNotAuthorized};
    if (code > 5) {
      return r.FailAt(kProtocol, Field{"return code"}, std::to_string(code) + " is not 0..5",
                      r.offset() - 1);
    }
    c.reason = kFromV311[code];
  } else {
    if (!ReadReason(r, PacketType::kConnack, Field{"reason code"}, &c.reason)) return false;
    if (!ReadProperties(r, PropertyContext::kConnack, &c.properties)) return false;
  }
  if (c.session_present && IsError(c.reason)) {
    return r.FailAt(kProtocol, ff, "set session present on a refused connection", 2);
  }
  return ExpectEnd(r);
}

bool DecodePublish(Reader& r, uint8_t flags, Version version, Result& out) {
  Publish& p = Emplace<Publish>(out);
  uint8_t qos = (flags >> 1) & 0x03;
  Field fh{"fixed header flags"};
  if (qos == 3) return r.FailAt(kMalformed, fh, "set QoS 3", 0);
  p.qos = static_cast<QoS>(qos);
  p.dup = (flags & 0x08) != 0;
  p.retain = (flags & 0x01) != 0;
  if (p.dup && qos == 0) return r.FailAt(kMalformed, fh, "set DUP on a QoS 0 message", 0);

  size_t topic_at = r.offset();
  std::string_view topic;
  if (!r.Utf8(&topic, Field{"topic name"})) return false;
  if (qos > 0 && !ReadPacketId(r, &p.packet_id)) return false;
  if (version == Version::kV5 && !ReadProperties(r, PropertyContext::kPublish, &p.properties)) {
    return false;
  }
  if (topic.empty()) {
    if (version == Version::kV311) {
      return r.FailAt(ReasonCode::kTopicNameInvalid, Field{"topic name"}, "is empty", topic_at);
    }
    if (!p.properties.topic_alias) {
      return r.FailAt(kProtocol, Field{"topic name"}, "is empty and there is no Topic Alias",
                      topic_at);
    }
  }
  if (HasWildcard(topic)) {
    return r.FailAt(ReasonCode::kTopicNameInvalid, Field{"topic name"},
                    "contains a wildcard ('+' or '#')", topic_at);
  }
  p.topic.assign(topic);
  p.payload.assign(r.Rest());
  return true;
}

bool DecodePubAck(Reader& r, PacketType type, Version version, Result& out) {
  PubAck& a = Emplace<PubAck>(out);
  a.type = type;
  if (!ReadPacketId(r, &a.packet_id)) return false;
  if (version == Version::kV5) {
    if (!r.empty() && !ReadReason(r, type, Field{"reason code"}, &a.reason)) return false;
    if (!r.empty() && !ReadProperties(r, PropertyContext::kPubAck, &a.properties)) return false;
  }
  return ExpectEnd(r);
}

bool DecodeSubscribe(Reader& r, Version version, Result& out) {
  Subscribe& s = Emplace<Subscribe>(out);
  const bool v5 = version == Version::kV5;
  if (!ReadPacketId(r, &s.packet_id)) return false;
  if (v5 && !ReadProperties(r, PropertyContext::kSubscribe, &s.properties)) return false;
  if (r.empty()) return r.Fail(kProtocol, Field{"payload"}, "has no topic filters");
  for (int i = 1; !r.empty(); ++i) {
    std::string_view filter;
    if (!r.Utf8(&filter, Field{"topic filter", i})) return false;
    uint8_t o = 0;
    Field fo{"subscription options", i};
    if (!r.U8(&o, fo)) return false;
    size_t at = r.offset() - 1;
    SubscribeOptions opts;
    uint8_t qos = o & 0x03;
    if (o & (v5 ? 0xC0 : 0xFC)) return r.FailAt(kMalformed, fo, "have reserved bits set", at);
    if (qos == 3) return r.FailAt(v5 ? kProtocol : kMalformed, fo, "ask for QoS 3", at);
    opts.max_qos = static_cast<QoS>(qos);
    if (v5) {
      opts.no_local = (o & 0x04) != 0;
      opts.retain_as_published = (o & 0x08) != 0;
      opts.retain_handling = (o >> 4) & 0x03;
      if (opts.retain_handling == 3) {
        return r.FailAt(kProtocol, fo, "set Retain Handling 3", at);
      }
      if (opts.no_local && filter.starts_with("$share/")) {
        return r.FailAt(kProtocol, fo, "set No Local on a shared subscription", at);
      }
    }
    s.filters.emplace_back(std::string(filter), opts);
  }
  return true;
}

bool DecodeSuback(Reader& r, Version version, Result& out) {
  Suback& s = Emplace<Suback>(out);
  if (!ReadPacketId(r, &s.packet_id)) return false;
  if (version == Version::kV5 && !ReadProperties(r, PropertyContext::kSuback, &s.properties)) {
    return false;
  }
  if (r.empty()) return r.Fail(kProtocol, Field{"payload"}, "has no reason codes");
  s.reasons.reserve(r.remaining());
  for (int i = 1; !r.empty(); ++i) {
    if (version == Version::kV5) {
      ReasonCode rc = ReasonCode::kSuccess;
      if (!ReadReason(r, PacketType::kSuback, Field{"reason code", i}, &rc)) return false;
      s.reasons.push_back(rc);
    } else {
      uint8_t code = 0;
      if (!r.U8(&code, Field{"return code", i})) return false;
      if (code > 2 && code != 0x80) {
        return r.FailAt(kProtocol, Field{"return code", i},
                        Hex(code) + " is not 0x00, 0x01, 0x02 or 0x80", r.offset() - 1);
      }
      s.reasons.push_back(static_cast<ReasonCode>(code));
    }
  }
  return true;
}

bool DecodeUnsubscribe(Reader& r, Version version, Result& out) {
  Unsubscribe& u = Emplace<Unsubscribe>(out);
  if (!ReadPacketId(r, &u.packet_id)) return false;
  if (version == Version::kV5 && !ReadProperties(r, PropertyContext::kUnsubscribe, &u.properties)) {
    return false;
  }
  if (r.empty()) return r.Fail(kProtocol, Field{"payload"}, "has no topic filters");
  for (int i = 1; !r.empty(); ++i) {
    std::string_view filter;
    if (!r.Utf8(&filter, Field{"topic filter", i})) return false;
    u.filters.emplace_back(filter);
  }
  return true;
}

bool DecodeUnsuback(Reader& r, Version version, Result& out) {
  Unsuback& u = Emplace<Unsuback>(out);
  if (!ReadPacketId(r, &u.packet_id)) return false;
  if (version == Version::kV311) return ExpectEnd(r);
  if (!ReadProperties(r, PropertyContext::kUnsuback, &u.properties)) return false;
  if (r.empty()) return r.Fail(kProtocol, Field{"payload"}, "has no reason codes");
  for (int i = 1; !r.empty(); ++i) {
    ReasonCode rc = ReasonCode::kSuccess;
    if (!ReadReason(r, PacketType::kUnsuback, Field{"reason code", i}, &rc)) return false;
    u.reasons.push_back(rc);
  }
  return true;
}

// DISCONNECT and AUTH (v5): reason code and properties, both optional.
template <typename T>
bool DecodeReasonAndProperties(Reader& r, PacketType type, PropertyContext ctx, Result& out) {
  T& p = Emplace<T>(out);
  if (!r.empty() && !ReadReason(r, type, Field{"reason code"}, &p.reason)) return false;
  if (!r.empty() && !ReadProperties(r, ctx, &p.properties)) return false;
  return ExpectEnd(r);
}

// Fixed-header flags each type requires (spec 2.1.3); PUBLISH is checked apart.
constexpr uint8_t kRequiredFlags[16] = {0, 0, 0, 0, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0};

bool DecodeBody(Reader& r, uint8_t type_bits, uint8_t flags, Version version, Result& out) {
  auto type = static_cast<PacketType>(type_bits);
  if (type != PacketType::kPublish && flags != kRequiredFlags[type_bits]) {
    return r.FailAt(kMalformed, Field{"fixed header flags"},
                    "are " + std::to_string(flags) + " but must be " +
                        std::to_string(kRequiredFlags[type_bits]),
                    0);
  }
  const bool v5 = version == Version::kV5;
  switch (type) {
    case PacketType::kConnect:
      return DecodeConnect(r, out);
    case PacketType::kConnack:
      return DecodeConnack(r, version, out);
    case PacketType::kPublish:
      return DecodePublish(r, flags, version, out);
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
      return DecodePubAck(r, type, version, out);
    case PacketType::kSubscribe:
      return DecodeSubscribe(r, version, out);
    case PacketType::kSuback:
      return DecodeSuback(r, version, out);
    case PacketType::kUnsubscribe:
      return DecodeUnsubscribe(r, version, out);
    case PacketType::kUnsuback:
      return DecodeUnsuback(r, version, out);
    case PacketType::kPingreq:
      Emplace<Pingreq>(out);
      return ExpectEnd(r);
    case PacketType::kPingresp:
      Emplace<Pingresp>(out);
      return ExpectEnd(r);
    case PacketType::kDisconnect:
      if (!v5) {
        Emplace<Disconnect>(out);
        return ExpectEnd(r);
      }
      return DecodeReasonAndProperties<Disconnect>(r, type, PropertyContext::kDisconnect, out);
    case PacketType::kAuth:
      if (!v5) {
        return r.FailAt(kProtocol, Field{"packet type"}, "AUTH does not exist in MQTT 3.1.1", 0);
      }
      return DecodeReasonAndProperties<Auth>(r, type, PropertyContext::kAuth, out);
  }
  return r.FailAt(kMalformed, Field{"packet type"}, "0 is reserved", 0);
}

}  // namespace

std::variant<Packet, DecodeError> Decode(std::span<const uint8_t> packet, Version version) {
  // Starts as the small alternative; the decoder emplaces the packet it reads.
  Result result(std::in_place_index<1>);
  std::optional<DecodeError> error;
  if (packet.empty()) {
    result.emplace<DecodeError>(DecodeError{kMalformed, "packet: empty at byte 0"});
    return result;
  }
  uint8_t type_bits = packet[0] >> 4;
  uint8_t flags = packet[0] & 0x0F;
  const char* name =
      type_bits == 0 ? "RESERVED" : PacketTypeName(static_cast<PacketType>(type_bits));
  Reader header(packet.subspan(1), 1, name, &error);
  uint32_t remaining = 0;
  if (header.VarInt(&remaining, Field{"remaining length"})) {
    if (remaining != header.remaining()) {
      header.Fail(kMalformed, Field{"remaining length"},
                  "is " + std::to_string(remaining) + " but " + std::to_string(header.remaining()) +
                      " bytes follow");
    } else {
      bool ok = DecodeBody(header, type_bits, flags, version, result);
      if (!ok && !error) {
        error = DecodeError{ReasonCode::kImplementationSpecificError,
                            std::string(name) + ": decoder failed without saying why"};
      }
    }
  }
  if (error) result.emplace<DecodeError>(std::move(*error));
  return result;
}

std::variant<Properties, DecodeError> DecodePublishProperties(std::string_view block) {
  std::optional<DecodeError> error;
  Properties properties;
  Reader r(std::span(reinterpret_cast<const uint8_t*>(block.data()), block.size()), 0,
           "PUBLISH properties", &error);
  if (ReadProperties(r, PropertyContext::kPublish, &properties) && !r.empty()) {
    r.Fail(kMalformed, Field{"property length"},
           "leaves " + std::to_string(r.remaining()) + " bytes unread");
  }
  if (error) return std::move(*error);
  return properties;
}

}  // namespace tributary::mqtt
