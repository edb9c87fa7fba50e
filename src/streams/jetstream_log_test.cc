// Delivery streams whose records are kept in NATS JetStream (jetstream_log.h), against a
// real nats-server that each test starts on a free loopback port.
#include "streams/jetstream_log.h"

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
#include "streams/stream_manager.h"
#include "streams/stream_metrics.h"
#include "streams/testing/memory_object_store.h"

namespace tributary::streams {
namespace {

using testing::MemoryObjectStores;
using testing::StoredObject;
using testing_support::TempDir;

TEST(JetStreamNames, EncodeWhatJetStreamRefuses) {
  EXPECT_EQ(JetStreamName("pollution"), "TRIBUTARY_pollution");
  EXPECT_EQ(JetStreamName("a.b_c-d"), "TRIBUTARY_a_2Eb__c-d");
  EXPECT_EQ(JetStreamSubject("a.b_c-d"), "tributary.records.a_2Eb__c-d");
  // Injective: '_' is doubled, so "a_2Eb" cannot meet "a.b".
  EXPECT_NE(JetStreamName("a_2Eb"), JetStreamName("a.b"));
}

TEST(JetStreamDeliveredThrough, OnlyGrowsForOneStreamAndStartsOverForANewOne) {
  auto state = [](uint64_t first, uint64_t last, uint64_t messages, std::string created) {
    nats::StreamState s;
    s.first_seq = first;
    s.last_seq = last;
    s.messages = messages;
    s.created = std::move(created);
    return s;
  };
  const std::string made = "2026-12-04T19:09:06.9Z";
  std::string created;
  // Messages 3..5 left: 1 and 2 are delivered, every record of them.
  uint64_t through = JetStreamDeliveredThrough(0, &created, state(3, 5, 3, made));
  EXPECT_EQ(through, JetStreamLastRecordSeq(2));
  EXPECT_EQ(created, made);
  // None left: all of them.
  through = JetStreamDeliveredThrough(through, &created, state(6, 5, 0, made));
  EXPECT_EQ(through, JetStreamLastRecordSeq(5));
  // A report asked for before that one and answered after it does not take it back.
  through = JetStreamDeliveredThrough(through, &created, state(2, 5, 4, made));
  EXPECT_EQ(through, JetStreamLastRecordSeq(5));
  // The stream made again (by another server) starts over.
  through = JetStreamDeliveredThrough(through, &created, state(1, 1, 1, "2026-12-04T19:10:00Z"));
  EXPECT_EQ(through, 0u);
  EXPECT_EQ(created, "2026-12-04T19:10:00Z");
}

TEST(JetStreamLogsConnect, RefusesBadUrlsAndAnAbsentServer) {
  auto bad = JetStreamLogs::Connect("nats://127.0.0.1:4222?replicas=7");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("replicas='7'"), std::string::npos)
      << bad.status().message();
  auto unknown = JetStreamLogs::Connect("nats://127.0.0.1:4222?replica=3");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("'replica' is unknown"), std::string::npos);
  // Port 1 is never a NATS server here.
  auto absent = JetStreamLogs::Connect("nats://127.0.0.1:1");
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.status().code(), ErrorCode::kUnavailable);
}

class JetStreamLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(nats_.Start().ok());
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }

  std::shared_ptr<JetStreamLogs> Logs(const std::string& params = "?ack_wait_s=2") {
    auto logs = JetStreamLogs::Connect(nats_.url() + params);
    EXPECT_TRUE(logs.ok()) << logs.status().ToString();
    return logs.ok() ? *logs : nullptr;
  }

  // A manager (a server, as far as the streams go) on its own metadata database.
  std::unique_ptr<StreamManager> OpenManager(std::shared_ptr<JetStreamLogs> logs,
                                             metadata::Database* db = nullptr,
                                             int64_t stop_timeout_ms = 10'000,
                                             MetricsRegistry* metrics = nullptr) {
    StreamManagerOptions o;
    o.wal_dir = dir_.path() + "/wal";
    o.db = db ? db : db_.get();
    o.lake = &lake_;
    o.logs = std::move(logs);
    o.retry_initial_backoff_ms = 5;
    o.retry_max_backoff_ms = 20;
    o.stop_timeout_ms = stop_timeout_ms;
    o.metrics = metrics;
    auto m = StreamManager::Open(std::move(o));
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : nullptr;
  }

  static StreamConfig Config(const std::string& name = "s") {
    StreamConfig c;
    c.name = name;
    c.bucket = "iot-data";
    c.buffer_interval_s = 900;
    return c;
  }

  // Puts `n` records "<tag>-<i>\n" and waits for every answer; returns how many were OK.
  static int PutMany(StreamManager& m, const std::string& stream, const std::string& tag,
                     int n) {
    std::atomic<int> ok{0};
    std::atomic<int> answered{0};
    std::promise<void> all;
    for (int i = 0; i < n; ++i) {
      m.Put(stream, fmt::format("{}-{}\n", tag, i), [&](const Status& s, uint64_t seq) {
        if (s.ok() && seq > 0) ++ok;
        if (++answered == n) all.set_value();
      });
    }
    all.get_future().wait();
    return ok.load();
  }

  // Every line of every object in the bucket.
  std::multiset<std::string> Lines() {
    std::multiset<std::string> lines;
    for (const auto& [key, o] : lake_.Get("iot-data")->Objects()) {
      std::string_view rest = o.data;
      while (!rest.empty()) {
        size_t nl = rest.find('\n');
        lines.insert(std::string(rest.substr(0, nl)));
        rest = nl == std::string_view::npos ? "" : rest.substr(nl + 1);
      }
    }
    return lines;
  }

  static std::multiset<std::string> Expected(const std::string& tag, int n) {
    std::multiset<std::string> out;
    for (int i = 0; i < n; ++i) out.insert(fmt::format("{}-{}", tag, i));
    return out;
  }

  std::unique_ptr<nats::Connection> Client() {
    auto conn = nats::Connection::Connect(nats_.options());
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    return conn.ok() ? std::move(conn).value() : nullptr;
  }

  // Waits (real time) until the bucket holds `n` lines.
  bool WaitForLines(size_t n, int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 20) {
      if (Lines().size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // PutRecord's answer: the record's id ("" if refused, the test failing).
  static std::string PutRecordId(StreamManager& m, const std::string& stream,
                                 const std::string& record) {
    std::promise<std::string> id;
    m.PutRecord(stream, record, [&](const Status& st, const std::string& record_id) {
      EXPECT_TRUE(st.ok()) << st.ToString();
      id.set_value(record_id);
    });
    return id.get_future().get();
  }

  // Puts `record` until the stream accepts it (as a device sends again), up to `tries`
  // times 100 ms apart; its id, or "" if it was refused every time.
  static std::string PutUntilAccepted(StreamManager& m, const std::string& stream,
                                      const std::string& record, int tries = 100) {
    for (int i = 0; i < tries; ++i) {
      std::promise<std::pair<Status, std::string>> p;
      m.PutRecord(stream, record, [&](const Status& st, const std::string& id) {
        p.set_value({st, id});
      });
      auto [st, id] = p.get_future().get();
      if (st.ok()) return id;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "";
  }

  // What another server does when it opens `stream` and finds no JetStream stream (NATS
  // lost its store, or it was deleted): the JetStream stream and its consumer made again,
  // here with `records` records published to it (one a message, as a lone put does).
  void MakeJetStreamStreamAgain(const std::string& stream,
                                const std::vector<std::string>& records) {
    auto conn = Client();
    ASSERT_TRUE(conn);
    nats::JetStream js(conn.get());
    ASSERT_TRUE(js.DeleteStream(JetStreamName(stream)).ok());
    nats::StreamSettings settings;
    settings.name = JetStreamName(stream);
    settings.subjects = {JetStreamSubject(stream)};
    ASSERT_TRUE(js.EnsureStream(settings).ok());
    nats::ConsumerSettings consumer;
    consumer.durable = "deliver";
    consumer.ack_wait_ms = 2000;
    ASSERT_TRUE(js.EnsureConsumer(settings.name, consumer).ok());
    for (const std::string& record : records) {
      std::promise<Status> acked;
      nats::Headers headers{{"Tributary-Arrival-Ms", "1796047331500"}};
      js.Publish(JetStreamSubject(stream), record, &headers, 2000,
                 [&](const Status& st, uint64_t) { acked.set_value(st); });
      Status st = acked.get_future().get();
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
  }

  Result<nats::StreamState> JetStreamState(const std::string& stream) {
    auto conn = Client();
    if (!conn) return Unavailable("no client");
    nats::JetStream js(conn.get());
    return js.StreamInfo(JetStreamName(stream));
  }

  // Two servers on the same JetStream, each with its own metadata database, with stream
  // `c` defined on both.
  void OpenTwoServers(const StreamConfig& c, std::unique_ptr<StreamManager>* a,
                      std::unique_ptr<StreamManager>* b) {
    auto other_db = metadata::testing::OpenTestDatabase(other_dir_.path() + "/metadata.db");
    ASSERT_TRUE(other_db.ok()) << other_db.status().ToString();
    other_db_ = std::move(other_db).value();
    *a = OpenManager(Logs());
    *b = OpenManager(Logs(), other_db_.get());
    ASSERT_TRUE(*a && *b);
    ASSERT_TRUE((*a)->Create(c).ok());
    ASSERT_TRUE((*b)->Create(c).ok());
  }

  nats::testing::NatsServer nats_;
  TempDir dir_;
  TempDir other_dir_;
  std::unique_ptr<metadata::Database> other_db_;
  std::unique_ptr<metadata::Database> db_;
  MemoryObjectStores lake_;
};

TEST_F(JetStreamLogTest, RecordsGoThroughJetStreamIntoTheLake) {
  auto m = OpenManager(Logs());
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Create(Config()).ok());
  ASSERT_EQ(PutMany(*m, "s", "r", 2000), 2000);
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Lines(), Expected("r", 2000));
  // Each object says how many records it holds (the buffer Flush sealed, and those
  // pulled meanwhile).
  size_t counted = 0;
  for (const auto& [key, o] : lake_.Get("iot-data")->Objects()) {
    counted += std::stoul(o.options.metadata.at("record-count"));
  }
  EXPECT_EQ(counted, 2000u);
  // Delivered records are acknowledged: the work queue is empty.
  auto state = JetStreamState("s");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->messages, 0u);
  EXPECT_EQ(state->last_seq, 2000u);
  auto d = m->Describe("s");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->stats.records_in, 2000u);
  EXPECT_EQ(d->stats.records_delivered, 2000u);
  EXPECT_EQ(d->stats.buffered_bytes, 0u);
}

// The records handed over together (a broker read's, inside a CompletionBatch) go to
// JetStream as one message, numbered (message, index); the message is acknowledged once
// all of them are in the lake, and a batch given back is delivered again whole.
TEST_F(JetStreamLogTest, RecordsPutTogetherAreOneJetStreamMessage) {
  auto logs = Logs();
  constexpr int kRecords = 500;
  std::vector<uint64_t> seqs(kRecords, 0);
  std::atomic<int> answered{0};
  std::atomic<int> failed{0};
  auto put_batch = [&](StreamManager& m, const std::string& tag) {
    answered = 0;
    {
      CompletionBatch batch;
      for (int i = 0; i < kRecords; ++i) {
        m.Put("s", fmt::format("{}-{}\n", tag, i), [&, i](const Status& st, uint64_t seq) {
          if (!st.ok()) ++failed;
          seqs[i] = seq;
          ++answered;
        });
      }
    }
    for (int waited = 0; waited < 10'000 && answered < kRecords; waited += 5) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(answered.load(), kRecords);
    ASSERT_EQ(failed.load(), 0);
  };
  lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
  {
    auto m = OpenManager(logs, nullptr, /*stop_timeout_ms=*/500);
    ASSERT_TRUE(m);
    ASSERT_TRUE(m->Create(Config()).ok());
    ASSERT_NO_FATAL_FAILURE(put_batch(*m, "b"));
    auto state = JetStreamState("s");
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    EXPECT_EQ(state->last_seq, 1u) << "500 small records should take one JetStream message";
    for (int i = 0; i < kRecords; ++i) {
      ASSERT_EQ(seqs[i], JetStreamRecordSeq(1, i + 1)) << "record " << i;
    }
    // The lake refuses: stopping gives the message back (-NAK), whole.
  }
  lake_.Get("iot-data")->FailPutsWhere(nullptr);
  auto m = OpenManager(logs);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Lines(), Expected("b", kRecords));
  auto state = JetStreamState("s");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->messages, 0u);  // acknowledged once every record was in the lake
  // The objects name the records by (message, index).
  for (const auto& [key, o] : lake_.Get("iot-data")->Objects()) {
    EXPECT_EQ(o.options.metadata.at("first-record-id").substr(16),
              fmt::format("{:016x}", JetStreamRecordSeq(1, 1))) << key;
  }
  // Direct PUT's PutRecordBatch: one message too, each record its own id.
  std::vector<std::string> records;
  for (int i = 0; i < 50; ++i) records.push_back(fmt::format("direct-{}\n", i));
  auto results = m->PutRecordBatch("s", records);
  ASSERT_EQ(results.size(), 50u);
  std::set<std::string> ids;
  for (const auto& r : results) {
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    ids.insert(r.record_id);
  }
  EXPECT_EQ(ids.size(), 50u);
  state = JetStreamState("s");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->last_seq, 2u);
  EXPECT_EQ(results[49].record_id.substr(16), fmt::format("{:016x}", JetStreamRecordSeq(2, 50)));
}

// While JetStream has not answered the batches in the publish window, the records handed
// over meanwhile (by every read, of every connection) gather into one next message, in
// the order they came; it goes as soon as the window has room.
TEST_F(JetStreamLogTest, RecordsGatherIntoOneMessageWhileJetStreamAnswers) {
  auto logs = Logs();
  const int window = logs->options().publish_window;
  ASSERT_GE(window, 1);
  auto m = OpenManager(logs);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Create(Config()).ok());
  const int reads = window + 8;
  constexpr int kPerRead = 3;
  const int total = reads * kPerRead;
  std::vector<uint64_t> seqs(total, 0);
  std::atomic<int> answered{0};
  std::atomic<int> failed{0};
  nats_.Pause();  // nothing is answered: the window fills, the rest waits
  for (int r = 0; r < reads; ++r) {
    CompletionBatch batch;  // one broker read's records
    for (int i = 0; i < kPerRead; ++i) {
      const int n = r * kPerRead + i;
      m->Put("s", fmt::format("g-{}\n", n), [&, n](const Status& st, uint64_t seq) {
        if (!st.ok()) ++failed;
        seqs[n] = seq;
        ++answered;
      });
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(answered.load(), 0) << "acknowledged before JetStream answered";
  nats_.Resume();
  for (int waited = 0; waited < 10'000 && answered < total; waited += 5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(answered.load(), total);
  ASSERT_EQ(failed.load(), 0);
  // The window's reads a message each, then every later read in one message, in order.
  for (int n = 0; n < total; ++n) {
    const int r = n / kPerRead;
    const uint64_t want = r < window ? JetStreamRecordSeq(r + 1, n % kPerRead + 1)
                                     : JetStreamRecordSeq(window + 1, n - window * kPerRead + 1);
    ASSERT_EQ(seqs[n], want) << "record " << n;
  }
  auto state = JetStreamState("s");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->last_seq, uint64_t(window) + 1);
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Lines(), Expected("g", total));
}

// A backlog of large batches is pulled a few MiB at a time (JetStreamLogOptions::
// fetch_bytes), never all at once: a pull of 10,000 messages of a MiB each would be
// gigabytes, more than a NATS server lets a connection fall behind.
TEST_F(JetStreamLogTest, APullTakesNoMoreBytesThanItsLimit) {
  auto conn = nats::Connection::Connect(nats_.options());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  JetStreamLogOptions options;
  options.fetch_bytes = 4 << 20;
  auto logs = std::make_shared<JetStreamLogs>(options, std::move(conn).value());
  std::mutex mu;
  std::vector<uint64_t> pulls;  // the record bytes each on_durable call brought
  uint64_t pulled = 0;
  RecordLogHooks hooks;
  hooks.on_durable = [&](const std::vector<WalFrame>& frames) {
    uint64_t bytes = 0;
    for (const WalFrame& f : frames) bytes += f.data.size();
    std::lock_guard<std::mutex> lock(mu);
    pulls.push_back(bytes);
    pulled += bytes;
  };
  auto log = logs->Open("big", 0, hooks);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  // 12 messages of two 400 KB records each, in JetStream before anything pulls.
  const std::string record(400'000, 'b');
  const std::string two = record + record;
  constexpr int kMessages = 12;
  std::atomic<int> answered{0};
  std::atomic<int> failed{0};
  for (int i = 0; i < kMessages; ++i) {
    std::vector<LogEntry> entries;
    for (size_t at = 0; at < two.size(); at += record.size()) {
      entries.push_back({at, record.size(), 1, [&](const Status& st, uint64_t) {
                           if (!st.ok()) ++failed;
                           ++answered;
                         }});
    }
    (*log)->AppendAll(two, entries);
  }
  for (int waited = 0; waited < 10'000 && answered < 2 * kMessages; waited += 5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(answered.load(), 2 * kMessages);
  ASSERT_EQ(failed.load(), 0);
  (*log)->Start();
  const uint64_t total = uint64_t(2 * kMessages) * record.size();
  for (int waited = 0; waited < 10'000; waited += 10) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (pulled >= total) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(pulled, total);
  EXPECT_GE(pulls.size(), 3u) << "9.6 MB should take three pulls of at most 4 MiB";
  for (uint64_t bytes : pulls) EXPECT_LE(bytes, uint64_t(options.fetch_bytes));
}

// A batch larger than a NATS message may be is split across messages; a record larger
// than a batch may be goes alone.
TEST_F(JetStreamLogTest, ABatchLargerThanAMessageIsSplit) {
  auto m = OpenManager(Logs());
  ASSERT_TRUE(m);
  StreamConfig c = Config();
  c.buffer_size_mib = 8;
  ASSERT_TRUE(m->Create(c).ok());
  const std::string big(400 << 10, 'x');
  std::vector<Status> statuses(4);
  std::vector<uint64_t> seqs(4, 0);
  std::atomic<int> answered{0};
  {
    CompletionBatch batch;
    for (int i = 0; i < 4; ++i) {
      m->Put("s", fmt::format("{}-{}\n", i, big), [&, i](const Status& st, uint64_t seq) {
        statuses[i] = st;
        seqs[i] = seq;
        ++answered;
      });
    }
  }
  for (int waited = 0; waited < 10'000 && answered < 4; waited += 5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(answered.load(), 4);
  for (const Status& st : statuses) ASSERT_TRUE(st.ok()) << st.ToString();
  // 1 MiB messages: two records of 400 KiB each, then two more.
  EXPECT_EQ(seqs[0], JetStreamRecordSeq(1, 1));
  EXPECT_EQ(seqs[1], JetStreamRecordSeq(1, 2));
  EXPECT_EQ(seqs[2], JetStreamRecordSeq(2, 1));
  EXPECT_EQ(seqs[3], JetStreamRecordSeq(2, 2));
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Lines().size(), 4u);
  auto state = JetStreamState("s");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->last_seq, 2u);
  EXPECT_EQ(state->messages, 0u);
}

// A message that claims to be a batch and does not decode is dropped with an error, and
// does not hold back the records after it or a Flush.
TEST_F(JetStreamLogTest, AnUnreadableBatchIsDroppedAndTheRestDelivered) {
  auto m = OpenManager(Logs());
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Create(Config()).ok());
  auto conn = Client();
  ASSERT_TRUE(conn);
  nats::JetStream js(conn.get());
  std::promise<Status> acked;
  nats::Headers headers{{"Tributary-Records", "2"}};
  js.Publish(JetStreamSubject("s"), "not frames at all", &headers, 2000,
             [&](const Status& st, uint64_t) { acked.set_value(st); });
  ASSERT_TRUE(acked.get_future().get().ok());
  ASSERT_EQ(PutMany(*m, "s", "after", 20), 20);
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Lines(), Expected("after", 20));
  auto state = JetStreamState("s");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->messages, 0u);
}

TEST_F(JetStreamLogTest, UndeliveredRecordsWaitInJetStreamForTheNextStart) {
  auto logs = Logs();
  {
    auto m = OpenManager(logs);
    ASSERT_TRUE(m);
    ASSERT_TRUE(m->Create(Config()).ok());
    ASSERT_EQ(PutMany(*m, "s", "before", 500), 500);
  }
  // Stop delivered them.
  EXPECT_EQ(Lines(), Expected("before", 500));
  lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
  {
    auto m = OpenManager(logs, nullptr, /*stop_timeout_ms=*/500);
    ASSERT_TRUE(m);
    ASSERT_EQ(PutMany(*m, "s", "held", 300), 300);
    // The lake refuses: the records stay in JetStream, given back when this stops.
  }
  lake_.Get("iot-data")->FailPutsWhere(nullptr);
  auto state = JetStreamState("s");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->messages, 300u);
  auto m = OpenManager(logs);
  ASSERT_TRUE(m);
  // Given back with -NAK: pulled again at once, not after the ack wait.
  ASSERT_TRUE(m->Flush("s").ok());
  std::multiset<std::string> want = Expected("before", 500);
  for (const auto& l : Expected("held", 300)) want.insert(l);
  std::multiset<std::string> got = Lines();
  EXPECT_EQ(got.size(), want.size());
  for (const auto& l : want) {
    if (got.count(l) != 1) ADD_FAILURE() << l << " is in the lake " << got.count(l) << " times";
  }
}

TEST_F(JetStreamLogTest, TwoServersShareOneStreamsDelivery) {
  StreamConfig c = Config();
  c.buffer_interval_s = 1;
  std::unique_ptr<StreamManager> a, b;
  ASSERT_NO_FATAL_FAILURE(OpenTwoServers(c, &a, &b));
  std::thread ta([&] { EXPECT_EQ(PutMany(*a, "s", "a", 3000), 3000); });
  std::thread tb([&] { EXPECT_EQ(PutMany(*b, "s", "b", 3000), 3000); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a->Flush("s").ok());
  ASSERT_TRUE(b->Flush("s").ok());
  std::multiset<std::string> want = Expected("a", 3000);
  for (const auto& l : Expected("b", 3000)) want.insert(l);
  EXPECT_EQ(Lines(), want);  // each record once, whoever delivered it
}

// Record ids come from the JetStream stream, not from each server's own stream epoch: a
// record has one id whichever server took it in and whichever delivered it, so later
// stages can drop duplicates across servers.
TEST_F(JetStreamLogTest, RecordIdsAreTheSameWhicheverServerGivesThem) {
  StreamConfig c = Config();
  c.buffer_interval_s = 1;
  std::unique_ptr<StreamManager> a, b;
  ASSERT_NO_FATAL_FAILURE(OpenTwoServers(c, &a, &b));
  auto put = [](StreamManager& m, const std::string& record) {
    std::promise<std::string> id;
    m.PutRecord("s", record, [&](const Status& st, const std::string& record_id) {
      EXPECT_TRUE(st.ok()) << st.ToString();
      id.set_value(record_id);
    });
    return id.get_future().get();
  };
  std::string via_a = put(*a, "through a\n");
  std::string via_b = put(*b, "through b\n");
  ASSERT_EQ(via_a.size(), 32u);
  ASSERT_EQ(via_b.size(), 32u);
  EXPECT_EQ(via_a.substr(0, 16), via_b.substr(0, 16)) << via_a << " and " << via_b;
  EXPECT_NE(via_a.substr(16), via_b.substr(16));
  ASSERT_TRUE(a->Flush("s").ok());
  ASSERT_TRUE(b->Flush("s").ok());
  // The objects, whoever wrote them, name record ids of the same epoch.
  auto objects = lake_.Get("iot-data")->Objects();
  ASSERT_FALSE(objects.empty());
  for (const auto& [key, o] : objects) {
    EXPECT_EQ(o.options.metadata.at("first-record-id").substr(0, 16), via_a.substr(0, 16)) << key;
    EXPECT_EQ(o.options.metadata.at("last-record-id").substr(0, 16), via_a.substr(0, 16)) << key;
  }
  // A stream made again is another: its ids are new.
  ASSERT_TRUE(a->Delete("s").ok());
  ASSERT_TRUE(b->Delete("s").ok());
  ASSERT_TRUE(a->Create(c).ok());
  EXPECT_NE(put(*a, "again\n").substr(0, 16), via_a.substr(0, 16));
}

// The JetStream stream made again under a running server (another server found it gone
// and made it): its messages are numbered from 1 again, so the records taken from it get
// ids of a new epoch, those this server hands out and those in the objects alike, never an
// id an older record had.
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
  js.Fetch(settings.name, "deliver", 1000, 300, [&](nats::Delivered&) { ++taken; },
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
    std::promise<Status> p;
    m->Put("s", "after\n", [&](const Status& st, uint64_t) { p.set_value(st); });
    accepted = p.get_future().get().ok();
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
  {
    auto conn = Client();
    ASSERT_TRUE(conn);
    nats::JetStream js(conn.get());
    ASSERT_TRUE(js.DeleteStream(JetStreamName("s")).ok());
  }
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
  {
    auto conn = Client();
    ASSERT_TRUE(conn);
    nats::JetStream js(conn.get());
    ASSERT_TRUE(js.DeleteStream(JetStreamName("deleted")).ok());
    ASSERT_TRUE(js.DeleteStream(JetStreamName("replaced")).ok());
  }
  // Long past the second a lost stream waits before it is made again, and a pull of a
  // consumer that is gone (fetch_wait_ms and a second) after that.
  std::this_thread::sleep_for(std::chrono::milliseconds(4000));
  for (const std::string name : {"deleted", "replaced"}) {
    auto state = JetStreamState(name);
    EXPECT_EQ(state.status().code(), ErrorCode::kNotFound)
        << name << ": made again: " << (state.ok() ? state->created : state.status().ToString());
    std::promise<Status> p;
    m->Put(name, "refused\n", [&](const Status& st, uint64_t) { p.set_value(st); });
    EXPECT_FALSE(p.get_future().get().ok()) << name;
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
    std::promise<Status> p;
    m->Put("s", fmt::format("{{\"record\":{},\"pad\":\"{}\"}}\n", i, std::string(60, 'x')),
           [&](const Status& st, uint64_t) { p.set_value(st); });
    refused = p.get_future().get();
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
    std::promise<Status> p;
    m->Put("s", "{\"after\":true}\n", [&](const Status& st, uint64_t) { p.set_value(st); });
    again = p.get_future().get().ok();
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
      std::promise<Status> p;
      m->Put("s", line + "\n", [&](const Status& st, uint64_t) { p.set_value(st); });
      if (p.get_future().get().ok()) {
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
  EXPECT_NE(both.status().message().find("not both"), std::string::npos)
      << both.status().message();
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
  for (int i = 0; i < 200 && c->Describe("j2")->stats.buffered_bytes < 10 * 4 + 40 * 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
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

}  // namespace
}  // namespace tributary::streams
