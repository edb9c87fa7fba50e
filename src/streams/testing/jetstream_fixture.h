// JetStreamLogTest: the fixture of the tests of delivery streams whose records are kept
// in NATS JetStream (jetstream_log_test.cc, jetstream_failure_test.cc): a real
// nats-server on a free loopback port, a metadata database, managers (servers, as far as
// the streams go) over them, and an in-memory lake. Tests only.
#pragma once

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
#include "streams/testing/test_stream_config.h"

namespace tributary::streams::testing {

using testing_support::TempDir;

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

  static StreamConfig Config(const std::string& name = "s") { return TestStreamConfig(name); }

  // Puts `n` records "<tag>-<i>\n" and waits for every answer; returns how many were OK.
  static int PutMany(StreamManager& m, const std::string& stream, const std::string& tag, int n) {
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

  // Puts `record` into `stream` through `m` and waits for its answer.
  static Status PutAndWait(StreamManager* m, const std::string& stream, const std::string& record) {
    std::promise<Status> answered;
    m->Put(stream, record, [&](const Status& st, uint64_t) { answered.set_value(st); });
    return answered.get_future().get();
  }

  // The JetStream stream of `stream` deleted by hand (`nats stream rm`), under whatever
  // runs it.
  void DeleteJetStreamStream(const std::string& stream) {
    auto conn = Client();
    ASSERT_TRUE(conn);
    nats::JetStream js(conn.get());
    ASSERT_TRUE(js.DeleteStream(JetStreamName(stream)).ok());
  }

  // Waits (real time, up to 5 s) until `m` buffers `bytes` of `stream`'s records; false if
  // it does not.
  static bool WaitUntilBuffered(StreamManager& m, const std::string& stream, uint64_t bytes) {
    for (int i = 0; i < 250; ++i) {
      if (m.Describe(stream)->stats.buffered_bytes >= bytes) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
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

}  // namespace tributary::streams::testing
