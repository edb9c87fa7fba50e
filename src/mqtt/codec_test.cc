// Round trips of every packet type for both protocol versions, remaining-length
// boundaries and the largest strings.
#include "mqtt/codec.h"

#include <gtest/gtest.h>

#include "mqtt/codec_test_util.h"

namespace tributary::mqtt {
namespace {

using testing::EncodeToString;
using testing::RoundTrip;
using testing::Span;

const UserProperties kUser = {{"region", "eu-west"}, {"region", "eu-north"}, {"", ""}};

Properties WillProps() {
  Properties p;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 3600;
  p.content_type = "application/json";
  p.response_topic = "replies/device-7";
  p.correlation_data = std::string("\x00\x01\xff", 3);
  p.will_delay_interval = 30;
  p.user_properties = kUser;
  return p;
}

Properties ConnectProps() {
  Properties p;
  p.session_expiry_interval = 0xFFFFFFFF;
  p.authentication_method = "SCRAM-SHA-1";
  p.authentication_data = std::string("\x00\xfe\x10", 3);
  p.request_problem_information = 0;
  p.request_response_information = 1;
  p.receive_maximum = 20;
  p.topic_alias_maximum = 10;
  p.maximum_packet_size = 1 << 20;
  p.user_properties = kUser;
  return p;
}

Properties ConnackProps() {
  Properties p;
  p.session_expiry_interval = 120;
  p.assigned_client_identifier = "auto-3F2A";
  p.server_keep_alive = 30;
  p.authentication_method = "SCRAM-SHA-1";
  p.authentication_data = "server-first";
  p.response_information = "responses/";
  p.server_reference = "broker2.example:8883";
  p.reason_string = "welcome";
  p.receive_maximum = 65535;
  p.topic_alias_maximum = 0;
  p.maximum_qos = 1;
  p.retain_available = 0;
  p.user_properties = kUser;
  p.maximum_packet_size = 268435460;
  p.wildcard_subscription_available = 1;
  p.subscription_identifier_available = 0;
  p.shared_subscription_available = 1;
  return p;
}

Properties PublishProps() {
  Properties p;
  p.payload_format_indicator = 0;
  p.message_expiry_interval = 0;
  p.content_type = "text/plain; charset=utf-8";
  p.response_topic = "a/b";
  p.correlation_data = std::string(1, '\0');
  p.subscription_identifiers = {1, 268435455, 300, 1};
  p.topic_alias = 65535;
  p.user_properties = kUser;
  return p;
}

Properties ReasonProps() {
  Properties p;
  p.reason_string = "quota exceeded for thing sensor-1";
  p.user_properties = kUser;
  return p;
}

class RoundTripTest : public ::testing::TestWithParam<Version> {
 protected:
  Version v() const { return GetParam(); }
  bool v5() const { return GetParam() == Version::kV5; }
};

INSTANTIATE_TEST_SUITE_P(Versions, RoundTripTest, ::testing::Values(Version::kV311, Version::kV5),
                         [](const auto& info) {
                           return info.param == Version::kV5 ? std::string("V5")
                                                             : std::string("V311");
                         });

TEST_P(RoundTripTest, ConnectMinimal) {
  Connect c;
  c.version = v();
  c.client_id = "";
  c.keep_alive = 0;
  EXPECT_EQ(RoundTrip(c, v()), Packet(c));
}

TEST_P(RoundTripTest, ConnectFull) {
  Connect c;
  c.version = v();
  c.client_id = "sensor-42";
  c.clean_start = false;
  c.keep_alive = 65535;
  c.will = Will{"status/sensor-42", std::string("gone\0", 5), QoS::kExactlyOnce, true, WillProps()};
  c.username = "ünïcødé";
  c.password = std::string("\x00\xff secret", 9);
  c.properties = ConnectProps();
  Connect expected = c;
  if (!v5()) {
    expected.properties = {};
    expected.will->properties = {};
  }
  EXPECT_EQ(RoundTrip(c, v()), Packet(expected));
}

TEST_P(RoundTripTest, ConnectEachWillQoS) {
  for (QoS q : {QoS::kAtMostOnce, QoS::kAtLeastOnce, QoS::kExactlyOnce}) {
    Connect c;
    c.version = v();
    c.client_id = "c";
    c.will = Will{"t", "", q, false, {}};
    EXPECT_EQ(RoundTrip(c, v()), Packet(c)) << static_cast<int>(q);
  }
}

TEST(RoundTripV5Test, ConnectPasswordWithoutUserName) {
  Connect c;
  c.client_id = "c";
  c.password = "token";  // allowed in MQTT 5 (3.1.2.9), not in 3.1.1
  EXPECT_EQ(RoundTrip(c, Version::kV5), Packet(c));
}

TEST(RoundTripTest, ConnectUsesItsOwnVersion) {
  Connect c;
  c.version = Version::kV311;
  c.client_id = "old";
  c.properties.session_expiry_interval = 5;
  // The session version is ignored for CONNECT, both ways.
  std::string bytes = EncodeToString(c, Version::kV5);
  auto decoded = Decode(Span(bytes), Version::kV5);
  ASSERT_TRUE(std::holds_alternative<Packet>(decoded));
  Connect expected = c;
  expected.properties = {};
  EXPECT_EQ(std::get<Packet>(decoded), Packet(expected));
}

TEST_P(RoundTripTest, Connack) {
  Connack c;
  c.session_present = true;
  c.properties = ConnackProps();
  Connack expected = c;
  if (!v5()) expected.properties = {};
  EXPECT_EQ(RoundTrip(c, v()), Packet(expected));
}

TEST_P(RoundTripTest, ConnackRefusals) {
  // Each 3.1.1 return code maps back to the same v5 reason.
  for (ReasonCode rc : {ReasonCode::kUnsupportedProtocolVersion,
                        ReasonCode::kClientIdentifierNotValid, ReasonCode::kServerUnavailable,
                        ReasonCode::kBadUserNameOrPassword, ReasonCode::kNotAuthorized}) {
    Connack c;
    c.reason = rc;
    EXPECT_EQ(RoundTrip(c, v()), Packet(c)) << ReasonCodeName(rc);
  }
}

TEST(RoundTripTest, ConnackV5ReasonsMapToV311Codes) {
  struct Case {
    ReasonCode v5;
    ReasonCode v311;
  } cases[] = {
      {ReasonCode::kBanned, ReasonCode::kNotAuthorized},
      {ReasonCode::kServerBusy, ReasonCode::kServerUnavailable},
      {ReasonCode::kBadAuthenticationMethod, ReasonCode::kBadUserNameOrPassword},
      {ReasonCode::kMalformedPacket, ReasonCode::kServerUnavailable},
  };
  for (const auto& c : cases) {
    Connack in;
    in.reason = c.v5;
    Connack out;
    out.reason = c.v311;
    EXPECT_EQ(RoundTrip(in, Version::kV311), Packet(out)) << ReasonCodeName(c.v5);
  }
}

TEST_P(RoundTripTest, PublishEachQoS) {
  for (QoS q : {QoS::kAtMostOnce, QoS::kAtLeastOnce, QoS::kExactlyOnce}) {
    for (bool retain : {false, true}) {
      Publish p;
      p.qos = q;
      p.retain = retain;
      p.dup = q != QoS::kAtMostOnce && retain;
      p.topic = "factory/line-1/sensor/temp";
      p.packet_id = q == QoS::kAtMostOnce ? 0 : 65535;
      p.payload = R"({"t": 21.5, "ts": 1700000000})";
      EXPECT_EQ(RoundTrip(p, v()), Packet(p)) << static_cast<int>(q) << " " << retain;
    }
  }
}

TEST_P(RoundTripTest, PublishEmptyAndBinaryPayload) {
  Publish p;
  p.topic = "a";
  EXPECT_EQ(RoundTrip(p, v()), Packet(p));
  p.payload = std::string("\x00\x01\x02\xff\x00", 5);
  EXPECT_EQ(RoundTrip(p, v()), Packet(p));
}

TEST_P(RoundTripTest, PublishWithProperties) {
  Publish p;
  p.qos = QoS::kAtLeastOnce;
  p.packet_id = 1;
  p.topic = "$aws/things/t1/shadow/update";
  p.properties = PublishProps();
  p.payload = "x";
  Publish expected = p;
  if (!v5()) expected.properties = {};
  EXPECT_EQ(RoundTrip(p, v()), Packet(expected));
}

TEST(RoundTripV5Test, PublishEmptyTopicWithAlias) {
  Publish p;
  p.topic = "";
  p.properties.topic_alias = 3;
  p.payload = "v";
  EXPECT_EQ(RoundTrip(p, Version::kV5), Packet(p));
}

TEST(RoundTripV5Test, PropertiesNotAllowedOnAPacketAreLeftOut) {
  Publish p;
  p.topic = "a";
  p.properties = ConnackProps();  // only the user properties belong on PUBLISH
  Publish expected = p;
  expected.properties = {};
  expected.properties.user_properties = kUser;
  EXPECT_EQ(RoundTrip(p, Version::kV5), Packet(expected));

  Subscribe s;
  s.packet_id = 9;
  s.filters = {{"a/#", {}}};
  s.properties.subscription_identifiers = {7, 8};  // SUBSCRIBE carries at most one
  Subscribe expected_s = s;
  expected_s.properties.subscription_identifiers = {7};
  EXPECT_EQ(RoundTrip(s, Version::kV5), Packet(expected_s));
}

TEST_P(RoundTripTest, PubAckFamily) {
  for (PacketType t :
       {PacketType::kPuback, PacketType::kPubrec, PacketType::kPubrel, PacketType::kPubcomp}) {
    PubAck a;
    a.type = t;
    a.packet_id = 513;
    EXPECT_EQ(RoundTrip(a, v()), Packet(a)) << PacketTypeName(t);

    bool rel = t == PacketType::kPubrel || t == PacketType::kPubcomp;
    a.reason = rel ? ReasonCode::kPacketIdentifierNotFound : ReasonCode::kQuotaExceeded;
    PubAck expected = a;
    if (!v5()) expected.reason = ReasonCode::kSuccess;
    EXPECT_EQ(RoundTrip(a, v()), Packet(expected)) << PacketTypeName(t);

    a.properties = ReasonProps();
    if (v5()) expected.properties = a.properties;
    EXPECT_EQ(RoundTrip(a, v()), Packet(expected)) << PacketTypeName(t);

    a.reason = ReasonCode::kSuccess;
    expected.reason = ReasonCode::kSuccess;
    EXPECT_EQ(RoundTrip(a, v()), Packet(expected)) << PacketTypeName(t);
  }
}

TEST(RoundTripV5Test, PubAckShortForms) {
  PubAck a;
  a.packet_id = 7;
  EXPECT_EQ(EncodeToString(a, Version::kV5).size(), 4u);  // reason and properties left out
  a.reason = ReasonCode::kNoMatchingSubscribers;
  EXPECT_EQ(EncodeToString(a, Version::kV5).size(), 5u);  // properties left out
  a.properties.reason_string = "r";
  EXPECT_EQ(EncodeToString(a, Version::kV5).size(), 10u);
}

TEST_P(RoundTripTest, Subscribe) {
  Subscribe s;
  s.packet_id = 10;
  s.properties.subscription_identifiers = {268435455};
  s.properties.user_properties = kUser;
  SubscribeOptions all;
  all.max_qos = QoS::kExactlyOnce;
  all.no_local = true;
  all.retain_as_published = true;
  all.retain_handling = 2;
  SubscribeOptions one;
  one.max_qos = QoS::kAtLeastOnce;
  one.retain_handling = 1;
  s.filters = {{"sport/tennis/#", all},
               {"+/+", one},
               {"$share/group/a/+", {QoS::kAtMostOnce, false, true, 0}},
               {"$SYS/#", {}}};
  Subscribe expected = s;
  if (!v5()) {
    expected.properties = {};
    for (auto& [f, o] : expected.filters) o = SubscribeOptions{o.max_qos, false, false, 0};
  }
  EXPECT_EQ(RoundTrip(s, v()), Packet(expected));
}

TEST_P(RoundTripTest, Suback) {
  Suback s;
  s.packet_id = 10;
  s.properties = ReasonProps();
  s.reasons = {ReasonCode::kGrantedQoS2,      ReasonCode::kSuccess,
               ReasonCode::kGrantedQoS1,      ReasonCode::kNotAuthorized,
               ReasonCode::kUnspecifiedError, ReasonCode::kWildcardSubscriptionsNotSupported};
  Suback expected = s;
  if (!v5()) {
    expected.properties = {};
    // Every refusal is 0x80 in 3.1.1.
    expected.reasons = {ReasonCode::kGrantedQoS2,      ReasonCode::kSuccess,
                        ReasonCode::kGrantedQoS1,      ReasonCode::kUnspecifiedError,
                        ReasonCode::kUnspecifiedError, ReasonCode::kUnspecifiedError};
  }
  EXPECT_EQ(RoundTrip(s, v()), Packet(expected));
}

TEST_P(RoundTripTest, Unsubscribe) {
  Unsubscribe u;
  u.packet_id = 11;
  u.properties.user_properties = kUser;
  u.filters = {"a/b", "#", "$share/g/x"};
  Unsubscribe expected = u;
  if (!v5()) expected.properties = {};
  EXPECT_EQ(RoundTrip(u, v()), Packet(expected));
}

TEST_P(RoundTripTest, Unsuback) {
  Unsuback u;
  u.packet_id = 11;
  u.properties = ReasonProps();
  u.reasons = {ReasonCode::kSuccess, ReasonCode::kNoSubscriptionExisted,
               ReasonCode::kTopicFilterInvalid};
  Unsuback expected = u;
  if (!v5()) expected = Unsuback{11, {}, {}};
  EXPECT_EQ(RoundTrip(u, v()), Packet(expected));
}

TEST_P(RoundTripTest, PingAndDisconnect) {
  EXPECT_EQ(RoundTrip(Pingreq{}, v()), Packet(Pingreq{}));
  EXPECT_EQ(RoundTrip(Pingresp{}, v()), Packet(Pingresp{}));
  EXPECT_EQ(EncodeToString(Pingreq{}, v()), std::string("\xc0\x00", 2));
  EXPECT_EQ(EncodeToString(Pingresp{}, v()), std::string("\xd0\x00", 2));

  Disconnect d;
  EXPECT_EQ(RoundTrip(d, v()), Packet(d));
  EXPECT_EQ(EncodeToString(d, v()), std::string("\xe0\x00", 2));
  d.reason = ReasonCode::kDisconnectWithWill;
  d.properties.session_expiry_interval = 0;
  d.properties.server_reference = "other:1883";
  d.properties.reason_string = "bye";
  d.properties.user_properties = kUser;
  Disconnect expected = v5() ? d : Disconnect{};
  EXPECT_EQ(RoundTrip(d, v()), Packet(expected));
  d.properties = {};
  expected = v5() ? d : Disconnect{};
  EXPECT_EQ(RoundTrip(d, v()), Packet(expected));
}

TEST(RoundTripV5Test, Auth) {
  Auth a;
  EXPECT_EQ(RoundTrip(a, Version::kV5), Packet(a));
  EXPECT_EQ(EncodeToString(a, Version::kV5), std::string("\xf0\x00", 2));
  a.reason = ReasonCode::kContinueAuthentication;
  a.properties.authentication_method = "SCRAM-SHA-256";
  a.properties.authentication_data = std::string("\x01\x00\x02", 3);
  a.properties.reason_string = "more";
  a.properties.user_properties = kUser;
  EXPECT_EQ(RoundTrip(a, Version::kV5), Packet(a));
}

// Remaining lengths where the Variable Byte Integer grows a byte.
TEST_P(RoundTripTest, RemainingLengthBoundaries) {
  for (uint32_t remaining : {127u, 128u, 16383u, 16384u, 2097151u, 2097152u}) {
    Publish p;
    p.topic = "t";
    size_t overhead = 3 + (v5() ? 1 : 0);  // topic, property length
    p.payload.assign(remaining - overhead, 'x');
    std::string bytes = EncodeToString(p, v());
    size_t header = remaining < 128 ? 2 : remaining < 16384 ? 3 : remaining < 2097152 ? 4 : 5;
    ASSERT_EQ(bytes.size(), header + remaining) << remaining;
    EXPECT_EQ(EncodedSize(p, v()), bytes.size());
    FrameInfo f = FrameSize(Span(bytes), 0xFFFFFFFFu);
    EXPECT_TRUE(f.complete && !f.error);
    EXPECT_EQ(f.size, bytes.size());
    // One byte short is not yet a frame.
    EXPECT_FALSE(FrameSize(Span(bytes).first(bytes.size() - 1), 0xFFFFFFFFu).complete);
    EXPECT_EQ(RoundTrip(p, v()), Packet(p)) << remaining;
  }
}

TEST_P(RoundTripTest, LongestStrings) {
  std::string longest(65535, 'a');
  Publish p;
  p.topic = longest;
  p.payload = longest + longest;
  EXPECT_EQ(RoundTrip(p, v()), Packet(p));

  Connect c;
  c.version = v();
  c.client_id = longest;
  c.username = longest;
  c.password = std::string(65535, '\xff');
  c.will = Will{longest, std::string(65535, '\0'), QoS::kAtLeastOnce, false, {}};
  if (v5()) c.properties.user_properties = {{longest, longest}};
  EXPECT_EQ(RoundTrip(c, v()), Packet(c));
}

TEST_P(RoundTripTest, PublishHeaderPlusPayloadEqualsEncode) {
  Publish p;
  p.qos = QoS::kExactlyOnce;
  p.dup = true;
  p.retain = true;
  p.packet_id = 300;
  p.topic = "fan/out";
  p.properties = PublishProps();
  for (size_t n : {0u, 1u, 120u, 200u, 20000u}) {
    p.payload.assign(n, 'p');
    std::string head;
    EncodePublishHeader(p, v(), &head);
    EXPECT_EQ(head + p.payload, EncodeToString(p, v())) << n;
  }
}

TEST(EncodeTest, AppendsToExistingBuffer) {
  std::string out = "prefix";
  Encode(Pingreq{}, Version::kV5, &out);
  Encode(Pingresp{}, Version::kV5, &out);
  EXPECT_EQ(out, std::string("prefix\xc0\x00\xd0\x00", 10));
}

}  // namespace
}  // namespace tributary::mqtt
