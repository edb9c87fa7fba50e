// Socket tests of connection handling with the codec-based test client: malformed and
// unexpected packets, timeouts, takeover, authorization, interceptor, admin disconnects.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "base/clock.h"
#include "base/completion_batch.h"
#include "broker/testing/test_client.h"
#include "broker/testing/test_util.h"
#include "mqtt/codec.h"

namespace tributary::broker {
namespace {

using testing::TestBroker;
using testing::TestClient;
using testing::TestOptions;
using mqtt::QoS;
using mqtt::ReasonCode;

mqtt::Connect V5(const std::string& id) {
  mqtt::Connect c;
  c.version = mqtt::Version::kV5;
  c.client_id = id;
  return c;
}

mqtt::Connect V311(const std::string& id) {
  mqtt::Connect c = V5(id);
  c.version = mqtt::Version::kV311;
  return c;
}

std::unique_ptr<TestClient> MustConnect(int port, mqtt::Connect c) {
  auto r = TestClient::Connected(port, std::move(c));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

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

constexpr PublishVerdict kAccept = PublishVerdict::kAccepted;
constexpr PublishVerdict kRefuse = PublishVerdict::kRefused;

class DeferringInterceptor : public MessageInterceptor {
 public:
  void OnPublish(const InboundMessage& m, PublishDone done) override {
    std::lock_guard<std::mutex> lock(mu);
    topics.emplace_back(m.topic);
    payloads.emplace_back(m.payload);
    if (done) pending.push_back(std::move(done));
  }
  // Waits for the i-th deferred verdict and gives it.
  void Settle(size_t i, PublishVerdict verdict) {
    ASSERT_TRUE(testing::WaitFor([&] {
      std::lock_guard<std::mutex> lock(mu);
      return pending.size() > i;
    }, 2000)) << "no PUBLISH #" << i << " reached the interceptor";
    std::lock_guard<std::mutex> lock(mu);
    pending[i](verdict);
  }
  std::mutex mu;
  std::vector<std::string> topics;
  std::vector<std::string> payloads;
  std::vector<PublishDone> pending;
};

// A broker with `ic` attached (SetInterceptor must come before Start, so it is built by
// hand). The interceptor's spent callbacks hold their connections: they are dropped
// before the runtime stops.
class InterceptedBroker {
 public:
  explicit InterceptedBroker(DeferringInterceptor* ic) : ic_(ic), rt_(1) {
    rt_.Start();
    broker_ = std::move(Broker::Create(TestOptions(), &rt_, &allow_, &reg_)).value();
    broker_->SetInterceptor(ic);
    EXPECT_TRUE(broker_->Start().ok());
  }
  ~InterceptedBroker() {
    broker_->Stop();
    broker_.reset();
    ic_->pending.clear();
    rt_.Stop();
    rt_.Join();
  }
  int port() const { return broker_->tcp_port(); }

 private:
  DeferringInterceptor* ic_;
  net::Runtime rt_;
  AllowAllAuthorizer allow_;
  MetricsRegistry reg_;
  std::unique_ptr<Broker> broker_;
};

mqtt::Publish Qos1(const std::string& topic, const std::string& payload, uint16_t id,
                   bool retain = false) {
  mqtt::Publish p;
  p.topic = topic;
  p.payload = payload;
  p.qos = QoS::kAtLeastOnce;
  p.packet_id = id;
  p.retain = retain;
  return p;
}

TEST(BrokerProtocolTest, InterceptorGatesTheAcknowledgement) {
  DeferringInterceptor ic;
  InterceptedBroker b(&ic);
  auto c = MustConnect(b.port(), V5("ic"));
  ASSERT_TRUE(c->Send(Qos1("rules/in", "x", 9)).ok());
  EXPECT_FALSE(c->Receive(300).ok());  // no PUBACK before done()
  ic.Settle(0, kAccept);
  auto ack = c->Expect<mqtt::PubAck>();
  ASSERT_TRUE(ack.ok()) << ack.status().ToString();
  EXPECT_EQ(ack->packet_id, 9);
  EXPECT_EQ(ack->reason, ReasonCode::kSuccess);
  ASSERT_TRUE(c->Send(Qos1("rules/in", "y", 10)).ok());
  ic.Settle(1, kRefuse);
  ack = c->Expect<mqtt::PubAck>();
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->packet_id, 10);
  EXPECT_EQ(ack->reason, ReasonCode::kUnspecifiedError);
  // A limit hit (a stream backed up) asks the device to slow down.
  ASSERT_TRUE(c->Send(Qos1("rules/in", "z", 11)).ok());
  ic.Settle(2, PublishVerdict::kQuotaExceeded);
  ack = c->Expect<mqtt::PubAck>();
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->packet_id, 11);
  EXPECT_EQ(ack->reason, ReasonCode::kQuotaExceeded);
  std::lock_guard<std::mutex> lock(ic.mu);
  EXPECT_EQ(ic.topics, (std::vector<std::string>{"rules/in", "rules/in", "rules/in"}));
  EXPECT_EQ(ic.payloads, (std::vector<std::string>{"x", "y", "z"}));
}

// QoS 2 messages waiting for the verdict count once against Receive Maximum (the broker
// announces 100 here): a client may fill the window it was given. One over it is not
// taken, and neither is its identifier held, nor that of one refused after its client
// went: their resends on the next connection are routed.
TEST(BrokerProtocolTest, Qos2WaitingForTheVerdictFillsTheWindowOnce) {
  DeferringInterceptor ic;
  InterceptedBroker b(&ic);
  auto session = [](bool clean) {
    mqtt::Connect con = V5("window");
    con.clean_start = clean;
    con.properties.session_expiry_interval = 300;
    return con;
  };
  auto c = MustConnect(b.port(), session(true));
  const uint16_t window = 100;
  for (uint16_t id = 1; id <= window; ++id) {
    mqtt::Publish p = Qos1("q2/in", "m" + std::to_string(id), id);
    p.qos = QoS::kExactlyOnce;
    ASSERT_TRUE(c->Send(p).ok());
  }
  ic.Settle(window - 1, kAccept);  // all reached the interceptor: none was refused
  auto rec = c->Expect<mqtt::PubAck>();
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->packet_id, window);
  EXPECT_EQ(rec->reason, ReasonCode::kSuccess);
  // One more while 99 wait plus the one accepted (held until PUBREL): over the window.
  mqtt::Publish over = Qos1("q2/in", "over", window + 1);
  over.qos = QoS::kExactlyOnce;
  ASSERT_TRUE(c->Send(over).ok());
  auto d = c->Expect<mqtt::Disconnect>();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->reason, ReasonCode::kReceiveMaximumExceeded);
  c.reset();
  // Refused after the client went: their identifiers are let go.
  for (size_t i = 0; i + 1 < window; ++i) ic.Settle(i, kRefuse);
  auto again = MustConnect(b.port(), session(false));
  for (uint16_t id : {uint16_t(1), uint16_t(window + 1)}) {
    mqtt::Publish p = Qos1("q2/in", "resent", id);
    p.qos = QoS::kExactlyOnce;
    p.dup = true;
    ASSERT_TRUE(again->Send(p).ok());
  }
  // Both resends reach the interceptor as new messages (a held identifier would be
  // answered at once and never routed).
  ic.Settle(window + 1, kAccept);
  ic.Settle(window, kAccept);
  std::lock_guard<std::mutex> lock(ic.mu);
  EXPECT_EQ(ic.payloads.size(), window + 2u);
  EXPECT_EQ(ic.payloads[window], "resent");
}

// A QoS 2 message resent on a new connection while its first copy's verdict is still to
// come is answered with that verdict, not taken for stored: refused, the client learns it
// and may send it again; accepted, it is acknowledged and routed once.
TEST(BrokerProtocolTest, AQos2ResendWaitsForItsFirstCopysVerdict) {
  DeferringInterceptor ic;
  InterceptedBroker b(&ic);
  auto session = [](bool clean) {
    mqtt::Connect con = V5("resend");
    con.clean_start = clean;
    con.properties.session_expiry_interval = 300;
    return con;
  };
  auto reached = [&](size_t n) {
    return testing::WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(ic.mu);
          return ic.pending.size() >= n;
        },
        2000);
  };
  mqtt::Publish p = Qos1("q2/resend", "first", 1);
  p.qos = QoS::kExactlyOnce;
  auto c = MustConnect(b.port(), session(true));
  ASSERT_TRUE(c->Send(p).ok());
  ASSERT_TRUE(reached(1));
  c.reset();  // lost before the verdict
  auto again = MustConnect(b.port(), session(false));
  p.dup = true;
  ASSERT_TRUE(again->Send(p).ok());
  EXPECT_FALSE(again->Receive(300).ok());  // no PUBREC before the verdict
  ic.Settle(0, kRefuse);
  auto rec = again->Expect<mqtt::PubAck>();
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->type, mqtt::PacketType::kPubrec);
  EXPECT_EQ(rec->packet_id, 1);
  EXPECT_EQ(rec->reason, ReasonCode::kUnspecifiedError);
  // Sent again, it is a new message: it reaches the interceptor.
  p.dup = false;
  p.payload = "second";
  ASSERT_TRUE(again->Send(p).ok());
  ic.Settle(1, kAccept);
  rec = again->Expect<mqtt::PubAck>();
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->reason, ReasonCode::kSuccess);

  // Accepted after the loss: the resend is acknowledged once the verdict comes, and
  // routed no second time.
  p.packet_id = 2;
  p.payload = "third";
  ASSERT_TRUE(again->Send(p).ok());
  ASSERT_TRUE(reached(3));
  again.reset();
  auto third = MustConnect(b.port(), session(false));
  p.dup = true;
  ASSERT_TRUE(third->Send(p).ok());
  EXPECT_FALSE(third->Receive(300).ok());
  ic.Settle(2, kAccept);
  rec = third->Expect<mqtt::PubAck>();
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->type, mqtt::PacketType::kPubrec);
  EXPECT_EQ(rec->packet_id, 2);
  EXPECT_EQ(rec->reason, ReasonCode::kSuccess);
  mqtt::PubAck rel;
  rel.type = mqtt::PacketType::kPubrel;
  rel.packet_id = 2;
  ASSERT_TRUE(third->Send(rel).ok());
  auto comp = third->Expect<mqtt::PubAck>();
  ASSERT_TRUE(comp.ok()) << comp.status().ToString();
  EXPECT_EQ(comp->type, mqtt::PacketType::kPubcomp);
  EXPECT_EQ(comp->reason, ReasonCode::kSuccess);
  std::lock_guard<std::mutex> lock(ic.mu);
  EXPECT_EQ(ic.payloads, (std::vector<std::string>{"first", "second", "third"}));
}

// A will goes where its client's own PUBLISH would: to the interceptor too (the rules, the
// shadows), immediate or delayed, with the client's id and topic.
TEST(BrokerProtocolTest, WillsReachTheInterceptor) {
  DeferringInterceptor ic;
  InterceptedBroker b(&ic);
  auto with_will = [](const std::string& id, uint32_t delay) {
    mqtt::Connect c = V5(id);
    c.properties.session_expiry_interval = 10;
    mqtt::Will w;
    w.topic = "devices/" + id + "/status";
    w.payload = R"({"online":false})";
    w.qos = QoS::kAtLeastOnce;
    if (delay) w.properties.will_delay_interval = delay;
    c.will = w;
    return c;
  };
  { auto gone = MustConnect(b.port(), with_will("now", 0)); }  // closed without DISCONNECT
  { auto later = MustConnect(b.port(), with_will("later", 1)); }
  auto seen = [&](const std::string& topic) {
    return testing::WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(ic.mu);
          return std::find(ic.topics.begin(), ic.topics.end(), topic) != ic.topics.end();
        },
        5000);
  };
  EXPECT_TRUE(seen("devices/now/status"));
  EXPECT_TRUE(seen("devices/later/status"));
  std::lock_guard<std::mutex> lock(ic.mu);
  EXPECT_EQ(ic.payloads.front(), R"({"online":false})");
}

// A publisher's QoS 1 messages reach subscribers in the order sent, retained or not
// (MQTT-4.6.0-6), while their verdicts wait; and the retained store keeps the later of
// two retained messages whatever order their verdicts come back in (a QoS 0 one is
// applied at once, a QoS 1 one at its verdict).
TEST(BrokerProtocolTest, RetainedQos1KeepsThePublishersOrder) {
  DeferringInterceptor ic;
  InterceptedBroker b(&ic);
  auto sub = MustConnect(b.port(), V5("sub"));
  ASSERT_EQ(*sub->Subscribe("ord/#", QoS::kAtLeastOnce), ReasonCode::kGrantedQoS1);
  auto pub = MustConnect(b.port(), V5("pub"));
  ASSERT_TRUE(pub->Send(Qos1("ord/t", "n1", 1, /*retain=*/true)).ok());
  ASSERT_TRUE(pub->Send(Qos1("ord/t", "n2", 2)).ok());
  for (const char* want : {"n1", "n2"}) {
    auto got = sub->Expect<mqtt::Publish>();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->payload, want);
    mqtt::PubAck ack;
    ack.type = mqtt::PacketType::kPuback;
    ack.packet_id = got->packet_id;
    ASSERT_TRUE(sub->Send(ack).ok());
  }
  // n3 retained, QoS 1, its verdict still to come; n4 retained, QoS 0, stored at once.
  ASSERT_TRUE(pub->Send(Qos1("ord/s", "n3", 3, /*retain=*/true)).ok());
  mqtt::Publish n4 = Qos1("ord/s", "n4", 0, /*retain=*/true);
  n4.qos = QoS::kAtMostOnce;
  ASSERT_TRUE(pub->Send(n4).ok());
  ic.Settle(0, kAccept);
  ic.Settle(1, kAccept);
  ic.Settle(2, kAccept);  // n3's, after n4 was stored
  ASSERT_TRUE(pub->Expect<mqtt::PubAck>().ok());
  ASSERT_TRUE(pub->Expect<mqtt::PubAck>().ok());
  ASSERT_TRUE(pub->Expect<mqtt::PubAck>().ok());
  auto late = MustConnect(b.port(), V5("late"));
  ASSERT_EQ(*late->Subscribe("ord/s", QoS::kAtLeastOnce), ReasonCode::kGrantedQoS1);
  auto retained = late->Expect<mqtt::Publish>();
  ASSERT_TRUE(retained.ok()) << retained.status().ToString();
  EXPECT_EQ(retained->payload, "n4");
}

// With an interceptor, only the acknowledgement of a QoS 1 message waits for the verdict:
// subscribers get it at once (a retained one too; the retained store waits). QoS 2
// messages reach subscribers, and retained ones the store, only once the interceptor has
// accepted them.
TEST(BrokerProtocolTest, InterceptorHoldsRoutingUntilTheVerdict) {
  DeferringInterceptor ic;
  InterceptedBroker b(&ic);
  auto sub = MustConnect(b.port(), V5("sub"));
  ASSERT_EQ(*sub->Subscribe("held/#", QoS::kExactlyOnce), ReasonCode::kGrantedQoS2);
  auto pub = MustConnect(b.port(), V5("pub"));

  ASSERT_TRUE(pub->Send(Qos1("held/a", "one", 1)).ok());
  auto got = sub->Expect<mqtt::Publish>();  // before the verdict
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->payload, "one");
  EXPECT_FALSE(pub->Receive(300).ok());  // no PUBACK yet
  ic.Settle(0, kAccept);
  auto ack = pub->Expect<mqtt::PubAck>();
  ASSERT_TRUE(ack.ok()) << ack.status().ToString();
  EXPECT_EQ(ack->packet_id, 1);

  mqtt::Publish q2 = Qos1("held/b", "two", 2);
  q2.qos = QoS::kExactlyOnce;
  ASSERT_TRUE(pub->Send(q2).ok());
  EXPECT_FALSE(sub->Receive(300).ok());  // QoS 2 waits for the verdict
  ic.Settle(1, kAccept);
  auto rec = pub->Expect<mqtt::PubAck>();
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->type, mqtt::PacketType::kPubrec);
  EXPECT_EQ(rec->reason, ReasonCode::kSuccess);
  got = sub->Expect<mqtt::Publish>();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->payload, "two");

  q2.packet_id = 3;
  q2.payload = "refused";
  ASSERT_TRUE(pub->Send(q2).ok());
  ic.Settle(2, kRefuse);
  auto refused = pub->Expect<mqtt::PubAck>();
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->type, mqtt::PacketType::kPubrec);
  EXPECT_EQ(refused->reason, ReasonCode::kUnspecifiedError);
  EXPECT_FALSE(sub->Receive(300).ok());  // a refused QoS 2 message is not delivered

  // Nobody subscribes to kept/#: retained messages are still held for the verdict.
  ASSERT_TRUE(pub->Send(Qos1("kept/r", "refused", 4, /*retain=*/true)).ok());
  ic.Settle(3, kRefuse);
  ASSERT_TRUE(pub->Expect<mqtt::PubAck>().ok());
  ASSERT_TRUE(pub->Send(Qos1("kept/r", "accepted", 5, /*retain=*/true)).ok());
  ic.Settle(4, kAccept);
  ASSERT_TRUE(pub->Expect<mqtt::PubAck>().ok());
  auto late = MustConnect(b.port(), V5("late"));
  ASSERT_EQ(*late->Subscribe("kept/#", QoS::kAtLeastOnce), ReasonCode::kGrantedQoS1);
  auto retained = late->Expect<mqtt::Publish>();
  ASSERT_TRUE(retained.ok()) << retained.status().ToString();
  EXPECT_EQ(retained->payload, "accepted");
  EXPECT_TRUE(retained->retain);
  EXPECT_FALSE(late->Receive(300).ok());

  // Nobody could receive this one: it is still acknowledged only after the verdict, and
  // the interceptor sees its topic and payload as for any other.
  ASSERT_TRUE(pub->Send(Qos1("nobody/x", "three", 6)).ok());
  EXPECT_FALSE(pub->Receive(300).ok());
  ic.Settle(5, kAccept);
  ack = pub->Expect<mqtt::PubAck>();
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->packet_id, 6);
  std::lock_guard<std::mutex> lock(ic.mu);
  EXPECT_EQ(ic.topics.back(), "nobody/x");
  EXPECT_EQ(ic.payloads.back(), "three");
}

// Basic Ingest ($aws/rules/<rule>/...): the interceptor (the rules engine) gets the
// message, no subscriber does, it is never retained, and subscribing under the prefix is
// refused.
TEST(BrokerProtocolTest, BasicIngestTopicsGoToTheInterceptorAlone) {
  DeferringInterceptor ic;
  InterceptedBroker b(&ic);
  auto sub = MustConnect(b.port(), V5("sub"));
  EXPECT_EQ(*sub->Subscribe("$aws/rules/r/#", QoS::kAtLeastOnce), ReasonCode::kTopicFilterInvalid);
  EXPECT_EQ(*sub->Subscribe("$share/g/$aws/rules/r/x", QoS::kAtLeastOnce), ReasonCode::kTopicFilterInvalid);
  ASSERT_EQ(*sub->Subscribe("$aws/#", QoS::kAtLeastOnce), ReasonCode::kGrantedQoS1);
  auto v3 = MustConnect(b.port(), V311("v3"));
  EXPECT_EQ(*v3->Subscribe("$aws/rules/#", QoS::kAtMostOnce), ReasonCode::kUnspecifiedError);

  auto pub = MustConnect(b.port(), V5("pub"));
  ASSERT_TRUE(pub->Send(Qos1("$aws/rules/r/devices/d1", "ingested", 1, /*retain=*/true)).ok());
  ic.Settle(0, kAccept);
  auto ack = pub->Expect<mqtt::PubAck>();
  ASSERT_TRUE(ack.ok()) << ack.status().ToString();
  EXPECT_EQ(ack->reason, ReasonCode::kSuccess);
  mqtt::Publish q0 = Qos1("$aws/rules/r/devices/d1", "at most once", 0);
  q0.qos = QoS::kAtMostOnce;
  ASSERT_TRUE(pub->Send(q0).ok());
  // Another $aws topic reaches the $aws/# subscriber: it is the only message it gets.
  ASSERT_TRUE(pub->Send(Qos1("$aws/other/t", "routed", 2)).ok());
  ic.Settle(1, kAccept);  // QoS 0 has no verdict to wait for
  auto got = sub->Expect<mqtt::Publish>();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->payload, "routed");
  EXPECT_FALSE(sub->Receive(300).ok());
  // Nothing was retained.
  auto late = MustConnect(b.port(), V5("late"));
  ASSERT_EQ(*late->Subscribe("$aws/#", QoS::kAtLeastOnce), ReasonCode::kGrantedQoS1);
  EXPECT_FALSE(late->Receive(300).ok());
  std::lock_guard<std::mutex> lock(ic.mu);
  EXPECT_EQ(ic.topics, (std::vector<std::string>{"$aws/rules/r/devices/d1", "$aws/rules/r/devices/d1",
                                                 "$aws/other/t"}));
}

// Answers during OnPublish itself, as the rules engine does when no rule matches.
class ImmediateInterceptor : public DeferringInterceptor {
 public:
  void OnPublish(const InboundMessage& m, PublishDone done) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      topics.emplace_back(m.topic);
    }
    if (done) done(m.topic != "now/refused" ? kAccept : kRefuse);
  }
};

// Sees whether each PUBLISH comes inside a CompletionBatch, and counts the batches by
// posting one flush a batch, as a delivery stream staging its records does.
class BatchWatchingInterceptor : public DeferringInterceptor {
 public:
  void OnPublish(const InboundMessage& m, PublishDone done) override {
    bool first = staged_in_batch++ == 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      topics.emplace_back(m.topic);
      in_batch.push_back(CompletionBatch::IsOpen());
    }
    if (first) {
      CompletionBatch::Post(this, [](void*, CompletionBatch::Task run) { run(); }, [this] {
        std::lock_guard<std::mutex> lock(mu);
        flushes.push_back(staged_in_batch);
        staged_in_batch = 0;
      });
    }
    if (done) done(kAccept);
  }
  std::vector<bool> in_batch;
  std::vector<int> flushes;  // PUBLISH per batch

 private:
  static thread_local int staged_in_batch;
};
thread_local int BatchWatchingInterceptor::staged_in_batch = 0;

// A connection handles the packets of one read inside one CompletionBatch: what their
// PUBLISH start (a delivery stream's appends) goes on in one go when the read is handled.
TEST(BrokerProtocolTest, ThePublishOfOneReadShareACompletionBatch) {
  BatchWatchingInterceptor ic;
  InterceptedBroker b(&ic);
  auto pub = MustConnect(b.port(), V5("reader"));
  std::string raw;
  for (uint16_t id = 1; id <= 5; ++id) {
    mqtt::Encode(Qos1("batch/" + std::to_string(id), "m", id), mqtt::Version::kV5, &raw);
  }
  ASSERT_TRUE(pub->SendRaw(raw).ok());  // one write: the broker reads it at once
  for (uint16_t id = 1; id <= 5; ++id) {
    auto ack = pub->Expect<mqtt::PubAck>();
    ASSERT_TRUE(ack.ok()) << ack.status().ToString();
    EXPECT_EQ(ack->packet_id, id);
  }
  std::lock_guard<std::mutex> lock(ic.mu);
  EXPECT_EQ(ic.in_batch, std::vector<bool>(5, true));
  EXPECT_EQ(ic.flushes, std::vector<int>{5});
}

TEST(BrokerProtocolTest, VerdictGivenDuringOnPublishIsActedOnAtOnce) {
  ImmediateInterceptor ic;
  InterceptedBroker b(&ic);
  auto sub = MustConnect(b.port(), V5("sub"));
  ASSERT_EQ(*sub->Subscribe("now/#", QoS::kAtLeastOnce), ReasonCode::kGrantedQoS1);
  auto pub = MustConnect(b.port(), V5("pub"));
  for (uint16_t id = 1; id <= 3; ++id) {
    ASSERT_TRUE(pub->Send(Qos1("now/ok", "m" + std::to_string(id), id)).ok());
    auto ack = pub->Expect<mqtt::PubAck>();
    ASSERT_TRUE(ack.ok()) << ack.status().ToString();
    EXPECT_EQ(ack->packet_id, id);
    EXPECT_EQ(ack->reason, ReasonCode::kSuccess);
    auto got = sub->Expect<mqtt::Publish>();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->payload, "m" + std::to_string(id));
  }
  ASSERT_TRUE(pub->Send(Qos1("now/refused", "no", 4)).ok());
  auto refused = pub->Expect<mqtt::PubAck>();
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->packet_id, 4);
  EXPECT_EQ(refused->reason, ReasonCode::kUnspecifiedError);
  // QoS 1 is routed before the verdict: the subscriber has it (the publisher will send it
  // again; QoS 1 allows the duplicate).
  auto early = sub->Expect<mqtt::Publish>();
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_EQ(early->payload, "no");
  // No subscriber and no rule: acknowledged at once too.
  ASSERT_TRUE(pub->Send(Qos1("elsewhere", "x", 5)).ok());
  auto ack = pub->Expect<mqtt::PubAck>();
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->packet_id, 5);
  // 3.1.1 has no reason codes: a refusal closes the connection without acknowledging.
  auto v3 = MustConnect(b.port(), V311("v3"));
  ASSERT_TRUE(v3->Send(Qos1("now/refused", "no", 6)).ok());
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
