// Which property may appear on which packet (MQTT 5 spec, table 2-4), checked by
// decoding each property on each packet; plus the repeat rules.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
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

enum Where {
  kConnect,
  kWill,
  kConnack,
  kPublish,
  kPuback,
  kSubscribe,
  kSuback,
  kUnsubscribe,
  kUnsuback,
  kDisconnect,
  kAuth
};
const char* kWhereNames[] = {"CONNECT",  "will",       "CONNACK", "PUBLISH",
                             "PUBACK",   "SUBSCRIBE",  "SUBACK",  "UNSUBSCRIBE",
                             "UNSUBACK", "DISCONNECT", "AUTH"};

// A v5 packet of the given kind carrying property block `props`.
std::string PacketWith(Where w, const std::string& props) {
  const std::string head = Str("MQTT") + Hex("05");
  switch (w) {
    case kConnect:
      return Frame(0x10, head + Hex("02 00 3c") + Props(props) + Str("c"));
    case kWill:
      return Frame(
          0x10, head + Hex("06 00 3c") + Props("") + Str("c") + Props(props) + Str("t") + Str(""));
    case kConnack:
      return Frame(0x20, Hex("00 00") + Props(props));
    case kPublish:
      return Frame(0x30, Str("a") + Props(props));
    case kPuback:
      return Frame(0x40, Hex("00 01 00") + Props(props));
    case kSubscribe:
      return Frame(0x82, Hex("00 01") + Props(props) + Str("a") + Hex("00"));
    case kSuback:
      return Frame(0x90, Hex("00 01") + Props(props) + Hex("00"));
    case kUnsubscribe:
      return Frame(0xA2, Hex("00 01") + Props(props) + Str("a"));
    case kUnsuback:
      return Frame(0xB0, Hex("00 01") + Props(props) + Hex("00"));
    case kDisconnect:
      return Frame(0xE0, Hex("00") + Props(props));
    case kAuth:
      return Frame(0xF0, Hex("00") + Props(props));
  }
  return "";
}

struct PropertyCase {
  const char* name;
  std::string bytes;  // identifier and a valid value
  std::set<Where> allowed;
};

std::vector<PropertyCase> Table() {
  const std::set<Where> message = {kPublish, kWill};
  return {
      {"Payload Format Indicator", Hex("01 01"), message},
      {"Message Expiry Interval", Hex("02 00 00 00 0a"), message},
      {"Content Type", Hex("03") + Str("text/plain"), message},
      {"Response Topic", Hex("08") + Str("r/1"), message},
      {"Correlation Data", Hex("09") + Str("\x01"), message},
      {"Subscription Identifier", Hex("0b 05"), {kPublish, kSubscribe}},
      {"Session Expiry Interval", Hex("11 00 00 00 0a"), {kConnect, kConnack, kDisconnect}},
      {"Assigned Client Identifier", Hex("12") + Str("id"), {kConnack}},
      {"Server Keep Alive", Hex("13 00 0a"), {kConnack}},
      {"Authentication Method", Hex("15") + Str("m"), {kConnect, kConnack, kAuth}},
      // On CONNECT, Authentication Data needs a method (spec 3.1.2.11.10).
      {"Authentication Data",
       Hex("15") + Str("m") + Hex("16") + Str("d"),
       {kConnect, kConnack, kAuth}},
      {"Request Problem Information", Hex("17 01"), {kConnect}},
      {"Will Delay Interval", Hex("18 00 00 00 05"), {kWill}},
      {"Request Response Information", Hex("19 01"), {kConnect}},
      {"Response Information", Hex("1a") + Str("resp/"), {kConnack}},
      {"Server Reference", Hex("1c") + Str("other"), {kConnack, kDisconnect}},
      {"Reason String",
       Hex("1f") + Str("why"),
       {kConnack, kPuback, kSuback, kUnsuback, kDisconnect, kAuth}},
      {"Receive Maximum", Hex("21 00 0a"), {kConnect, kConnack}},
      {"Topic Alias Maximum", Hex("22 00 0a"), {kConnect, kConnack}},
      {"Topic Alias", Hex("23 00 01"), {kPublish}},
      {"Maximum QoS", Hex("24 01"), {kConnack}},
      {"Retain Available", Hex("25 01"), {kConnack}},
      {"User Property",
       Hex("26") + Str("k") + Str("v"),
       {kConnect, kWill, kConnack, kPublish, kPuback, kSubscribe, kSuback, kUnsubscribe, kUnsuback,
        kDisconnect, kAuth}},
      {"Maximum Packet Size", Hex("27 00 00 10 00"), {kConnect, kConnack}},
      {"Wildcard Subscription Available", Hex("28 01"), {kConnack}},
      {"Subscription Identifier Available", Hex("29 01"), {kConnack}},
      {"Shared Subscription Available", Hex("2a 01"), {kConnack}},
  };
}

TEST(PropertiesTest, EachPropertyIsAcceptedExactlyWhereTheSpecAllowsIt) {
  for (const auto& p : Table()) {
    for (int w = kConnect; w <= kAuth; ++w) {
      auto where = static_cast<Where>(w);
      std::string bytes = PacketWith(where, p.bytes);
      auto r = Decode(Span(bytes), Version::kV5);
      bool allowed = p.allowed.count(where) > 0;
      SCOPED_TRACE(std::string(p.name) + " on " + kWhereNames[w]);
      if (allowed) {
        if (auto* e = std::get_if<DecodeError>(&r)) ADD_FAILURE() << e->message;
      } else {
        auto* e = std::get_if<DecodeError>(&r);
        ASSERT_NE(e, nullptr) << "accepted";
        EXPECT_EQ(e->reason, ReasonCode::kMalformedPacket);
        EXPECT_NE(e->message.find("is not allowed in"), std::string::npos) << e->message;
      }
    }
  }
}

TEST(PropertiesTest, OnlyUserPropertyAndPublishSubscriptionIdsRepeat) {
  for (const auto& p : Table()) {
    if (std::string(p.name) == "Authentication Data") continue;  // its case holds a method too
    Where where = *p.allowed.begin();
    std::string bytes = PacketWith(where, p.bytes + p.bytes);
    auto r = Decode(Span(bytes), Version::kV5);
    bool repeatable = std::string(p.name) == "User Property" ||
                      (std::string(p.name) == "Subscription Identifier" && where == kPublish);
    SCOPED_TRACE(std::string(p.name) + " twice on " + kWhereNames[where]);
    if (repeatable) {
      if (auto* e = std::get_if<DecodeError>(&r)) ADD_FAILURE() << e->message;
    } else {
      auto* e = std::get_if<DecodeError>(&r);
      ASSERT_NE(e, nullptr) << "accepted";
      EXPECT_EQ(e->reason, ReasonCode::kProtocolError);
      EXPECT_NE(e->message.find("appears more than once"), std::string::npos) << e->message;
    }
  }
}

TEST(PropertiesTest, RepeatedValuesKeepTheirOrder) {
  std::string bytes = PacketWith(kPublish, Hex("0b 03 26") + Str("a") + Str("1") + Hex("0b 01") +
                                               Hex("26") + Str("a") + Str("2"));
  auto r = Decode(Span(bytes), Version::kV5);
  ASSERT_TRUE(std::holds_alternative<Packet>(r));
  const auto& p = std::get<Publish>(std::get<Packet>(r));
  EXPECT_EQ(p.properties.subscription_identifiers, (std::vector<uint32_t>{3, 1}));
  EXPECT_EQ(p.properties.user_properties, (UserProperties{{"a", "1"}, {"a", "2"}}));
}

TEST(PropertiesTest, ValuesAreDecodedIntoTheirFields) {
  std::string bytes =
      PacketWith(kConnack, Hex("11 00 01 00 00 12") + Str("id-1") + Hex("13 00 2a 21 ff ff 24 00") +
                               Hex("27 10 00 00 00 0b 80 01"));
  auto r = Decode(Span(bytes), Version::kV5);
  // 0x0B is not allowed on CONNACK: the last property makes it malformed.
  ASSERT_TRUE(std::holds_alternative<DecodeError>(r));
  bytes = PacketWith(kConnack, Hex("11 00 01 00 00 12") + Str("id-1") +
                                   Hex("13 00 2a 21 ff ff 24 00 27 10 00 00 00"));
  r = Decode(Span(bytes), Version::kV5);
  ASSERT_TRUE(std::holds_alternative<Packet>(r));
  const auto& c = std::get<Connack>(std::get<Packet>(r));
  EXPECT_EQ(c.properties.session_expiry_interval, 65536u);
  EXPECT_EQ(c.properties.assigned_client_identifier, "id-1");
  EXPECT_EQ(c.properties.server_keep_alive, 42);
  EXPECT_EQ(c.properties.receive_maximum, 65535);
  EXPECT_EQ(c.properties.maximum_qos, 0);
  EXPECT_EQ(c.properties.maximum_packet_size, 0x10000000u);
}

TEST(PropertiesTest, SubscriptionIdentifierIsAVariableByteInteger) {
  std::string bytes = PacketWith(kPublish, Hex("0b ff ff ff 7f 0b 80 01"));
  auto r = Decode(Span(bytes), Version::kV5);
  ASSERT_TRUE(std::holds_alternative<Packet>(r));
  EXPECT_EQ(std::get<Publish>(std::get<Packet>(r)).properties.subscription_identifiers,
            (std::vector<uint32_t>{268435455, 128}));
  bytes = PacketWith(kPublish, Hex("0b ff ff ff ff 01"));
  r = Decode(Span(bytes), Version::kV5);
  ASSERT_TRUE(std::holds_alternative<DecodeError>(r));
  EXPECT_EQ(std::get<DecodeError>(r).reason, ReasonCode::kMalformedPacket);
}

}  // namespace
}  // namespace tributary::mqtt
