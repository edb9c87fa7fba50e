// Malformed and forbidden packets, each with the reason code the spec asks for and
// the part of the message that says where the problem is.
#include <gtest/gtest.h>

#include <vector>

#include "mqtt/codec.h"
#include "mqtt/codec_test_util.h"

namespace tributary::mqtt {
namespace {

using testing::Frame;
using testing::Hex;
using testing::Props;
using testing::Span;
using testing::Str;
using testing::ToHex;

constexpr Version k3 = Version::kV311;
constexpr Version k5 = Version::kV5;
constexpr ReasonCode kMalformed = ReasonCode::kMalformedPacket;
constexpr ReasonCode kProtocol = ReasonCode::kProtocolError;

struct Case {
  const char* name;
  Version version;
  std::string bytes;
  ReasonCode reason;
  const char* message;  // a substring of DecodeError::message
};

std::string ConnectHead(uint8_t level, uint8_t flags) {
  return Str("MQTT") + std::string(1, static_cast<char>(level)) +
         std::string(1, static_cast<char>(flags)) + Hex("00 3c");
}

std::string Publish5(std::string_view props) { return Frame(0x30, Str("a") + Props(props)); }

std::vector<Case> Cases() {
  std::string c5 = ConnectHead(5, 0x02);
  return {
      // Fixed header.
      {"empty input", k5, "", kMalformed, "empty"},
      {"reserved type 0", k5, Hex("00 00"), kMalformed, "RESERVED: packet type 0 is reserved"},
      {"remaining length of 5 bytes", k5, Hex("30 ff ff ff ff 01"), kMalformed,
       "longer than 4 bytes"},
      {"remaining length not minimal", k5, Hex("c0 80 00"), kMalformed, "shortest form"},
      {"remaining length truncated", k5, Hex("30 80"), kMalformed, "remaining length is truncated"},
      {"remaining length beyond the frame", k5, Hex("c0 02 00"), kMalformed,
       "remaining length is 2 but 1 bytes follow"},
      {"SUBSCRIBE flags 0000", k3, Frame(0x80, Hex("00 01") + Str("a") + Hex("00")), kMalformed,
       "SUBSCRIBE: fixed header flags are 0 but must be 2"},
      {"UNSUBSCRIBE flags 0000", k3, Frame(0xA0, Hex("00 01") + Str("a")), kMalformed,
       "UNSUBSCRIBE: fixed header flags"},
      {"PUBREL flags 0000", k5, Hex("60 02 00 01"), kMalformed, "PUBREL: fixed header flags"},
      {"PUBACK flags 0010", k5, Hex("42 02 00 01"), kMalformed, "PUBACK: fixed header flags"},
      {"PINGREQ flags 0001", k3, Hex("c1 00"), kMalformed, "PINGREQ: fixed header flags"},
      {"PINGREQ with a body", k3, Hex("c0 01 00"), kMalformed, "1 unexpected trailing bytes"},
      {"DISCONNECT 3.1.1 with a body", k3, Hex("e0 01 00"), kMalformed, "trailing"},
      {"AUTH in 3.1.1", k3, Hex("f0 00"), kProtocol, "AUTH does not exist in MQTT 3.1.1"},

      // PUBLISH.
      {"PUBLISH QoS 3", k3, Frame(0x36, Str("a") + Hex("00 01")), kMalformed, "QoS 3"},
      {"PUBLISH DUP on QoS 0", k3, Frame(0x38, Str("a")), kMalformed, "DUP on a QoS 0"},
      {"PUBLISH packet id 0", k3, Frame(0x32, Str("a") + Hex("00 00")), kProtocol,
       "PUBLISH: packet identifier must not be 0 at byte 5"},
      {"PUBLISH truncated packet id", k3, Frame(0x32, Str("a") + Hex("00")), kMalformed,
       "packet identifier is truncated"},
      {"PUBLISH truncated topic", k3, Frame(0x30, Hex("00 05 61 62")), kMalformed,
       "PUBLISH: topic name is truncated: length 5 but only 2 bytes left at byte 2"},
      {"PUBLISH invalid UTF-8", k3, Frame(0x30, Str("\xc3\x28")), kMalformed,
       "PUBLISH: topic name is not valid UTF-8"},
      {"PUBLISH overlong UTF-8", k3, Frame(0x30, Str("\xc0\xaf")), kMalformed, "UTF-8"},
      {"PUBLISH NUL in topic", k5, Frame(0x30, Str(std::string("a\0b", 3)) + Hex("00")), kMalformed,
       "topic name is not valid UTF-8"},
      {"PUBLISH surrogate in topic", k3, Frame(0x30, Str("\xed\xa0\x80")), kMalformed, "UTF-8"},
      {"PUBLISH above U+10FFFF", k3, Frame(0x30, Str("\xf4\x90\x80\x80")), kMalformed, "UTF-8"},
      {"PUBLISH '+' in topic", k3, Frame(0x30, Str("a/+")), ReasonCode::kTopicNameInvalid,
       "wildcard"},
      {"PUBLISH '#' in topic", k5, Frame(0x30, Str("#") + Hex("00")), ReasonCode::kTopicNameInvalid,
       "wildcard"},
      {"PUBLISH empty topic 3.1.1", k3, Frame(0x30, Str("") + "x"), ReasonCode::kTopicNameInvalid,
       "topic name is empty"},
      {"PUBLISH empty topic without alias", k5, Frame(0x30, Str("") + Hex("00")), kProtocol,
       "no Topic Alias"},

      // Properties.
      {"duplicate Topic Alias", k5, Publish5(Hex("23 00 01 23 00 02")), kProtocol,
       "PUBLISH: Topic Alias property appears more than once at byte 9"},
      {"Session Expiry on PUBLISH", k5, Publish5(Hex("11 00 00 00 01")), kMalformed,
       "Session Expiry Interval property is not allowed in PUBLISH"},
      {"unknown property 0x04", k5, Publish5(Hex("04 00")), kMalformed,
       "property identifier 0x04 is unknown"},
      {"property length past the end", k5, Frame(0x30, Str("a") + Hex("05 23")), kMalformed,
       "property length is 5 but only 1 bytes follow"},
      {"truncated property value", k5, Publish5(Hex("23 00")), kMalformed,
       "Topic Alias property is truncated"},
      {"Topic Alias 0", k5, Publish5(Hex("23 00 00")), ReasonCode::kTopicAliasInvalid,
       "Topic Alias property must not be 0"},
      {"Payload Format Indicator 2", k5, Publish5(Hex("01 02")), kProtocol, "must be 0 or 1"},
      {"Subscription Identifier 0", k5, Publish5(Hex("0b 00")), kProtocol,
       "Subscription Identifier property must not be 0"},
      {"Response Topic with wildcard", k5, Publish5(Hex("08") + Str("r/#")), kProtocol,
       "Response Topic property is not a valid topic name"},
      {"User Property with bad UTF-8", k5, Publish5(Hex("26") + Str("\xff") + Str("v")), kMalformed,
       "User Property name is not valid UTF-8"},
      {"duplicate Subscription Identifier in SUBSCRIBE", k5,
       Frame(0x82, Hex("00 01") + Props(Hex("0b 01 0b 02")) + Str("a") + Hex("00")), kProtocol,
       "appears more than once"},
      {"Will Delay Interval on CONNECT", k5,
       Frame(0x10, c5 + Props(Hex("18 00 00 00 01")) + Str("c")), kMalformed,
       "Will Delay Interval property is not allowed in CONNECT"},
      {"Receive Maximum 0", k5, Frame(0x10, c5 + Props(Hex("21 00 00")) + Str("c")), kProtocol,
       "Receive Maximum property must not be 0"},
      {"Maximum Packet Size 0", k5, Frame(0x10, c5 + Props(Hex("27 00 00 00 00")) + Str("c")),
       kProtocol, "Maximum Packet Size property must not be 0"},
      {"Request Problem Information 2", k5, Frame(0x10, c5 + Props(Hex("17 02")) + Str("c")),
       kProtocol, "must be 0 or 1 but is 2"},
      {"Authentication Data without Method", k5,
       Frame(0x10, c5 + Props(Hex("16") + Str("d")) + Str("c")), kProtocol,
       "Authentication Data without an Authentication Method"},
      {"Content Type on will is fine but not twice", k5,
       Frame(0x10, ConnectHead(5, 0x06) + Props("") + Str("c") +
                       Props(Hex("03") + Str("a") + Hex("03") + Str("b")) + Str("t") + Str("")),
       kProtocol, "Content Type property appears more than once"},

      // CONNECT.
      {"CONNECT bad protocol name", k5, Frame(0x10, Str("MQTX") + Hex("04 02 00 3c") + Str("c")),
       kProtocol, "CONNECT: protocol name is not \"MQTT\" at byte 8"},
      {"CONNECT MQTT 3.1", k5, Frame(0x10, Str("MQIsdp") + Hex("03 02 00 3c") + Str("c")),
       ReasonCode::kUnsupportedProtocolVersion, "MQTT 3.1"},
      {"CONNECT level 3", k5, Frame(0x10, ConnectHead(3, 0x02) + Str("c")),
       ReasonCode::kUnsupportedProtocolVersion, "CONNECT: protocol level 3 is not supported"},
      {"CONNECT level 6", k3, Frame(0x10, ConnectHead(6, 0x02) + Str("c")),
       ReasonCode::kUnsupportedProtocolVersion, "protocol level 6"},
      {"CONNECT flags 0001", k3, Hex("11 00"), kMalformed, "CONNECT: fixed header flags"},
      {"CONNECT reserved flag", k3, Frame(0x10, ConnectHead(4, 0x03) + Str("c")), kMalformed,
       "connect flags has the reserved bit set at byte 9"},
      {"CONNECT will QoS without will", k3, Frame(0x10, ConnectHead(4, 0x0A) + Str("c")),
       kMalformed, "without the will flag"},
      {"CONNECT will retain without will", k5, Frame(0x10, ConnectHead(5, 0x22) + Str("c")),
       kMalformed, "without the will flag"},
      {"CONNECT will QoS 3", k3, Frame(0x10, ConnectHead(4, 0x1E) + Str("c") + Str("t") + Str("")),
       kMalformed, "will QoS 3"},
      {"CONNECT password without user name 3.1.1", k3,
       Frame(0x10, ConnectHead(4, 0x42) + Str("c") + Str("p")), kMalformed,
       "password flag without the user name flag"},
      {"CONNECT truncated client id", k3, Frame(0x10, ConnectHead(4, 0x02) + Hex("00 05 61")),
       kMalformed, "client identifier is truncated"},
      {"CONNECT bad UTF-8 client id", k3, Frame(0x10, ConnectHead(4, 0x02) + Str("\xfe")),
       kMalformed, "client identifier is not valid UTF-8"},
      {"CONNECT missing will topic", k3, Frame(0x10, ConnectHead(4, 0x06) + Str("c")), kMalformed,
       "will topic is truncated"},
      {"CONNECT wildcard will topic", k3,
       Frame(0x10, ConnectHead(4, 0x06) + Str("c") + Str("a/+") + Str("x")),
       ReasonCode::kTopicNameInvalid, "will topic"},
      {"CONNECT missing password", k3, Frame(0x10, ConnectHead(4, 0xC2) + Str("c") + Str("u")),
       kMalformed, "password is truncated"},
      {"CONNECT trailing bytes", k3, Frame(0x10, ConnectHead(4, 0x02) + Str("c") + "zz"),
       kMalformed, "2 unexpected trailing bytes"},

      // CONNACK.
      {"CONNACK reserved flags", k3, Hex("20 02 02 00"), kMalformed,
       "acknowledge flags has reserved bits set"},
      {"CONNACK return code 6", k3, Hex("20 02 00 06"), kProtocol, "return code 6 is not 0..5"},
      {"CONNACK unknown reason", k5, Hex("20 03 00 01 00"), kProtocol,
       "reason code 0x01 is not a valid reason code"},
      {"CONNACK session present on refusal", k5, Hex("20 03 01 87 00"), kProtocol,
       "session present on a refused connection"},
      {"CONNACK 3.1.1 too long", k3, Hex("20 03 00 00 00"), kMalformed, "trailing"},

      // Acks.
      {"PUBACK packet id 0", k5, Hex("40 02 00 00"), kProtocol, "must not be 0"},
      {"PUBACK truncated", k3, Hex("40 01 00"), kMalformed, "packet identifier is truncated"},
      {"PUBACK bad reason", k5, Hex("40 03 00 01 05"), kProtocol, "0x05 is not a valid"},
      {"PUBREL with PUBACK reason", k5, Hex("62 03 00 01 10"), kProtocol, "0x10 is not a valid"},
      {"PUBACK 3.1.1 with reason", k3, Hex("40 03 00 01 00"), kMalformed, "trailing"},
      {"SUBACK 3.1.1 code 3", k3, Hex("90 03 00 01 03"), kProtocol,
       "return code 1 0x03 is not 0x00, 0x01, 0x02 or 0x80"},
      {"SUBACK without codes", k5, Hex("90 03 00 01 00"), kProtocol, "no reason codes"},
      {"UNSUBACK 3.1.1 with codes", k3, Hex("b0 03 00 01 00"), kMalformed, "trailing"},
      {"UNSUBACK v5 bad reason", k5, Hex("b0 04 00 01 00 02"), kProtocol, "reason code 1 0x02"},
      {"DISCONNECT bad reason", k5, Hex("e0 01 01"), kProtocol, "not a valid reason code"},
      {"AUTH bad reason", k5, Hex("f0 01 01"), kProtocol, "not a valid reason code"},

      // SUBSCRIBE and UNSUBSCRIBE.
      {"SUBSCRIBE without filters 3.1.1", k3, Hex("82 02 00 01"), kProtocol,
       "SUBSCRIBE: payload has no topic filters"},
      {"SUBSCRIBE without filters v5", k5, Hex("82 03 00 01 00"), kProtocol, "no topic filters"},
      {"SUBSCRIBE packet id 0", k3, Frame(0x82, Hex("00 00") + Str("a") + Hex("00")), kProtocol,
       "packet identifier must not be 0"},
      {"SUBSCRIBE filter 2 bad UTF-8", k3,
       Frame(0x82, Hex("00 01") + Str("a") + Hex("00") + Str("\xc3\x28") + Hex("00")), kMalformed,
       "SUBSCRIBE: topic filter 2 is not valid UTF-8"},
      {"SUBSCRIBE missing options", k3, Frame(0x82, Hex("00 01") + Str("a")), kMalformed,
       "subscription options 1 is truncated"},
      {"SUBSCRIBE 3.1.1 reserved option bits", k3, Frame(0x82, Hex("00 01") + Str("a") + Hex("04")),
       kMalformed, "reserved bits"},
      {"SUBSCRIBE 3.1.1 QoS 3", k3, Frame(0x82, Hex("00 01") + Str("a") + Hex("03")), kMalformed,
       "QoS 3"},
      {"SUBSCRIBE v5 QoS 3", k5, Frame(0x82, Hex("00 01 00") + Str("a") + Hex("03")), kProtocol,
       "QoS 3"},
      {"SUBSCRIBE v5 reserved option bits", k5, Frame(0x82, Hex("00 01 00") + Str("a") + Hex("40")),
       kMalformed, "reserved bits"},
      {"SUBSCRIBE v5 Retain Handling 3", k5, Frame(0x82, Hex("00 01 00") + Str("a") + Hex("30")),
       kProtocol, "Retain Handling 3"},
      {"SUBSCRIBE v5 No Local on shared", k5,
       Frame(0x82, Hex("00 01 00") + Str("$share/g/a") + Hex("04")), kProtocol,
       "No Local on a shared subscription"},
      {"UNSUBSCRIBE without filters", k5, Hex("a2 03 00 01 00"), kProtocol, "no topic filters"},
      {"UNSUBSCRIBE truncated filter", k3, Frame(0xA2, Hex("00 01 00 04 61")), kMalformed,
       "topic filter 1 is truncated"},
  };
}

TEST(CodecMalformedTest, EachCaseIsRejectedWithItsReason) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(std::string(c.name) + " [" + ToHex(c.bytes) + "]");
    auto r = Decode(Span(c.bytes), c.version);
    auto* err = std::get_if<DecodeError>(&r);
    if (err == nullptr) {
      ADD_FAILURE() << "decoded as " << PacketTypeName(TypeOf(std::get<Packet>(r)));
      continue;
    }
    EXPECT_EQ(ReasonCodeName(err->reason), std::string(ReasonCodeName(c.reason)));
    EXPECT_NE(err->message.find(c.message), std::string::npos)
        << "message: " << err->message << "\nexpected to contain: " << c.message;
  }
}

// Every proper prefix of a valid packet is either incomplete for FrameSize or, when
// cut inside the body with a patched length, a Malformed Packet; never a crash.
TEST(CodecMalformedTest, TruncationsOfAValidConnect) {
  std::string body = ConnectHead(5, 0xC6) + Props(Hex("11 00 00 00 0a")) + Str("client") +
                     Props(Hex("18 00 00 00 05")) + Str("will/topic") + Str("bye") + Str("u") +
                     Str("p");
  std::string full = Frame(0x10, body);
  ASSERT_TRUE(std::holds_alternative<Packet>(Decode(Span(full), k5)));
  for (size_t n = 0; n < body.size(); ++n) {
    std::string cut = Frame(0x10, body.substr(0, n));
    auto r = Decode(Span(cut), k5);
    ASSERT_TRUE(std::holds_alternative<DecodeError>(r)) << "prefix " << n << " decoded";
    EXPECT_FALSE(FrameSize(Span(full).first(n + 2), 1 << 20).complete && n + 2 < full.size());
  }
}

TEST(FrameSizeTest, WaitsForTheWholePacket) {
  std::string p = Hex("30 05 00 01 61 62 63");
  EXPECT_FALSE(FrameSize(Span(p).first(0), 100).complete);
  EXPECT_FALSE(FrameSize(Span(p).first(1), 100).complete);
  EXPECT_FALSE(FrameSize(Span(p).first(6), 100).complete);
  FrameInfo f = FrameSize(Span(p + "next"), 100);
  EXPECT_TRUE(f.complete);
  EXPECT_FALSE(f.error);
  EXPECT_EQ(f.size, 7u);
}

TEST(FrameSizeTest, IncompleteRemainingLength) {
  EXPECT_FALSE(FrameSize(Span(Hex("30 ff ff")), 1u << 30).complete);
  EXPECT_FALSE(FrameSize(Span(Hex("30 ff ff ff")), 1u << 30).complete);
}

TEST(FrameSizeTest, RemainingLengthOfFiveBytesIsMalformed) {
  FrameInfo f = FrameSize(Span(Hex("30 ff ff ff ff 01")), 0xFFFFFFFFu);
  EXPECT_TRUE(f.complete);
  ASSERT_TRUE(f.error);
  EXPECT_EQ(f.error->reason, kMalformed);
  EXPECT_NE(f.error->message.find("longer than 4 bytes"), std::string::npos);
  f = FrameSize(Span(Hex("30 80 80 00")), 0xFFFFFFFFu);
  ASSERT_TRUE(f.error);
  EXPECT_EQ(f.error->reason, kMalformed);
}

TEST(FrameSizeTest, LargestRemainingLength) {
  // 0xFF 0xFF 0xFF 0x7F = 268435455: a 268435460-byte packet, incomplete here.
  std::string h = Hex("30 ff ff ff 7f");
  EXPECT_FALSE(FrameSize(Span(h), 0xFFFFFFFFu).complete);
  FrameInfo f = FrameSize(Span(h), 268435459);
  ASSERT_TRUE(f.error);
  EXPECT_EQ(f.error->reason, ReasonCode::kPacketTooLarge);
}

TEST(FrameSizeTest, PacketTooLargeIsReportedBeforeTheBodyArrives) {
  std::string p = Hex("30 80 01");  // remaining 128: 131 bytes in all
  FrameInfo f = FrameSize(Span(p), 130);
  EXPECT_TRUE(f.complete);
  ASSERT_TRUE(f.error);
  EXPECT_EQ(f.error->reason, ReasonCode::kPacketTooLarge);
  EXPECT_NE(f.error->message.find("131 bytes exceeds the maximum packet size of 130"),
            std::string::npos)
      << f.error->message;
  EXPECT_FALSE(FrameSize(Span(p), 131).error);
}

}  // namespace
}  // namespace tributary::mqtt
