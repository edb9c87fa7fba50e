// Socket tests of connection handling with the codec-based test client: malformed and
// unexpected packets, timeouts, takeover, authorization, admin disconnects, $SYS. The
// interceptor's part is broker_interceptor_test.cc.
#include <gtest/gtest.h>

#include <thread>

#include "base/clock.h"
#include "base/completion_batch.h"
#include "broker/testing/test_client.h"
#include "broker/testing/test_connect.h"
#include "broker/testing/test_util.h"
#include "mqtt/codec.h"

namespace tributary::broker {
namespace {

using mqtt::QoS;
using mqtt::ReasonCode;
using testing::MustConnect;
using testing::TestBroker;
using testing::TestClient;
using testing::TestOptions;
using testing::V311;
using testing::V5;

TEST(BrokerProtocolTest, MalformedPacketClosesOnlyThatConnection) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto good = MustConnect(tb->port(), V5("good"));
  ASSERT_TRUE(good);
  ASSERT_EQ(*good->Subscribe("t/#", QoS::kAtLeastOnce), ReasonCode::kGrantedQoS1);

  auto bad = MustConnect(tb->port(), V5("bad"));
  ASSERT_TRUE(bad);
  // PUBLISH with QoS 3 in the fixed header: malformed.
  ASSERT_TRUE(bad->SendRaw(std::string("\x36\x05\x00\x01t\x00\x01", 7)).ok());
  auto d = bad->Expect<mqtt::Disconnect>();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->reason, ReasonCode::kMalformedPacket);
  EXPECT_TRUE(bad->WaitClosed());

  // The other client is unaffected.
  auto pub = MustConnect(tb->port(), V5("pub"));
  ASSERT_EQ(*pub->Publish("t/1", "still here", QoS::kAtLeastOnce), ReasonCode::kSuccess);
  auto p = good->Expect<mqtt::Publish>();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->payload, "still here");
}

// A plain TCP connection reads into its I/O thread's buffer (64 KiB) and keeps only the
// start of an unfinished packet: a packet sent a byte at a time, one larger than a read,
// and several in one send, the last cut short and finished later, all arrive whole.
TEST(BrokerProtocolTest, PacketsArriveWholeHoweverTheBytesAreSplit) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto sub = MustConnect(tb->port(), V5("sub"));
  ASSERT_TRUE(sub);
  ASSERT_EQ(*sub->Subscribe("split/#", QoS::kAtLeastOnce), ReasonCode::kGrantedQoS1);
  auto pub = MustConnect(tb->port(), V5("pub"));
  ASSERT_TRUE(pub);

  auto encoded = [](uint16_t id, const std::string& payload) {
    mqtt::Publish p;
    p.topic = "split/" + std::to_string(id);
    p.qos = QoS::kAtLeastOnce;
    p.packet_id = id;
    p.payload = payload;
    std::string bytes;
    mqtt::Encode(p, mqtt::Version::kV5, &bytes);
    return bytes;
  };
  std::vector<std::string> payloads = {"a byte at a time", std::string(100 * 1024, 'L'),
                                       "first of three", "second of three", "third, cut short"};
  // 1: a byte per send.
  for (char byte : encoded(1, payloads[0])) {
    ASSERT_TRUE(pub->SendRaw(std::string_view(&byte, 1)).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // 2: 100 KiB in one send, more than one read takes.
  ASSERT_TRUE(pub->SendRaw(encoded(2, payloads[1])).ok());
  // 3-5: three in one send, the last without its final 5 bytes until later.
  std::string three = encoded(3, payloads[2]) + encoded(4, payloads[3]) + encoded(5, payloads[4]);
  ASSERT_TRUE(pub->SendRaw(std::string_view(three).substr(0, three.size() - 5)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(pub->SendRaw(std::string_view(three).substr(three.size() - 5)).ok());

  for (uint16_t id = 1; id <= 5; ++id) {
    auto ack = pub->Expect<mqtt::PubAck>();
    ASSERT_TRUE(ack.ok()) << "PUBACK " << id << ": " << ack.status().ToString();
    EXPECT_EQ(ack->packet_id, id);
    EXPECT_EQ(ack->reason, ReasonCode::kSuccess);
    auto p = sub->Expect<mqtt::Publish>();
    ASSERT_TRUE(p.ok()) << "PUBLISH " << id << ": " << p.status().ToString();
    EXPECT_EQ(p->topic, "split/" + std::to_string(id));
    EXPECT_EQ(p->payload, payloads[id - 1]) << "payload " << id << " of " << p->payload.size()
                                            << " bytes";
    if (p->qos == QoS::kAtLeastOnce) {
      mqtt::PubAck a;
      a.packet_id = p->packet_id;
      ASSERT_TRUE(sub->Send(a).ok());
    }
  }
}

TEST(BrokerProtocolTest, FirstPacketMustBeConnect) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto c = std::move(TestClient::Open(tb->port())).value();
  ASSERT_TRUE(c->Send(mqtt::Pingreq{}).ok());
  EXPECT_TRUE(c->WaitClosed());
}

TEST(BrokerProtocolTest, SecondConnectIsAProtocolError) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto c = MustConnect(tb->port(), V5("twice"));
  ASSERT_TRUE(c->Send(V5("twice")).ok());
  auto d = c->Expect<mqtt::Disconnect>();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->reason, ReasonCode::kProtocolError);
  EXPECT_TRUE(c->WaitClosed());
}

TEST(BrokerProtocolTest, NoConnectWithinTimeoutCloses) {
  auto o = TestOptions();
  o.connect_timeout_ms = 300;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  auto c = std::move(TestClient::Open(tb->port())).value();
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c->WaitClosed(3000));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
}

TEST(BrokerProtocolTest, UnsupportedProtocolLevelGetsReturnCode1) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto c = std::move(TestClient::Open(tb->port())).value();
  c->version = mqtt::Version::kV311;
  std::string raw;
  mqtt::Encode(V311("old"), mqtt::Version::kV311, &raw);
  raw[8] = 6;  // protocol level after "\x10 len \x00\x04MQTT"
  ASSERT_TRUE(c->SendRaw(raw).ok());
  auto ack = c->Expect<mqtt::Connack>();
  ASSERT_TRUE(ack.ok()) << ack.status().ToString();
  EXPECT_EQ(ack->reason, ReasonCode::kUnsupportedProtocolVersion);
  EXPECT_TRUE(c->WaitClosed());
}

TEST(BrokerProtocolTest, MalformedV5ConnectGetsConnackWithReason) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto c = std::move(TestClient::Open(tb->port())).value();
  std::string raw;
  mqtt::Encode(V5("x"), mqtt::Version::kV5, &raw);
  raw[9] |= 0x01;  // the reserved bit of the connect flags must be 0
  ASSERT_TRUE(c->SendRaw(raw).ok());
  auto ack = c->Expect<mqtt::Connack>();
  ASSERT_TRUE(ack.ok()) << ack.status().ToString();
  EXPECT_EQ(ack->reason, ReasonCode::kMalformedPacket);
  EXPECT_TRUE(c->WaitClosed());
}

TEST(BrokerProtocolTest, OversizedPacketsGet0x95) {
  auto o = TestOptions();
  o.max_payload_size = 1000;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  // Over the payload limit (within the packet limit).
  auto a = MustConnect(tb->port(), V5("a"));
  mqtt::Publish p;
  p.topic = "big";
  p.payload.assign(1500, 'x');
  ASSERT_TRUE(a->Send(p).ok());
  auto d = a->Expect<mqtt::Disconnect>();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->reason, ReasonCode::kPacketTooLarge);
  // Over the announced Maximum Packet Size: refused from the fixed header alone.
  auto b = MustConnect(tb->port(), V5("b"));
  p.payload.assign(20000, 'x');
  ASSERT_TRUE(b->Send(p).ok());
  d = b->Expect<mqtt::Disconnect>();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->reason, ReasonCode::kPacketTooLarge);
  EXPECT_TRUE(b->WaitClosed());
}

TEST(BrokerProtocolTest, ConnackAdvertisesLimits) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto c = std::move(TestClient::Open(tb->port())).value();
  mqtt::Connect con = V5("");
  ASSERT_TRUE(c->Send(con).ok());
  auto ack = c->Expect<mqtt::Connack>();
  ASSERT_TRUE(ack.ok());
  const auto& pr = ack->properties;
  EXPECT_EQ(pr.receive_maximum, std::optional<uint16_t>(100));
  EXPECT_EQ(pr.topic_alias_maximum, std::optional<uint16_t>(16));
  ASSERT_TRUE(pr.maximum_packet_size.has_value());
  EXPECT_GT(*pr.maximum_packet_size, 128u * 1024);
  EXPECT_EQ(pr.retain_available, std::optional<uint8_t>(1));
  EXPECT_EQ(pr.wildcard_subscription_available, std::optional<uint8_t>(1));
  EXPECT_EQ(pr.shared_subscription_available, std::optional<uint8_t>(1));
  EXPECT_FALSE(pr.maximum_qos.has_value());  // absent = QoS 2
  ASSERT_TRUE(pr.assigned_client_identifier.has_value());  // we sent an empty id
  EXPECT_FALSE(pr.assigned_client_identifier->empty());
}

TEST(BrokerProtocolTest, KeepAliveTimeoutCloses) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  mqtt::Connect con = V5("sleepy");
  con.keep_alive = 1;
  auto c = MustConnect(tb->port(), con);
  auto start = std::chrono::steady_clock::now();
  auto d = c->Expect<mqtt::Disconnect>(4000);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->reason, ReasonCode::kKeepAliveTimeout);
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(1400));
  EXPECT_LE(waited, std::chrono::milliseconds(3000));
}

TEST(BrokerProtocolTest, KeepAliveZeroIsNeverTimedOut) {
  auto o = TestOptions();
  o.connect_timeout_ms = 300;  // the CONNECT timer must not close it either
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  mqtt::Connect con = V5("forever");
  con.keep_alive = 0;
  auto c = MustConnect(tb->port(), con);
  EXPECT_FALSE(c->Receive(900).ok());  // nothing, in particular no DISCONNECT
  ASSERT_TRUE(c->Send(mqtt::Pingreq{}).ok());
  EXPECT_TRUE(c->Expect<mqtt::Pingresp>().ok());
}

TEST(BrokerProtocolTest, PingKeepsTheConnectionAlive) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  mqtt::Connect con = V311("pinger");
  con.keep_alive = 1;
  auto c = MustConnect(tb->port(), con);
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    ASSERT_TRUE(c->Send(mqtt::Pingreq{}).ok());
    ASSERT_TRUE(c->Expect<mqtt::Pingresp>().ok()) << "ping " << i;
  }
}

TEST(BrokerProtocolTest, SessionTakeoverClosesTheFirstWith0x8E) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto first = MustConnect(tb->port(), V5("same"));
  auto second = MustConnect(tb->port(), V5("same"));
  ASSERT_TRUE(first && second);
  auto d = first->Expect<mqtt::Disconnect>();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->reason, ReasonCode::kSessionTakenOver);
  EXPECT_TRUE(first->WaitClosed());
  ASSERT_TRUE(second->Send(mqtt::Pingreq{}).ok());
  EXPECT_TRUE(second->Expect<mqtt::Pingresp>().ok());
}

TEST(BrokerProtocolTest, ASessionTakenOnAnotherServerEndsHereUnlessItIsNewer) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto c = MustConnect(tb->port(), V5("roamer"));
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Subscribe("roamer/cmd", QoS::kAtLeastOnce).ok());
  ASSERT_EQ(tb->broker().Stats().subscriptions, 1u);
  // Another server's connection from before this one: this one is the newer, and stays.
  tb->broker().EndSessionTakenElsewhere("roamer", WallMillis() - 60000);
  tb->broker().EndSessionTakenElsewhere("nobody", WallMillis() + 1000);  // no such session
  ASSERT_TRUE(c->Send(mqtt::Pingreq{}).ok());
  EXPECT_TRUE(c->Expect<mqtt::Pingresp>().ok());
  // A later one: closed with 0x8E, the session and its subscription gone.
  tb->broker().EndSessionTakenElsewhere("roamer", WallMillis() + 1000);
  auto d = c->Expect<mqtt::Disconnect>();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->reason, ReasonCode::kSessionTakenOver);
  EXPECT_TRUE(c->WaitClosed());
  EXPECT_TRUE(testing::WaitFor([&] { return tb->broker().Stats().connections == 0; }, 2000));
  EXPECT_EQ(tb->broker().Stats().sessions, 0u);
  EXPECT_EQ(tb->broker().Stats().subscriptions, 0u);
}

class DenyingAuthorizer : public Authorizer {
 public:
  class Grant : public ClientGrant {
   public:
    bool CanPublish(std::string_view t) const override { return t.rfind("forbidden", 0) != 0; }
    bool CanSubscribe(std::string_view f) const override { return f.rfind("forbidden", 0) != 0; }
    bool CanReceive(std::string_view t) const override { return t.rfind("secret", 0) != 0; }
    const std::string& thing() const override { return thing_; }
    std::string thing_ = "thing-1";
  };
  Result<std::shared_ptr<const ClientGrant>> Authenticate(const ClientIdentity& id) override {
    last = id;
    if (id.username && *id.username == "wrong") return Unauthenticated("bad password");
    return std::shared_ptr<const ClientGrant>(std::make_shared<Grant>());
  }
  ClientIdentity last;
};

TEST(BrokerProtocolTest, AuthorizationDeniesPerPacket) {
  DenyingAuthorizer auth;
  auto tb = TestBroker::Start(TestOptions(), &auth);
  ASSERT_TRUE(tb);
  mqtt::Connect wrong = V5("w");
  wrong.username = "wrong";
  auto refused = std::move(TestClient::Open(tb->port())).value();
  ASSERT_TRUE(refused->Send(wrong).ok());
  auto ack = refused->Expect<mqtt::Connack>();
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->reason, ReasonCode::kBadUserNameOrPassword);
  EXPECT_EQ(auth.last.listener, "tcp");
  EXPECT_EQ(auth.last.remote_address.rfind("127.0.0.1:", 0), 0u);

  auto v5 = MustConnect(tb->port(), V5("v5"));
  EXPECT_EQ(*v5->Subscribe("forbidden/x", QoS::kAtLeastOnce), ReasonCode::kNotAuthorized);
  EXPECT_EQ(*v5->Publish("forbidden/x", "p", QoS::kAtLeastOnce), ReasonCode::kNotAuthorized);
  EXPECT_EQ(*v5->Publish("forbidden/x", "p", QoS::kExactlyOnce), ReasonCode::kNotAuthorized);
  auto v3 = MustConnect(tb->port(), V311("v3"));
  EXPECT_EQ(*v3->Subscribe("forbidden/x", QoS::kAtLeastOnce), ReasonCode::kUnspecifiedError);
  EXPECT_EQ(*v3->Publish("forbidden/x", "p", QoS::kAtLeastOnce), ReasonCode::kSuccess);
  EXPECT_EQ(*v3->Publish("forbidden/x", "p", QoS::kExactlyOnce), ReasonCode::kSuccess);
  EXPECT_EQ(tb->broker().Stats().publish_denied, 4u);

  // CanReceive filters delivery.
  ASSERT_EQ(*v5->Subscribe("#", QoS::kAtMostOnce), ReasonCode::kSuccess);
  ASSERT_TRUE(v3->Publish("secret/a", "no", QoS::kAtMostOnce).ok());
  ASSERT_TRUE(v3->Publish("public/a", "yes", QoS::kAtMostOnce).ok());
  auto p = v5->Expect<mqtt::Publish>();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->topic, "public/a");

  // DisconnectThing closes every connection of the thing with 0x98.
  tb->broker().DisconnectThing("thing-1", ReasonCode::kSuccess);
  auto d = v5->Expect<mqtt::Disconnect>();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->reason, ReasonCode::kAdministrativeAction);
  EXPECT_TRUE(v3->WaitClosed());
}

TEST(BrokerProtocolTest, DisconnectClientSendsAdministrativeAction) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto c = MustConnect(tb->port(), V5("kick-me"));
  auto other = MustConnect(tb->port(), V311("stay"));
  tb->broker().DisconnectClient("kick-me", ReasonCode::kSuccess);
  auto d = c->Expect<mqtt::Disconnect>();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->reason, ReasonCode::kAdministrativeAction);
  EXPECT_TRUE(c->WaitClosed());
  tb->broker().DisconnectClient("stay", ReasonCode::kNotAuthorized);
  EXPECT_TRUE(other->WaitClosed());  // 3.1.1: closed without a DISCONNECT
  EXPECT_TRUE(testing::WaitFor([&] { return tb->broker().Stats().connections == 0; }, 2000));
}

TEST(BrokerProtocolTest, StopSendsServerShuttingDown) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto c = MustConnect(tb->port(), V5("bye"));
  tb->broker().DisconnectClient("nobody", ReasonCode::kSuccess);  // no effect
  tb->Stop();
  auto d = c->Expect<mqtt::Disconnect>();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->reason, ReasonCode::kServerShuttingDown);
}

TEST(BrokerProtocolTest, SysTopicsAndMetrics) {
  auto o = TestOptions();
  o.sys_interval_ms = 200;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  auto c = MustConnect(tb->port(), V5("sys"));
  ASSERT_TRUE(c->Publish("x", "1", QoS::kAtMostOnce).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ASSERT_TRUE(c->Subscribe("$SYS/broker/clients/connected", QoS::kAtMostOnce).ok());
  // The retained copy comes with the subscription; $SYS is also republished every
  // 200 ms, and such a live copy may overtake it.
  bool retained = false;
  for (int i = 0; i < 3 && !retained; ++i) {
    auto p = c->Expect<mqtt::Publish>();
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->payload, "1");
    retained = p->retain;
  }
  EXPECT_TRUE(retained) << "no retained $SYS/broker/clients/connected";
  // $SYS is republished every 200 ms: a second subscription on `c` could see a PUBLISH
  // before its SUBACK, so use another client.
  auto d = MustConnect(tb->port(), V5("sys2"));
  ASSERT_TRUE(d->Subscribe("$SYS/broker/uptime", QoS::kAtMostOnce).ok());
  auto p = d->Expect<mqtt::Publish>();
  ASSERT_TRUE(p.ok());
  EXPECT_NE(p->payload.find("seconds"), std::string::npos);
  std::string text = tb->metrics().Render();
  EXPECT_NE(text.find("tributary_mqtt_messages_received_total 1"), std::string::npos) << text;
  EXPECT_NE(text.find("tributary_mqtt_connections 2"), std::string::npos) << text;
}

}  // namespace
}  // namespace tributary::broker
