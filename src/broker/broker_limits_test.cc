// Socket tests of the limits on what clients can make the broker hold (BrokerOptions):
// connections held at once, handshakes per address, subscriptions per session, a topic
// filter's length, and the retained store's payload, count and bytes, in all and per
// client; for MQTT 5 and 3.1.1, each refusal counted in
// tributary_mqtt_limit_refusals_total.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "broker/testing/test_client.h"
#include "broker/testing/test_connect.h"
#include "broker/testing/test_util.h"

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

// The value of tributary_mqtt_limit_refusals_total{limit="<limit>"}, or -1 when absent.
long long Refusals(TestBroker& tb, const std::string& limit) {
  const std::string text = tb.metrics().Render();
  const std::string key = "tributary_mqtt_limit_refusals_total{limit=\"" + limit + "\"} ";
  size_t at = text.find(key);
  return at == std::string::npos ? -1 : std::stoll(text.substr(at + key.size()));
}

// Past the cap on connections held at once a new one is closed as soon as it is accepted,
// before any CONNECT; one ending makes room again.
TEST(BrokerLimitsTest, ConnectionsPastTheCapAreClosedAtOnce) {
  BrokerOptions o = TestOptions();
  o.max_connections = 2;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  auto a = MustConnect(tb->port(), V5("a"));
  auto b = MustConnect(tb->port(), V5("b"));
  auto c = TestClient::Open(tb->port());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*c)->WaitClosed());
  EXPECT_EQ(Refusals(*tb, "connections"), 1);
  a.reset();
  bool admitted = false;
  for (int i = 0; i < 50 && !admitted; ++i) {
    admitted = TestClient::Connected(tb->port(), V5("d")).ok();
    if (!admitted) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(admitted);
}

// One address holds at most its share (loopback counted here as any address).
TEST(BrokerLimitsTest, ConnectionsPastTheCapPerAddressAreClosedAtOnce) {
  BrokerOptions o = TestOptions();
  o.max_connections_per_address = 1;
  o.loopback_unlimited = false;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  auto a = MustConnect(tb->port(), V5("a"));
  auto b = TestClient::Open(tb->port());
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE((*b)->WaitClosed());
  EXPECT_EQ(Refusals(*tb, "connections"), 1);
}

// One address holds at most max_handshakes_per_address connections without an accepted
// CONNECT (loopback counted here as any address): the next is closed at once. Connected
// clients are not counted, and one that connects makes room for another handshake.
TEST(BrokerLimitsTest, HandshakesPastTheCapPerAddressAreClosedAtOnce) {
  BrokerOptions o = TestOptions();
  o.max_handshakes_per_address = 2;
  o.loopback_unlimited = false;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  auto a = MustConnect(tb->port(), V5("a"));
  auto b = MustConnect(tb->port(), V5("b"));
  auto c = MustConnect(tb->port(), V5("c"));  // three connected: past the cap, not counted
  auto p1 = TestClient::Open(tb->port());
  auto p2 = TestClient::Open(tb->port());
  ASSERT_TRUE(p1.ok() && p2.ok());
  // Both are counted once the broker has accepted them: a third is then refused.
  auto p3 = TestClient::Open(tb->port());
  ASSERT_TRUE(p3.ok());
  EXPECT_TRUE((*p3)->WaitClosed());
  EXPECT_EQ(Refusals(*tb, "handshakes_per_address"), 1);
  EXPECT_EQ(Refusals(*tb, "connections"), 0);

  ASSERT_TRUE((*p1)->Send(V5("p1")).ok());
  ASSERT_TRUE((*p1)->Expect<mqtt::Connack>().ok());
  bool admitted = false;  // p1 connected: its handshake no longer counts
  for (int i = 0; i < 50 && !admitted; ++i) {
    auto p4 = TestClient::Open(tb->port());
    ASSERT_TRUE(p4.ok());
    admitted = !(*p4)->WaitClosed(200);
  }
  EXPECT_TRUE(admitted);
  EXPECT_FALSE((*p2)->WaitClosed(100));  // still waiting for its CONNECT, not closed
}

// A session holds at most max_subscriptions_per_session filters: a new one past it is
// refused (v5 0x97, 3.1.1 0x80), one it has is replaced, and one let go makes room. A
// persistent session's subscriptions count after a reconnect.
TEST(BrokerLimitsTest, SubscriptionsPastTheSessionsCapAreRefused) {
  BrokerOptions o = TestOptions();
  o.max_subscriptions_per_session = 3;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  {
    auto c = MustConnect(tb->port(), V5("subs", true, 600));
    for (const char* f : {"s/1", "s/2", "s/3"}) {
      EXPECT_EQ(*c->Subscribe(f, QoS::kAtLeastOnce), ReasonCode::kGrantedQoS1) << f;
    }
    EXPECT_EQ(*c->Subscribe("s/4", QoS::kAtLeastOnce), ReasonCode::kQuotaExceeded);
    EXPECT_EQ(*c->Subscribe("s/1", QoS::kAtMostOnce), ReasonCode::kSuccess);  // replaced
  }
  // The session comes back with its three.
  auto again = MustConnect(tb->port(), V5("subs", false, 600));
  EXPECT_EQ(*again->Subscribe("s/5", QoS::kAtLeastOnce), ReasonCode::kQuotaExceeded);
  mqtt::Unsubscribe u;
  u.packet_id = 9;
  u.filters = {"s/2"};
  ASSERT_TRUE(again->Send(u).ok());
  ASSERT_TRUE(again->Expect<mqtt::Unsuback>().ok());
  EXPECT_EQ(*again->Subscribe("s/5", QoS::kAtLeastOnce), ReasonCode::kGrantedQoS1);
  // Nothing is delivered on a refused filter.
  auto pub = MustConnect(tb->port(), V5("pub"));
  ASSERT_TRUE(pub->Publish("s/4", "no", QoS::kAtMostOnce).ok());
  EXPECT_FALSE(again->Receive(300).ok());

  auto old = MustConnect(tb->port(), V311("old"));
  for (const char* f : {"o/1", "o/2", "o/3"}) {
    EXPECT_EQ(*old->Subscribe(f, QoS::kAtMostOnce), ReasonCode::kSuccess) << f;
  }
  EXPECT_EQ(static_cast<uint8_t>(*old->Subscribe("o/4", QoS::kAtMostOnce)), 0x80);
  EXPECT_EQ(Refusals(*tb, "subscriptions_per_session"), 3);
}

// A topic filter longer than max_topic_filter_bytes is refused (v5 0x8F, 3.1.1 0x80).
TEST(BrokerLimitsTest, TopicFiltersPastTheLengthLimitAreRefused) {
  BrokerOptions o = TestOptions();
  o.max_topic_filter_bytes = 16;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  auto c = MustConnect(tb->port(), V5("long"));
  EXPECT_EQ(*c->Subscribe(std::string(16, 'a'), QoS::kAtMostOnce), ReasonCode::kSuccess);
  EXPECT_EQ(*c->Subscribe(std::string(17, 'a'), QoS::kAtMostOnce), ReasonCode::kTopicFilterInvalid);
  auto old = MustConnect(tb->port(), V311("long-311"));
  EXPECT_EQ(static_cast<uint8_t>(*old->Subscribe("x/" + std::string(60000, 'b'), QoS::kAtMostOnce)),
            0x80);
  EXPECT_EQ(Refusals(*tb, "topic_filter_bytes"), 2);
}

// MQTT 5: a retained QoS 1/2 PUBLISH the retained store's limits refuse is answered 0x97
// and not delivered either; the topic keeps what it retained. A clear makes room.
TEST(BrokerLimitsTest, RetainedPastTheStoreLimitsIsRefusedWithQuotaExceededInV5) {
  BrokerOptions o = TestOptions();
  o.max_retained_messages = 2;
  o.max_retained_payload_bytes = 10;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  auto live = MustConnect(tb->port(), V5("live"));
  ASSERT_EQ(*live->Subscribe("r/#", QoS::kAtLeastOnce), ReasonCode::kGrantedQoS1);
  auto pub = MustConnect(tb->port(), V5("pub"));
  EXPECT_EQ(*pub->Publish("r/1", "one", QoS::kAtLeastOnce, true), ReasonCode::kSuccess);
  EXPECT_EQ(*pub->Publish("r/2", "two", QoS::kAtLeastOnce, true), ReasonCode::kSuccess);
  EXPECT_EQ(*pub->Publish("r/3", "three", QoS::kAtLeastOnce, true), ReasonCode::kQuotaExceeded);
  EXPECT_EQ(*pub->Publish("r/3", "three", QoS::kExactlyOnce, true), ReasonCode::kQuotaExceeded);
  EXPECT_EQ(*pub->Publish("r/1", std::string(11, 'x'), QoS::kAtLeastOnce, true),
            ReasonCode::kQuotaExceeded);
  for (const char* want : {"one", "two"}) {
    auto got = live->Expect<mqtt::Publish>();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->payload, want);
    mqtt::PubAck ack;
    ack.type = mqtt::PacketType::kPuback;
    ack.packet_id = got->packet_id;
    ASSERT_TRUE(live->Send(ack).ok());
  }
  EXPECT_FALSE(live->Receive(300).ok());  // the refused ones went nowhere
  EXPECT_EQ(Refusals(*tb, "retained_store"), 2);
  EXPECT_EQ(Refusals(*tb, "retained_payload_bytes"), 1);
  // A clear makes room; the server's own retained publishes count too.
  EXPECT_EQ(*pub->Publish("r/2", "", QoS::kAtLeastOnce, true), ReasonCode::kSuccess);
  tb->broker().Publish("r/server", "s", QoS::kAtMostOnce, true);
  tb->broker().Publish("r/server2", "s", QoS::kAtMostOnce, true);  // not retained
  EXPECT_EQ(Refusals(*tb, "retained_store"), 3);
  auto late = MustConnect(tb->port(), V5("late"));
  ASSERT_EQ(*late->Subscribe("r/#", QoS::kAtMostOnce), ReasonCode::kSuccess);
  std::set<std::string> kept;
  for (int i = 0; i < 2; ++i) {
    auto got = late->Expect<mqtt::Publish>();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    kept.insert(got->topic + "=" + got->payload);
  }
  EXPECT_EQ(kept, (std::set<std::string>{"r/1=one", "r/server=s"}));
  EXPECT_FALSE(late->Receive(300).ok());
}

// MQTT 3.1.1 (whose acks carry no reason code), and v5 at QoS 0: the message is
// delivered, acknowledged, and not retained.
TEST(BrokerLimitsTest, RetainedPastTheStoreLimitsIsDeliveredNotRetainedIn311AndAtQos0) {
  BrokerOptions o = TestOptions();
  o.max_retained_bytes = 12;  // topics and payloads
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  auto live = MustConnect(tb->port(), V311("live"));
  ASSERT_EQ(*live->Subscribe("k/#", QoS::kAtMostOnce), ReasonCode::kSuccess);
  auto old = MustConnect(tb->port(), V311("old"));
  EXPECT_EQ(*old->Publish("k/1", "123456", QoS::kAtLeastOnce, true), ReasonCode::kSuccess);
  EXPECT_EQ(*old->Publish("k/2", "123456", QoS::kAtLeastOnce, true), ReasonCode::kSuccess);
  auto v5 = MustConnect(tb->port(), V5("v5"));
  ASSERT_TRUE(v5->Publish("k/3", "123456", QoS::kAtMostOnce, true).ok());
  for (const char* want : {"k/1", "k/2", "k/3"}) {
    auto got = live->Expect<mqtt::Publish>();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->topic, want);
  }
  EXPECT_EQ(Refusals(*tb, "retained_store"), 2);
  auto late = MustConnect(tb->port(), V5("late"));
  ASSERT_EQ(*late->Subscribe("k/#", QoS::kAtMostOnce), ReasonCode::kSuccess);
  auto got = late->Expect<mqtt::Publish>();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->topic, "k/1");
  EXPECT_FALSE(late->Receive(300).ok());
}

// One client's retained messages are bounded on their own: past its share its retained
// PUBLISH is refused (v5: 0x97), while another client still retains.
TEST(BrokerLimitsTest, OneClientCannotTakeEveryRetainedMessage) {
  BrokerOptions o = TestOptions();
  o.max_retained_messages_per_client = 2;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  auto greedy = MustConnect(tb->port(), V5("greedy"));
  EXPECT_EQ(*greedy->Publish("g/1", "1", QoS::kAtLeastOnce, true), ReasonCode::kSuccess);
  EXPECT_EQ(*greedy->Publish("g/2", "2", QoS::kAtLeastOnce, true), ReasonCode::kSuccess);
  EXPECT_EQ(*greedy->Publish("g/3", "3", QoS::kAtLeastOnce, true), ReasonCode::kQuotaExceeded);
  EXPECT_EQ(*greedy->Publish("g/1", "one", QoS::kAtLeastOnce, true), ReasonCode::kSuccess);
  auto other = MustConnect(tb->port(), V5("other"));
  EXPECT_EQ(*other->Publish("o/1", "1", QoS::kAtLeastOnce, true), ReasonCode::kSuccess);
  EXPECT_EQ(Refusals(*tb, "retained_per_client"), 1);
  EXPECT_EQ(Refusals(*tb, "retained_store"), 0);
  auto late = MustConnect(tb->port(), V5("late"));
  ASSERT_EQ(*late->Subscribe("#", QoS::kAtMostOnce), ReasonCode::kSuccess);
  std::set<std::string> kept;
  for (int i = 0; i < 3; ++i) {
    auto got = late->Expect<mqtt::Publish>();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    kept.insert(got->topic + "=" + got->payload);
  }
  EXPECT_EQ(kept, (std::set<std::string>{"g/1=one", "g/2=2", "o/1=1"}));
  EXPECT_FALSE(late->Receive(300).ok());
}

}  // namespace
}  // namespace tributary::broker
