#include "broker/state_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/files.h"
#include "base/ids.h"
#include "broker/state_codec.h"
#include "broker/testing/null_sink.h"

namespace tributary::broker {
namespace {

std::string TempDir() {
  auto p = std::filesystem::temp_directory_path() / ("broker-state-" + NewUuid());
  return p.string();
}

MessagePtr Msg(const std::string& topic, const std::string& payload, int qos) {
  auto m = std::make_shared<Message>();
  m->topic = topic;
  m->payload = payload;
  m->qos = static_cast<mqtt::QoS>(qos);
  m->retain = true;
  m->origin_client_id = "origin";
  m->received_at_ms = 1234;
  m->expires_at_ms = 99999;
  m->properties.content_type = "text/plain";
  m->properties.user_properties = {{"k", "v"}, {"k", "v2"}};
  m->properties.correlation_data = std::string("\0\x01\xff", 3);
  return m;
}

TEST(StateCodecTest, MessageRoundTripKeepsPropertiesAndBinaryPayload) {
  auto m = Msg("a/b", std::string("bin\0ary", 7), 2);
  auto back = DecodeMessage(EncodeMessage(*m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((*back)->topic, "a/b");
  EXPECT_EQ((*back)->payload, std::string("bin\0ary", 7));
  EXPECT_EQ((*back)->qos, mqtt::QoS::kExactlyOnce);
  EXPECT_TRUE((*back)->retain);
  EXPECT_EQ((*back)->origin_client_id, "origin");
  EXPECT_EQ((*back)->expires_at_ms, std::optional<int64_t>(99999));
  EXPECT_EQ((*back)->properties, m->properties);
}

TEST(StateCodecTest, TruncatedRecordsAreDataLossNotCrashes) {
  SessionState s;
  s.client_id = "c";
  Outgoing o;
  o.msg = Msg("t", "x", 1);
  o.qos = mqtt::QoS::kAtLeastOnce;
  s.queue.push_back(o);
  std::string enc = EncodeSession(s);
  for (size_t n = 0; n < enc.size(); ++n) {
    auto r = DecodeSession(std::string_view(enc).substr(0, n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(r.status().code(), ErrorCode::kDataLoss);
  }
  EXPECT_TRUE(DecodeSession(enc).ok());
}

TEST(StateStoreTest, SessionsAndRetainedSurviveReopen) {
  std::string dir = TempDir();
  SessionState s;
  s.client_id = "dev-1";
  s.version = mqtt::Version::kV311;
  s.expiry_interval_s = 3600;
  s.disconnected_at_ms = 5000;
  s.next_packet_id = 42;
  mqtt::SubscribeOptions opts;
  opts.max_qos = mqtt::QoS::kExactlyOnce;
  opts.no_local = true;
  opts.retain_handling = 2;
  s.subscriptions["a/+"] = SubscriptionRecord{opts, 17};
  Outgoing inflight1;
  inflight1.msg = Msg("a/1", "one", 1);
  inflight1.qos = mqtt::QoS::kAtLeastOnce;
  inflight1.packet_id = 7;
  inflight1.state = OutState::kAwaitPuback;
  inflight1.subscription_ids = {17};
  s.inflight[7] = inflight1;
  Outgoing rel;  // QoS 2 after PUBREC: only the identifier remains
  rel.qos = mqtt::QoS::kExactlyOnce;
  rel.packet_id = 8;
  rel.state = OutState::kAwaitPubcomp;
  s.inflight[8] = rel;
  Outgoing queued;
  queued.msg = Msg("a/2", "two", 2);
  queued.qos = mqtt::QoS::kExactlyOnce;
  s.queue.push_back(queued);
  Outgoing zero;  // QoS 0 in the queue is not persisted
  zero.msg = Msg("a/3", "three", 0);
  s.queue.push_back(zero);
  s.inbound_qos2 = {3, 4};
  {
    auto store = StateStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->SaveSessions({s}, {}).ok());
    ASSERT_TRUE((*store)->SaveRetained({{"r/1", Msg("r/1", "x", 0)}, {"r/2", Msg("r/2", "y", 1)}}).ok());
    ASSERT_TRUE((*store)->SaveRetained({{"r/2", nullptr}}).ok());  // cleared
  }
  auto store = StateStore::Open(dir);
  ASSERT_TRUE(store.ok());
  size_t skipped = 0;
  auto retained = (*store)->LoadRetained(&skipped);
  ASSERT_TRUE(retained.ok());
  ASSERT_EQ(retained->size(), 1u);
  EXPECT_EQ((*retained)[0]->topic, "r/1");
  auto sessions = (*store)->LoadSessions(&skipped);
  ASSERT_TRUE(sessions.ok());
  EXPECT_EQ(skipped, 0u);
  ASSERT_EQ(sessions->size(), 1u);
  const SessionState& b = (*sessions)[0];
  EXPECT_EQ(b.client_id, "dev-1");
  EXPECT_EQ(b.version, mqtt::Version::kV311);
  EXPECT_EQ(b.expiry_interval_s, 3600u);
  EXPECT_EQ(b.disconnected_at_ms, 5000);
  EXPECT_EQ(b.next_packet_id, 42);
  ASSERT_EQ(b.subscriptions.count("a/+"), 1u);
  EXPECT_EQ(b.subscriptions.at("a/+").options, opts);
  EXPECT_EQ(b.subscriptions.at("a/+").id, 17u);
  ASSERT_EQ(b.inflight.size(), 2u);
  EXPECT_EQ(b.inflight.at(7).state, OutState::kAwaitPuback);
  EXPECT_EQ(b.inflight.at(7).msg->payload, "one");
  EXPECT_EQ(b.inflight.at(7).subscription_ids, std::vector<uint32_t>{17});
  EXPECT_EQ(b.inflight.at(8).state, OutState::kAwaitPubcomp);
  EXPECT_EQ(b.inflight.at(8).msg, nullptr);
  ASSERT_EQ(b.queue.size(), 1u);
  EXPECT_EQ(b.queue[0].msg->topic, "a/2");
  EXPECT_EQ(b.inbound_qos2, (std::set<uint16_t>{3, 4}));

  // A restored session resends its in-flight messages first.
  Session restored(b, 100);
  auto sink = std::make_shared<testing::NullSink>();
  restored.Attach(sink, mqtt::Version::kV311, 10, 3600);
  std::vector<Outbound> out;
  restored.NextBatch(sink.get(), 10, &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].dup);
  EXPECT_TRUE(out[1].pubrel);
  EXPECT_EQ(out[2].msg->topic, "a/2");

  ASSERT_TRUE((*store)->SaveSessions({}, {"dev-1"}).ok());
  auto none = (*store)->LoadSessions(&skipped);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  std::filesystem::remove_all(dir);
}

WillState SomeWill(const std::string& client_id, int64_t due_ms) {
  WillState w;
  w.client_id = client_id;
  w.due_ms = due_ms;
  w.will.topic = "devices/" + client_id + "/status";
  w.will.payload = std::string("off\0line", 8);
  w.will.qos = mqtt::QoS::kExactlyOnce;
  w.will.retain = true;
  w.will.properties.content_type = "text/plain";
  w.will.properties.message_expiry_interval = 600;
  w.will.properties.user_properties = {{"k", "v"}};
  w.thing = "thing-" + client_id;
  w.principal = "cert:abc";
  return w;
}

TEST(StateCodecTest, WillRoundTripKeepsEverythingAndATruncatedOneIsDataLoss) {
  WillState w = SomeWill("dev-9", 1'700'000'000'123);
  std::string enc = EncodeWill(w);
  auto back = DecodeWill(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->client_id, "dev-9");
  EXPECT_EQ(back->due_ms, 1'700'000'000'123);
  EXPECT_EQ(back->will, w.will);
  EXPECT_EQ(back->thing, "thing-dev-9");
  EXPECT_EQ(back->principal, "cert:abc");
  for (size_t n = 0; n < enc.size(); ++n) {
    auto r = DecodeWill(std::string_view(enc).substr(0, n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(r.status().code(), ErrorCode::kDataLoss);
  }
  std::string bad_qos = enc;
  bad_qos[1 + 4 + 5 + 8] = 3;  // after version, client id and due time
  auto r = DecodeWill(bad_qos);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("will record cut short or invalid at qos"), std::string::npos)
      << r.status().ToString();
}

TEST(StateStoreTest, WillsSurviveReopenAndDeletesRemoveThem) {
  std::string dir = TempDir();
  {
    auto store = StateStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->SaveWills({SomeWill("a", 10), SomeWill("b", 20)}, {}).ok());
    ASSERT_TRUE((*store)->SaveWills({SomeWill("b", 30)}, {"a", "never-saved"}).ok());
  }
  auto store = StateStore::Open(dir);
  ASSERT_TRUE(store.ok());
  size_t skipped = 0;
  auto wills = (*store)->LoadWills(&skipped);
  ASSERT_TRUE(wills.ok()) << wills.status().ToString();
  EXPECT_EQ(skipped, 0u);
  ASSERT_EQ(wills->size(), 1u);
  EXPECT_EQ((*wills)[0].client_id, "b");
  EXPECT_EQ((*wills)[0].due_ms, 30);
  EXPECT_EQ((*wills)[0].will, SomeWill("b", 30).will);
  std::filesystem::remove_all(dir);
}

// A broker.db written before the wills were saved opens with its sessions and gains the
// table.
TEST(StateStoreTest, AStateFileFromBeforeWillsOpensAndTakesThem) {
  std::string dir = TempDir();
  {
    ASSERT_TRUE(MakeDirs(dir, 0700).ok());
    auto db = metadata::Database::Open(dir + "/broker.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)
                    ->Migrate("broker", 1,
                              "CREATE TABLE retained(topic TEXT PRIMARY KEY, data BLOB NOT NULL);"
                              "CREATE TABLE sessions(client_id TEXT PRIMARY KEY, data BLOB NOT "
                              "NULL);")
                    .ok());
    SessionState s;
    s.client_id = "old";
    s.expiry_interval_s = 60;
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO sessions(client_id, data) VALUES(?, ?)",
                           {metadata::Value(s.client_id), metadata::Value(EncodeSession(s))})
                    .ok());
  }
  auto store = StateStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  size_t skipped = 0;
  auto sessions = (*store)->LoadSessions(&skipped);
  ASSERT_TRUE(sessions.ok());
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_EQ((*sessions)[0].client_id, "old");
  ASSERT_TRUE((*store)->SaveWills({SomeWill("old", 5)}, {}).ok());
  auto wills = (*store)->LoadWills(&skipped);
  ASSERT_TRUE(wills.ok()) << wills.status().ToString();
  EXPECT_EQ(wills->size(), 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tributary::broker
