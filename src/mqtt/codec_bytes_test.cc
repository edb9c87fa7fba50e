// Byte-exact checks against packets assembled by hand from the spec's figures.
#include <gtest/gtest.h>

#include "mqtt/codec.h"
#include "mqtt/codec_test_util.h"

namespace tributary::mqtt {
namespace {

using testing::EncodeToString;
using testing::Hex;
using testing::Span;
using testing::ToHex;

Packet MustDecode(const std::string& bytes, Version v) {
  auto r = Decode(Span(bytes), v);
  if (auto* e = std::get_if<DecodeError>(&r)) {
    ADD_FAILURE() << e->message;
    return Pingreq{};
  }
  return std::get<Packet>(r);
}

// Both directions: our encoding equals the hand-made bytes, and they decode to `p`.
void ExpectBytes(const Packet& p, Version v, std::string_view hex) {
  std::string bytes = Hex(hex);
  EXPECT_EQ(ToHex(EncodeToString(p, v)), ToHex(bytes)) << PacketTypeName(TypeOf(p));
  EXPECT_EQ(MustDecode(bytes, v), p) << PacketTypeName(TypeOf(p));
}

TEST(CodecBytesTest, ConnectV311) {
  Connect c;
  c.version = Version::kV311;
  c.client_id = "abc";
  c.keep_alive = 60;
  ExpectBytes(c, Version::kV311,
              "10 0f"              // CONNECT, remaining length 15
              "00 04 4d 51 54 54"  // "MQTT"
              "04"                 // level 4
              "02"                 // clean session
              "00 3c"              // keep alive 60
              "00 03 61 62 63");   // client id "abc"
}

TEST(CodecBytesTest, ConnectV311WithWillAndCredentials) {
  Connect c;
  c.version = Version::kV311;
  c.client_id = "c1";
  c.clean_start = false;
  c.keep_alive = 10;
  c.will = Will{"w", "bye", QoS::kAtLeastOnce, true, {}};
  c.username = "u";
  c.password = "p";
  ExpectBytes(c, Version::kV311,
              "10 1c"
              "00 04 4d 51 54 54 04"
              "ec"  // user, password, will retain, will QoS 1, will
              "00 0a"
              "00 02 63 31"     // "c1"
              "00 01 77"        // will topic "w"
              "00 03 62 79 65"  // will payload "bye"
              "00 01 75"        // "u"
              "00 01 70");      // "p"
}

TEST(CodecBytesTest, ConnectV5) {
  Connect c;
  c.client_id = "abc";
  c.keep_alive = 60;
  c.properties.session_expiry_interval = 10;
  c.properties.receive_maximum = 20;
  ExpectBytes(c, Version::kV5,
              "10 18"
              "00 04 4d 51 54 54 05 02 00 3c"
              "08 11 00 00 00 0a 21 00 14"  // properties: session expiry 10, receive max 20
              "00 03 61 62 63");
}

TEST(CodecBytesTest, ConnectV5WithWillProperties) {
  Connect c;
  c.client_id = "";
  c.clean_start = true;
  c.keep_alive = 0;
  c.will = Will{"t", "", QoS::kAtMostOnce, false, {}};
  c.will->properties.will_delay_interval = 5;
  ExpectBytes(c, Version::kV5,
              "10 18 00 04 4d 51 54 54 05 06 00 00"
              "00"                 // no CONNECT properties
              "00 00"              // empty client id
              "05 18 00 00 00 05"  // will properties: delay 5
              "00 01 74 00 00");
}

TEST(CodecBytesTest, Connack) {
  Connack c;
  c.session_present = true;
  ExpectBytes(c, Version::kV311, "20 02 01 00");
  ExpectBytes(c, Version::kV5, "20 03 01 00 00");
  c.session_present = false;
  c.reason = ReasonCode::kNotAuthorized;
  ExpectBytes(c, Version::kV311, "20 02 00 05");
  ExpectBytes(c, Version::kV5, "20 03 00 87 00");
  c.reason = ReasonCode::kSuccess;
  c.properties.maximum_qos = 1;
  c.properties.assigned_client_identifier = "id";
  ExpectBytes(c, Version::kV5, "20 0a 00 00 07 12 00 02 69 64 24 01");
}

TEST(CodecBytesTest, PublishQoS1) {
  Publish p;
  p.qos = QoS::kAtLeastOnce;
  p.topic = "a/b";
  p.packet_id = 10;
  p.payload = "hi";
  ExpectBytes(p, Version::kV311, "32 09 00 03 61 2f 62 00 0a 68 69");
  ExpectBytes(p, Version::kV5, "32 0a 00 03 61 2f 62 00 0a 00 68 69");
  p.dup = true;
  p.retain = true;
  p.properties.topic_alias = 2;
  ExpectBytes(p, Version::kV5, "3b 0d 00 03 61 2f 62 00 0a 03 23 00 02 68 69");
}

TEST(CodecBytesTest, PublishQoS0HasNoPacketId) {
  Publish p;
  p.topic = "x";
  p.payload = "1";
  ExpectBytes(p, Version::kV311, "30 04 00 01 78 31");
}

TEST(CodecBytesTest, PubAckFamily) {
  PubAck a;
  a.packet_id = 7;
  ExpectBytes(a, Version::kV311, "40 02 00 07");
  ExpectBytes(a, Version::kV5, "40 02 00 07");
  a.type = PacketType::kPubrec;
  ExpectBytes(a, Version::kV311, "50 02 00 07");
  a.type = PacketType::kPubrel;  // PUBREL flags are 0010
  ExpectBytes(a, Version::kV311, "62 02 00 07");
  a.type = PacketType::kPubcomp;
  a.reason = ReasonCode::kPacketIdentifierNotFound;
  ExpectBytes(a, Version::kV5, "70 03 00 07 92");
}

TEST(CodecBytesTest, PubAckV5LongFormDecodes) {
  // Reason code and an empty property block: same packet as the 2-byte form.
  PubAck a;
  a.packet_id = 7;
  EXPECT_EQ(MustDecode(Hex("40 04 00 07 00 00"), Version::kV5), Packet(a));
  EXPECT_EQ(MustDecode(Hex("40 03 00 07 00"), Version::kV5), Packet(a));
}

TEST(CodecBytesTest, Subscribe) {
  Subscribe s;
  s.packet_id = 1;
  s.filters = {{"a/#", {QoS::kAtLeastOnce, false, false, 0}}};
  ExpectBytes(s, Version::kV311, "82 08 00 01 00 03 61 2f 23 01");
  s.filters[0].second = {QoS::kExactlyOnce, true, true, 2};
  ExpectBytes(s, Version::kV5, "82 09 00 01 00 00 03 61 2f 23 2e");
}

TEST(CodecBytesTest, Suback) {
  Suback s;
  s.packet_id = 1;
  s.reasons = {ReasonCode::kSuccess, ReasonCode::kGrantedQoS1, ReasonCode::kUnspecifiedError};
  ExpectBytes(s, Version::kV311, "90 05 00 01 00 01 80");
  ExpectBytes(s, Version::kV5, "90 06 00 01 00 00 01 80");
}

TEST(CodecBytesTest, UnsubscribeAndUnsuback) {
  Unsubscribe u;
  u.packet_id = 2;
  u.filters = {"a", "b/+"};
  ExpectBytes(u, Version::kV311, "a2 0a 00 02 00 01 61 00 03 62 2f 2b");
  ExpectBytes(u, Version::kV5, "a2 0b 00 02 00 00 01 61 00 03 62 2f 2b");
  Unsuback ua;
  ua.packet_id = 2;
  ExpectBytes(ua, Version::kV311, "b0 02 00 02");
  ua.reasons = {ReasonCode::kSuccess, ReasonCode::kNoSubscriptionExisted};
  ExpectBytes(ua, Version::kV5, "b0 05 00 02 00 00 11");
}

TEST(CodecBytesTest, DisconnectAndAuth) {
  ExpectBytes(Disconnect{}, Version::kV311, "e0 00");
  ExpectBytes(Disconnect{}, Version::kV5, "e0 00");
  Disconnect d;
  d.reason = ReasonCode::kSessionTakenOver;
  ExpectBytes(d, Version::kV5, "e0 01 8e");
  d.properties.session_expiry_interval = 0;
  ExpectBytes(d, Version::kV5, "e0 07 8e 05 11 00 00 00 00");
  Auth a;
  a.reason = ReasonCode::kReAuthenticate;
  a.properties.authentication_method = "M";
  ExpectBytes(a, Version::kV5, "f0 06 19 04 15 00 01 4d");
}

TEST(CodecBytesTest, UserPropertiesKeepOrder) {
  PubAck a;
  a.packet_id = 1;
  a.properties.user_properties = {{"b", "1"}, {"a", "2"}};
  ExpectBytes(a, Version::kV5,
              "40 12 00 01 00 0e"
              "26 00 01 62 00 01 31"
              "26 00 01 61 00 01 32");
}

}  // namespace
}  // namespace tributary::mqtt
