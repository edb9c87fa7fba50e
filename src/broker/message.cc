#include "broker/message.h"

#include <atomic>

#include "mqtt/codec.h"

namespace tributary::broker {
namespace {

// Offset of the packet identifier in an encoded QoS > 0 PUBLISH: fixed header byte,
// the remaining-length varint, the 2-byte topic length and the topic.
size_t PacketIdOffset(const std::string& encoded, size_t topic_size) {
  size_t i = 1;
  while (i < encoded.size() && (static_cast<uint8_t>(encoded[i]) & 0x80) != 0) ++i;
  return i + 1 + 2 + topic_size;
}

bool NeedsPerSubscriberEncoding(const Message& m, const std::vector<uint32_t>& sub_ids) {
  return !sub_ids.empty() || m.expires_at_ms.has_value();
}

}  // namespace

mqtt::Publish Message::ToPublish(mqtt::QoS q, bool r, uint16_t packet_id, bool dup,
                                 const std::vector<uint32_t>& subscription_ids,
                                 int64_t now_ms) const {
  mqtt::Publish p;
  p.dup = dup && q != mqtt::QoS::kAtMostOnce;
  p.qos = q;
  p.retain = r;
  p.topic = topic;
  p.packet_id = q == mqtt::QoS::kAtMostOnce ? 0 : packet_id;
  p.properties = properties;
  p.properties.subscription_identifiers = subscription_ids;
  if (expires_at_ms) {
    int64_t left_ms = *expires_at_ms - now_ms;
    if (left_ms < 0) left_ms = 0;
    p.properties.message_expiry_interval = static_cast<uint32_t>((left_ms + 999) / 1000);
  }
  p.payload = payload;
  return p;
}

const std::string& Message::Cached(mqtt::Version version, mqtt::QoS q, bool r) const {
  size_t idx = (version == mqtt::Version::kV5 ? 6 : 0) + static_cast<size_t>(q) * 2 + (r ? 1 : 0);
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (!cache_[idx]) {
    auto s = std::make_unique<std::string>();
    mqtt::Encode(ToPublish(q, r, 0, false, {}, 0), version, s.get());
    cache_[idx] = std::move(s);
  }
  return *cache_[idx];
}

size_t Message::AppendEncoded(mqtt::Version version, mqtt::QoS q, bool r, uint16_t packet_id,
                              bool dup, const std::vector<uint32_t>& sub_ids, int64_t now_ms,
                              std::string* out) const {
  size_t before = out->size();
  if (NeedsPerSubscriberEncoding(*this, sub_ids)) {
    mqtt::Encode(ToPublish(q, r, packet_id, dup, sub_ids, now_ms), version, out);
    return out->size() - before;
  }
  const std::string& enc = Cached(version, q, r);
  out->append(enc);
  if (q != mqtt::QoS::kAtMostOnce) {
    char* base = out->data() + before;
    size_t off = PacketIdOffset(enc, topic.size());
    base[off] = static_cast<char>(packet_id >> 8);
    base[off + 1] = static_cast<char>(packet_id & 0xff);
    if (dup) base[0] = static_cast<char>(static_cast<uint8_t>(base[0]) | 0x08);
  }
  return out->size() - before;
}

size_t Message::EncodedSize(mqtt::Version version, mqtt::QoS q, bool r,
                            const std::vector<uint32_t>& sub_ids, int64_t now_ms) const {
  if (NeedsPerSubscriberEncoding(*this, sub_ids)) {
    return mqtt::EncodedSize(ToPublish(q, r, 1, false, sub_ids, now_ms), version);
  }
  return Cached(version, q, r).size();
}

MessagePtr MessageFromPublish(mqtt::Publish&& publish, std::string origin_client_id,
                              int64_t now_ms) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(publish.topic);
  m->payload = std::move(publish.payload);
  m->qos = publish.qos;
  m->retain = publish.retain;
  m->properties = std::move(publish.properties);
  if (m->properties.message_expiry_interval) {
    m->expires_at_ms = now_ms + int64_t{*m->properties.message_expiry_interval} * 1000;
  }
  m->properties.message_expiry_interval.reset();
  m->properties.topic_alias.reset();
  m->properties.subscription_identifiers.clear();
  m->origin_client_id = std::move(origin_client_id);
  m->received_at_ms = now_ms;
  static std::atomic<uint64_t> next_seq{1};
  m->seq = next_seq.fetch_add(1, std::memory_order_relaxed);
  return m;
}

}  // namespace tributary::broker
