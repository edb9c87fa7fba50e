#include "broker/nats_bridge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "mqtt/codec.h"
#include "nats/connection.h"
#include "nats/testing/nats_server.h"

namespace tributary::broker {
namespace {

TEST(BridgeSubjectTest, TopicsRoundTripThroughSubjects) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"devices/sensor-1/pollution", "tributary.mqtt.devices.sensor-1.pollution"},
      {"a//b", "tributary.mqtt.a.%.b"},
      {"/lead", "tributary.mqtt.%.lead"},
      {"trail/", "tributary.mqtt.trail.%"},
      {"v1.2 x*>", "tributary.mqtt.v1%2E2%20x%2A%3E"},
      {"100%", "tributary.mqtt.100%25"},
      {"caf\xc3\xa9", "tributary.mqtt.caf%C3%A9"},
  };
  for (const auto& [topic, subject] : cases) {
    auto got = TopicToSubject("tributary.mqtt", topic);
    ASSERT_TRUE(got.has_value()) << topic;
    EXPECT_EQ(*got, subject);
    auto back = SubjectToTopic("tributary.mqtt", subject);
    ASSERT_TRUE(back.has_value()) << subject;
    EXPECT_EQ(*back, topic);
  }
  EXPECT_FALSE(TopicToSubject("p", std::string(kMaxBridgedSubject, '/')).has_value());
  for (const char* bad : {"other.a", "tributary.mqtt", "tributary.mqtt.", "tributary.mqtt.a..b",
                          "tributary.mqtt.a%2", "tributary.mqtt.a%zz", "tributary.mqtt.a%2e",
                          "tributary.mqttx.a", "tributary.mqtt.a b"}) {
    EXPECT_FALSE(SubjectToTopic("tributary.mqtt", bad).has_value()) << bad;
  }
}

// What a bridge hands on: to the rest of the chain here, and to the other server.
class Recorder : public MessageInterceptor {
 public:
  void OnPublish(const InboundMessage& msg, PublishDone done) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      passed.emplace_back(msg.topic);
    }
    if (done) done(PublishVerdict::kAccepted);
  }
  struct Delivered {
    std::string topic, payload;
    mqtt::QoS qos;
    bool retain;
    mqtt::Properties properties;
  };
  std::function<void(const std::string&, std::string, mqtt::QoS, bool, mqtt::Properties)> Deliver() {
    return [this](const std::string& topic, std::string payload, mqtt::QoS qos, bool retain,
                  mqtt::Properties properties) {
      std::lock_guard<std::mutex> lock(mu);
      delivered.push_back({topic, std::move(payload), qos, retain, std::move(properties)});
    };
  }
  size_t DeliveredCount() {
    std::lock_guard<std::mutex> lock(mu);
    return delivered.size();
  }
  std::mutex mu;
  std::vector<std::string> passed;
  std::vector<Delivered> delivered;
};

InboundMessage Message(std::string_view topic, std::string_view payload, mqtt::QoS qos,
                       bool retain = false, const mqtt::Properties* properties = nullptr) {
  static const mqtt::Properties kNone;
  return InboundMessage{"client", "thing", topic, payload, qos, retain,
                        properties ? properties : &kNone, 0, ""};
}

std::unique_ptr<NatsBridge> StartBridge(const std::string& url, Recorder* r) {
  NatsBridgeOptions o;
  o.url = url;
  o.next = r;
  o.deliver = r->Deliver();
  auto b = NatsBridge::Start(std::move(o));
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? std::move(b).value() : nullptr;
}

// Each case runs against a nats-server of its own.
class NatsBridgeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start().ok()); }
  std::string Url() const { return "nats://127.0.0.1:" + std::to_string(server_.port()); }
  nats::testing::NatsServer server_;
};

TEST_F(NatsBridgeTest, MessagesReachTheOtherServersSubscribersOnce) {
  const std::string url = Url();
  Recorder here, there, elsewhere;
  auto a = StartBridge(url, &here);
  auto b = StartBridge(url, &there);
  auto c = StartBridge(url + "?prefix=other.fleet", &elsewhere);  // another deployment
  ASSERT_TRUE(a && b && c);
  b->AddInterest("devices/+/pollution");
  c->AddInterest("#");
  ASSERT_TRUE(b->interest_filters() == 1 && c->interest_filters() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the SUBs reach NATS

  int acknowledged = 0;
  a->OnPublish(Message("devices/s-1/pollution", "{\"o\":1}", mqtt::QoS::kAtLeastOnce),
               [&](PublishVerdict v) { acknowledged += v == PublishVerdict::kAccepted; });
  a->OnPublish(Message("devices/s-1/state", "on", mqtt::QoS::kAtMostOnce, /*retain=*/true), {});
  a->OnPublish(Message("$SYS/broker/uptime", "1", mqtt::QoS::kAtMostOnce), {});
  for (int i = 0; i < 200 && there.DeliveredCount() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // anything more would be wrong

  EXPECT_EQ(acknowledged, 1);  // the chain's verdict comes back through the bridge
  EXPECT_EQ(here.passed, (std::vector<std::string>{"devices/s-1/pollution", "devices/s-1/state",
                                                   "$SYS/broker/uptime"}));
  EXPECT_TRUE(here.delivered.empty()) << "a server's own messages come back to it";
  ASSERT_EQ(there.delivered.size(), 2u);
  EXPECT_EQ(there.delivered[0].topic, "devices/s-1/pollution");
  EXPECT_EQ(there.delivered[0].payload, "{\"o\":1}");
  EXPECT_EQ(there.delivered[0].qos, mqtt::QoS::kAtLeastOnce);
  EXPECT_FALSE(there.delivered[0].retain);
  EXPECT_EQ(there.delivered[1].topic, "devices/s-1/state");
  EXPECT_EQ(there.delivered[1].qos, mqtt::QoS::kAtMostOnce);
  EXPECT_TRUE(there.delivered[1].retain);
  EXPECT_TRUE(there.passed.empty()) << "a bridged message must not run the rules again";
  EXPECT_TRUE(elsewhere.delivered.empty()) << "another prefix is another deployment";

  // Closed: messages still pass down the chain, and are not bridged.
  a->Close();
  a->OnPublish(Message("devices/s-1/pollution", "late", mqtt::QoS::kAtMostOnce), {});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(here.passed.size(), 4u);
  EXPECT_EQ(there.DeliveredCount(), 2u);
}

TEST(BridgeSubjectTest, FiltersBecomeTheSubjectsTheyMatch) {
  using Subjects = std::vector<std::string>;
  EXPECT_EQ(FilterToSubjects("p", "devices/+/pollution"), (Subjects{"p.devices.*.pollution"}));
  EXPECT_EQ(FilterToSubjects("p", "a/#"), (Subjects{"p.a", "p.a.>"}));
  EXPECT_EQ(FilterToSubjects("p", "#"), (Subjects{"p.>"}));
  EXPECT_EQ(FilterToSubjects("p", "+"), (Subjects{"p.*"}));
  EXPECT_EQ(FilterToSubjects("p", "+/#"), (Subjects{"p.*", "p.*.>"}));
  EXPECT_EQ(FilterToSubjects("p", "/#"), (Subjects{"p.%", "p.%.>"}));
  EXPECT_EQ(FilterToSubjects("p", "a//+"), (Subjects{"p.a.%.*"}));
  EXPECT_EQ(FilterToSubjects("p", "v1.2/x*/>"), (Subjects{"p.v1%2E2.x%2A.%3E"}));
  EXPECT_TRUE(FilterToSubjects("p", "$SYS/#").empty());
  EXPECT_TRUE(FilterToSubjects("p", std::string(kMaxBridgedSubject, 'x')).empty());
  // What a filter's subjects match is what TopicToSubject makes of its topics.
  EXPECT_EQ(*TopicToSubject("p", "a//x"), "p.a.%.x");
}

// Waits up to 2 s for `r` to have `n` deliveries, then 200 ms more for any that should not come.
void Settle(Recorder& r, size_t n) {
  for (int i = 0; i < 200 && r.DeliveredCount() < n; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

TEST_F(NatsBridgeTest, AServerReceivesWhatItsFiltersWantOnceAndEveryRetainedMessage) {
  const std::string url = Url();
  Recorder here, there;
  auto a = StartBridge(url, &here);
  auto b = StartBridge(url, &there);
  ASSERT_TRUE(a && b);

  // No interest on b: only the retained message reaches it.
  a->OnPublish(Message("devices/d1/telemetry", "t1", mqtt::QoS::kAtMostOnce), {});
  a->OnPublish(Message("devices/d1/state", "s1", mqtt::QoS::kAtLeastOnce, /*retain=*/true), {});
  Settle(there, 1);
  ASSERT_EQ(there.DeliveredCount(), 1u);
  EXPECT_EQ(there.delivered[0].topic, "devices/d1/state");
  EXPECT_TRUE(there.delivered[0].retain);

  // Overlapping filters (and the same one twice, as a broker and a watcher both may):
  // one delivery per message, and the retained one still once.
  b->AddInterest("devices/+/cmd");
  b->AddInterest("devices/#");
  b->AddInterest("#");
  b->AddInterest("#");
  b->AddInterest("$SYS/#");  // not bridged: nothing to subscribe to
  EXPECT_EQ(b->interest_filters(), 3u);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int i = 0; i < 50; ++i) {
    a->OnPublish(Message("devices/d1/cmd", std::to_string(i), mqtt::QoS::kAtMostOnce), {});
    if (i % 10 == 0) {
      a->OnPublish(Message("devices/d1/state", "r" + std::to_string(i), mqtt::QoS::kAtMostOnce, true), {});
    }
  }
  a->OnPublish(Message("other", "o", mqtt::QoS::kAtMostOnce), {});
  Settle(there, 1 + 50 + 5 + 1);
  {
    std::lock_guard<std::mutex> lock(there.mu);
    ASSERT_EQ(there.delivered.size(), 57u);
    int next_cmd = 0;
    for (size_t i = 1; i < there.delivered.size(); ++i) {
      const auto& d = there.delivered[i];
      if (d.topic == "devices/d1/cmd") {
        EXPECT_EQ(d.payload, std::to_string(next_cmd++)) << "in order, once";
      } else if (d.topic == "devices/d1/state") {
        EXPECT_TRUE(d.retain);
      }
    }
    EXPECT_EQ(next_cmd, 50);
    EXPECT_EQ(there.delivered.back().topic, "other");
  }

  // The last wish for a filter unsubscribes it: with only devices/+/cmd left, nothing else.
  b->RemoveInterest("#");
  EXPECT_EQ(b->interest_filters(), 3u) << "# was wished for twice";
  b->RemoveInterest("#");
  b->RemoveInterest("devices/#");
  b->RemoveInterest("$SYS/#");
  EXPECT_EQ(b->interest_filters(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  a->OnPublish(Message("devices/d1/telemetry", "t2", mqtt::QoS::kAtMostOnce), {});
  a->OnPublish(Message("devices/d2/cmd", "c2", mqtt::QoS::kAtLeastOnce), {});
  Settle(there, 58);
  ASSERT_EQ(there.DeliveredCount(), 58u);
  EXPECT_EQ(there.delivered.back().topic, "devices/d2/cmd");
  EXPECT_EQ(there.delivered.back().qos, mqtt::QoS::kAtLeastOnce);
  EXPECT_TRUE(here.delivered.empty());
}

TEST_F(NatsBridgeTest, InterestChangedWhileNatsIsDownHoldsWhenItIsBack) {
  const std::string url = Url();
  Recorder here, there;
  MetricsRegistry metrics;
  NatsBridgeOptions o;
  o.url = url;
  o.next = &here;
  o.deliver = here.Deliver();
  o.metrics = &metrics;
  auto a = NatsBridge::Start(std::move(o));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = StartBridge(url, &there);
  ASSERT_TRUE(b);
  b->AddInterest("old/#");

  server_.Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  (*a)->OnPublish(Message("old/lost", "while down", mqtt::QoS::kAtMostOnce), {});
  EXPECT_NE(metrics.Render().find("tributary_bridge_dropped_total 1"), std::string::npos)
      << "a message published while NATS is down is counted as not bridged";
  b->RemoveInterest("old/#");
  b->AddInterest("new/+");
  ASSERT_TRUE(server_.Start().ok());

  // Once both are back (each reconnects by itself), new/+ is received and old/# is not.
  for (int i = 0; i < 100 && there.DeliveredCount() == 0; ++i) {
    (*a)->OnPublish(Message("old/x", "unwanted", mqtt::QoS::kAtMostOnce), {});
    (*a)->OnPublish(Message("new/x", "wanted", mqtt::QoS::kAtMostOnce), {});
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Settle(there, 1);
  std::lock_guard<std::mutex> lock(there.mu);
  ASSERT_FALSE(there.delivered.empty()) << "nothing received after NATS came back";
  for (const auto& d : there.delivered) EXPECT_EQ(d.topic, "new/x");
}

TEST_F(NatsBridgeTest, MqttFivePropertiesTravelWithTheMessage) {
  const std::string url = Url();
  Recorder here, there;
  auto a = StartBridge(url, &here);
  auto b = StartBridge(url, &there);
  ASSERT_TRUE(a && b);
  b->AddInterest("req/#");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  mqtt::Properties p;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 60;
  p.content_type = "application/json";
  p.response_topic = "req/replies/app-1";
  p.correlation_data = std::string("\0\x01\xff\r\n", 5);  // binary
  p.user_properties = {{"trace", "abc"}, {"trace", "def"}, {"k\xc3\xa9", "v: 1\r\n"}};
  p.topic_alias = 7;                      // this connection's only
  p.subscription_identifiers = {3, 9};    // a subscriber's only
  a->OnPublish(Message("req/cmd", "{}", mqtt::QoS::kAtLeastOnce, false, &p), {});
  a->Forward("req/plain", "x", mqtt::QoS::kAtMostOnce, false);  // none: no header at all
  // Another sender's unreadable properties: the message is delivered without them.
  auto raw = nats::Connection::Connect(server_.options());
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  nats::Headers bad = {{"Tributary-Origin", "elsewhere"}, {"Tributary-Seq", "1"},
                       {"Tributary-QoS", "1"}, {"Tributary-Properties", "not base64!"}};
  ASSERT_TRUE((*raw)->Publish("tributary.mqtt.req.garbled", "g", {}, &bad).ok());
  ASSERT_TRUE((*raw)->Flush(2000).ok());
  Settle(there, 3);
  std::lock_guard<std::mutex> lock(there.mu);
  ASSERT_EQ(there.delivered.size(), 3u);
  // Found by topic: the raw connection's message may arrive before or between the
  // bridge's (NATS orders messages per connection only).
  auto delivered = [&](const std::string& topic) -> const auto& {
    for (const auto& d : there.delivered) {
      if (d.topic == topic) return d;
    }
    ADD_FAILURE() << topic << " was not delivered";
    return there.delivered.front();
  };
  EXPECT_EQ(delivered("req/garbled").qos, mqtt::QoS::kAtLeastOnce);
  EXPECT_EQ(delivered("req/garbled").properties, mqtt::Properties{});
  mqtt::Properties expected = p;
  expected.topic_alias.reset();
  expected.subscription_identifiers.clear();
  EXPECT_EQ(delivered("req/cmd").properties, expected);
  EXPECT_EQ(delivered("req/cmd").properties.correlation_data, std::string("\0\x01\xff\r\n", 5));
  EXPECT_EQ(delivered("req/plain").properties, mqtt::Properties{});
}

TEST(BridgeSubjectTest, PublishPropertiesRoundTripAndBadBytesAreNamed) {
  mqtt::Properties p;
  p.content_type = "text/plain";
  p.user_properties = {{"a", "b"}};
  auto back = mqtt::DecodePublishProperties(mqtt::EncodePublishProperties(p));
  ASSERT_TRUE(std::holds_alternative<mqtt::Properties>(back));
  EXPECT_EQ(std::get<mqtt::Properties>(back), p);
  auto empty = mqtt::DecodePublishProperties(mqtt::EncodePublishProperties({}));
  ASSERT_TRUE(std::holds_alternative<mqtt::Properties>(empty));
  for (std::string bad : {std::string(), std::string("\x05\x03\x00", 3),
                          std::string("\x02\x01\x01\x00", 4), std::string("\x02\x11\x00", 3)}) {
    auto got = mqtt::DecodePublishProperties(bad);
    ASSERT_TRUE(std::holds_alternative<mqtt::DecodeError>(got)) << testing::PrintToString(bad);
    EXPECT_NE(std::get<mqtt::DecodeError>(got).message.find("PUBLISH properties"), std::string::npos)
        << std::get<mqtt::DecodeError>(got).message;
  }
}

// (client id, since) pairs a bridge's taken_elsewhere was told, under `mu`.
using Ended = std::vector<std::pair<std::string, int64_t>>;

// A bridge that records what it is told of clients connected elsewhere in `*ended`, and
// answers a started server with `connected`, if given.
std::unique_ptr<NatsBridge> StartRecordingTakeovers(const std::string& url, Recorder* r,
                                                    std::mutex* mu, Ended* ended,
                                                    std::optional<Ended> connected = {}) {
  NatsBridgeOptions o;
  o.url = url;
  o.next = r;
  o.deliver = r->Deliver();
  o.taken_elsewhere = [mu, ended](const std::string& client_id, int64_t since_ms) {
    std::lock_guard<std::mutex> lock(*mu);
    ended->emplace_back(client_id, since_ms);
  };
  if (connected) o.connected_clients = [connected] { return *connected; };
  auto b = NatsBridge::Start(std::move(o));
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? std::move(b).value() : nullptr;
}

TEST_F(NatsBridgeTest, AClientConnectingHereIsAnnouncedToTheOtherServers) {
  const std::string url = Url();
  std::mutex mu;
  Ended ended_here, ended_there;
  Recorder here, there;
  auto a = StartRecordingTakeovers(url, &here, &mu, &ended_here);
  auto b = StartRecordingTakeovers(url, &there, &mu, &ended_there);
  ASSERT_TRUE(a && b);
  const int64_t before = WallMillis();
  a->NotifyConnected("sensor-7");
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!ended_there.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(ended_there.size(), 1u);
  EXPECT_EQ(ended_there[0].first, "sensor-7");
  EXPECT_GE(ended_there[0].second, before);
  EXPECT_LE(ended_there[0].second, WallMillis());
  EXPECT_TRUE(ended_here.empty()) << "a server's own connection ended its own session";
  EXPECT_EQ(there.DeliveredCount(), 0u) << "an announcement is not a message";
}

// A server that starts again missed the announcements made while it was down: when it
// says it started, the others announce their connected clients again, with the time each
// connected, and it alone hears them.
TEST_F(NatsBridgeTest, AServerThatStartsHearsOfTheClientsConnectedToTheOthers) {
  const std::string url = Url();
  std::mutex mu;
  Ended ended_a, ended_b, ended_c;
  Recorder ra, rb, rc;
  auto a = StartRecordingTakeovers(url, &ra, &mu, &ended_a,
                                   Ended{{"sensor-1", 1000}, {"sensor-2", 2000}});
  auto b = StartRecordingTakeovers(url, &rb, &mu, &ended_b, Ended{{"on-b", 3000}});
  auto c = StartRecordingTakeovers(url, &rc, &mu, &ended_c);  // no connected_clients
  ASSERT_TRUE(a && b && c);
  b->AnnounceStarted();
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (ended_b.size() >= 2) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::lock_guard<std::mutex> lock(mu);
  std::sort(ended_b.begin(), ended_b.end());
  EXPECT_EQ(ended_b, (Ended{{"sensor-1", 1000}, {"sensor-2", 2000}}))
      << "the server that started hears of the others' clients, at their own times";
  EXPECT_TRUE(ended_a.empty()) << "a server's own clients do not end its sessions";
  // The third server hears the announcements too (they are for every server), but the
  // started server's own clients are not announced: it asked, it does not answer itself.
  std::sort(ended_c.begin(), ended_c.end());
  EXPECT_EQ(ended_c, (Ended{{"sensor-1", 1000}, {"sensor-2", 2000}}));
  EXPECT_EQ(rb.DeliveredCount(), 0u) << "an announcement is not a message";
}

TEST(NatsBridgeStartTest, BadUrlsAndUnreachableServersAreNamed) {
  Recorder r;
  NatsBridgeOptions o;
  o.next = &r;
  o.deliver = r.Deliver();
  o.url = "nats://127.0.0.1:1?replicas=3";
  auto unknown = NatsBridge::Start(o);
  EXPECT_EQ(unknown.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find(
                "NATS URL parameter 'replicas' is unknown (known: prefix, tls_ca"),
            std::string::npos)
      << unknown.status().message();
  o.url = "nats://127.0.0.1:1?prefix=a..b";
  EXPECT_NE(NatsBridge::Start(o).status().message().find("prefix='a..b' must be subject tokens"),
            std::string::npos);
  o.url = "nats://127.0.0.1:1";
  EXPECT_EQ(NatsBridge::Start(o).status().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace tributary::broker
