// Writes the fuzzing seed corpus for codec_fuzz.cc: valid packets of every type in
// both protocol versions, encoded by the codec, plus a few hand-made invalid ones.
// Usage: mqtt_codec_corpus_gen DIR   (the committed corpus is tests/fuzz/mqtt_codec/)
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "mqtt/codec.h"

namespace {

using namespace tributary::mqtt;

std::string Enc(const Packet& p, Version v) {
  std::string out;
  Encode(p, v, &out);
  return out;
}

std::vector<std::pair<std::string, std::string>> Seeds() {
  std::vector<std::pair<std::string, std::string>> s;
  for (Version v : {Version::kV311, Version::kV5}) {
    const std::string pre = v == Version::kV5 ? "v5_" : "v311_";
    const bool v5 = v == Version::kV5;

    Connect c;
    c.version = v;
    c.client_id = "sensor-1";
    s.emplace_back(pre + "connect_minimal", Enc(c, v));
    c.clean_start = false;
    c.will = Will{"status/sensor-1", "offline", QoS::kAtLeastOnce, true, {}};
    c.username = "user";
    c.password = "secret";
    if (v5) {
      c.properties.session_expiry_interval = 3600;
      c.properties.receive_maximum = 10;
      c.properties.user_properties = {{"k", "v"}};
      c.will->properties.will_delay_interval = 5;
      c.will->properties.content_type = "text/plain";
    }
    s.emplace_back(pre + "connect_full", Enc(c, v));

    Connack ca;
    ca.session_present = true;
    if (v5) ca.properties.assigned_client_identifier = "auto-1";
    s.emplace_back(pre + "connack", Enc(ca, v));

    Publish p;
    p.topic = "plant/line1/temp";
    p.payload = R"({"t":21.5})";
    s.emplace_back(pre + "publish_qos0", Enc(p, v));
    p.qos = QoS::kAtLeastOnce;
    p.packet_id = 17;
    if (v5) {
      p.properties.message_expiry_interval = 60;
      p.properties.topic_alias = 1;
      p.properties.correlation_data = "corr";
      p.properties.subscription_identifiers = {1, 2};
    }
    s.emplace_back(pre + "publish_qos1", Enc(p, v));
    p.qos = QoS::kExactlyOnce;
    p.dup = true;
    p.retain = true;
    p.payload.clear();
    s.emplace_back(pre + "publish_qos2_retain_empty", Enc(p, v));

    for (PacketType t :
         {PacketType::kPuback, PacketType::kPubrec, PacketType::kPubrel, PacketType::kPubcomp}) {
      PubAck a;
      a.type = t;
      a.packet_id = 17;
      if (v5 && t == PacketType::kPuback) {
        a.reason = ReasonCode::kNoMatchingSubscribers;
        a.properties.reason_string = "nobody";
      }
      std::string name = PacketTypeName(t);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(ch));
      s.emplace_back(pre + name, Enc(a, v));
    }

    Subscribe sub;
    sub.packet_id = 2;
    sub.filters = {
        {"plant/+/temp", {QoS::kAtLeastOnce, false, false, 0}},
        {"$share/g/alerts/#", {QoS::kExactlyOnce, false, v5, static_cast<uint8_t>(v5 ? 1 : 0)}}};
    if (v5) sub.properties.subscription_identifiers = {5};
    s.emplace_back(pre + "subscribe", Enc(sub, v));

    Suback sa;
    sa.packet_id = 2;
    sa.reasons = {ReasonCode::kGrantedQoS1, ReasonCode::kNotAuthorized};
    s.emplace_back(pre + "suback", Enc(sa, v));

    Unsubscribe u;
    u.packet_id = 3;
    u.filters = {"plant/+/temp"};
    s.emplace_back(pre + "unsubscribe", Enc(u, v));

    Unsuback ua;
    ua.packet_id = 3;
    if (v5) ua.reasons = {ReasonCode::kSuccess};
    s.emplace_back(pre + "unsuback", Enc(ua, v));

    s.emplace_back(pre + "pingreq", Enc(Pingreq{}, v));
    s.emplace_back(pre + "pingresp", Enc(Pingresp{}, v));
    Disconnect d;
    if (v5) d.reason = ReasonCode::kDisconnectWithWill;
    s.emplace_back(pre + "disconnect", Enc(d, v));
  }
  Auth auth;
  auth.reason = ReasonCode::kContinueAuthentication;
  auth.properties.authentication_method = "SCRAM-SHA-256";
  auth.properties.authentication_data = "data";
  s.emplace_back("v5_auth", Enc(auth, Version::kV5));

  // Invalid packets: each breaks one rule of the spec.
  auto raw = [](std::initializer_list<int> bytes) {
    std::string out;
    for (int b : bytes) out.push_back(static_cast<char>(b));
    return out;
  };
  s.emplace_back("bad_varint_5_bytes", raw({0x30, 0xff, 0xff, 0xff, 0xff, 0x01}));
  s.emplace_back("bad_subscribe_flags", raw({0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00}));
  s.emplace_back("bad_publish_qos3", raw({0x36, 0x05, 0x00, 0x01, 'a', 0x00, 0x01}));
  s.emplace_back("bad_publish_wildcard", raw({0x30, 0x05, 0x00, 0x03, 'a', '/', '#'}));
  s.emplace_back("bad_utf8_surrogate", raw({0x30, 0x05, 0x00, 0x03, 0xed, 0xa0, 0x80}));
  s.emplace_back("bad_connect_level3", raw({0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x03, 0x02,
                                            0x00, 0x3c, 0x00, 0x01, 'c'}));
  s.emplace_back("bad_duplicate_property",
                 raw({0x30, 0x0a, 0x00, 0x01, 'a', 0x06, 0x23, 0x00, 0x01, 0x23, 0x00, 0x02}));
  s.emplace_back("bad_truncated_connect", raw({0x10, 0x06, 0x00, 0x04, 'M', 'Q', 'T', 'T'}));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  for (const auto& [name, bytes] : Seeds()) {
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
      return 1;
    }
  }
  return 0;
}
