#include "streams/stream_manager.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/completion_batch.h"
#include "streams/gzip.h"
#include "streams/testing/memory_object_store.h"
#include "base/testing/temp_dir.h"
#include "streams/wal.h"
#include "metadata/testing/test_database.h"

namespace tributary::streams {
namespace {

using testing::MemoryObjectStore;
using testing::MemoryObjectStores;
using testing::StoredObject;
using testing_support::TempDir;

// 2026-11-30T14:02:11.500Z
constexpr int64_t kStart = 1796047331500;

class StreamManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }

  StreamManagerOptions Options() {
    StreamManagerOptions o;
    o.wal_dir = dir_.path() + "/wal";
    o.db = db_.get();
    o.lake = &lake_;
    o.metrics = &registry_;
    o.clock = [this] { return now_.load(); };
    o.retry_initial_backoff_ms = 5;
    o.retry_max_backoff_ms = 20;
    o.stop_timeout_ms = 5000;
    return o;
  }

  std::unique_ptr<StreamManager> OpenManager(StreamManagerOptions o) {
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

  static Status PutSync(StreamManager& m, const std::string& stream, const std::string& rec) {
    std::promise<Status> p;
    m.Put(stream, rec, [&](const Status& s, uint64_t) { p.set_value(s); });
    return p.get_future().get();
  }

  std::map<std::string, StoredObject> Objects() { return lake_.Get("iot-data")->Objects(); }

  // Waits (real time) until the bucket holds `n` objects.
  bool WaitForObjects(size_t n, int timeout_ms = 5000) {
    for (int waited = 0; waited < timeout_ms; waited += 10) {
      if (Objects().size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  MemoryObjectStores lake_;
  MetricsRegistry registry_;
  std::atomic<int64_t> now_{kStart};
};

TEST_F(StreamManagerTest, CreateListDescribeDelete) {
  auto m = OpenManager(Options());
  ASSERT_TRUE(m->Create(Config("b")).ok());
  ASSERT_TRUE(m->Create(Config("a")).ok());
  EXPECT_EQ(m->Create(Config("a")).code(), ErrorCode::kAlreadyExists);
  StreamConfig bad = Config("c");
  bad.buffer_size_mib = 0;
  EXPECT_EQ(m->Create(bad).message().rfind("buffer_size_mib", 0), 0u);
  auto list = m->List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "a");

  ASSERT_TRUE(PutSync(*m, "a", "{\"x\":1}\n").ok());
  auto d = m->Describe("a");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->stats.records_in, 1u);
  EXPECT_EQ(d->stats.bytes_in, 8u);
  EXPECT_EQ(d->stats.buffered_bytes, 8u);
  EXPECT_GT(d->stats.wal_bytes, 0u);
  auto j = ToJson(*d);
  EXPECT_EQ(j["config"]["name"], "a");
  EXPECT_EQ(j["stats"]["records_in"], 1);
  EXPECT_EQ(j["status"], "active");
  EXPECT_EQ(d->stats.wal_commits, 1u);
  EXPECT_EQ(d->stats.avg_records_per_commit, 1.0);
  EXPECT_EQ(j["stats"]["wal_commits"], 1);
  std::string rendered = registry_.Render();
  EXPECT_NE(rendered.find("tributary_stream_records_in_total{stream=\"a\"} 1"), std::string::npos);
  EXPECT_NE(rendered.find("tributary_stream_wal_commit_seconds_count{stream=\"a\"} 1"),
            std::string::npos) << rendered;
  EXPECT_NE(rendered.find("tributary_stream_wal_commit_records_sum{stream=\"a\"} 1"),
            std::string::npos) << rendered;

  EXPECT_EQ(m->Describe("zzz").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(PutSync(*m, "zzz", "x").code(), ErrorCode::kNotFound);

  // Delete delivers what is buffered first, then forgets the stream and its WAL.
  ASSERT_TRUE(m->Delete("a").ok());
  EXPECT_EQ(Objects().size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/wal/a"));
  EXPECT_EQ(m->List().size(), 1u);
  m.reset();
  auto again = OpenManager(Options());
  ASSERT_EQ(again->List().size(), 1u);
  EXPECT_EQ(again->List()[0].name, "b");
  ASSERT_TRUE(again->Create(Config("a")).ok());  // the name is free again
}

TEST_F(StreamManagerTest, DeliversBySizeWithRecordsAsGivenAndIdsInMetadata) {
  auto m = OpenManager(Options());
  StreamConfig c = Config();
  c.buffer_size_mib = 1;
  ASSERT_TRUE(m->Create(c).ok());
  std::string expected;
  std::vector<std::string> batch;
  for (int i = 0; i < 1100; ++i) {
    std::string rec = "{\"i\":" + std::to_string(i) + ",\"pad\":\"" + std::string(1000, 'p') + "\"}\n";
    expected += rec;
    batch.push_back(rec);
  }
  auto results = m->PutRecordBatch("s", batch);
  ASSERT_EQ(results.size(), batch.size());
  for (const auto& r : results) ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(results[0].record_id.size(), 32u);
  EXPECT_LT(results[0].record_id, results[1].record_id);
  ASSERT_TRUE(WaitForObjects(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto objects = Objects();
  // The buffer is cut at the record that reaches 1 MiB; the rest waits for the interval.
  ASSERT_EQ(objects.size(), 1u);
  const auto& [key, obj] = *objects.begin();
  size_t count = 0, bytes = 0;
  while (bytes < (1u << 20)) bytes += batch[count++].size();
  EXPECT_LT(count, batch.size());
  EXPECT_EQ(obj.data, expected.substr(0, bytes));
  EXPECT_EQ(key.rfind("2026/11/30/14/s-1-2026-11-30-14-02-11-", 0), 0u) << key;
  EXPECT_EQ(obj.options.metadata.at("first-record-id"), results.front().record_id);
  EXPECT_EQ(obj.options.metadata.at("last-record-id"), results[count - 1].record_id);
  EXPECT_EQ(obj.options.metadata.at("record-count"), std::to_string(count));
  for (int i = 0; i < 200 && m->Describe("s")->stats.buffered_bytes != expected.size() - bytes;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(m->Describe("s")->stats.buffered_bytes, expected.size() - bytes);
}

TEST_F(StreamManagerTest, DeliversByIntervalOfTheInjectedClock) {
  auto m = OpenManager(Options());
  StreamConfig c = Config();
  c.buffer_interval_s = 60;
  c.prefix = "raw/";
  ASSERT_TRUE(m->Create(c).ok());
  ASSERT_TRUE(PutSync(*m, "s", "a\n").ok());
  now_ += 30'000;
  ASSERT_TRUE(PutSync(*m, "s", "b\n").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(Objects().empty()) << "delivered before the interval";
  now_ += 31'000;  // the oldest record is now 61 s old
  ASSERT_TRUE(WaitForObjects(1));
  auto objects = Objects();
  EXPECT_EQ(objects.begin()->second.data, "a\nb\n");
  EXPECT_EQ(objects.begin()->first.rfind("raw/2026/11/30/14/s-1-", 0), 0u);
  ASSERT_TRUE(m->Flush("s").ok());  // the object is visible a moment before the checkpoint
  auto d = m->Describe("s");
  EXPECT_EQ(d->stats.objects_delivered, 1u);
  EXPECT_GE(d->stats.last_delivery_latency_ms, 61'000);
  EXPECT_EQ(d->stats.buffered_bytes, 0u);
}

// A record delimiter (Firehose's AppendDelimiterToRecord) follows every record in the
// objects; records put before an update that adds one are delivered as they were put.
TEST_F(StreamManagerTest, ARecordDelimiterFollowsEveryRecord) {
  auto m = OpenManager(Options());
  StreamConfig c = Config();
  c.buffer_interval_s = 60;
  c.record_delimiter = "\n";
  ASSERT_TRUE(m->Create(c).ok());
  ASSERT_TRUE(PutSync(*m, "s", "{\"a\":1}").ok());
  ASSERT_TRUE(PutSync(*m, "s", "{\"a\":2}").ok());
  now_ += 61'000;
  ASSERT_TRUE(WaitForObjects(1));
  EXPECT_EQ(Objects().begin()->second.data, "{\"a\":1}\n{\"a\":2}\n");
  EXPECT_EQ(m->Describe("s")->config.record_delimiter, "\n");

  StreamConfig u = c;
  u.record_delimiter = "";
  ASSERT_TRUE(m->Update(u).ok());
  ASSERT_TRUE(PutSync(*m, "s", "x|").ok());
  ASSERT_TRUE(PutSync(*m, "s", "y|").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 2u);
  std::vector<std::string> bodies;
  for (const auto& [key, object] : objects) bodies.push_back(object.data);
  EXPECT_NE(std::find(bodies.begin(), bodies.end(), "x|y|"), bodies.end());
  // The buffer's size hint counts the delimiters: 70,000 one-byte records with 15 bytes
  // after each are past 1 MiB, and go out by size long before the interval.
  StreamConfig small = Config();
  small.name = "t";
  small.bucket = "tiny";
  small.buffer_size_mib = 1;
  small.buffer_interval_s = 900;
  small.record_delimiter = std::string(15, '.');
  ASSERT_TRUE(m->Create(small).ok());
  std::vector<std::string> ones(70000, "x");
  for (const auto& r : m->PutRecordBatch("t", ones)) ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  std::map<std::string, StoredObject> tiny;
  for (int i = 0; i < 300 && tiny.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    tiny = lake_.Get("tiny")->Objects();
  }
  ASSERT_EQ(tiny.size(), 1u) << "not delivered by size";
  EXPECT_EQ(tiny.begin()->second.data.size(), 65536u * 16);  // 1 MiB of "x..............."
  StreamConfig too_long = c;
  too_long.record_delimiter = std::string(17, ';');
  EXPECT_NE(too_long.Validate().message().find("record_delimiter: 17 bytes, over 16"), std::string::npos);
}

TEST_F(StreamManagerTest, ARecordIsDatedByTheArrivalItWasGiven) {
  auto m = OpenManager(Options());
  ASSERT_TRUE(m->Create(Config()).ok());
  // Received by the broker three hours before the stream's clock says now.
  std::promise<Status> put;
  m->Put("s", "late\n", kStart - 3 * 3600 * 1000,
         [&](const Status& st, uint64_t) { put.set_value(st); });
  ASSERT_TRUE(put.get_future().get().ok());
  ASSERT_TRUE(m->Flush("s").ok());
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->first.rfind("2026/11/30/11/s-1-", 0), 0u) << objects.begin()->first;
  EXPECT_EQ(objects.begin()->second.data, "late\n");
}

TEST_F(StreamManagerTest, GzipObjectsDecompressToTheRecords) {
  auto m = OpenManager(Options());
  StreamConfig c = Config();
  c.compression = Compression::kGzip;
  ASSERT_TRUE(m->Create(c).ok());
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    std::string rec = "{\"n\":" + std::to_string(i) + "}\n";
    expected += rec;
    ASSERT_TRUE(PutSync(*m, "s", rec).ok());
  }
  ASSERT_TRUE(m->Flush("s").ok());
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  const auto& [key, obj] = *objects.begin();
  EXPECT_EQ(key.substr(key.size() - 3), ".gz");
  EXPECT_NE(obj.data, expected);
  auto plain = GzipDecompress(obj.data);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, expected);
}

TEST_F(StreamManagerTest, InterleavedPartitionsInOneBatchEachKeepTheirRecordsInOrder) {
  auto m = OpenManager(Options());
  StreamConfig c = Config();
  c.prefix = "device=!{partitionKeyFromQuery:device}/";
  ASSERT_TRUE(m->Create(c).ok());
  // One PutRecordBatch: its records reach the buffers together, the keys alternating
  // (and a record that fails partitioning in between).
  std::vector<std::string> records;
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 60; ++i) {
    std::string device = i % 3 == 0 ? "s1" : (i % 3 == 1 ? "s2" : "s3");
    std::string rec = R"({"device":")" + device + R"(","i":)" + std::to_string(i) + "}\n";
    records.push_back(rec);
    expected["device=" + device + "/"] += rec;
    if (i == 30) records.push_back("not json\n");
  }
  for (const PutRecordResult& r : m->PutRecordBatch("s", records)) ASSERT_TRUE(r.status.ok());
  ASSERT_TRUE(m->Flush("s").ok());
  std::map<std::string, std::string> by_prefix;
  for (const auto& [key, obj] : Objects()) {
    std::string prefix = key.substr(0, key.rfind('/') + 1);
    if (prefix.rfind("device=", 0) == 0) by_prefix[prefix] += obj.data;
  }
  EXPECT_EQ(by_prefix, expected);
  EXPECT_EQ(m->Describe("s")->stats.records_to_error_prefix, 1u);
}

TEST_F(StreamManagerTest, PartitionKeyFromQuerySplitsObjectsAndRefusesToTheErrorPrefix) {
  auto m = OpenManager(Options());
  StreamConfig c = Config();
  c.prefix = "device=!{partitionKeyFromQuery:device}/!{timestamp:yyyy/MM/dd}/";
  ASSERT_TRUE(m->Create(c).ok());
  for (std::string rec : {R"({"device":"s1","v":1})", R"({"device":"s2","v":2})",
                          R"({"device":"s1","v":3})", R"(not json)", R"({"v":5})",
                          R"({"device":"a/b"})", R"({"device":7})"}) {
    ASSERT_TRUE(PutSync(*m, "s", rec + "\n").ok());
  }
  ASSERT_TRUE(m->Flush("s").ok());
  std::map<std::string, std::string> by_prefix;
  for (const auto& [key, obj] : Objects()) {
    by_prefix[key.substr(0, key.rfind('/') + 1)] += obj.data;
  }
  ASSERT_EQ(by_prefix.size(), 4u);
  EXPECT_EQ(by_prefix["device=s1/2026/11/30/"], "{\"device\":\"s1\",\"v\":1}\n{\"device\":\"s1\",\"v\":3}\n");
  EXPECT_EQ(by_prefix["device=s2/2026/11/30/"], "{\"device\":\"s2\",\"v\":2}\n");
  EXPECT_EQ(by_prefix["device=7/2026/11/30/"], "{\"device\":7}\n");
  const std::string& errors = by_prefix["partitioning-failed/2026/11/30/14/"];
  std::vector<nlohmann::json> lines;
  size_t start = 0;
  for (size_t nl; (nl = errors.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(nlohmann::json::parse(errors.substr(start, nl - start)));
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(*Base64Decode(lines[0]["rawData"].get<std::string>()), "not json\n");
  EXPECT_NE(lines[0]["errorMessage"].get<std::string>().find("not a JSON object"),
            std::string::npos);
  EXPECT_NE(lines[1]["errorMessage"].get<std::string>().find("'device' is missing"),
            std::string::npos);
  EXPECT_NE(lines[2]["errorMessage"].get<std::string>().find("'/'"), std::string::npos);
  EXPECT_EQ(m->Describe("s")->stats.records_to_error_prefix, 3u);
}

TEST_F(StreamManagerTest, FailingDestinationIsRetriedThenWrittenToTheErrorPrefix) {
  StreamManagerOptions o = Options();
  o.retry_window_ms = 150;
  auto m = OpenManager(o);
  StreamConfig c = Config();
  c.error_prefix = "failed/!{firehose:error-output-type}/";
  ASSERT_TRUE(m->Create(c).ok());
  auto bucket = lake_.Get("iot-data");
  std::atomic<bool> error_prefix_down{true};
  bucket->FailPutsWhere([&](const std::string& key) {
    return key.rfind("failed/", 0) != 0 || error_prefix_down.load();
  });
  ASSERT_TRUE(PutSync(*m, "s", "r1\n").ok());
  ASSERT_TRUE(PutSync(*m, "s", "r2\n").ok());
  // Both the bucket and the error prefix fail: retried, never dropped, Flush times out.
  std::thread heal([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    error_prefix_down = false;
  });
  ASSERT_TRUE(m->Flush("s").ok());
  heal.join();
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  const auto& [key, obj] = *objects.begin();
  EXPECT_EQ(key.rfind("failed/delivery-failed/s-1-", 0), 0u) << key;
  EXPECT_EQ(obj.data, "r1\nr2\n");
  EXPECT_NE(obj.options.metadata.at("error-message").find("injected failure"), std::string::npos);
  auto d = m->Describe("s");
  EXPECT_GT(d->stats.delivery_errors, 3u);
  EXPECT_EQ(d->stats.records_to_error_prefix, 2u);
  EXPECT_NE(d->stats.last_error.find("injected failure"), std::string::npos);
  EXPECT_GT(bucket->put_attempts(), 4);
}

TEST_F(StreamManagerTest, AnObjectTheStoreRefusesGoesToTheErrorPrefixAtOnce) {
  StreamManagerOptions o = Options();
  o.retry_window_ms = 600'000;  // a store that is down would be retried for ten minutes
  auto m = OpenManager(o);
  StreamConfig c = Config();
  c.error_prefix = "failed/!{firehose:error-output-type}/";
  ASSERT_TRUE(m->Create(c).ok());
  auto bucket = lake_.Get("iot-data");
  // The store refuses the key itself (as the local lake refuses a segment over 255 bytes):
  // a retry cannot help.
  bucket->FailPutsWhere([](const std::string& key) { return key.rfind("failed/", 0) != 0; },
                        ErrorCode::kInvalidArgument);
  ASSERT_TRUE(PutSync(*m, "s", "r1\n").ok());
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  const auto& [key, obj] = *objects.begin();
  EXPECT_EQ(key.rfind("failed/delivery-failed/s-1-", 0), 0u) << key;
  EXPECT_EQ(obj.data, "r1\n");
  EXPECT_NE(obj.options.metadata.at("error-message").find("injected failure"), std::string::npos);
  EXPECT_EQ(bucket->put_attempts(), 2);  // the refused key once, then the error prefix
  auto d = m->Describe("s");
  EXPECT_EQ(d->stats.delivery_errors, 1u);
  EXPECT_EQ(d->stats.records_to_error_prefix, 1u);
}

TEST_F(StreamManagerTest, TheBackupHoldsEveryRecordAsPutThoseThatFailedPartitioningToo) {
  auto m = OpenManager(Options());
  StreamConfig c = Config();
  c.prefix = "d/!{partitionKeyFromQuery:device}/";
  c.backup.bucket = "raw-copy";
  ASSERT_TRUE(m->Create(c).ok());
  ASSERT_TRUE(PutSync(*m, "s", "{\"device\":\"a\",\"v\":1}\n").ok());
  ASSERT_TRUE(PutSync(*m, "s", "not json\n").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  // The stream's objects: one under d/a/, one of error lines under partitioning-failed/.
  ASSERT_EQ(Objects().size(), 2u);
  // The backup: each buffer's records as they were put.
  std::vector<std::string> copies;
  for (const auto& [key, object] : lake_.Get("raw-copy")->Objects()) {
    EXPECT_EQ(object.options.metadata.at("backup"), "source-records") << key;
    copies.push_back(object.data);
  }
  std::sort(copies.begin(), copies.end());
  EXPECT_EQ(copies, (std::vector<std::string>{"not json\n", "{\"device\":\"a\",\"v\":1}\n"}));
}

TEST_F(StreamManagerTest, DeaggregationPutsEachRecordARecordHolds) {
  auto m = OpenManager(Options());
  StreamConfig c = Config();
  c.prefix = "d/!{partitionKeyFromQuery:device}/";
  c.record_delimiter = "\n";
  c.deaggregation.kind = Deaggregation::Kind::kJson;
  ASSERT_TRUE(m->Create(c).ok());
  // One put of three readings of two devices: each reading lands under its device.
  ASSERT_TRUE(PutSync(*m, "s", R"({"device":"a","v":1}{"device":"b","v":2})" "\n" R"({"device":"a","v":3})").ok());
  // One that does not split is put whole (and fails partitioning, as any non-object would).
  ASSERT_TRUE(PutSync(*m, "s", R"([{"device":"a"}])").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  std::map<std::string, std::string> by_prefix;
  for (const auto& [key, object] : Objects()) by_prefix[key.substr(0, key.find('/', key.find('/') + 1))] += object.data;
  EXPECT_EQ(by_prefix["d/a"], "{\"device\":\"a\",\"v\":1}\n{\"device\":\"a\",\"v\":3}\n");
  EXPECT_EQ(by_prefix["d/b"], "{\"device\":\"b\",\"v\":2}\n");
  // The whole record, in the error prefix as a record that is not a JSON object.
  std::string failed;
  for (const auto& [key, object] : Objects()) {
    if (key.rfind("partitioning-failed/", 0) == 0) failed += object.data;
  }
  EXPECT_NE(failed.find("not a JSON object"), std::string::npos) << failed;
  EXPECT_EQ(m->Describe("s")->stats.records_in, 4u);  // three pieces and the whole one
}

TEST_F(StreamManagerTest, RestartRedeliversExactlyTheUndeliveredRecords) {
  auto bucket = lake_.Get("iot-data");
  {
    StreamManagerOptions o = Options();
    o.stop_timeout_ms = 200;  // Stop gives up on the failing bucket and keeps the WAL
    auto m = OpenManager(o);
    ASSERT_TRUE(m->Create(Config()).ok());
    ASSERT_TRUE(PutSync(*m, "s", "delivered-1\n").ok());
    ASSERT_TRUE(m->Flush("s").ok());
    bucket->FailPutsWhere([](const std::string&) { return true; });
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(PutSync(*m, "s", "pending-" + std::to_string(i) + "\n").ok());
    }
    m->Stop();  // times out: nothing delivered, nothing lost
  }
  ASSERT_EQ(Objects().size(), 1u);
  bucket->FailPutsWhere(nullptr);
  auto m = OpenManager(Options());
  ASSERT_EQ(m->Describe("s")->stats.buffered_bytes, 50 * 10u + 40u);  // recovered
  ASSERT_TRUE(m->Flush("s").ok());
  std::string all;
  for (const auto& [key, obj] : Objects()) all += obj.data;
  std::string want = "delivered-1\n";
  for (int i = 0; i < 50; ++i) want += "pending-" + std::to_string(i) + "\n";
  EXPECT_EQ(all.size(), want.size()) << all;
  EXPECT_EQ(Objects().size(), 2u);
  // And once more: now nothing is owed.
  m.reset();
  auto m2 = OpenManager(Options());
  EXPECT_EQ(m2->Describe("s")->stats.buffered_bytes, 0u);
  ASSERT_TRUE(m2->Flush("s").ok());
  EXPECT_EQ(Objects().size(), 2u);
}

TEST_F(StreamManagerTest, StopDeliversEverythingAndLeavesNoUndeliveredWal) {
  {
    auto m = OpenManager(Options());
    ASSERT_TRUE(m->Create(Config()).ok());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(PutSync(*m, "s", "x\n").ok());
    m->Stop();
    EXPECT_EQ(PutSync(*m, "s", "late\n").code(), ErrorCode::kNotFound);
  }
  ASSERT_EQ(Objects().size(), 1u);
  std::string want;
  for (int i = 0; i < 10; ++i) want += "x\n";
  EXPECT_EQ(Objects().begin()->second.data, want);
  std::vector<WalRecord> undelivered;
  WalOptions wo;
  wo.dir = dir_.path() + "/wal/s";
  auto wal = Wal::Open(wo, &undelivered);
  ASSERT_TRUE(wal.ok());
  EXPECT_TRUE(undelivered.empty());
}

// Put takes no lock of the stream's: records put from several threads while the
// stream is deleted are each either refused or acknowledged, and every acknowledged one
// is in the lake by the time Delete returns.
TEST_F(StreamManagerTest, PutsRacingDeleteAreRefusedOrDelivered) {
  auto m = OpenManager(Options());
  ASSERT_TRUE(m->Create(Config()).ok());
  std::mutex mu;
  std::set<std::string> acked;
  std::map<ErrorCode, int> refused;
  std::atomic<bool> deleted{false};
  std::atomic<int> outstanding{0};
  std::vector<std::thread> putters;
  for (int t = 0; t < 4; ++t) {
    putters.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        bool last = deleted.load();  // one more Put after Delete has returned, then stop
        std::string rec = "t" + std::to_string(t) + "-" + std::to_string(i) + "\n";
        outstanding.fetch_add(1);
        m->Put("s", rec, [&, rec](const Status& st, uint64_t) {
          {
            std::lock_guard<std::mutex> lock(mu);
            if (st.ok()) {
              acked.insert(rec);
            } else {
              refused[st.code()]++;
            }
          }
          outstanding.fetch_sub(1);
        });
        if (last) break;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  ASSERT_TRUE(m->Delete("s").ok());
  deleted = true;
  for (auto& t : putters) t.join();
  for (int waited = 0; outstanding.load() != 0 && waited < 5000; waited += 10) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(outstanding.load(), 0) << "puts never answered";

  std::set<std::string> in_lake;
  for (const auto& [key, object] : Objects()) {
    size_t start = 0;
    for (size_t nl; (nl = object.data.find('\n', start)) != std::string::npos; start = nl + 1) {
      in_lake.insert(object.data.substr(start, nl - start + 1));
    }
  }
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_GT(acked.size(), 0u);
  EXPECT_GE(refused[ErrorCode::kNotFound], 4);  // the puts after Delete
  EXPECT_EQ(in_lake, acked);  // nothing acknowledged is missing, nothing refused is there
  for (const auto& [code, n] : refused) {
    EXPECT_TRUE(code == ErrorCode::kFailedPrecondition || code == ErrorCode::kNotFound)
        << n << " records refused with " << static_cast<int>(code);
  }
}

TEST_F(StreamManagerTest, BackpressureRefusesBeyondThePendingLimit) {
  StreamManagerOptions o = Options();
  o.max_pending_bytes = 1000;
  o.stop_timeout_ms = 100;
  auto m = OpenManager(o);
  ASSERT_TRUE(m->Create(Config()).ok());
  lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
  std::string rec(200, 'r');
  int ok = 0, exhausted = 0;
  for (int i = 0; i < 8; ++i) {
    Status s = PutSync(*m, "s", rec);
    if (s.ok()) ok++;
    if (s.code() == ErrorCode::kResourceExhausted) exhausted++;
  }
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(exhausted, 3);
  auto d = m->Describe("s");
  EXPECT_EQ(d->stats.records_rejected, 3u);
  EXPECT_EQ(d->stats.buffered_bytes, 1000u);
  // Once the bucket is back and the buffer delivered, records are accepted again.
  lake_.Get("iot-data")->FailPutsWhere(nullptr);
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_TRUE(PutSync(*m, "s", rec).ok());
}

// Many partitions, each far under its buffer size and interval, would otherwise hold the
// pending limit until their timers fire (here never: the clock stands still) and refuse
// every record meanwhile. Under pressure the oldest buffers go out early instead.
TEST_F(StreamManagerTest, ManyPartitionsUnderTheirHintsAreDeliveredEarlyInsteadOfRefused) {
  StreamManagerOptions o = Options();
  o.max_pending_bytes = 256 << 10;
  auto m = OpenManager(o);
  StreamConfig c = Config();  // 900 s interval, 5 MiB buffers
  c.prefix = "device=!{partitionKeyFromQuery:device}/";
  ASSERT_TRUE(m->Create(c).ok());
  constexpr int kRecords = 1000, kDevices = 100;
  const std::string pad(1000, 'p');
  std::multiset<std::string> want;
  for (int i = 0; i < kRecords; ++i) {
    std::string rec = fmt::format(R"({{"device":"d{}","i":{},"pad":"{}"}})", i % kDevices, i, pad) + "\n";
    want.insert(rec);
    // A device whose record is refused sends it again, as a QoS 1 device would.
    Status s = PutSync(*m, "s", rec);
    for (int tries = 0; s.code() == ErrorCode::kResourceExhausted && tries < 500; ++tries) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      s = PutSync(*m, "s", rec);
    }
    ASSERT_TRUE(s.ok()) << "record " << i << ": " << s.ToString();
  }
  // About 1 MB went in through a 256 KiB limit: most of it was delivered early.
  EXPECT_GT(Objects().size(), size_t{kDevices});
  auto stats = m->Describe("s")->stats;
  EXPECT_LE(stats.buffered_bytes, o.max_pending_bytes);
  EXPECT_GE(stats.buffers_sealed_early, uint64_t{kDevices});
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_LE(stats.buffers_sealed_early, Objects().size());
  std::multiset<std::string> got;
  for (const auto& [key, obj] : Objects()) {
    std::string device = key.substr(std::string("device=").size(), key.find('/') - 7);
    for (size_t start = 0, nl; (nl = obj.data.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string rec = obj.data.substr(start, nl - start + 1);
      EXPECT_NE(rec.find("\"device\":\"" + device + "\""), std::string::npos) << key;
      got.insert(rec);
    }
  }
  EXPECT_EQ(got, want);
}

// A record's outcome, as a Put inside a CompletionBatch leaves it.
struct Outcome {
  std::atomic<bool> given{false};
  Status status;
  uint64_t seq = 0;
  rules::RecordDone Done() {
    return [this](const Status& s, uint64_t q) {
      status = s;
      seq = q;
      given = true;
    };
  }
  bool WaitGiven() {
    for (int waited = 0; waited < 5000 && !given; ++waited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return given;
  }
};

TEST_F(StreamManagerTest, PutsInsideACompletionBatchReachTheWalTogetherWhenItCloses) {
  auto m = OpenManager(Options());
  ASSERT_TRUE(m->Create(Config()).ok());
  Outcome out[3];
  {
    CompletionBatch batch;
    for (int i = 0; i < 3; ++i) m->Put("s", "r" + std::to_string(i) + "\n", 0, out[i].Done());
    // Staged on this thread: the WAL writer has nothing to commit yet.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (const Outcome& o : out) EXPECT_FALSE(o.given);
    EXPECT_EQ(m->Describe("s")->stats.records_in, 0u);
  }
  for (Outcome& o : out) ASSERT_TRUE(o.WaitGiven());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(out[i].status.ok()) << out[i].status.ToString();
  EXPECT_EQ(out[1].seq, out[0].seq + 1);
  EXPECT_EQ(out[2].seq, out[0].seq + 2);
  ASSERT_TRUE(m->Flush("s").ok());
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->second.data, "r0\nr1\nr2\n");
  auto d = m->Describe("s");
  EXPECT_EQ(d->stats.records_in, 3u);
  // One group commit took the three.
  EXPECT_EQ(d->stats.wal_commits, 1u);
  EXPECT_EQ(d->stats.avg_records_per_commit, 3.0);
}

// UpdateDestination: what is buffered is delivered as it was configured, at once; what
// comes after follows the new settings (here from a partitioned prefix in one bucket to a
// plain one, gzip, in another).
TEST_F(StreamManagerTest, UpdateSendsLaterRecordsByTheNewSettings) {
  auto m = OpenManager(Options());
  StreamConfig c = Config();
  c.prefix = "by-device/!{partitionKeyFromQuery:device}/";
  ASSERT_TRUE(m->Create(c).ok());
  ASSERT_TRUE(PutSync(*m, "s", "{\"device\":\"d1\",\"n\":1}\n").ok());
  EXPECT_TRUE(Objects().empty());  // a 900 s buffer interval: still buffered

  StreamConfig u = c;
  u.bucket = "archive";
  u.prefix = "plain/";
  u.compression = Compression::kGzip;
  ASSERT_TRUE(m->Update(u).ok());
  ASSERT_TRUE(WaitForObjects(1));  // the buffer of the old settings, sealed by the update
  auto before = Objects();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before.begin()->first.rfind("by-device/d1/", 0), 0u) << before.begin()->first;
  EXPECT_EQ(before.begin()->second.data, "{\"device\":\"d1\",\"n\":1}\n");

  ASSERT_TRUE(PutSync(*m, "s", "{\"device\":\"d2\",\"n\":2}\n").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Objects().size(), 1u);  // nothing more in the old bucket
  auto after = lake_.Get("archive")->Objects();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after.begin()->first.rfind("plain/2026/11/30/14/s-1-", 0), 0u) << after.begin()->first;
  EXPECT_NE(after.begin()->first.find(".gz"), std::string::npos) << after.begin()->first;
  auto text = GzipDecompress(after.begin()->second.data);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "{\"device\":\"d2\",\"n\":2}\n");

  auto d = m->Describe("s");
  EXPECT_EQ(d->config.bucket, "archive");
  EXPECT_EQ(d->config.prefix, "plain/");
  EXPECT_EQ(m->List()[0].compression, Compression::kGzip);
  EXPECT_EQ(d->stats.records_delivered, 2u);
}

// Updates while records stream in lose and repeat nothing.
TEST_F(StreamManagerTest, UpdatesWhileRecordsArriveLoseNothing) {
  auto m = OpenManager(Options());
  StreamConfig c = Config();
  c.prefix = "a/";
  ASSERT_TRUE(m->Create(c).ok());
  constexpr int kRecords = 3000;
  std::atomic<int> acked{0};
  std::thread writer([&] {
    for (int i = 0; i < kRecords; ++i) {
      m->Put("s", std::to_string(i) + "\n", [&](const Status& s, uint64_t) {
        EXPECT_TRUE(s.ok()) << s.ToString();
        ++acked;
      });
    }
  });
  for (int u = 0; u < 20; ++u) {
    c.prefix = u % 2 ? "a/" : "b/";
    ASSERT_TRUE(m->Update(c).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  writer.join();
  for (int waited = 0; acked.load() < kRecords && waited < 5000; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(acked.load(), kRecords);
  ASSERT_TRUE(m->Flush("s").ok());
  std::multiset<std::string> seen;
  for (const auto& [key, object] : Objects()) {
    EXPECT_TRUE(key.rfind("a/", 0) == 0 || key.rfind("b/", 0) == 0) << key;
    size_t start = 0;
    for (size_t nl; (nl = object.data.find('\n', start)) != std::string::npos; start = nl + 1) {
      seen.insert(object.data.substr(start, nl - start));
    }
  }
  ASSERT_EQ(seen.size(), size_t(kRecords));
  for (int i = 0; i < kRecords; ++i) EXPECT_EQ(seen.count(std::to_string(i)), 1u) << i;
}

TEST_F(StreamManagerTest, AnUpdateIsKeptAcrossARestart) {
  {
    auto m = OpenManager(Options());
    ASSERT_TRUE(m->Create(Config()).ok());
    StreamConfig u = Config();
    u.buffer_interval_s = 60;
    u.buffer_size_mib = 64;
    ASSERT_TRUE(m->Update(u).ok());
  }
  auto m = OpenManager(Options());
  auto d = m->Describe("s");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->config.buffer_interval_s, 60);
  EXPECT_EQ(d->config.buffer_size_mib, 64);
}

TEST_F(StreamManagerTest, ABadUpdateNamesTheFieldAndChangesNothing) {
  auto m = OpenManager(Options());
  ASSERT_TRUE(m->Create(Config()).ok());
  StreamConfig bad = Config();
  bad.buffer_size_mib = 0;
  Status st = m->Update(bad);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "buffer_size_mib: 0 is not in 1..128");
  bad = Config();
  bad.prefix = "!{partitionKeyFromQuery:}/";
  st = m->Update(bad);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("prefix"), std::string::npos) << st.message();
  EXPECT_EQ(m->Update(Config("nope")).code(), ErrorCode::kNotFound);
  auto d = m->Describe("s");
  EXPECT_EQ(d->config.buffer_size_mib, 5);
  EXPECT_EQ(d->config.prefix, "");
  // The stream goes on as before.
  ASSERT_TRUE(PutSync(*m, "s", "x\n").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Objects().size(), 1u);
}

TEST_F(StreamManagerTest, AStagedRecordIsRefusedWhenTheBatchClosesIfThereIsNoRoom) {
  StreamManagerOptions o = Options();
  o.max_pending_bytes = 1000;
  o.stop_timeout_ms = 100;
  auto m = OpenManager(o);
  ASSERT_TRUE(m->Create(Config()).ok());
  // Nothing is delivered (the buffers sealed under pressure included), so what was
  // admitted stays pending.
  lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
  std::string rec(400, 'r');
  Outcome out[3];
  {
    CompletionBatch batch;
    for (Outcome& x : out) m->Put("s", rec, 0, x.Done());
    EXPECT_FALSE(out[2].given);  // judged with the rest, when the batch closes
  }
  for (Outcome& x : out) ASSERT_TRUE(x.WaitGiven());
  EXPECT_TRUE(out[0].status.ok());
  EXPECT_TRUE(out[1].status.ok());
  EXPECT_EQ(out[2].status.code(), ErrorCode::kResourceExhausted) << out[2].status.ToString();
  EXPECT_NE(out[2].status.message().find("limit 1000"), std::string::npos);
  auto d = m->Describe("s");
  EXPECT_EQ(d->stats.records_rejected, 1u);
  EXPECT_EQ(d->stats.buffered_bytes, 800u);
}

TEST_F(StreamManagerTest, DeleteWaitsForStagedRecordsAndRefusesThem) {
  auto m = OpenManager(Options());
  ASSERT_TRUE(m->Create(Config()).ok());
  Outcome out[2];
  std::future<Status> deleted;
  {
    CompletionBatch batch;
    for (Outcome& x : out) m->Put("s", "staged\n", 0, x.Done());
    deleted = std::async(std::launch::async, [&] { return m->Delete("s"); });
    // The stream cannot go while this thread holds records for it.
    EXPECT_EQ(deleted.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  }
  ASSERT_TRUE(deleted.get().ok());
  for (Outcome& x : out) {
    ASSERT_TRUE(x.WaitGiven());
    EXPECT_EQ(x.status.code(), ErrorCode::kFailedPrecondition) << x.status.ToString();
  }
  EXPECT_TRUE(Objects().empty());
}

TEST_F(StreamManagerTest, PutRecordBatchAnswersPerRecord) {
  auto m = OpenManager(Options());
  ASSERT_TRUE(m->Create(Config()).ok());
  auto r = m->PutRecordBatch("s", {"a", "", "c", std::string(1'024'001, 'x')});
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[3].status.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(r[0].status.ok());
  EXPECT_EQ(r[1].status.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(r[1].record_id.empty());
  EXPECT_TRUE(r[2].status.ok());
  EXPECT_NE(r[0].record_id, r[2].record_id);
  EXPECT_TRUE(m->PutRecordBatch("s", {}).empty());
  auto missing = m->PutRecordBatch("nope", {"a"});
  EXPECT_EQ(missing[0].status.code(), ErrorCode::kNotFound);
}

TEST_F(StreamManagerTest, DeliversToTheLocalObjectStore) {
  objstore::ObjectStoreConfig lc;
  lc.backend = "local";
  lc.local_root = dir_.path() + "/lake";
  auto local = objstore::OpenObjectStores(lc);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  StreamManagerOptions o = Options();
  o.lake = local->get();
  auto m = OpenManager(o);
  StreamConfig c = Config();
  c.compression = Compression::kGzip;
  ASSERT_TRUE(m->Create(c).ok());
  ASSERT_TRUE(PutSync(*m, "s", "{\"a\":1}\n").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  auto bucket = (*local)->Bucket("iot-data");
  ASSERT_TRUE(bucket.ok());
  auto listing = (*bucket)->List("2026/11/30/14/");
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->objects.size(), 1u);
  auto data = (*bucket)->Get(listing->objects[0].key);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*GzipDecompress(*data), "{\"a\":1}\n");
}

// Two servers sharing one PostgreSQL schema (streams_test_postgres): what one changes,
// the other follows; each has a WAL of its own and record ids of its own.
TEST_F(StreamManagerTest, AServerFollowsTheStreamsAnotherChanges) {
  const char* pg = std::getenv("TRIBUTARY_TEST_POSTGRES_URL");
  if (pg == nullptr || *pg == '\0') GTEST_SKIP() << "runs as streams_test_postgres";
  auto control = OpenManager(Options());
  ASSERT_TRUE(control);
  ASSERT_TRUE(control->Create(Config("before")).ok());
  auto other_db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
  ASSERT_TRUE(other_db.ok()) << other_db.status().ToString();
  MetricsRegistry other_registry;
  StreamManagerOptions o = Options();
  o.wal_dir = dir_.path() + "/wal-ingest";
  o.db = other_db->get();
  o.metrics = &other_registry;
  o.epoch_salt = 0x5a5a5a5a5a5a5a5aull;
  auto ingest = OpenManager(std::move(o));
  ASSERT_TRUE(ingest);
  auto wait_until = [](const std::function<bool()>& cond) {
    for (int i = 0; i < 200 && !cond(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    return cond();
  };
  auto names = [](StreamManager& m) {
    std::vector<std::string> out;
    for (const auto& c : m.List()) out.push_back(c.name);
    return out;
  };
  EXPECT_EQ(names(*ingest), (std::vector<std::string>{"before"}));  // loaded at Open

  // Created on one: started on the other, with a WAL of its own.
  ASSERT_TRUE(control->Create(Config("later")).ok());
  ASSERT_TRUE(wait_until([&] { return names(*ingest).size() == 2; })) << names(*ingest).size();
  auto put_id = [](StreamManager& m, const std::string& stream) {
    std::promise<std::string> p;
    m.PutRecord(stream, "{\"x\":1}\n", [&](const Status& s, const std::string& id) {
      p.set_value(s.ok() ? id : s.ToString());
    });
    return p.get_future().get();
  };
  std::string id_control = put_id(*control, "later"), id_ingest = put_id(*ingest, "later");
  ASSERT_EQ(id_control.size(), 32u) << id_control;
  ASSERT_EQ(id_ingest.size(), 32u) << id_ingest;
  EXPECT_NE(id_control.substr(0, 16), id_ingest.substr(0, 16)) << "epochs of their own";
  EXPECT_EQ(id_control.substr(16), id_ingest.substr(16)) << "each WAL numbers from 1";
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/wal-ingest/later"));

  // Updated on the other: followed here.
  StreamConfig changed = Config("later");
  changed.prefix = "moved/";
  ASSERT_TRUE(ingest->Update(changed).ok());
  ASSERT_TRUE(wait_until([&] { return control->Describe("later")->config.prefix == "moved/"; }));

  // Deleted on one: what the other buffered is delivered, its WAL removed.
  ASSERT_TRUE(control->Delete("later").ok());
  ASSERT_TRUE(wait_until([&] { return names(*ingest).size() == 1; }));
  // The WAL goes after the stream has left the list.
  EXPECT_TRUE(wait_until([&] { return !std::filesystem::exists(dir_.path() + "/wal-ingest/later"); }));
  size_t delivered = 0;
  for (const auto& [key, object] : Objects()) {
    if (key.find("later-1-") != std::string::npos) delivered += 1;
  }
  EXPECT_EQ(delivered, 2u) << "each server delivered the record it took in";
  EXPECT_EQ(ingest->Describe("later").status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace tributary::streams
