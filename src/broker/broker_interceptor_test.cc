// Socket tests of the broker with a MessageInterceptor (the rules engine's place): the
// acknowledgement waits for the verdict, what is routed before and after it, QoS 2
// identifiers and resends while a verdict is pending, retained messages, wills, Basic
// Ingest, and verdicts given during OnPublish or inside a completion batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "base/completion_batch.h"
#include "base/metrics.h"
#include "broker/broker.h"
#include "broker/testing/test_client.h"
#include "broker/testing/test_connect.h"
#include "broker/testing/test_util.h"
#include "mqtt/codec.h"
#include "net/runtime.h"

namespace tributary::broker {
namespace {

using mqtt::QoS;
using mqtt::ReasonCode;
using testing::MustConnect;
using testing::TestOptions;
using testing::V311;
using testing::V5;

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
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(mu);
          return pending.size() > i;
        },
        2000))
        << "no PUBLISH #" << i << " reached the interceptor";
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
    EXPECT_TRUE(rt_.Start().ok());
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
  auto session = [](bool clean) { return V5("window", clean, 300); };
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
  auto session = [](bool clean) { return V5("resend", clean, 300); };
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
    mqtt::Connect c = V5(id, true, 10);
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
  EXPECT_EQ(*sub->Subscribe("$share/g/$aws/rules/r/x", QoS::kAtLeastOnce),
            ReasonCode::kTopicFilterInvalid);
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
  EXPECT_EQ(ic.topics, (std::vector<std::string>{"$aws/rules/r/devices/d1",
                                                 "$aws/rules/r/devices/d1", "$aws/other/t"}));
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
      CompletionBatch::Post(
          this, [](void*, CompletionBatch::Task run) { run(); },
          [this] {
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

}  // namespace
}  // namespace tributary::broker
