// Delivery streams on NATS JetStream when things change under them: a JetStream stream
// made again, lost or deleted; a reader that vanished; JetStream down or full; a cluster
// node gone; operator-mode credentials; a delivery stream deleted while other servers
// share its log. Against a real nats-server (testing/jetstream_fixture.h).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "base/completion_batch.h"
#include "base/testing/temp_dir.h"
#include "metadata/testing/test_database.h"
#include "nats/testing/jwt.h"
#include "nats/testing/nats_server.h"
#include "streams/jetstream_log.h"
#include "streams/stream_manager.h"
#include "streams/stream_metrics.h"
#include "streams/testing/jetstream_fixture.h"
#include "streams/testing/memory_object_store.h"

namespace tributary::streams {
namespace {

using testing::JetStreamLogTest;
using testing::MemoryObjectStores;
using testing::StoredObject;
using testing_support::TempDir;

TEST_F(JetStreamLogTest, AJetStreamStreamMadeAgainNumbersItsRecordsUnderANewEpoch) {
  auto m = OpenManager(Logs());
  ASSERT_TRUE(m);
  StreamConfig c = Config();
  c.buffer_interval_s = 1;
  ASSERT_TRUE(m->Create(c).ok());
  const std::string before = PutRecordId(*m, "s", "before\n");
  ASSERT_EQ(before.size(), 32u);
  ASSERT_TRUE(m->Flush("s").ok());
  ASSERT_NO_FATAL_FAILURE(MakeJetStreamStreamAgain("s", {"other\n"}));
  ASSERT_TRUE(WaitForLines(2, 8000));  // the other server's record, pulled and delivered here
  const std::string after = PutRecordId(*m, "s", "after\n");
  ASSERT_EQ(after.size(), 32u);
  EXPECT_NE(after.substr(0, 16), before.substr(0, 16)) << before << " then " << after;
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Lines(), (std::multiset<std::string>{"before", "other", "after"}));
  // Every record's id is its own: the first message of the new stream is not taken for
  // the first of the old one.
  std::set<std::string> ids;
  size_t records = 0;
  for (const auto& [key, o] : lake_.Get("iot-data")->Objects()) {
    const std::string& first = o.options.metadata.at("first-record-id");
    const std::string& last = o.options.metadata.at("last-record-id");
    EXPECT_EQ(first.substr(0, 16), last.substr(0, 16)) << key << ": one epoch an object";
    records += std::stoul(o.options.metadata.at("record-count"));
    ids.insert(first);
    ids.insert(last);
    bool old = o.data.find("before") != std::string::npos;
    EXPECT_EQ(first.substr(0, 16) == before.substr(0, 16), old) << key << ": " << first;
  }
  EXPECT_EQ(records, 3u);
  EXPECT_EQ(ids.size(), 3u) << "an id given twice";
  EXPECT_TRUE(ids.count(before));
  EXPECT_TRUE(ids.count(after));
}

TEST_F(JetStreamLogTest, RecordsAVanishedReaderPulledAreDeliveredAfterTheAckWait) {
  // Another server made the stream, took 100 records and was killed before answering.
  auto conn = Client();
  ASSERT_TRUE(conn);
  nats::JetStream js(conn.get());
  nats::StreamSettings settings;
  settings.name = JetStreamName("s");
  settings.subjects = {JetStreamSubject("s")};
  ASSERT_TRUE(js.EnsureStream(settings).ok());
  nats::ConsumerSettings consumer;
  consumer.durable = "deliver";
  consumer.ack_wait_ms = 1000;
  ASSERT_TRUE(js.EnsureConsumer(settings.name, consumer).ok());
  for (int i = 0; i < 100; ++i) {
    std::promise<Status> acked;
    nats::Headers headers{{"Tributary-Arrival-Ms", "1796047331500"}};
    js.Publish(JetStreamSubject("s"), fmt::format("r-{}\n", i), &headers, 2000,
               [&](const Status& st, uint64_t) { acked.set_value(st); });
    ASSERT_TRUE(acked.get_future().get().ok());
  }
  std::atomic<int> taken{0};
  std::promise<void> pulled;
  js.Fetch(
      settings.name, "deliver", 1000, 300, [&](nats::Delivered&) { ++taken; },
      [&](const Status&) { pulled.set_value(); });
  pulled.get_future().wait();
  ASSERT_EQ(taken.load(), 100);

  auto m = OpenManager(Logs("?ack_wait_s=1"));
  ASSERT_TRUE(m);
  StreamConfig c = Config();
  c.buffer_interval_s = 1;
  ASSERT_TRUE(m->Create(c).ok());
  ASSERT_TRUE(WaitForLines(100, 8000));
  EXPECT_EQ(Lines(), Expected("r", 100));
  auto objects = lake_.Get("iot-data")->Objects();
  ASSERT_FALSE(objects.empty());
  // Dated by the arrival time the publisher gave, not by when they were pulled.
  EXPECT_EQ(objects.begin()->first.rfind("2026/11/30/14/", 0), 0u) << objects.begin()->first;
}

TEST_F(JetStreamLogTest, RecordsAreRefusedWhileJetStreamIsDownAndAcceptedAfter) {
  auto m = OpenManager(Logs());
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Create(Config()).ok());
  ASSERT_EQ(PutMany(*m, "s", "up", 10), 10);
  nats_.Kill();
  std::promise<Status> refused;
  m->Put("s", "down\n", [&](const Status& s, uint64_t) { refused.set_value(s); });
  Status s = refused.get_future().get();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("stream 's'"), std::string::npos) << s.message();
  ASSERT_TRUE(nats_.Start().ok());
  // The connection comes back by itself; the device sends again until it is accepted.
  bool accepted = false;
  for (int i = 0; i < 100 && !accepted; ++i) {
    accepted = PutAndWait(m.get(), "s", "after\n").ok();
    if (!accepted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(accepted);
  ASSERT_TRUE(m->Flush("s").ok());
  // Every acknowledged record, once or more: a NATS server killed outright may forget
  // that records it had handed out were acknowledged, and hand them out again.
  std::multiset<std::string> got = Lines();
  std::set<std::string> want;
  for (const auto& l : Expected("up", 10)) want.insert(l);
  want.insert("after");
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), want);
}

// NATS restarted without its store: the JetStream stream is gone under the running server,
// which makes it again by itself (a new epoch) and takes and delivers records again,
// without a restart of its own.
TEST_F(JetStreamLogTest, AJetStreamStreamLostUnderARunningServerIsMadeAgain) {
  auto m = OpenManager(Logs());
  ASSERT_TRUE(m);
  StreamConfig c = Config();
  c.buffer_interval_s = 1;
  ASSERT_TRUE(m->Create(c).ok());
  const std::string before = PutRecordId(*m, "s", "before\n");
  ASSERT_TRUE(m->Flush("s").ok());
  nats_.Kill();
  std::filesystem::remove_all(nats_.store_dir());
  ASSERT_TRUE(nats_.Start().ok());
  // Refused until the stream is back; the device sends again, as devices do.
  const std::string after = PutUntilAccepted(*m, "s", "after\n");
  ASSERT_FALSE(after.empty()) << "records refused for 10 s after NATS came back";
  ASSERT_TRUE(JetStreamState("s").ok()) << "the JetStream stream is back";
  EXPECT_NE(after.substr(0, 16), before.substr(0, 16)) << "a new stream, a new epoch";
  ASSERT_TRUE(m->Flush("s").ok());  // pulled and delivered from the new stream
  EXPECT_EQ(Lines(), (std::multiset<std::string>{"before", "after"}));
  EXPECT_EQ(JetStreamState("s")->messages, 0u);
}

// The JetStream stream deleted by hand (`nats stream rm`) under a running delivery stream
// that is still in the streams table: made again, with its consumer, and the records put
// from then on are accepted and delivered.
TEST_F(JetStreamLogTest, AJetStreamStreamDeletedUnderARunningStreamIsMadeAgain) {
  auto m = OpenManager(Logs());
  ASSERT_TRUE(m);
  StreamConfig c = Config();
  c.buffer_interval_s = 1;
  ASSERT_TRUE(m->Create(c).ok());
  const std::string before = PutRecordId(*m, "s", "before\n");
  ASSERT_TRUE(m->Flush("s").ok());
  ASSERT_NO_FATAL_FAILURE(DeleteJetStreamStream("s"));
  const std::string after = PutUntilAccepted(*m, "s", "after\n");
  ASSERT_FALSE(after.empty()) << "records refused for 10 s after the JetStream stream went";
  ASSERT_EQ(PutMany(*m, "s", "then", 50), 50);
  ASSERT_TRUE(JetStreamState("s").ok()) << "the JetStream stream is back";
  EXPECT_NE(after.substr(0, 16), before.substr(0, 16)) << "a new stream, a new epoch";
  ASSERT_TRUE(m->Flush("s").ok());  // pulled and delivered from the new stream
  std::multiset<std::string> want = Expected("then", 50);
  want.insert("before");
  want.insert("after");
  EXPECT_EQ(Lines(), want);
  auto state = JetStreamState("s");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->messages, 0u) << "all of them acknowledged";
  EXPECT_EQ(m->Describe("s")->status, "active");
}

// A Flush before the JetStream stream was made again readies the records it covered, not
// the new stream's, whose numbers start again from 1: those wait for their buffer's
// interval or size, as any others, instead of going out one small object each.
TEST_F(JetStreamLogTest, AFlushOfTheOldJetStreamStreamDoesNotHurryTheNewOnesRecords) {
  auto m = OpenManager(Logs());
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Create(Config()).ok());  // 900 s interval
  ASSERT_EQ(PutMany(*m, "s", "old", 39), 39);
  const std::string old_id = PutRecordId(*m, "s", "old-39\n");
  ASSERT_TRUE(m->Flush("s").ok());
  ASSERT_EQ(Lines(), Expected("old", 40));
  ASSERT_NO_FATAL_FAILURE(DeleteJetStreamStream("s"));
  std::multiset<std::string> want = Expected("old", 40);
  ASSERT_FALSE(PutUntilAccepted(*m, "s", "new-first\n").empty());
  want.insert("new-first");
  // Until this server has seen the stream made again (its ids of the new epoch): a Flush
  // only waits for what this server knows it appended to the new stream.
  for (int i = 0;; ++i) {
    const std::string id = PutRecordId(*m, "s", fmt::format("probe-{}\n", i));
    want.insert(fmt::format("probe-{}", i));
    if (id.substr(0, 16) != old_id.substr(0, 16)) break;
    ASSERT_LT(i, 100) << "the new epoch was not seen in 5 s";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(PutMany(*m, "s", "new", 5), 5);
  for (const std::string& line : Expected("new", 5)) want.insert(line);
  ASSERT_TRUE(WaitUntilBuffered(*m, "s", 10 + 8 + 5 * 6));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Lines().size(), 40u) << "the new stream's records went out before their interval";
  EXPECT_GE(m->Describe("s")->stats.buffered_bytes, 10u + 8 + 5 * 6);
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Lines(), want);
}

// Another server deleted the delivery stream (its row left the table, then the JetStream
// stream went), or deleted it and created it again (a row of another epoch), and this
// server has not yet followed the table (SQLite announces nothing, so here it never
// does): the JetStream stream is not made again for the old stream, and records are
// refused rather than kept where nobody delivers them.
TEST_F(JetStreamLogTest, AJetStreamStreamIsNotMadeAgainForAStreamThatLeftTheTable) {
  auto m = OpenManager(Logs());
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Create(Config("deleted")).ok());
  ASSERT_TRUE(m->Create(Config("replaced")).ok());
  ASSERT_TRUE(db_->Exec("DELETE FROM streams WHERE name='deleted'").ok());
  ASSERT_TRUE(db_->Exec("UPDATE streams SET epoch='0123456789abcdef' WHERE name='replaced'").ok());
  ASSERT_NO_FATAL_FAILURE(DeleteJetStreamStream("deleted"));
  ASSERT_NO_FATAL_FAILURE(DeleteJetStreamStream("replaced"));
  // Long past the second a lost stream waits before it is made again, and a pull of a
  // consumer that is gone (fetch_wait_ms and a second) after that.
  std::this_thread::sleep_for(std::chrono::milliseconds(4000));
  for (const std::string name : {"deleted", "replaced"}) {
    auto state = JetStreamState(name);
    EXPECT_EQ(state.status().code(), ErrorCode::kNotFound)
        << name << ": made again: " << (state.ok() ? state->created : state.status().ToString());
    EXPECT_FALSE(PutAndWait(m.get(), name, "refused\n").ok()) << name;
  }
}

// NATS down under a running stream: the publishes, pulls and acknowledgements that fail
// are counted, in Describe and in /metrics, and the link's reconnect is too.
TEST_F(JetStreamLogTest, FailuresToTalkToJetStreamAreCounted) {
  MetricsRegistry registry;
  auto logs = Logs();
  ASSERT_TRUE(logs);
  auto m = OpenManager(logs, nullptr, /*stop_timeout_ms=*/3000, &registry);
  ASSERT_TRUE(m);
  StreamConfig c = Config();
  c.buffer_interval_s = 1;
  ASSERT_TRUE(m->Create(c).ok());
  auto stats = [&] { return m->Describe("s")->stats; };
  auto wait_for = [](const std::function<bool()>& cond) {
    for (int i = 0; i < 200 && !cond(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return cond();
  };
  EXPECT_EQ(stats().jetstream_publish_failures, 0u);
  EXPECT_NE(
      registry.Render().find("tributary_stream_jetstream_pull_failures_total{stream=\"s\"} 0\n"),
      std::string::npos);
  // Records pulled and held while the lake refuses them.
  lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
  ASSERT_EQ(PutMany(*m, "s", "held", 5), 5);
  ASSERT_TRUE(wait_for([&] { return stats().buffered_bytes > 0; }));
  const uint64_t reconnects = logs->link().reconnects;

  nats_.Kill();
  std::promise<Status> refused;
  m->Put("s", "down\n", [&](const Status& st, uint64_t) { refused.set_value(st); });
  EXPECT_FALSE(refused.get_future().get().ok());
  EXPECT_EQ(stats().jetstream_publish_failures, 1u);
  ASSERT_TRUE(wait_for([&] { return stats().jetstream_pull_failures > 0; }));
  // The lake takes them now, and their +ACKs cannot be sent.
  lake_.Get("iot-data")->FailPutsWhere(nullptr);
  ASSERT_TRUE(wait_for([&] { return stats().jetstream_ack_failures > 0; }))
      << stats().jetstream_ack_failures;
  const std::string text = registry.Render();
  EXPECT_NE(text.find("tributary_stream_jetstream_publish_failures_total{stream=\"s\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("tributary_stream_jetstream_ack_failures_total{stream=\"s\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tributary_stream_jetstream_ack_failures_total{stream=\"s\"}"),
            std::string::npos);

  ASSERT_TRUE(nats_.Start().ok());
  ASSERT_TRUE(wait_for([&] { return logs->link().connected; }));
  EXPECT_EQ(logs->link().reconnects, reconnects + 1);
  EXPECT_FALSE(PutUntilAccepted(*m, "s", "after\n").empty());
}

// A stream on a local WAL has no JetStream counters in /metrics.
TEST(JetStreamMetrics, OnlyStreamsOnJetStreamHaveThem) {
  MetricsRegistry registry;
  StreamMetrics wal(&registry, "w");
  StreamMetrics js(&registry, "j", /*jetstream=*/true);
  const std::string text = registry.Render();
  EXPECT_EQ(text.find("jetstream_publish_failures_total{stream=\"w\"}"), std::string::npos);
  EXPECT_NE(text.find("tributary_stream_jetstream_publish_failures_total{stream=\"j\"} 0\n"),
            std::string::npos)
      << text;
}

TEST_F(JetStreamLogTest, AFullJetStreamStreamRefusesRecordsUntilDeliveryCatchesUp) {
  // 4 KB per JetStream stream; the lake refuses, so nothing is delivered meanwhile.
  lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
  auto m = OpenManager(Logs("?ack_wait_s=2&max_bytes=4096"), nullptr, /*stop_timeout_ms=*/3000);
  ASSERT_TRUE(m);
  StreamConfig c = Config();
  c.buffer_interval_s = 1;
  ASSERT_TRUE(m->Create(c).ok());
  Status refused;
  int accepted = 0;
  for (int i = 0; i < 200 && refused.ok(); ++i) {
    refused = PutAndWait(
        m.get(), "s", fmt::format("{{\"record\":{},\"pad\":\"{}\"}}\n", i, std::string(60, 'x')));
    if (refused.ok()) ++accepted;
  }
  ASSERT_FALSE(refused.ok()) << "200 records of 80 bytes went into 4 KB";
  EXPECT_EQ(refused.code(), ErrorCode::kResourceExhausted) << refused.ToString();
  EXPECT_NE(refused.message().find("stream 's'"), std::string::npos) << refused.message();
  EXPECT_GT(accepted, 10);
  // The lake comes back: what was accepted is delivered and room is made.
  lake_.Get("iot-data")->FailPutsWhere(nullptr);
  ASSERT_TRUE(WaitForLines(static_cast<size_t>(accepted), 10'000));
  bool again = false;
  for (int i = 0; i < 100 && !again; ++i) {
    again = PutAndWait(m.get(), "s", "{\"after\":true}\n").ok();
    if (!again) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(again);
}

// A JetStream cluster of three with the streams replicated on all: the server the log's
// connection is on dies, the connection moves to another member (learned from INFO), and
// every record acknowledged before and after reaches the lake.
TEST_F(JetStreamLogTest, OnAClusterRecordsOutliveTheServerInUse) {
  nats::testing::NatsCluster cluster;
  Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto logs = JetStreamLogs::Connect(cluster.at(0).url() + "?replicas=3&ack_wait_s=2");
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  auto m = OpenManager(*logs);
  ASSERT_TRUE(m);
  StreamConfig c = Config();
  c.buffer_interval_s = 1;
  // Until the members have elected a metadata leader, JetStream does not answer.
  Status created = Unavailable("not tried");
  for (int i = 0; i < 150 && !created.ok(); ++i) {
    created = m->Create(c);
    if (!created.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(created.ok()) << created.ToString() << "\n" << cluster.LogTails();

  // Each record sent until it is acknowledged, as a device does.
  std::set<std::string> acknowledged;
  auto put = [&](const std::string& line) {
    for (int i = 0; i < 300; ++i) {
      if (PutAndWait(m.get(), "s", line + "\n").ok()) {
        acknowledged.insert(line);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(put(fmt::format("before-{}", i)));
  cluster.at(0).Kill();
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(put(fmt::format("after-{}", i))) << "record " << i << "\n" << cluster.LogTails();
  }
  ASSERT_TRUE(WaitForLines(acknowledged.size(), 30'000))
      << Lines().size() << " of " << acknowledged.size() << " lines in the lake";
  std::multiset<std::string> got = Lines();
  for (const std::string& line : acknowledged) {
    EXPECT_TRUE(got.count(line)) << line << " is not in the lake";
  }
}

TEST_F(JetStreamLogTest, AnOperatorModeServerTakesACredsFile) {
  TempDir keys;
  nats::testing::OperatorMode op(keys.path());
  nats::testing::NatsServer secured({.config_file = op.ConfigFile()});
  ASSERT_TRUE(secured.Start().ok());
  std::string creds = op.UserCreds("tributary");

  auto logs = JetStreamLogs::Connect(secured.url() + "?ack_wait_s=2&creds=" + creds);
  ASSERT_TRUE(logs.ok()) << logs.status().ToString() << "\n" << secured.LogTail();
  auto m = OpenManager(*logs);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Create(Config()).ok());
  ASSERT_EQ(PutMany(*m, "s", "c", 300), 300);
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Lines(), Expected("c", 300));

  // Without credentials, or with a file that holds none, the server is not reached.
  auto anonymous = JetStreamLogs::Connect(secured.url());
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.status().code(), ErrorCode::kUnauthenticated)
      << anonymous.status().ToString();
  std::string empty = op.Write("empty.creds", "");
  auto unreadable = JetStreamLogs::Connect(secured.url() + "?creds=" + empty);
  ASSERT_FALSE(unreadable.ok());
  EXPECT_EQ(unreadable.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(unreadable.status().message().find(empty), std::string::npos)
      << unreadable.status().message();
  auto both = JetStreamLogs::Connect(secured.url() + "?creds=" + creds + "&nkey_seed=" + creds);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("not both"), std::string::npos) << both.status().message();
}

TEST_F(JetStreamLogTest, DeleteRemovesTheJetStreamStream) {
  auto m = OpenManager(Logs());
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Create(Config("gone")).ok());
  ASSERT_EQ(PutMany(*m, "gone", "r", 5), 5);
  ASSERT_TRUE(m->Delete("gone").ok());
  EXPECT_EQ(Lines(), Expected("r", 5));  // delivered first
  auto state = JetStreamState("gone");
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), ErrorCode::kNotFound);
}

// Two servers share a JetStream stream: records one of them took in and gave back to
// JetStream (it stopped while its lake was down) are delivered by the server that
// deletes the stream before the JetStream stream goes, not deleted with it.
TEST_F(JetStreamLogTest, ADeleteDeliversWhatAnotherServerTookInFirst) {
  auto other_db = metadata::testing::OpenTestDatabase(other_dir_.path() + "/metadata.db");
  ASSERT_TRUE(other_db.ok()) << other_db.status().ToString();
  other_db_ = std::move(other_db).value();
  auto b = OpenManager(Logs());
  auto c = OpenManager(Logs(), other_db_.get(), /*stop_timeout_ms=*/500);
  ASSERT_TRUE(b && c);
  ASSERT_TRUE(b->Create(Config("j1")).ok());
  ASSERT_TRUE(c->Create(Config("j1")).ok());
  auto bucket = lake_.Get("iot-data");
  bucket->FailPutsWhere([](const std::string&) { return true; });
  ASSERT_EQ(PutMany(*c, "j1", "c", 200), 200);
  c.reset();  // gives back what it pulled
  bucket->FailPutsWhere(nullptr);
  Status deleted = b->Delete("j1");
  ASSERT_TRUE(deleted.ok()) << deleted.ToString();
  EXPECT_EQ(Lines(), Expected("c", 200));
  auto state = JetStreamState("j1");
  EXPECT_EQ(state.status().code(), ErrorCode::kNotFound);
}

// Records another server holds (pulled, buffered) and does not deliver in time: the delete
// fails saying so, the JetStream stream stays, and they are delivered later.
TEST_F(JetStreamLogTest, ADeleteThatCannotDrainTheSharedLogRemovesNothing) {
  auto other_db = metadata::testing::OpenTestDatabase(other_dir_.path() + "/metadata.db");
  ASSERT_TRUE(other_db.ok()) << other_db.status().ToString();
  other_db_ = std::move(other_db).value();
  auto c = OpenManager(Logs(), other_db_.get());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Create(Config("j2")).ok());
  ASSERT_EQ(PutMany(*c, "j2", "c", 50), 50);
  ASSERT_TRUE(WaitUntilBuffered(*c, "j2", 10 * 4 + 40 * 5));
  auto b = OpenManager(Logs(), nullptr, /*stop_timeout_ms=*/1000);
  ASSERT_TRUE(b);
  ASSERT_TRUE(b->Create(Config("j2")).ok());
  Status deleted = b->Delete("j2");
  EXPECT_EQ(deleted.code(), ErrorCode::kUnavailable) << deleted.ToString();
  EXPECT_NE(deleted.message().find("still in its shared log"), std::string::npos)
      << deleted.ToString();
  ASSERT_TRUE(JetStreamState("j2").ok()) << "the JetStream stream stays";
  EXPECT_EQ(b->Describe("j2")->status, "active");
  ASSERT_EQ(PutMany(*b, "j2", "b", 5), 5) << "and takes records again";
  ASSERT_TRUE(c->Flush("j2").ok());
  EXPECT_TRUE(WaitForLines(50, 5000));
}

// Server A deletes a delivery stream whose JetStream stream is lost, and its buffered
// records wait for the lake, so the delete takes seconds. Server B, which runs the stream
// too and finds the JetStream stream gone, must not make it again meanwhile: records it
// took into it would be removed with it. The delete holds it closed and empty (CloseIntake
// on a lost stream), which B's restore finds and leaves alone.
TEST_F(JetStreamLogTest, ADeleteHoldsALostJetStreamStreamClosedUntilItIsDone) {
  auto a = OpenManager(Logs("?ack_wait_s=60"), nullptr, /*stop_timeout_ms=*/20'000);
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->Create(Config("s")).ok());
  auto bucket = lake_.Get("iot-data");
  bucket->FailPutsWhere([](const std::string&) { return true; });
  ASSERT_EQ(PutMany(*a, "s", "a", 20), 20);
  const uint64_t all = 10 * 4 + 10 * 5;  // "a-0\n" .. "a-19\n", pulled and buffered by A
  ASSERT_TRUE(WaitUntilBuffered(*a, "s", all));
  ASSERT_EQ(a->Describe("s")->stats.buffered_bytes, all);
  auto b = OpenManager(Logs("?ack_wait_s=60"));  // another server on the same table
  ASSERT_TRUE(b);
  ASSERT_NO_FATAL_FAILURE(DeleteJetStreamStream("s"));
  auto deleted = std::async(std::launch::async, [&] { return a->Delete("s"); });
  // For 4 s (B gives up on a lost stream after 1 s) B is asked to take records.
  std::vector<std::string> accepted;
  for (int i = 0; i < 40; ++i) {
    std::promise<std::pair<Status, std::string>> p;
    b->PutRecord("s", fmt::format("b-{}\n", i), [&](const Status& st, const std::string& id) {
      p.set_value({st, id});
    });
    auto [st, id] = p.get_future().get();
    if (st.ok()) accepted.push_back(id);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(deleted.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the delete did not wait for the lake: " << deleted.get().ToString();
  bucket->FailPutsWhere(nullptr);
  Status st = deleted.get();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(accepted.empty()) << accepted.size()
                                << " records acknowledged into a JetStream stream that the "
                                   "delete then removed, first "
                                << accepted.front();
  EXPECT_EQ(Lines(), Expected("a", 20));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // past B's restore wait
  EXPECT_EQ(JetStreamState("s").status().code(), ErrorCode::kNotFound) << "made again";
}

// The same delete failing (the lake down past the stop timeout): it ends within its stop
// timeout, though the JetStream stream it held closed is seen as made again meanwhile (a
// new epoch: the records pulled before are still waited for), and it opens that stream to
// records again.
TEST_F(JetStreamLogTest, ADeleteThatFailsOpensTheLostJetStreamStreamItHeldClosedAgain) {
  auto a = OpenManager(Logs("?ack_wait_s=60"), nullptr, /*stop_timeout_ms=*/3000);
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->Create(Config("s")).ok());
  auto bucket = lake_.Get("iot-data");
  bucket->FailPutsWhere([](const std::string&) { return true; });
  ASSERT_EQ(PutMany(*a, "s", "a", 20), 20);
  ASSERT_TRUE(WaitUntilBuffered(*a, "s", 10 * 4 + 10 * 5));
  ASSERT_NO_FATAL_FAILURE(DeleteJetStreamStream("s"));
  auto deleted = std::async(std::launch::async, [&] { return a->Delete("s"); });
  const bool ended = deleted.wait_for(std::chrono::seconds(15)) == std::future_status::ready;
  if (!ended) bucket->FailPutsWhere(nullptr);  // so that it ends, and the test with it
  ASSERT_TRUE(ended) << "the delete did not end within its stop timeout, the lake down";
  Status st = deleted.get();
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable) << st.ToString();
  EXPECT_NE(st.message().find("not deleted"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("it takes records again"), std::string::npos) << st.ToString();
  EXPECT_EQ(a->Describe("s")->status, "active");
  bucket->FailPutsWhere(nullptr);
  const std::string after = PutUntilAccepted(*a, "s", "after\n");
  EXPECT_FALSE(after.empty()) << "records refused for 10 s after the failed delete";
  auto state = JetStreamState("s");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  Status flushed = a->Flush("s");
  ASSERT_TRUE(flushed.ok()) << flushed.ToString();
  // The records pulled from the lost stream go under its epoch, at once, not waited for.
  EXPECT_TRUE(WaitForLines(21, 5000));
  std::multiset<std::string> want = Expected("a", 20);
  want.insert("after");
  EXPECT_EQ(Lines(), want);
}

}  // namespace
}  // namespace tributary::streams
