// What a stream's records become in the lake: objects by size and by age with the records
// as given and their ids in the metadata, record delimiters, arrival times, gzip,
// partitions (by field, by query) and their failures, retries and the error prefix, the
// backup, deaggregation, the local object store. The manager's API, lifecycle and updates:
// stream_manager_test.cc.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/base64.h"
#include "base/completion_batch.h"
#include "broker/hooks.h"
#include "objstore/object_store.h"
#include "rules/rule_registry.h"
#include "rules/rules_engine.h"
#include "streams/gzip.h"
#include "streams/snappy_streams.h"
#include "streams/testing/stream_manager_fixture.h"
#include "streams/zip_archive.h"

namespace tributary::streams {
namespace {

using testing::kStart;
using testing::StoredObject;
using testing::StreamManagerTest;

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
  // The buffer is cut before the record that would take it past 1 MiB; the rest waits for
  // the interval.
  ASSERT_EQ(objects.size(), 1u);
  const auto& [key, obj] = *objects.begin();
  size_t count = 0, bytes = 0;
  while (bytes + batch[count].size() <= (1u << 20)) bytes += batch[count++].size();
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

// An object keeps within the size hint: a record that would take a buffer past it starts
// the next object (appended first, 1,024,000-byte records made 2,048,000-byte objects
// under a 1 MiB hint). A record larger than the hint by itself (here a partitioning error
// line, its record in base64) makes an object of its own.
TEST_F(StreamManagerTest, ARecordThatWouldPassTheSizeHintStartsTheNextObject) {
  auto m = OpenManager(Options());
  StreamConfig c = Config();
  c.buffer_size_mib = 1;
  ASSERT_TRUE(m->Create(c).ok());
  const std::vector<std::string> batch(3, std::string(1'024'000, 'r'));
  for (const auto& r : m->PutRecordBatch("s", batch))
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_TRUE(WaitForObjects(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Objects().size(), 2u) << "the third record waits for the next";
  ASSERT_TRUE(m->Flush("s").ok());
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 3u);
  for (const auto& [key, object] : objects) EXPECT_EQ(object.data.size(), 1'024'000u) << key;

  StreamConfig p = Config("p");
  p.buffer_size_mib = 1;
  p.prefix = "d=!{partitionKeyFromQuery:d}/";
  p.error_prefix = "failed/";
  ASSERT_TRUE(m->Create(p).ok());
  const std::vector<std::string> not_json(2, std::string(900'000, 'x'));
  for (const auto& r : m->PutRecordBatch("p", not_json)) ASSERT_TRUE(r.status.ok());
  ASSERT_TRUE(m->Flush("p").ok());
  size_t error_objects = 0;
  for (const auto& [key, object] : Objects()) {
    if (key.rfind("failed/", 0) != 0) continue;
    ++error_objects;
    EXPECT_GT(object.data.size(), 1u << 20) << key;
    EXPECT_EQ(std::count(object.data.begin(), object.data.end(), '\n'), 1) << key;
  }
  EXPECT_EQ(error_objects, 2u);
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

// wal_checkpoint_interval_ms: 0 saves the checkpoint at every delivery; a long interval
// saves the first at once and holds the rest until it passes or a flush. Each save counts
// (tributary_stream_wal_checkpoint_saves_total, and Describe).
TEST_F(StreamManagerTest, TheCheckpointIntervalSpacesTheSavesAndEachIsCounted) {
  for (int64_t interval_ms : {0, 60'000}) {
    SCOPED_TRACE(interval_ms);
    StreamManagerOptions o = Options();
    o.wal_checkpoint_interval_ms = interval_ms;
    auto m = OpenManager(o);
    StreamConfig c = Config(fmt::format("s{}", interval_ms));
    c.buffer_interval_s = 60;
    ASSERT_TRUE(m->Create(c).ok());
    const size_t before = Objects().size();
    for (int i = 1; i <= 3; ++i) {
      ASSERT_TRUE(PutSync(*m, c.name, "r\n").ok());
      now_ += 61'000;
      ASSERT_TRUE(WaitForObjects(before + i));
    }
    auto saves = [&] { return m->Describe(c.name)->stats.wal_checkpoint_saves; };
    for (int i = 0; i < 100 && saves() < (interval_ms == 0 ? 3u : 1u); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(saves(), interval_ms == 0 ? 3u : 1u);
    ASSERT_TRUE(m->Flush(c.name).ok());
    EXPECT_EQ(saves(), interval_ms == 0 ? 3u : 2u) << "a flush saves what is pending";
    EXPECT_NE(
        registry_.Render().find(fmt::format(
            "tributary_stream_wal_checkpoint_saves_total{{stream=\"{}\"}} {}", c.name, saves())),
        std::string::npos);
  }
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

// Each compression's objects: named as Firehose names them, written with the
// Content-Encoding it gives them, and holding exactly the records.
TEST_F(StreamManagerTest, CompressedObjectsHoldTheRecordsUnderFirehosesNameAndEncoding) {
  struct Case {
    Compression compression;
    std::string extension;
    std::string content_encoding;
    Result<std::string> (*decompress)(std::string_view, size_t);
  };
  auto m = OpenManager(Options());
  for (const Case& k : std::vector<Case>{
           {Compression::kNone, "", "", nullptr},
           {Compression::kGzip, ".gz", "gzip", &GzipDecompress},
           {Compression::kZip, ".zip", "zip", &ZipExtract},
           {Compression::kSnappy, ".snappy", "snappy-java", &XerialSnappyDecompress},
           {Compression::kHadoopSnappy, ".snappy", "hadoop-snappy", &HadoopSnappyDecompress},
       }) {
    const std::string name(CompressionName(k.compression));
    StreamConfig c = Config(name);
    c.prefix = name + "/";
    c.compression = k.compression;
    ASSERT_TRUE(m->Create(c).ok()) << name;
    std::string expected;
    for (int i = 0; i < 100; ++i) {
      std::string rec = "{\"n\":" + std::to_string(i) + "}\n";
      expected += rec;
      ASSERT_TRUE(PutSync(*m, name, rec).ok());
    }
    ASSERT_TRUE(m->Flush(name).ok());
    std::vector<std::pair<std::string, StoredObject>> mine;
    for (auto& [key, object] : Objects()) {
      if (key.rfind(name + "/", 0) == 0) mine.emplace_back(key, object);
    }
    ASSERT_EQ(mine.size(), 1u) << name;
    const auto& [key, obj] = mine.front();
    EXPECT_EQ(key.substr(key.size() - k.extension.size()), k.extension) << key;
    EXPECT_EQ(key.find('.'),
              k.extension.empty() ? std::string::npos : key.size() - k.extension.size())
        << key;
    EXPECT_EQ(obj.options.content_encoding, k.content_encoding) << name;
    EXPECT_EQ(obj.options.content_type, "application/octet-stream") << name;
    if (!k.decompress) {
      EXPECT_EQ(obj.data, expected);
      continue;
    }
    EXPECT_NE(obj.data, expected) << name;
    auto plain = k.decompress(obj.data, SIZE_MAX);
    ASSERT_TRUE(plain.ok()) << name << ": " << plain.status().ToString();
    EXPECT_EQ(*plain, expected) << name;
  }
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

// An error prefix whose keys the store refuses (a stream created before Create checked
// them against the bucket, or a store with rules of its own) does not hold the stream for
// good: the batch goes under the built-in error prefix, and last_error says so.
TEST_F(StreamManagerTest, AnErrorPrefixTheStoreRefusesFallsBackToTheBuiltInOne) {
  StreamManagerOptions o = Options();
  o.retry_window_ms = 600'000;
  auto m = OpenManager(o);
  StreamConfig c = Config();
  c.prefix = "dev=!{partitionKeyFromQuery:dev}/";
  c.error_prefix = "refused/!{firehose:error-output-type}/";
  ASSERT_TRUE(m->Create(c).ok());
  auto bucket = lake_.Get("iot-data");
  bucket->FailPutsWhere([](const std::string& key) { return key.rfind("refused/", 0) == 0; },
                        ErrorCode::kInvalidArgument);
  ASSERT_TRUE(PutSync(*m, "s", "not json\n").ok());
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->first.rfind("partitioning-failed/2026/11/30/14/s-1-", 0), 0u)
      << objects.begin()->first;
  auto d = m->Describe("s");
  EXPECT_EQ(d->stats.records_to_error_prefix, 1u);
  EXPECT_NE(d->stats.last_error.find("built-in error prefix"), std::string::npos)
      << d->stats.last_error;
}

// A batch retried under an error prefix that keeps failing follows an update of the error
// prefix: the retry writes where the stream's error prefix is now.
TEST_F(StreamManagerTest, RetriesUnderTheErrorPrefixFollowAnUpdateOfIt) {
  auto m = OpenManager(Options());
  StreamConfig c = Config();
  c.prefix = "dev=!{partitionKeyFromQuery:dev}/";
  c.error_prefix = "down/!{firehose:error-output-type}/";
  ASSERT_TRUE(m->Create(c).ok());
  auto bucket = lake_.Get("iot-data");
  bucket->FailPutsWhere([](const std::string& key) { return key.rfind("down/", 0) == 0; });
  ASSERT_TRUE(PutSync(*m, "s", "not json\n").ok());
  Status flushed;
  std::thread flush([&] { flushed = m->Flush("s"); });
  for (int i = 0; i < 500 && bucket->put_attempts() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(bucket->put_attempts(), 3);  // retried under down/, failing
  c.error_prefix = "mended/!{firehose:error-output-type}/";
  ASSERT_TRUE(m->Update(c).ok());
  flush.join();
  ASSERT_TRUE(flushed.ok()) << flushed.ToString();
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->first.rfind("mended/partitioning-failed/s-1-", 0), 0u)
      << objects.begin()->first;
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

// A deaggregated record is admitted whole or not at all: pieces over the pending limit
// together are all refused, none left in the log for the device's retry to duplicate.
TEST_F(StreamManagerTest, ADeaggregatedRecordIsAdmittedWholeOrNotAtAll) {
  StreamManagerOptions o = Options();
  o.max_pending_bytes = 250;
  auto m = OpenManager(o);
  StreamConfig c = Config();
  c.deaggregation.kind = Deaggregation::Kind::kJson;
  ASSERT_TRUE(m->Create(c).ok());
  lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
  // 72 held (40 bytes and a 32-byte WAL frame header); three pieces of 60 (28 bytes and
  // a frame header each) would fit one or two at a time, not all three.
  ASSERT_TRUE(PutSync(*m, "s", std::string(39, 'x') + "\n").ok());
  const std::string piece = R"({"device":"a","v":"0123456"})";  // 28 bytes
  ASSERT_EQ(piece.size(), 28u);
  Status refused = PutSync(*m, "s", piece + piece + piece);
  EXPECT_EQ(refused.code(), ErrorCode::kResourceExhausted) << refused.ToString();
  auto d = m->Describe("s");
  EXPECT_EQ(d->stats.buffered_bytes, 40u);   // none of the pieces counted
  EXPECT_EQ(d->stats.records_rejected, 3u);  // each piece refused
  // Two pieces fit together: both are taken.
  EXPECT_TRUE(PutSync(*m, "s", piece + piece).ok());
  lake_.Get("iot-data")->FailPutsWhere(nullptr);
  ASSERT_TRUE(m->Flush("s").ok());
  std::string delivered;
  for (const auto& [key, object] : Objects()) delivered += object.data;
  EXPECT_EQ(delivered.size(), 40u + 2 * 28u) << delivered;
  EXPECT_EQ(m->Describe("s")->stats.records_in, 3u);
}

// A rule's firehose action with batchMode puts the elements of one message's array
// together: all of them are taken or none is. Refused (the stream backed up), the message
// leaves nothing in the log, so the device's retry stores each element once, not the
// first ones again under new record ids. Inside a broker read's CompletionBatch, as the
// broker runs the rules, and outside one.
TEST_F(StreamManagerTest, ARulesBatchIsStoredWholeOrNotAtAll) {
  StreamManagerOptions o = Options();
  o.max_pending_bytes = 250;
  auto m = OpenManager(o);
  ASSERT_TRUE(m->Create(Config()).ok());
  MetricsRegistry rule_metrics;
  rules::RuleMetricsTable table(&rule_metrics);
  auto registry = rules::RuleRegistry::Open(db_.get(), &table);
  ASSERT_TRUE(registry.ok()) << registry.status().ToString();
  auto rule = (*registry)->Create("batch", R"({"sql": "SELECT VALUE readings FROM 'b/+'",
    "actions": [{"firehose": {"deliveryStreamName": "s", "separator": "\n",
                              "batchMode": true}}]})");
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  rules::RulesEngine engine((*registry)->rule_set(), m.get(),
                            [](const std::string&, std::string, int, mqtt::Properties, int) {},
                            &table);
  // Three elements of 34 bytes with the separator, 66 each with a WAL frame header.
  std::vector<std::string> elements;
  for (int i = 0; i < 3; ++i)
    elements.push_back(fmt::format(R"({{"i":{},"v":"{}"}})", i, std::string(19, 'v')));
  ASSERT_EQ(elements[0].size(), 33u);
  const std::string payload =
      R"({"readings": [)" + elements[0] + "," + elements[1] + "," + elements[2] + "]}";
  // The verdict on the message, as the broker hears it; `in_read`: inside a read's batch.
  auto publish = [&](bool in_read) {
    broker::InboundMessage msg{};
    msg.client_id = "sensor-1";
    msg.topic = "b/sensor-1";
    msg.payload = payload;
    msg.qos = mqtt::QoS::kAtLeastOnce;
    msg.received_at_ms = kStart;
    std::promise<broker::PublishVerdict> verdict;
    if (in_read) {
      CompletionBatch read;
      engine.OnPublish(msg, [&](broker::PublishVerdict v) { verdict.set_value(v); });
    } else {
      engine.OnPublish(msg, [&](broker::PublishVerdict v) { verdict.set_value(v); });
    }
    return verdict.get_future().get();
  };
  lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
  // 72 held (40 bytes and a frame header): two elements would fit, not three.
  ASSERT_TRUE(PutSync(*m, "s", std::string(39, 'x') + "\n").ok());
  for (bool in_read : {true, false}) {
    EXPECT_EQ(publish(in_read), broker::PublishVerdict::kQuotaExceeded) << in_read;
    auto d = m->Describe("s");
    EXPECT_EQ(d->stats.buffered_bytes, 40u) << "elements of a refused message were kept";
  }
  EXPECT_EQ(m->Describe("s")->stats.records_rejected, 6u);  // each element, twice
  // Delivery catches up; the device sends the message again.
  lake_.Get("iot-data")->FailPutsWhere(nullptr);
  ASSERT_TRUE(m->Flush("s").ok());
  ASSERT_EQ(m->Describe("s")->stats.buffered_bytes, 0u);
  EXPECT_EQ(publish(true), broker::PublishVerdict::kAccepted);
  ASSERT_TRUE(m->Flush("s").ok());
  std::multiset<std::string> lines;
  for (const auto& [key, object] : Objects()) {
    size_t start = 0;
    for (size_t nl; (nl = object.data.find('\n', start)) != std::string::npos; start = nl + 1) {
      lines.insert(object.data.substr(start, nl - start));
    }
  }
  EXPECT_EQ(lines, (std::multiset<std::string>{std::string(39, 'x'), elements[0], elements[1],
                                               elements[2]}));
  EXPECT_EQ(m->Describe("s")->stats.records_in, 4u);
}

TEST_F(StreamManagerTest, DeliversToTheLocalObjectStore) {
  std::unique_ptr<objstore::ObjectStoreProvider> local;
  auto m = OpenOnLocalLake(&local);
  ASSERT_TRUE(m);
  StreamConfig c = Config();
  c.compression = Compression::kGzip;
  ASSERT_TRUE(m->Create(c).ok());
  ASSERT_TRUE(PutSync(*m, "s", "{\"a\":1}\n").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  auto bucket = local->Bucket("iot-data");
  ASSERT_TRUE(bucket.ok());
  auto listing = (*bucket)->List("2026/11/30/14/");
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->objects.size(), 1u);
  auto data = (*bucket)->Get(listing->objects[0].key);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*GzipDecompress(*data), "{\"a\":1}\n");
}

// The local lake cannot hold "dev=zz/..." once "dev=zz" is an object: a conflict no
// retry clears. That partition's batch goes to the error prefix at once, and the stream's
// other partitions are not held behind it for the retry window.
TEST_F(StreamManagerTest, AKeyConflictInTheLocalLakeGoesToTheErrorPrefixAtOnce) {
  auto local = LocalLake();
  ASSERT_TRUE(local);
  auto bucket = local->Bucket("iot-data");
  ASSERT_TRUE(bucket.ok());
  ASSERT_TRUE((*bucket)->Put("dev=zz", "an object in the way").ok());
  StreamManagerOptions o = Options();
  o.lake = local.get();
  o.retry_window_ms = 600'000;
  auto m = OpenManager(o);
  StreamConfig c = Config();
  c.prefix = "dev=!{partitionKeyFromQuery:dev}/";
  c.error_prefix = "failed/!{firehose:error-output-type}/";
  ASSERT_TRUE(m->Create(c).ok());
  ASSERT_TRUE(PutSync(*m, "s", "{\"dev\":\"zz\"}\n").ok());
  ASSERT_TRUE(PutSync(*m, "s", "{\"dev\":\"ok\"}\n").ok());
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  auto ok = (*bucket)->List("dev=ok/");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->objects.size(), 1u);
  auto failed = (*bucket)->List("failed/delivery-failed/");
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->objects.size(), 1u);
  EXPECT_EQ(*(*bucket)->Get(failed->objects[0].key), "{\"dev\":\"zz\"}\n");
  auto d = m->Describe("s");
  EXPECT_EQ(d->stats.records_to_error_prefix, 1u);
  EXPECT_EQ(d->stats.delivery_errors, 1u);
}

// A prefix may take all the room the object name leaves in a 1024-byte key (S3's limit,
// the lake's too): such keys are stored. A partition value that takes a key past 1024
// bytes sends its records to the error prefix at once, and the error says which limit.
TEST_F(StreamManagerTest, KeysOf1024BytesAreStoredAndALongerOneGoesToTheErrorPrefix) {
  std::unique_ptr<objstore::ObjectStoreProvider> local;
  auto m = OpenOnLocalLake(&local);
  ASSERT_TRUE(m);
  std::string folders;  // 956 bytes: folders of 99 characters
  while (folders.size() + 1 < 956) folders += folders.size() % 100 == 99 ? '/' : 'f';
  folders += '/';
  StreamConfig c = Config();
  // "d=value/" (8 bytes), the folders and the 60-byte object name: 1024 bytes.
  c.prefix = "d=!{partitionKeyFromQuery:d}/" + folders;
  c.error_prefix = "failed/!{firehose:error-output-type}/";
  ASSERT_TRUE(m->Create(c).ok()) << m->Create(c).ToString();
  ASSERT_TRUE(PutSync(*m, "s", R"({"d":"value"})").ok());
  ASSERT_TRUE(PutSync(*m, "s", R"({"d":"values"})").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  auto bucket = local->Bucket("iot-data");
  ASSERT_TRUE(bucket.ok());
  auto stored = (*bucket)->List("d=value/");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->objects.size(), 1u);
  EXPECT_EQ(stored->objects[0].key.size(), 1024u);
  auto failed = (*bucket)->List("failed/delivery-failed/");
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->objects.size(), 1u);
  EXPECT_EQ(*(*bucket)->Get(failed->objects[0].key), R"({"d":"values"})");
  const std::string last_error = m->Describe("s")->stats.last_error;
  EXPECT_NE(last_error.find("is 1025 bytes; at most 1024 are allowed"), std::string::npos)
      << last_error;
}

// Create and Update check sample keys with the bucket's own rules: the local lake's
// reserved .tributary-tmp/ and its 255-byte segments are refused up front, naming the
// field, instead of stalling delivery.
TEST_F(StreamManagerTest, CreateAndUpdateRefusePrefixesTheLocalLakeCannotHold) {
  std::unique_ptr<objstore::ObjectStoreProvider> local;
  auto m = OpenOnLocalLake(&local);
  ASSERT_TRUE(m);
  struct Case {
    std::string prefix, error_prefix, field;
  };
  const std::string long_segment(300, 'x');
  for (const Case& k : std::vector<Case>{
           {"dev=!{partitionKeyFromQuery:dev}/", ".tributary-tmp/!{firehose:error-output-type}/",
            "error_prefix"},
           {".tributary-tmp/", "", "prefix"},
           {long_segment + "/", "", "prefix"},
           {"ok/", "e/" + long_segment + "/!{firehose:error-output-type}/", "error_prefix"}}) {
    StreamConfig c = Config("stuck");
    c.prefix = k.prefix;
    c.error_prefix = k.error_prefix;
    Status st = m->Create(c);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << k.prefix << " " << st.ToString();
    EXPECT_EQ(st.message().rfind(k.field + ":", 0), 0u) << st.message();
  }
  EXPECT_TRUE(m->List().empty());
  StreamConfig c = Config("fine");
  ASSERT_TRUE(m->Create(c).ok());
  c.error_prefix = ".tributary-tmp/!{firehose:error-output-type}/";
  Status st = m->Update(c);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << st.ToString();
  EXPECT_EQ(m->Describe("fine")->config.error_prefix, "");
}

}  // namespace
}  // namespace tributary::streams
