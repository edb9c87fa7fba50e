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
#include "streams/testing/jetstream_fixture.h"
#include "streams/testing/memory_object_store.h"

namespace tributary::streams {
namespace {

using testing::JetStreamLogTest;
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
  ASSERT_TRUE((*log)->Start().ok());
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

// Records put together (PutAll: a rule's batchMode elements) go in one JetStream message,
// which JetStream takes or refuses whole: when the batch filling has no room for all of
// them, it goes first, rather than take some of them.
TEST_F(JetStreamLogTest, RecordsPutTogetherShareOneMessage) {
  auto m = OpenManager(Logs());
  ASSERT_TRUE(m);
  StreamConfig c = Config();
  c.buffer_size_mib = 8;
  ASSERT_TRUE(m->Create(c).ok());
  const std::string big(400 << 10, 'x');
  Status alone_status, together_status;
  uint64_t alone_seq = 0, together_seq = 0;
  std::atomic<int> answered{0};
  {
    CompletionBatch batch;
    m->Put("s", "0-" + big + "\n", 0, [&](const Status& st, uint64_t seq) {
      alone_status = st;
      alone_seq = seq;
      ++answered;
    });
    // With the first, 1.2 MiB: more than a 1 MiB message holds.
    m->PutAll("s", {"1-" + big + "\n", "2-" + big + "\n"}, 0, [&](const Status& st, uint64_t seq) {
      together_status = st;
      together_seq = seq;
      ++answered;
    });
  }
  for (int waited = 0; waited < 10'000 && answered < 2; waited += 5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(answered.load(), 2);
  ASSERT_TRUE(alone_status.ok()) << alone_status.ToString();
  ASSERT_TRUE(together_status.ok()) << together_status.ToString();
  EXPECT_EQ(alone_seq, JetStreamRecordSeq(1, 1));
  EXPECT_EQ(together_seq, JetStreamRecordSeq(2, 1)) << "split across two messages";
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Lines().size(), 3u);
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

// Opening a stream's log (at a start, for each stream) asks for the JetStream stream's
// state once: what tells a hold of a delete under way apart serves to check its settings.
TEST_F(JetStreamLogTest, OpeningAStreamAsksForItsJetStreamStateOnce) {
  auto logs = Logs();
  {
    auto m = OpenManager(logs);
    ASSERT_TRUE(m);
    ASSERT_TRUE(m->Create(Config()).ok());
  }
  auto watcher = Client();
  ASSERT_TRUE(watcher);
  std::atomic<int> infos{0};
  ASSERT_TRUE(
      watcher
          ->Subscribe("$JS.API.STREAM.INFO." + JetStreamName("s"), [&](nats::Message&) { ++infos; })
          .ok());
  ASSERT_TRUE(watcher->Flush(5000).ok());
  auto m = OpenManager(logs);  // the server started again
  ASSERT_TRUE(m);
  ASSERT_TRUE(watcher->Flush(5000).ok());
  EXPECT_EQ(infos.load(), 1);
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

}  // namespace
}  // namespace tributary::streams
