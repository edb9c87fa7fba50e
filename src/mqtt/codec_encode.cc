// Encode() and EncodedSize(): one templated body writer per packet type, run once
// with a Counter (to learn the remaining length) and once with a Writer.
#include "mqtt/codec.h"
#include "mqtt/properties.h"
#include "mqtt/wire.h"

namespace tributary::mqtt {

namespace {

using internal::Counter;
using internal::PropertyBodySize;
using internal::PropertyContext;
using internal::VarIntSize;
using internal::WriteProperties;
using internal::Writer;

uint8_t V311SubackCode(ReasonCode rc) {
  auto v = static_cast<uint8_t>(rc);
  return v <= 2 ? v : 0x80;
}

// Writes the optional "reason code, properties" tail of PUBACK..PUBCOMP, DISCONNECT and
// AUTH in v5: both are left out when the reason is Success and there are no properties,
// the properties alone when there are none.
template <class Out>
void WriteReasonTail(ReasonCode reason, const Properties& props, PropertyContext ctx, Out& o) {
  size_t n = PropertyBodySize(props, ctx);
  if (reason == ReasonCode::kSuccess && n == 0) return;
  o.U8(static_cast<uint8_t>(reason));
  if (n == 0) return;
  o.VarInt(static_cast<uint32_t>(n));
  if constexpr (std::is_same_v<Out, Counter>) {
    o.Add(n);
  } else {
    internal::WritePropertyBody(props, ctx, o);
  }
}

template <class Out>
struct BodyWriter {
  Version version;
  Out& o;

  bool v5() const { return version == Version::kV5; }

  void operator()(const Connect& c) {
    const bool v5 = c.version == Version::kV5;
    o.Str("MQTT");
    o.U8(static_cast<uint8_t>(c.version));
    uint8_t flags = 0;
    if (c.clean_start) flags |= 0x02;
    if (c.will) {
      flags |= 0x04;
      flags |= static_cast<uint8_t>(static_cast<uint8_t>(c.will->qos) << 3);
      if (c.will->retain) flags |= 0x20;
    }
    if (c.password) flags |= 0x40;
    if (c.username) flags |= 0x80;
    o.U8(flags);
    o.U16(c.keep_alive);
    if (v5) WriteProperties(c.properties, PropertyContext::kConnect, o);
    o.Str(c.client_id);
    if (c.will) {
      if (v5) WriteProperties(c.will->properties, PropertyContext::kWill, o);
      o.Str(c.will->topic);
      o.Str(c.will->payload);
    }
    if (c.username) o.Str(*c.username);
    if (c.password) o.Str(*c.password);
  }

  void operator()(const Connack& c) {
    o.U8(c.session_present ? 1 : 0);
    if (v5()) {
      o.U8(static_cast<uint8_t>(c.reason));
      WriteProperties(c.properties, PropertyContext::kConnack, o);
    } else {
      o.U8(ToV311ConnackCode(c.reason));
    }
  }

  void operator()(const Publish& p) {
    PublishHead(p);
    o.Raw(p.payload);
  }
  void PublishHead(const Publish& p) {
    o.Str(p.topic);
    if (p.qos != QoS::kAtMostOnce) o.U16(p.packet_id);
    if (v5()) WriteProperties(p.properties, PropertyContext::kPublish, o);
  }

  void operator()(const PubAck& a) {
    o.U16(a.packet_id);
    if (v5()) WriteReasonTail(a.reason, a.properties, PropertyContext::kPubAck, o);
  }

  void operator()(const Subscribe& s) {
    o.U16(s.packet_id);
    if (v5()) WriteProperties(s.properties, PropertyContext::kSubscribe, o);
    for (const auto& [filter, opts] : s.filters) {
      o.Str(filter);
      auto b = static_cast<uint8_t>(opts.max_qos);
      if (v5()) {
        if (opts.no_local) b |= 0x04;
        if (opts.retain_as_published) b |= 0x08;
        b |= static_cast<uint8_t>((opts.retain_handling & 0x03) << 4);
      }
      o.U8(b);
    }
  }

  void operator()(const Suback& s) {
    o.U16(s.packet_id);
    if (v5()) WriteProperties(s.properties, PropertyContext::kSuback, o);
    for (ReasonCode rc : s.reasons) {
      o.U8(v5() ? static_cast<uint8_t>(rc) : V311SubackCode(rc));
    }
  }

  void operator()(const Unsubscribe& u) {
    o.U16(u.packet_id);
    if (v5()) WriteProperties(u.properties, PropertyContext::kUnsubscribe, o);
    for (const auto& f : u.filters) o.Str(f);
  }

  void operator()(const Unsuback& u) {
    o.U16(u.packet_id);
    if (!v5()) return;
    WriteProperties(u.properties, PropertyContext::kUnsuback, o);
    for (ReasonCode rc : u.reasons) o.U8(static_cast<uint8_t>(rc));
  }

  void operator()(const Pingreq&) {}
  void operator()(const Pingresp&) {}

  void operator()(const Disconnect& d) {
    if (v5()) WriteReasonTail(d.reason, d.properties, PropertyContext::kDisconnect, o);
  }

  void operator()(const Auth& a) {
    if (v5()) WriteReasonTail(a.reason, a.properties, PropertyContext::kAuth, o);
  }
};

uint8_t PublishFirstByte(const Publish& p) {
  auto first = static_cast<uint8_t>(0x30 | (static_cast<uint8_t>(p.qos) << 1));
  if (p.dup) first |= 0x08;
  if (p.retain) first |= 0x01;
  return first;
}

uint8_t FirstByte(const Packet& packet) {
  if (const auto* p = std::get_if<Publish>(&packet)) return PublishFirstByte(*p);
  auto type = TypeOf(packet);
  bool flags_0010 = type == PacketType::kPubrel || type == PacketType::kSubscribe ||
                    type == PacketType::kUnsubscribe;
  return static_cast<uint8_t>(static_cast<uint8_t>(type) << 4 | (flags_0010 ? 0x02 : 0x00));
}

size_t BodySize(const Packet& packet, Version version) {
  Counter c;
  std::visit(BodyWriter<Counter>{version, c}, packet);
  return c.size();
}

}  // namespace

void Encode(const Packet& packet, Version version, std::string* out) {
  size_t body = BodySize(packet, version);
  out->reserve(out->size() + 1 + VarIntSize(static_cast<uint32_t>(body)) + body);
  Writer w(out);
  w.U8(FirstByte(packet));
  w.VarInt(static_cast<uint32_t>(body));
  std::visit(BodyWriter<Writer>{version, w}, packet);
}

void EncodePublishHeader(const Publish& publish, Version version, std::string* out) {
  Counter head;
  BodyWriter<Counter>{version, head}.PublishHead(publish);
  size_t body = head.size() + publish.payload.size();
  Writer w(out);
  w.U8(PublishFirstByte(publish));
  w.VarInt(static_cast<uint32_t>(body));
  BodyWriter<Writer>{version, w}.PublishHead(publish);
}

size_t EncodedSize(const Packet& packet, Version version) {
  size_t body = BodySize(packet, version);
  return 1 + VarIntSize(static_cast<uint32_t>(body)) + body;
}

std::string EncodePublishProperties(const Properties& properties) {
  std::string out;
  Writer w(&out);
  WriteProperties(properties, PropertyContext::kPublish, w);
  return out;
}

}  // namespace tributary::mqtt
