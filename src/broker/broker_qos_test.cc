// Socket tests of message flows with the codec-based test client: QoS 2 both ways,
// redelivery with DUP, receive maximum, topic aliases, message expiry, wills, retained
// messages, subscription identifiers, no-local, shared subscriptions, packet size.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
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
using testing::V5;

mqtt::PubAck Ack(mqtt::PacketType t, uint16_t id) {
  mqtt::PubAck a;
  a.type = t;
  a.packet_id = id;
  return a;
}

TEST(BrokerQosTest, Qos2FullFlowBothWays) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto sub = MustConnect(tb->port(), V5("sub"));
  ASSERT_EQ(*sub->Subscribe("q2", QoS::kExactlyOnce), ReasonCode::kGrantedQoS2);
  auto pub = MustConnect(tb->port(), V5("pub"));
  mqtt::Publish p;
  p.topic = "q2";
  p.payload = "exactly";
  p.qos = QoS::kExactlyOnce;
  p.packet_id = 77;
  p.properties.user_properties = {{"a", "1"}, {"b", "2"}};
  p.properties.content_type = "text/plain";
  ASSERT_TRUE(pub->Send(p).ok());
  auto rec = pub->Expect<mqtt::PubAck>();
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->type, mqtt::PacketType::kPubrec);
  // A resend before PUBREL is acknowledged but not delivered twice.
  p.dup = true;
  ASSERT_TRUE(pub->Send(p).ok());
  ASSERT_TRUE(pub->Expect<mqtt::PubAck>().ok());
  ASSERT_TRUE(pub->Send(Ack(mqtt::PacketType::kPubrel, 77)).ok());
  auto comp = pub->Expect<mqtt::PubAck>();
  ASSERT_TRUE(comp.ok());
  EXPECT_EQ(comp->type, mqtt::PacketType::kPubcomp);
  EXPECT_EQ(comp->reason, ReasonCode::kSuccess);

  auto got = sub->Expect<mqtt::Publish>();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->qos, QoS::kExactlyOnce);
  EXPECT_EQ(got->payload, "exactly");
  EXPECT_EQ(got->properties.user_properties, p.properties.user_properties);
  EXPECT_EQ(got->properties.content_type, p.properties.content_type);
  ASSERT_TRUE(sub->Send(Ack(mqtt::PacketType::kPubrec, got->packet_id)).ok());
  auto rel = sub->Expect<mqtt::PubAck>();
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel->type, mqtt::PacketType::kPubrel);
  ASSERT_TRUE(sub->Send(Ack(mqtt::PacketType::kPubcomp, got->packet_id)).ok());
  EXPECT_FALSE(sub->Receive(300).ok());  // delivered once
}

TEST(BrokerQosTest, UnacknowledgedMessagesAreRedeliveredWithDup) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  {
    auto sub = MustConnect(tb->port(), V5("redeliver", true, 60));
    ASSERT_EQ(*sub->Subscribe("r", QoS::kAtLeastOnce), ReasonCode::kGrantedQoS1);
    auto pub = MustConnect(tb->port(), V5("p"));
    ASSERT_TRUE(pub->Publish("r", "m1", QoS::kAtLeastOnce).ok());
    auto got = sub->Expect<mqtt::Publish>();
    ASSERT_TRUE(got.ok());
    EXPECT_FALSE(got->dup);
    // Closed without PUBACK.
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto sub = MustConnect(tb->port(), V5("redeliver", false, 60));
  auto again = sub->Expect<mqtt::Publish>();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->dup);
  EXPECT_EQ(again->payload, "m1");
  ASSERT_TRUE(sub->Send(Ack(mqtt::PacketType::kPuback, again->packet_id)).ok());
}

TEST(BrokerQosTest, ReceiveMaximumLimitsOutgoingInFlight) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  mqtt::Connect con = V5("slow");
  con.properties.receive_maximum = 2;
  auto sub = MustConnect(tb->port(), con);
  ASSERT_TRUE(sub->Subscribe("w", QoS::kAtLeastOnce).ok());
  auto pub = MustConnect(tb->port(), V5("fast"));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pub->Publish("w", std::to_string(i), QoS::kAtLeastOnce).ok());
  auto a = sub->Expect<mqtt::Publish>();
  auto b = sub->Expect<mqtt::Publish>();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(sub->Receive(300).ok());  // window of 2 is full
  ASSERT_TRUE(sub->Send(Ack(mqtt::PacketType::kPuback, a->packet_id)).ok());
  auto c = sub->Expect<mqtt::Publish>();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->payload, "2");
  EXPECT_FALSE(sub->Receive(200).ok());
}

// An MQTT 3.1.1 client states no window, and a 5.0 client may state a larger one than
// the broker's: max_inflight_to_client bounds what the broker has in flight to either.
TEST(BrokerQosTest, TheBrokersOwnLimitBoundsOutgoingInFlight) {
  auto o = TestOptions();
  o.max_inflight_to_client = 3;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  mqtt::Connect old_client;
  old_client.version = mqtt::Version::kV311;
  old_client.client_id = "v311";
  mqtt::Connect wide = V5("v5");
  wide.properties.receive_maximum = 1000;
  auto pub = MustConnect(tb->port(), V5("fast"));
  for (mqtt::Connect con : {old_client, wide}) {
    auto sub = MustConnect(tb->port(), con);
    ASSERT_TRUE(sub->Subscribe("w/" + con.client_id, QoS::kAtLeastOnce).ok());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(pub->Publish("w/" + con.client_id, std::to_string(i), QoS::kAtLeastOnce).ok());
    }
    std::vector<uint16_t> ids;
    for (int i = 0; i < 3; ++i) {
      auto p = sub->Expect<mqtt::Publish>();
      ASSERT_TRUE(p.ok()) << con.client_id << " message " << i << ": " << p.status().ToString();
      EXPECT_EQ(p->payload, std::to_string(i));
      ids.push_back(p->packet_id);
    }
    EXPECT_FALSE(sub->Receive(300).ok()) << con.client_id << ": more than 3 in flight";
    ASSERT_TRUE(sub->Send(Ack(mqtt::PacketType::kPuback, ids[0])).ok());
    auto next = sub->Expect<mqtt::Publish>();
    ASSERT_TRUE(next.ok()) << con.client_id << ": " << next.status().ToString();
    EXPECT_EQ(next->payload, "3");
  }
}

TEST(BrokerQosTest, ReceiveMaximumExceededByClientIsDisconnected) {
  auto o = TestOptions();
  o.receive_maximum = 3;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  auto c = MustConnect(tb->port(), V5("greedy"));
  for (uint16_t id = 1; id <= 4; ++id) {
    mqtt::Publish p;
    p.topic = "x";
    p.qos = QoS::kExactlyOnce;
    p.packet_id = id;
    ASSERT_TRUE(c->Send(p).ok());
  }
  for (int i = 0; i < 3; ++i) {
    auto rec = c->Expect<mqtt::PubAck>();
    ASSERT_TRUE(rec.ok()) << i;
  }
  auto d = c->Expect<mqtt::Disconnect>();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->reason, ReasonCode::kReceiveMaximumExceeded);
}

TEST(BrokerQosTest, TopicAliasesResolveAndOutOfRangeIsRefused) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto sub = MustConnect(tb->port(), V5("s"));
  ASSERT_TRUE(sub->Subscribe("alias/#", QoS::kAtMostOnce).ok());
  auto pub = MustConnect(tb->port(), V5("p"));
  mqtt::Publish p;
  p.topic = "alias/long/topic";
  p.payload = "1";
  p.properties.topic_alias = 3;
  ASSERT_TRUE(pub->Send(p).ok());
  p.topic = "";
  p.payload = "2";
  ASSERT_TRUE(pub->Send(p).ok());
  for (const char* want : {"1", "2"}) {
    auto got = sub->Expect<mqtt::Publish>();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->topic, "alias/long/topic");
    EXPECT_EQ(got->payload, want);
    EXPECT_FALSE(got->properties.topic_alias.has_value());
  }
  p.properties.topic_alias = 17;  // maximum is 16
  p.topic = "alias/x";
  ASSERT_TRUE(pub->Send(p).ok());
  auto d = pub->Expect<mqtt::Disconnect>();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->reason, ReasonCode::kTopicAliasInvalid);
}

TEST(BrokerQosTest, MessageExpiryIsDecrementedAndExpiredAreNotDelivered) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  {
    auto sub = MustConnect(tb->port(), V5("exp", true, 300));
    ASSERT_TRUE(sub->Subscribe("e", QoS::kAtLeastOnce).ok());
  }
  auto pub = MustConnect(tb->port(), V5("p"));
  mqtt::Publish p;
  p.topic = "e";
  p.qos = QoS::kAtLeastOnce;
  p.packet_id = 1;
  p.payload = "short";
  p.properties.message_expiry_interval = 1;
  ASSERT_TRUE(pub->Send(p).ok());
  p.packet_id = 2;
  p.payload = "long";
  p.properties.message_expiry_interval = 100;
  ASSERT_TRUE(pub->Send(p).ok());
  ASSERT_TRUE(pub->Expect<mqtt::PubAck>().ok());
  ASSERT_TRUE(pub->Expect<mqtt::PubAck>().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto sub = MustConnect(tb->port(), V5("exp", false, 300));
  auto got = sub->Expect<mqtt::Publish>();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->payload, "long");
  ASSERT_TRUE(got->properties.message_expiry_interval.has_value());
  EXPECT_LE(*got->properties.message_expiry_interval, 98u);
  EXPECT_GE(*got->properties.message_expiry_interval, 90u);
  EXPECT_FALSE(sub->Receive(300).ok());
}

TEST(BrokerQosTest, SessionExpiryAndCleanStart) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  // Expiry 1 s: gone after it; expiry 60 s: resumed; clean start discards it.
  { auto c = MustConnect(tb->port(), V5("short", true, 1)); }
  { auto c = MustConnect(tb->port(), V5("long", true, 60)); }
  std::this_thread::sleep_for(std::chrono::milliseconds(2300));
  for (auto [id, present] : std::vector<std::pair<std::string, bool>>{{"short", false}, {"long", true}}) {
    auto c = std::move(TestClient::Open(tb->port())).value();
    ASSERT_TRUE(c->Send(V5(id, false, 60)).ok());
    auto ack = c->Expect<mqtt::Connack>();
    ASSERT_TRUE(ack.ok());
    EXPECT_EQ(ack->session_present, present) << id;
  }
  auto c = std::move(TestClient::Open(tb->port())).value();
  ASSERT_TRUE(c->Send(V5("long", true, 60)).ok());
  auto ack = c->Expect<mqtt::Connack>();
  ASSERT_TRUE(ack.ok());
  EXPECT_FALSE(ack->session_present);
}

// Only the sessions that changed are written at each flush: a subscription added after
// the first save, and a session a clean start ended, are read back after a restart as
// they were at the stop.
TEST(BrokerQosTest, ChangesAfterTheFirstSaveAndEndedSessionsAreReadBackAfterARestart) {
  auto o = TestOptions();
  o.state_dir = testing::MakeTempDir("broker-saved");
  auto resume = [](int port, const std::string& id) {
    auto c = std::move(TestClient::Open(port)).value();
    EXPECT_TRUE(c->Send(V5(id, false, 600)).ok());
    auto ack = c->Expect<mqtt::Connack>();
    EXPECT_TRUE(ack.ok());
    return std::make_pair(std::move(c), ack.ok() && ack->session_present);
  };
  {
    auto tb = TestBroker::Start(o);
    ASSERT_TRUE(tb);
    for (const char* id : {"keep", "gone"}) {
      auto c = MustConnect(tb->port(), V5(id, false, 600));
      ASSERT_EQ(*c->Subscribe("a", QoS::kAtLeastOnce), ReasonCode::kGrantedQoS1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // saved by a flush
    {
      auto [c, present] = resume(tb->port(), "keep");
      ASSERT_TRUE(present);
      ASSERT_EQ(*c->Subscribe("b", QoS::kAtLeastOnce), ReasonCode::kGrantedQoS1);
    }
    { auto c = MustConnect(tb->port(), V5("gone", true, 0)); }
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // a flush before the stop
  }
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  EXPECT_FALSE(resume(tb->port(), "gone").second);
  auto [keep, present] = resume(tb->port(), "keep");
  ASSERT_TRUE(present);
  auto pub = MustConnect(tb->port(), V5("pub"));
  for (const char* topic : {"a", "b"}) {
    ASSERT_TRUE(pub->Publish(topic, topic, QoS::kAtLeastOnce).ok());
    auto got = keep->Expect<mqtt::Publish>();
    ASSERT_TRUE(got.ok()) << topic << ": " << got.status().ToString();
    EXPECT_EQ(got->topic, topic);
    ASSERT_TRUE(keep->Send(Ack(mqtt::PacketType::kPuback, got->packet_id)).ok());
  }
  std::filesystem::remove_all(o.state_dir);
}

// A full queue keeps the newest messages; each one pushed out is counted as dropped.
TEST(BrokerQosTest, AFullOfflineQueueDropsTheOldestAndCountsThem) {
  auto o = TestOptions();
  o.max_queued_messages = 3;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  {
    auto away = MustConnect(tb->port(), V5("away", true, 60));
    ASSERT_TRUE(away->Subscribe("q", QoS::kAtLeastOnce).ok());
  }
  auto connections = [&] {
    std::string text = tb->metrics().Render();
    auto at = text.find("\ntributary_mqtt_connections ");
    return at == std::string::npos ? -1 : std::atoi(text.c_str() + at + 28);
  };
  for (int i = 0; i < 100 && connections() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(connections(), 0) << "the subscriber's session did not go offline";
  auto pub = MustConnect(tb->port(), V5("pub"));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pub->Publish("q", std::to_string(i), QoS::kAtLeastOnce).ok());
  EXPECT_NE(tb->metrics().Render().find("tributary_mqtt_messages_dropped_total 2"), std::string::npos)
      << tb->metrics().Render();
  auto back = std::move(TestClient::Open(tb->port())).value();
  ASSERT_TRUE(back->Send(V5("away", false, 60)).ok());
  auto ack = back->Expect<mqtt::Connack>();
  ASSERT_TRUE(ack.ok());
  EXPECT_TRUE(ack->session_present);
  for (const char* want : {"2", "3", "4"}) {
    auto p = back->Expect<mqtt::Publish>();
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->payload, want);
    ASSERT_TRUE(back->Send(Ack(mqtt::PacketType::kPuback, p->packet_id)).ok());
  }
}

TEST(BrokerQosTest, WillDelayAndDisconnectWithWill) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto watcher = MustConnect(tb->port(), V5("watcher"));
  ASSERT_TRUE(watcher->Subscribe("wills/#", QoS::kAtLeastOnce).ok());
  auto will_connect = [](const std::string& id, uint32_t delay, uint32_t expiry = 0) {
    mqtt::Connect c = V5(id, true, 30);
    mqtt::Will w;
    w.topic = "wills/" + id;
    w.payload = id + " gone";
    w.qos = QoS::kAtLeastOnce;
    if (delay) w.properties.will_delay_interval = delay;
    if (expiry) w.properties.message_expiry_interval = expiry;
    c.will = w;
    return c;
  };
  // Abnormal close with a 1 s delay: nothing at once, the will after ~1 s. Its expiry
  // interval (1 s too) counts from its publication, not from the disconnect: it arrives,
  // with the whole interval.
  auto start = std::chrono::steady_clock::now();
  { auto c = MustConnect(tb->port(), will_connect("delayed", 1, 1)); }
  EXPECT_FALSE(watcher->Receive(500).ok());
  auto w = watcher->Expect<mqtt::Publish>(2500);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->payload, "delayed gone");
  EXPECT_EQ(w->properties.message_expiry_interval.value_or(0), 1u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  ASSERT_TRUE(watcher->Send(Ack(mqtt::PacketType::kPuback, w->packet_id)).ok());

  // Reconnecting within the delay cancels the will.
  { auto c = MustConnect(tb->port(), will_connect("back", 2)); }
  auto again = MustConnect(tb->port(), V5("back", false, 30));
  EXPECT_FALSE(watcher->Receive(2500).ok());

  // A normal DISCONNECT sends no will; DISCONNECT 0x04 does.
  auto normal = MustConnect(tb->port(), will_connect("normal", 0));
  ASSERT_TRUE(normal->Send(mqtt::Disconnect{}).ok());
  EXPECT_FALSE(watcher->Receive(300).ok());
  auto with_will = MustConnect(tb->port(), will_connect("withwill", 0));
  mqtt::Disconnect d;
  d.reason = ReasonCode::kDisconnectWithWill;
  ASSERT_TRUE(with_will->Send(d).ok());
  w = watcher->Expect<mqtt::Publish>();
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->payload, "withwill gone");
}

TEST(BrokerQosTest, RetainedSetReplaceClearAndHandlingOptions) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto pub = MustConnect(tb->port(), V5("p"));
  ASSERT_TRUE(pub->Publish("ret/a", "v1", QoS::kAtLeastOnce, true).ok());
  ASSERT_TRUE(pub->Publish("ret/a", "v2", QoS::kAtLeastOnce, true).ok());
  ASSERT_TRUE(pub->Publish("ret/b", "b", QoS::kAtLeastOnce, true).ok());
  ASSERT_TRUE(pub->Publish("ret/b", "", QoS::kAtLeastOnce, true).ok());  // clears

  auto sub = MustConnect(tb->port(), V5("s"));
  ASSERT_TRUE(sub->Subscribe("ret/+", QoS::kAtLeastOnce).ok());
  auto got = sub->Expect<mqtt::Publish>();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->topic, "ret/a");
  EXPECT_EQ(got->payload, "v2");
  EXPECT_TRUE(got->retain);
  ASSERT_TRUE(sub->Send(Ack(mqtt::PacketType::kPuback, got->packet_id)).ok());
  EXPECT_FALSE(sub->Receive(200).ok());

  // Retain handling 2: none at subscribe. Retain-as-published keeps the flag on live ones.
  auto sub2 = MustConnect(tb->port(), V5("s2"));
  mqtt::Subscribe s;
  s.packet_id = 1;
  mqtt::SubscribeOptions o;
  o.retain_handling = 2;
  o.retain_as_published = true;
  s.filters.emplace_back("ret/#", o);
  ASSERT_TRUE(sub2->Send(s).ok());
  ASSERT_TRUE(sub2->Expect<mqtt::Suback>().ok());
  EXPECT_FALSE(sub2->Receive(200).ok());
  ASSERT_TRUE(pub->Publish("ret/c", "live", QoS::kAtMostOnce, true).ok());
  got = sub2->Expect<mqtt::Publish>();
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->retain);
  got = sub->Expect<mqtt::Publish>();  // without retain-as-published the flag is cleared
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->retain);
}

TEST(BrokerQosTest, SubscriptionIdsNoLocalAndQosDowngrade) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto c = MustConnect(tb->port(), V5("c"));
  ASSERT_TRUE(c->Subscribe("a/+", QoS::kAtMostOnce, 5).ok());
  ASSERT_TRUE(c->Subscribe("a/#", QoS::kAtMostOnce, 6).ok());
  mqtt::Subscribe s;
  s.packet_id = 3;
  mqtt::SubscribeOptions nl;
  nl.no_local = true;
  nl.max_qos = QoS::kAtLeastOnce;
  s.filters.emplace_back("own", nl);
  ASSERT_TRUE(c->Send(s).ok());
  ASSERT_TRUE(c->Expect<mqtt::Suback>().ok());

  auto pub = MustConnect(tb->port(), V5("p"));
  ASSERT_TRUE(pub->Publish("a/1", "x", QoS::kExactlyOnce).ok());
  auto got = c->Expect<mqtt::Publish>();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->qos, QoS::kAtMostOnce);  // downgraded to the subscription's QoS
  auto ids = got->properties.subscription_identifiers;
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<uint32_t>{5, 6}));
  EXPECT_FALSE(c->Receive(200).ok());  // one copy only

  ASSERT_TRUE(c->Publish("own", "mine", QoS::kAtMostOnce).ok());
  EXPECT_FALSE(c->Receive(300).ok());  // no-local
  ASSERT_TRUE(pub->Publish("own", "theirs", QoS::kAtMostOnce).ok());
  got = c->Expect<mqtt::Publish>();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->payload, "theirs");
}

TEST(BrokerQosTest, SharedSubscriptionRoundRobin) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto a = MustConnect(tb->port(), V5("a"));
  auto b = MustConnect(tb->port(), V5("b"));
  ASSERT_TRUE(a->Subscribe("$share/workers/jobs", QoS::kAtMostOnce).ok());
  ASSERT_TRUE(b->Subscribe("$share/workers/jobs", QoS::kAtMostOnce).ok());
  auto pub = MustConnect(tb->port(), V5("p"));
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(pub->Publish("jobs", std::to_string(i), QoS::kAtLeastOnce).ok());
  int na = 0, nb = 0;
  while (a->Receive(300).ok()) ++na;
  while (b->Receive(100).ok()) ++nb;
  EXPECT_EQ(na, 3);
  EXPECT_EQ(nb, 3);
}

TEST(BrokerQosTest, FanOutKeepsOrderUnderLoad) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  constexpr int kMessages = 3000;
  std::vector<std::unique_ptr<TestClient>> subs;
  for (int i = 0; i < 3; ++i) {
    subs.push_back(MustConnect(tb->port(), V5("fan-" + std::to_string(i))));
    ASSERT_TRUE(subs.back()->Subscribe("load/#", i == 0 ? QoS::kAtMostOnce : QoS::kAtLeastOnce).ok());
  }
  auto pub = MustConnect(tb->port(), V5("loader"));
  std::thread writer([&] {
    for (int i = 0; i < kMessages; ++i) {
      mqtt::Publish p;
      p.topic = "load/" + std::to_string(i % 7);
      p.payload = std::to_string(i);
      p.qos = QoS::kAtLeastOnce;  // acknowledged at once: no inbound window pressure
      p.packet_id = static_cast<uint16_t>(i % 60000 + 1);
      ASSERT_TRUE(pub->Send(p).ok());
    }
  });
  for (size_t s = 0; s < subs.size(); ++s) {
    for (int i = 0; i < kMessages; ++i) {
      auto got = subs[s]->Expect<mqtt::Publish>(5000);
      ASSERT_TRUE(got.ok()) << "subscriber " << s << " message " << i << ": "
                            << got.status().ToString();
      ASSERT_EQ(got->payload, std::to_string(i)) << "subscriber " << s;
      if (got->qos == QoS::kAtLeastOnce) {
        ASSERT_TRUE(subs[s]->Send(Ack(mqtt::PacketType::kPuback, got->packet_id)).ok());
      }
    }
  }
  writer.join();
  EXPECT_EQ(tb->broker().Stats().messages_received, static_cast<uint64_t>(kMessages));
}

TEST(BrokerQosTest, MessagesLargerThanTheClientMaximumAreDropped) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  mqtt::Connect con = V5("small");
  con.properties.maximum_packet_size = 100;
  auto sub = MustConnect(tb->port(), con);
  ASSERT_TRUE(sub->Subscribe("m", QoS::kAtMostOnce).ok());
  auto pub = MustConnect(tb->port(), V5("p"));
  ASSERT_TRUE(pub->Publish("m", std::string(200, 'x'), QoS::kAtMostOnce).ok());
  ASSERT_TRUE(pub->Publish("m", "fits", QoS::kAtMostOnce).ok());
  auto got = sub->Expect<mqtt::Publish>();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->payload, "fits");
}

}  // namespace
}  // namespace tributary::broker
