#include "broker/state_codec.h"

#include <variant>

#include "mqtt/codec.h"
#include "mqtt/topic.h"

namespace tributary::broker {
namespace {

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { U8(v >> 8); U8(v & 0xff); }
  void U32(uint32_t v) { U16(v >> 16); U16(v & 0xffff); }
  void I64(int64_t v) { U32(static_cast<uint64_t>(v) >> 32); U32(static_cast<uint32_t>(v)); }
  void Str(std::string_view s) { U32(static_cast<uint32_t>(s.size())); out_.append(s); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view d) : d_(d) {}
  bool U8(uint8_t* v) {
    if (pos_ + 1 > d_.size()) return false;
    *v = static_cast<uint8_t>(d_[pos_++]);
    return true;
  }
  bool U16(uint16_t* v) {
    uint8_t a, b;
    if (!U8(&a) || !U8(&b)) return false;
    *v = static_cast<uint16_t>((a << 8) | b);
    return true;
  }
  bool U32(uint32_t* v) {
    uint16_t a, b;
    if (!U16(&a) || !U16(&b)) return false;
    *v = (uint32_t{a} << 16) | b;
    return true;
  }
  bool I64(int64_t* v) {
    uint32_t a, b;
    if (!U32(&a) || !U32(&b)) return false;
    *v = static_cast<int64_t>((uint64_t{a} << 32) | b);
    return true;
  }
  bool Str(std::string* s) {
    uint32_t n;
    if (!U32(&n) || pos_ + n > d_.size()) return false;
    s->assign(d_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool Count(uint32_t* n) { return U32(n) && *n <= d_.size() - pos_; }

 private:
  std::string_view d_;
  size_t pos_ = 0;
};

Status Cut(const char* what, const char* field) {
  return DataLoss(std::string("broker state: ") + what + " record cut short or invalid at " +
                  field);
}

// The topic, payload and properties, as the MQTT 5 encoding of a QoS 0 PUBLISH.
void WritePublishBody(Writer& w, const std::string& topic, const std::string& payload,
                      const mqtt::Properties& properties) {
  mqtt::Publish p;
  p.topic = topic;
  p.payload = payload;
  p.properties = properties;
  std::string enc;
  mqtt::Encode(p, mqtt::Version::kV5, &enc);
  w.Str(enc);
}

// Fills `p`'s topic, payload and properties.
Status ReadPublishBody(Reader& r, const char* what, mqtt::Publish* p) {
  std::string enc;
  if (!r.Str(&enc)) return Cut(what, "publish bytes");
  auto decoded = mqtt::Decode(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(enc.data()), enc.size()),
      mqtt::Version::kV5);
  auto* packet = std::get_if<mqtt::Packet>(&decoded);
  if (packet == nullptr || !std::holds_alternative<mqtt::Publish>(*packet)) {
    return Cut(what, "publish bytes (not a PUBLISH)");
  }
  *p = std::move(std::get<mqtt::Publish>(*packet));
  return Status::Ok();
}

void WriteMessage(Writer& w, const Message& m) {
  w.U8(1);
  w.U8(static_cast<uint8_t>(m.qos));
  w.U8(m.retain ? 1 : 0);
  w.Str(m.origin_client_id);
  w.I64(m.received_at_ms);
  w.U8(m.expires_at_ms ? 1 : 0);
  w.I64(m.expires_at_ms.value_or(0));
  WritePublishBody(w, m.topic, m.payload, m.properties);
}

Result<MessagePtr> ReadMessage(Reader& r) {
  uint8_t version, qos, retain, has_expiry;
  int64_t expires;
  auto m = std::make_shared<Message>();
  if (!r.U8(&version) || version != 1) return Cut("message", "version");
  if (!r.U8(&qos) || qos > 2) return Cut("message", "qos");
  if (!r.U8(&retain)) return Cut("message", "retain");
  if (!r.Str(&m->origin_client_id)) return Cut("message", "origin client id");
  if (!r.I64(&m->received_at_ms)) return Cut("message", "received_at");
  if (!r.U8(&has_expiry) || !r.I64(&expires)) return Cut("message", "expiry");
  mqtt::Publish p;
  TRY(ReadPublishBody(r, "message", &p));
  m->topic = std::move(p.topic);
  m->payload = std::move(p.payload);
  m->properties = std::move(p.properties);
  m->qos = static_cast<mqtt::QoS>(qos);
  m->retain = retain != 0;
  if (has_expiry) m->expires_at_ms = expires;
  return MessagePtr(std::move(m));
}

}  // namespace

uint8_t PackOptions(const mqtt::SubscribeOptions& o) {
  return static_cast<uint8_t>(static_cast<uint8_t>(o.max_qos) | (o.no_local ? 4 : 0) |
                              (o.retain_as_published ? 8 : 0) | ((o.retain_handling & 3) << 4));
}

mqtt::SubscribeOptions UnpackOptions(uint8_t b) {
  mqtt::SubscribeOptions o;
  o.max_qos = static_cast<mqtt::QoS>(std::min(b & 3, 2));
  o.no_local = (b & 4) != 0;
  o.retain_as_published = (b & 8) != 0;
  o.retain_handling = (b >> 4) & 3;
  return o;
}

std::string EncodeMessage(const Message& m) {
  Writer w;
  WriteMessage(w, m);
  return w.Take();
}

Result<MessagePtr> DecodeMessage(std::string_view data) {
  Reader r(data);
  return ReadMessage(r);
}

std::string EncodeSession(const SessionState& s) {
  Writer w;
  w.U8(1);
  w.Str(s.client_id);
  w.U8(static_cast<uint8_t>(s.version));
  w.U32(s.expiry_interval_s);
  w.I64(s.disconnected_at_ms);
  w.U16(s.next_packet_id);
  w.U32(static_cast<uint32_t>(s.subscriptions.size()));
  for (const auto& [filter, rec] : s.subscriptions) {
    w.Str(filter);
    w.U8(PackOptions(rec.options));
    w.U32(rec.id);
  }
  size_t n = s.inflight.size();
  for (const auto& o : s.queue) n += o.qos != mqtt::QoS::kAtMostOnce;
  w.U32(static_cast<uint32_t>(n));
  auto write_out = [&](const Outgoing& o) {
    w.U8(static_cast<uint8_t>(o.state));
    w.U16(o.packet_id);
    w.U8(static_cast<uint8_t>(o.qos));
    w.U8(o.retain ? 1 : 0);
    w.U32(static_cast<uint32_t>(o.subscription_ids.size()));
    for (uint32_t id : o.subscription_ids) w.U32(id);
    w.U8(o.msg ? 1 : 0);
    if (o.msg) WriteMessage(w, *o.msg);
  };
  for (const auto& [id, o] : s.inflight) write_out(o);
  for (const auto& o : s.queue) {
    if (o.qos != mqtt::QoS::kAtMostOnce) write_out(o);
  }
  w.U32(static_cast<uint32_t>(s.inbound_qos2.size()));
  for (uint16_t id : s.inbound_qos2) w.U16(id);
  return w.Take();
}

Result<SessionState> DecodeSession(std::string_view data) {
  Reader r(data);
  SessionState s;
  uint8_t version, proto;
  if (!r.U8(&version) || version != 1) return Cut("session", "version");
  if (!r.Str(&s.client_id)) return Cut("session", "client id");
  if (!r.U8(&proto) || (proto != 4 && proto != 5)) return Cut("session", "protocol version");
  s.version = static_cast<mqtt::Version>(proto);
  if (!r.U32(&s.expiry_interval_s) || !r.I64(&s.disconnected_at_ms) ||
      !r.U16(&s.next_packet_id)) {
    return Cut("session", "expiry");
  }
  uint32_t n;
  if (!r.Count(&n)) return Cut("session", "subscription count");
  for (uint32_t i = 0; i < n; ++i) {
    std::string filter;
    uint8_t opts;
    SubscriptionRecord rec;
    if (!r.Str(&filter) || !r.U8(&opts) || !r.U32(&rec.id)) return Cut("session", "subscription");
    rec.options = UnpackOptions(opts);
    s.subscriptions.emplace(std::move(filter), rec);
  }
  if (!r.Count(&n)) return Cut("session", "message count");
  for (uint32_t i = 0; i < n; ++i) {
    Outgoing o;
    uint8_t state, qos, retain, has_msg;
    uint32_t k;
    if (!r.U8(&state) || state > 3 || !r.U16(&o.packet_id) || !r.U8(&qos) || qos > 2 ||
        !r.U8(&retain) || !r.Count(&k)) {
      return Cut("session", "queued message header");
    }
    o.state = static_cast<OutState>(state);
    o.qos = static_cast<mqtt::QoS>(qos);
    o.retain = retain != 0;
    for (uint32_t j = 0; j < k; ++j) {
      uint32_t id;
      if (!r.U32(&id)) return Cut("session", "subscription identifier");
      o.subscription_ids.push_back(id);
    }
    if (!r.U8(&has_msg)) return Cut("session", "message flag");
    if (has_msg) {
      TRY_ASSIGN(o.msg, ReadMessage(r));
    } else if (o.state != OutState::kAwaitPubcomp) {
      return Cut("session", "message (missing for a state that needs it)");
    }
    if (o.state == OutState::kQueued) {
      s.queue.push_back(std::move(o));
    } else {
      uint16_t id = o.packet_id;
      s.inflight.emplace(id, std::move(o));
    }
  }
  if (!r.Count(&n)) return Cut("session", "inbound QoS 2 count");
  for (uint32_t i = 0; i < n; ++i) {
    uint16_t id;
    if (!r.U16(&id)) return Cut("session", "inbound QoS 2 identifier");
    s.inbound_qos2.insert(id);
  }
  return s;
}

std::string EncodeWill(const WillState& s) {
  Writer w;
  w.U8(1);
  w.Str(s.client_id);
  w.I64(s.due_ms);
  w.U8(static_cast<uint8_t>(s.will.qos));
  w.U8(s.will.retain ? 1 : 0);
  w.Str(s.thing);
  w.Str(s.principal);
  WritePublishBody(w, s.will.topic, s.will.payload, s.will.properties);
  return w.Take();
}

Result<WillState> DecodeWill(std::string_view data) {
  Reader r(data);
  WillState s;
  uint8_t version, qos, retain;
  if (!r.U8(&version) || version != 1) return Cut("will", "version");
  if (!r.Str(&s.client_id)) return Cut("will", "client id");
  if (!r.I64(&s.due_ms)) return Cut("will", "due time");
  if (!r.U8(&qos) || qos > 2) return Cut("will", "qos");
  if (!r.U8(&retain)) return Cut("will", "retain");
  if (!r.Str(&s.thing)) return Cut("will", "thing");
  if (!r.Str(&s.principal)) return Cut("will", "principal");
  TRY(ReadPublishBody(r, "will", &s.will));
  if (!mqtt::IsValidTopicName(s.will.topic)) return Cut("will", "topic");
  s.will.qos = static_cast<mqtt::QoS>(qos);
  s.will.retain = retain != 0;
  return s;
}

}  // namespace tributary::broker
