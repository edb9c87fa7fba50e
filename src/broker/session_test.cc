#include "broker/session.h"

#include <gtest/gtest.h>

#include <set>

namespace tributary::broker {
namespace {

class FakeSink : public SessionSink {
 public:
  void Wake() override { ++wakes; }
  bool Accept(const Message& msg, mqtt::QoS, bool, const std::vector<uint32_t>&) override {
    return msg.topic != refuse_topic;
  }
  void Kick(mqtt::ReasonCode r) override { kicked = r; }
  int wakes = 0;
  std::string refuse_topic = "refused";
  std::optional<mqtt::ReasonCode> kicked;
};

MessagePtr Msg(const std::string& topic, int qos, const std::string& payload = "p") {
  auto m = std::make_shared<Message>();
  m->topic = topic;
  m->payload = payload;
  m->qos = static_cast<mqtt::QoS>(qos);
  return m;
}

Outgoing Out(const std::string& topic, int qos) {
  Outgoing o;
  o.msg = Msg(topic, qos);
  o.qos = static_cast<mqtt::QoS>(qos);
  return o;
}

std::vector<std::string> Topics(const OutgoingQueue& q) {
  std::vector<std::string> topics;
  for (const Outgoing& o : q) topics.push_back(o.msg->topic);
  return topics;
}

TEST(OutgoingQueueTest, EmptyUntilThePushAndFirstInFirstOut) {
  OutgoingQueue q;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.begin(), q.end());
  EXPECT_FALSE(q.DropOldest([](const Outgoing&) { return true; }));
  q.EraseIf([](const Outgoing&) { return true; });  // nothing to erase, nothing allocated
  EXPECT_TRUE(q.empty());
  q.push_back(Out("a", 1));
  q.push_back(Out("b", 0));
  q.push_back(Out("c", 1));
  EXPECT_EQ(Topics(q), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(q[1].msg->topic, "b");
  EXPECT_EQ(q.front().msg->topic, "a");
  q.pop_front();
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.front().msg->topic, "b");
}

TEST(OutgoingQueueTest, DropOldestTakesTheFirstMatchElseTheOldest) {
  OutgoingQueue q;
  for (auto [t, qos] : {std::pair{"a", 1}, {"b", 0}, {"c", 1}, {"d", 0}}) q.push_back(Out(t, qos));
  auto qos0 = [](const Outgoing& o) { return o.qos == mqtt::QoS::kAtMostOnce; };
  ASSERT_TRUE(q.DropOldest(qos0));
  EXPECT_EQ(Topics(q), (std::vector<std::string>{"a", "c", "d"}));
  q.EraseIf(qos0);
  EXPECT_EQ(Topics(q), (std::vector<std::string>{"a", "c"}));
  ASSERT_TRUE(q.DropOldest(qos0));  // no QoS 0 left: the oldest goes
  EXPECT_EQ(Topics(q), (std::vector<std::string>{"c"}));
}

TEST(OutgoingQueueTest, CopiesAreDeepAndMovesEmptyTheSource) {
  OutgoingQueue q;
  q.push_back(Out("a", 1));
  OutgoingQueue copy = q;
  copy.push_back(Out("b", 1));
  EXPECT_EQ(Topics(q), (std::vector<std::string>{"a"}));
  EXPECT_EQ(Topics(copy), (std::vector<std::string>{"a", "b"}));
  OutgoingQueue empty;
  copy = empty;
  EXPECT_TRUE(copy.empty());
  copy = q;
  EXPECT_EQ(Topics(copy), (std::vector<std::string>{"a"}));
  OutgoingQueue moved = std::move(q);
  EXPECT_EQ(Topics(moved), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(q.empty());  // NOLINT(bugprone-use-after-move): a moved-from queue is empty
}

TEST(SessionTest, ReceiveMaximumBoundsTheInFlightWindow) {
  auto sink = std::make_shared<FakeSink>();
  Session s("c", 100);
  s.Attach(sink, mqtt::Version::kV5, /*receive_maximum=*/2, 0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.Enqueue(Msg("t", 1), mqtt::QoS::kAtLeastOnce, false, {}));
  EXPECT_EQ(sink->wakes, 1);  // one wake until the connection pulls
  std::vector<Outbound> out;
  s.NextBatch(sink.get(), 100, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NE(out[0].packet_id, out[1].packet_id);
  EXPECT_FALSE(out[0].dup);
  EXPECT_EQ(s.inflight(), 2u);
  EXPECT_EQ(s.queued(), 3u);
  out.clear();
  s.NextBatch(sink.get(), 100, &out);
  EXPECT_TRUE(out.empty());  // window full
  EXPECT_TRUE(s.OnPuback(1));
  EXPECT_FALSE(s.OnPuback(1));  // already acknowledged
  s.NextBatch(sink.get(), 100, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(s.inflight(), 2u);
}

TEST(SessionTest, Qos2OutgoingStateMachine) {
  auto sink = std::make_shared<FakeSink>();
  Session s("c", 100);
  s.Attach(sink, mqtt::Version::kV5, 10, 0);
  s.Enqueue(Msg("t", 2), mqtt::QoS::kExactlyOnce, false, {});
  std::vector<Outbound> out;
  s.NextBatch(sink.get(), 10, &out);
  ASSERT_EQ(out.size(), 1u);
  uint16_t id = out[0].packet_id;
  EXPECT_FALSE(s.OnPubcomp(id));  // PUBCOMP before PUBREC is out of order
  EXPECT_FALSE(s.OnPuback(id));   // wrong ack type
  EXPECT_TRUE(s.OnPubrec(id, false));
  EXPECT_EQ(s.inflight(), 1u);
  EXPECT_TRUE(s.OnPubcomp(id));
  EXPECT_EQ(s.inflight(), 0u);
}

TEST(SessionTest, ReconnectResendsInFlightWithDupAndPubrel) {
  auto sink1 = std::make_shared<FakeSink>();
  Session s("c", 100);
  s.Attach(sink1, mqtt::Version::kV5, 10, 3600);
  s.Enqueue(Msg("a", 1), mqtt::QoS::kAtLeastOnce, false, {});
  s.Enqueue(Msg("b", 2), mqtt::QoS::kExactlyOnce, false, {});
  std::vector<Outbound> out;
  s.NextBatch(sink1.get(), 10, &out);
  ASSERT_EQ(out.size(), 2u);
  uint16_t id_a = out[0].packet_id, id_b = out[1].packet_id;
  ASSERT_TRUE(s.OnPubrec(id_b, false));  // b now awaits PUBCOMP
  EXPECT_TRUE(s.Detach(sink1.get(), 1000));
  EXPECT_FALSE(s.online());
  EXPECT_EQ(s.disconnected_at_ms(), 1000);
  // Offline: QoS 1 is queued, QoS 0 is not.
  EXPECT_TRUE(s.Enqueue(Msg("c", 1), mqtt::QoS::kAtLeastOnce, false, {}));
  EXPECT_FALSE(s.Enqueue(Msg("d", 0), mqtt::QoS::kAtMostOnce, false, {}));

  auto sink2 = std::make_shared<FakeSink>();
  s.Attach(sink2, mqtt::Version::kV5, 10, 3600);
  EXPECT_EQ(s.NextBatch(sink1.get(), 10, &out), 0u);  // the old connection gets nothing
  out.clear();
  s.NextBatch(sink2.get(), 10, &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].packet_id, id_a);
  EXPECT_TRUE(out[0].dup);
  EXPECT_FALSE(out[0].pubrel);
  EXPECT_EQ(out[1].packet_id, id_b);
  EXPECT_TRUE(out[1].pubrel);
  EXPECT_EQ(out[2].msg->topic, "c");
  EXPECT_FALSE(out[2].dup);
  EXPECT_FALSE(s.Detach(sink1.get(), 2000));  // stale connection cannot detach the new one
  EXPECT_TRUE(s.online());
}

TEST(SessionTest, QueueLimitDropsOldestQos0First) {
  auto sink = std::make_shared<FakeSink>();
  Session s("c", 3);
  s.Attach(sink, mqtt::Version::kV5, 1, 0);
  // Online, the queue absorbs a burst far beyond the offline limit.
  for (int i = 0; i < 100; ++i) s.Enqueue(Msg("burst", 1), mqtt::QoS::kAtLeastOnce, false, {});
  EXPECT_EQ(s.queued(), 100u);
  EXPECT_EQ(s.dropped(), 0u);
  // Going offline trims it to the offline limit (oldest first).
  EXPECT_TRUE(s.Detach(sink.get(), 1));
  EXPECT_EQ(s.queued(), 3u);
  EXPECT_EQ(s.dropped(), 97u);
}

TEST(SessionTest, OfflineQueueLimitDropsOldestQos0First) {
  Session s("c", 3);
  s.Enqueue(Msg("q1", 1), mqtt::QoS::kAtLeastOnce, false, {});
  EXPECT_FALSE(s.Enqueue(Msg("zero", 0), mqtt::QoS::kAtMostOnce, false, {}));  // offline
  s.Enqueue(Msg("q2", 1), mqtt::QoS::kAtLeastOnce, false, {});
  s.Enqueue(Msg("q3", 1), mqtt::QoS::kAtLeastOnce, false, {});
  EXPECT_EQ(s.queued(), 3u);
  EXPECT_EQ(s.dropped(), 1u);
  s.Enqueue(Msg("q4", 1), mqtt::QoS::kAtLeastOnce, false, {});  // drops oldest "q1"
  SessionState st = s.Snapshot();
  ASSERT_EQ(st.queue.size(), 3u);
  EXPECT_EQ(st.queue[0].msg->topic, "q2");
  EXPECT_EQ(st.queue[2].msg->topic, "q4");
}

TEST(SessionTest, RefusedMessagesAreDroppedNotSent) {
  auto sink = std::make_shared<FakeSink>();
  Session s("c", 10);
  s.Attach(sink, mqtt::Version::kV5, 10, 0);
  s.Enqueue(Msg("refused", 1), mqtt::QoS::kAtLeastOnce, false, {});
  s.Enqueue(Msg("ok", 1), mqtt::QoS::kAtLeastOnce, false, {});
  std::vector<Outbound> out;
  EXPECT_EQ(s.NextBatch(sink.get(), 10, &out), 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].msg->topic, "ok");
  EXPECT_EQ(s.inflight(), 1u);
}

// Resends that do not fit in one batch go out in the next ones, each once; a second
// reconnect resends what is still unacknowledged again.
TEST(SessionTest, ResendsSpanBatchesAndEachReconnect) {
  auto sink1 = std::make_shared<FakeSink>();
  Session s("c", 100);
  s.Attach(sink1, mqtt::Version::kV5, 10, 3600);
  for (int i = 0; i < 5; ++i) s.Enqueue(Msg("t", 1), mqtt::QoS::kAtLeastOnce, false, {});
  std::vector<Outbound> out;
  s.NextBatch(sink1.get(), 10, &out);
  ASSERT_EQ(out.size(), 5u);
  ASSERT_TRUE(s.Detach(sink1.get(), 1000));

  auto resent = [&](SessionSink* sink, size_t batch) {
    std::vector<uint16_t> ids;
    for (int calls = 0; calls < 10; ++calls) {
      out.clear();
      s.NextBatch(sink, batch, &out);
      if (out.empty()) break;
      EXPECT_LE(out.size(), batch);
      for (const Outbound& ob : out) {
        EXPECT_TRUE(ob.dup);
        ids.push_back(ob.packet_id);
      }
    }
    return ids;
  };
  auto sink2 = std::make_shared<FakeSink>();
  s.Attach(sink2, mqtt::Version::kV5, 10, 3600);
  std::vector<uint16_t> first = resent(sink2.get(), 2);
  ASSERT_EQ(first.size(), 5u);
  EXPECT_EQ(std::set<uint16_t>(first.begin(), first.end()).size(), 5u) << "a resend went twice";
  EXPECT_FALSE(s.HasSendable());
  ASSERT_TRUE(s.OnPuback(first[0]));
  ASSERT_TRUE(s.OnPuback(first[4]));
  ASSERT_TRUE(s.Detach(sink2.get(), 2000));

  auto sink3 = std::make_shared<FakeSink>();
  s.Attach(sink3, mqtt::Version::kV5, 10, 3600);
  EXPECT_TRUE(s.HasSendable());
  EXPECT_EQ(resent(sink3.get(), 2), (std::vector<uint16_t>{first[1], first[2], first[3]}));
  EXPECT_FALSE(s.HasSendable());
}

// A client that stops reading cannot make its session hold more than kMaxQueuedBytes:
// past it the oldest messages go (QoS 0 first), each counted as dropped.
TEST(SessionTest, TheQueueIsBoundedInBytesToo) {
  Session s("slow", 1000);
  auto sink = std::make_shared<FakeSink>();
  s.Attach(sink, mqtt::Version::kV5, 100, 0);
  const std::string mib(1 << 20, 'x');
  const uint64_t fit = kMaxQueuedBytes / (mib.size() + 5);  // topic "big/n"
  for (uint64_t i = 0; i < fit + 10; ++i) {
    ASSERT_TRUE(s.Enqueue(Msg("big/" + std::to_string(i % 10), i % 2, mib),
                          static_cast<mqtt::QoS>(i % 2), false, {}));
  }
  EXPECT_LE(s.queued(), fit);
  EXPECT_GE(s.dropped(), 10u);
  // QoS 0 went first: the oldest QoS 1 messages are still there.
  std::vector<Outbound> out;
  s.NextBatch(sink.get(), 1, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].qos, mqtt::QoS::kAtLeastOnce);
  // Small messages are bounded by the count, as before.
  Session small("small", 3);
  for (int i = 0; i < 5; ++i) small.Enqueue(Msg("t", 1), mqtt::QoS::kAtLeastOnce, false, {});
  EXPECT_EQ(small.queued(), 3u);
  EXPECT_EQ(small.dropped(), 2u);
}

TEST(SessionTest, InboundQos2IdentifiersDetectResends) {
  Session s("c", 10);
  EXPECT_EQ(s.InboundQos2Begin(5), Session::Qos2Begin::kNew);
  EXPECT_EQ(s.InboundQos2Begin(5), Session::Qos2Begin::kHeld);  // resent PUBLISH
  EXPECT_EQ(s.InboundQos2Count(), 1u);
  EXPECT_TRUE(s.InboundQos2Release(5));
  EXPECT_FALSE(s.InboundQos2Release(5));
}

// An identifier whose verdict is to come is taken (a resend is not routed), not saved
// (a restart routes the resend), and answers the resends that wait for it.
TEST(SessionTest, InboundQos2IdentifiersWaitForTheVerdict) {
  Session s("c", 10);
  std::vector<PublishVerdict> answered;
  auto waiter = [&] {
    return Session::Qos2Waiter([&](PublishVerdict v) { answered.push_back(v); });
  };
  EXPECT_EQ(s.InboundQos2Begin(7, true, waiter), Session::Qos2Begin::kNew);
  EXPECT_TRUE(s.Snapshot().inbound_qos2.empty());
  EXPECT_EQ(s.InboundQos2Count(), 1u);
  EXPECT_EQ(s.InboundQos2Begin(7, true, waiter), Session::Qos2Begin::kAwaitingVerdict);
  EXPECT_FALSE(s.InboundQos2Release(7));  // PUBREL before any PUBREC: still waiting
  EXPECT_TRUE(answered.empty());
  s.InboundQos2Settle(7, PublishVerdict::kRefused);
  EXPECT_EQ(answered, std::vector<PublishVerdict>{PublishVerdict::kRefused});
  EXPECT_EQ(s.InboundQos2Count(), 0u);
  // Let go: the resend is a new message; accepted, it is held and saved.
  EXPECT_EQ(s.InboundQos2Begin(7, true, waiter), Session::Qos2Begin::kNew);
  EXPECT_EQ(s.InboundQos2Begin(7, true, waiter), Session::Qos2Begin::kAwaitingVerdict);
  s.InboundQos2Settle(7, PublishVerdict::kAccepted);
  EXPECT_EQ(answered.back(), PublishVerdict::kAccepted);
  EXPECT_EQ(answered.size(), 2u);
  EXPECT_EQ(s.Snapshot().inbound_qos2, std::set<uint16_t>{7});
  EXPECT_EQ(s.InboundQos2Begin(7, true, waiter), Session::Qos2Begin::kHeld);
  s.InboundQos2Settle(7, PublishVerdict::kRefused);  // none waiting: nothing changes
  EXPECT_EQ(answered.size(), 2u);
  EXPECT_TRUE(s.InboundQos2Release(7));
}

TEST(SessionTest, PacketIdentifiersSkipThoseInFlight) {
  auto sink = std::make_shared<FakeSink>();
  Session s("c", 70000);
  s.Attach(sink, mqtt::Version::kV5, 65535, 0);
  std::vector<Outbound> out;
  for (int i = 0; i < 3; ++i) s.Enqueue(Msg("t", 1), mqtt::QoS::kAtLeastOnce, false, {});
  s.NextBatch(sink.get(), 10, &out);
  ASSERT_EQ(out.size(), 3u);
  // Acknowledge 1 and 3; id 2 stays in flight for a full wrap of the counter.
  s.OnPuback(out[0].packet_id);
  s.OnPuback(out[2].packet_id);
  for (int round = 0; round < 65536; ++round) {
    out.clear();
    s.Enqueue(Msg("t", 1), mqtt::QoS::kAtLeastOnce, false, {});
    s.NextBatch(sink.get(), 10, &out);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_NE(out[0].packet_id, 0);
    ASSERT_NE(out[0].packet_id, 2);
    s.OnPuback(out[0].packet_id);
  }
}

}  // namespace
}  // namespace tributary::broker
