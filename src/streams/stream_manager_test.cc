// The stream manager's API: create, list, describe, delete; restarts and the WAL; puts
// racing deletes, backpressure, completion batches; updates while records arrive; servers
// sharing a PostgreSQL schema. What lands in the lake: stream_delivery_test.cc.
#include "streams/stream_manager.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "base/completion_batch.h"
#include "base/fault_points.h"
#include "base/files.h"
#include "base/testing/temp_dir.h"
#include "metadata/testing/test_database.h"
#include "streams/gzip.h"
#include "streams/testing/stream_manager_fixture.h"
#include "streams/wal.h"

namespace tributary::streams {
namespace {

using testing::StoredObject;
using testing::StreamManagerTest;

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
  // Created again: it describes its own records only; its series start again.
  ASSERT_TRUE(m->Create(Config("a")).ok());
  d = m->Describe("a");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->stats.records_in, 0u);
  EXPECT_EQ(d->stats.records_delivered, 0u);
  EXPECT_EQ(d->stats.objects_delivered, 0u);
  EXPECT_EQ(d->stats.wal_commits, 0u);
  EXPECT_EQ(d->stats.max_delivery_latency_ms, 0);
  ASSERT_TRUE(PutSync(*m, "a", "{\"x\":2}\n").ok());
  EXPECT_EQ(m->Describe("a")->stats.records_in, 1u);
  EXPECT_NE(registry_.Render().find("tributary_stream_records_in_total{stream=\"a\"} 1"),
            std::string::npos);
  ASSERT_TRUE(m->Delete("a").ok());
  m.reset();
  auto again = OpenManager(Options());
  ASSERT_EQ(again->List().size(), 1u);
  EXPECT_EQ(again->List()[0].name, "b");
  ASSERT_TRUE(again->Create(Config("a")).ok());  // the name is free again
}

// A deleted stream's series leave /metrics with it (a gauge such as its WAL's size would
// otherwise report a WAL that no longer exists until the server restarts); the other
// streams' stay, and a stream created again under the name starts series of its own.
TEST_F(StreamManagerTest, ADeletedStreamsSeriesLeaveTheMetrics) {
  auto m = OpenManager(Options());
  ASSERT_TRUE(m->Create(Config("d1")).ok());
  ASSERT_TRUE(m->Create(Config("other")).ok());
  ASSERT_TRUE(PutSync(*m, "d1", "x\n").ok());
  ASSERT_TRUE(PutSync(*m, "other", "y\n").ok());
  std::string rendered = registry_.Render();
  ASSERT_NE(rendered.find("tributary_stream_wal_bytes{stream=\"d1\"}"), std::string::npos);
  ASSERT_TRUE(m->Delete("d1").ok());
  rendered = registry_.Render();
  EXPECT_EQ(rendered.find("stream=\"d1\""), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("tributary_stream_records_in_total{stream=\"other\"} 1"),
            std::string::npos)
      << rendered;
  ASSERT_TRUE(m->Create(Config("d1")).ok());
  ASSERT_TRUE(PutSync(*m, "d1", "z\n").ok());
  rendered = registry_.Render();
  EXPECT_NE(rendered.find("tributary_stream_records_in_total{stream=\"d1\"} 1"), std::string::npos)
      << rendered;
  // A series appears once: the old one is gone, not beside the new one.
  const std::string series = "tributary_stream_wal_bytes{stream=\"d1\"}";
  size_t at = rendered.find(series);
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(rendered.find(series, at + 1), std::string::npos) << rendered;
  ASSERT_TRUE(m->Delete("d1").ok());
  EXPECT_EQ(registry_.Render().find("stream=\"d1\""), std::string::npos);
}

// A stream whose last flush fails while it stops (a record that came in as the delete
// began, and the lake failing it) is not deleted: it starts again from its log, with its
// records, and a later delete goes through.
TEST_F(StreamManagerTest, ADeleteWhoseStopFailsKeepsTheStreamAndItsRecords) {
  auto m = OpenManager(Options());
  ASSERT_TRUE(m->Create(Config()).ok());
  ASSERT_TRUE(PutSync(*m, "s", "a\n").ok());
  {
    struct Disarm {
      ~Disarm() { testing_support::DisarmFaults(); }
    } disarm;
    testing_support::ArmFault("streams.stop_flush", EIO);
    Status st = m->Delete("s");
    EXPECT_EQ(st.code(), ErrorCode::kUnavailable) << st.ToString();
    EXPECT_NE(st.message().find("not deleted"), std::string::npos) << st.ToString();
  }
  ASSERT_EQ(m->List().size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/wal/s"));
  ASSERT_TRUE(PutSync(*m, "s", "b\n").ok());
  ASSERT_TRUE(m->Delete("s").ok());
  std::multiset<std::string> records;  // in two objects, whose keys order them anyhow
  for (const auto& [key, obj] : Objects()) records.insert(obj.data);
  EXPECT_EQ(records, (std::multiset<std::string>{"a\n", "b\n"}));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/wal/s"));
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
  MetricsRegistry fresh;  // a new process's
  StreamManagerOptions reopened = Options();
  reopened.metrics = &fresh;
  auto m = OpenManager(reopened);
  ASSERT_EQ(m->Describe("s")->stats.buffered_bytes, 50 * 10u + 40u);  // recovered
  // The gauge says so too, before anything else is put.
  EXPECT_NE(fresh.Render().find("tributary_stream_buffered_bytes{stream=\"s\"} 540"),
            std::string::npos)
      << fresh.Render();
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

// Restarts after damage to a stream's WAL directory.
class StreamRecoveryTest : public StreamManagerTest {
 protected:
  // Leaves `records` records of stream "s" in its WAL, undelivered (the bucket fails
  // until Stop gives up), after one delivered (so a checkpoint is saved).
  void LeaveRecordsInTheWal(int records) {
    auto bucket = lake_.Get("iot-data");
    StreamManagerOptions o = Options();
    o.stop_timeout_ms = 200;
    auto m = OpenManager(o);
    ASSERT_TRUE(m->Create(Config()).ok());
    ASSERT_TRUE(PutSync(*m, "s", "delivered-1\n").ok());
    ASSERT_TRUE(m->Flush("s").ok());
    bucket->FailPutsWhere([](const std::string&) { return true; });
    for (int i = 0; i < records; ++i) {
      ASSERT_TRUE(PutSync(*m, "s", fmt::format("pending-{:03d}\n", i)).ok());
    }
    m->Stop();
    bucket->FailPutsWhere(nullptr);
  }
};

// A damaged frame in the middle of a stream's WAL: the records after it are delivered,
// the one lost is counted (Describe, /metrics) and last_error says where.
TEST_F(StreamRecoveryTest, AWalDamagedInTheMiddleDeliversTheRestAndSaysWhatWasLost) {
  LeaveRecordsInTheWal(20);
  // The segment holding the pending records: damage the 10th of them.
  std::string segment;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/wal/s")) {
    if (e.path().extension() == ".wal" && std::filesystem::file_size(e.path()) > 0) {
      segment = e.path().string();
    }
  }
  ASSERT_FALSE(segment.empty());
  auto bytes = ReadFile(segment);
  ASSERT_TRUE(bytes.ok());
  size_t at = bytes->find("pending-009");
  ASSERT_NE(at, std::string::npos);
  (*bytes)[at + 3] ^= 0x20;
  ASSERT_TRUE(WriteFileAtomic(segment, *bytes).ok());

  MetricsRegistry fresh;  // a new process's
  StreamManagerOptions reopened = Options();
  reopened.metrics = &fresh;
  auto m = OpenManager(reopened);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Flush("s").ok());
  std::string all;
  for (const auto& [key, obj] : Objects()) all += obj.data;
  EXPECT_EQ(all.find("pending-009"), std::string::npos);
  EXPECT_NE(all.find("pending-010"), std::string::npos) << all;
  EXPECT_NE(all.find("pending-019"), std::string::npos) << all;
  auto d = m->Describe("s");
  EXPECT_EQ(d->stats.wal_records_lost, 1u);
  EXPECT_NE(d->stats.last_error.find(std::filesystem::path(segment).filename().string()),
            std::string::npos)
      << d->stats.last_error;
  EXPECT_NE(d->stats.last_error.find("offset"), std::string::npos) << d->stats.last_error;
  EXPECT_NE(fresh.Render().find("tributary_stream_wal_records_lost_total{stream=\"s\"} 1"),
            std::string::npos)
      << fresh.Render();
  EXPECT_TRUE(std::filesystem::exists(segment + ".corrupt"));
}

// One stream's checkpoint that does not parse keeps neither the server nor the stream
// down: it is set aside, the stream starts from the records its WAL holds (delivered
// again: duplicates, with their ids), and last_error says so.
TEST_F(StreamRecoveryTest, ACorruptCheckpointIsSetAsideAndTheStreamStarts) {
  LeaveRecordsInTheWal(5);
  const std::string checkpoint = dir_.path() + "/wal/s/checkpoint";
  ASSERT_TRUE(std::filesystem::exists(checkpoint));
  ASSERT_TRUE(WriteFileAtomic(checkpoint, "{\"delivered_through\": 1, \"deliv").ok());
  auto m = OpenManager(Options());
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Flush("s").ok());
  std::string all;
  for (const auto& [key, obj] : Objects()) all += obj.data;
  EXPECT_NE(all.find("pending-004"), std::string::npos) << all;
  auto d = m->Describe("s");
  EXPECT_NE(d->stats.last_error.find("checkpoint.corrupt"), std::string::npos)
      << d->stats.last_error;
  EXPECT_TRUE(std::filesystem::exists(checkpoint + ".corrupt"));
}

// A stream's record ids are its epoch (in the table) and a sequence number only its WAL
// knows. A WAL directory that holds nothing at a restart (--wal-dir moved, the directory
// lost) numbers from 1 again: the stream takes a fresh epoch, kept in the table, so that
// no id is given twice. A WAL that holds its files keeps the epoch.
TEST_F(StreamManagerTest, AStreamWhoseWalStartsEmptyTakesAFreshEpoch) {
  auto put_id = [](StreamManager& m) {
    std::promise<std::string> p;
    m.PutRecord("s", "{\"x\":1}\n", [&](const Status& s, const std::string& id) {
      p.set_value(s.ok() ? id : s.ToString());
    });
    return p.get_future().get();
  };
  auto table_epoch = [this] {
    auto rows = db_->Query("SELECT epoch FROM streams WHERE name='s'");
    return rows.ok() && rows->size() == 1 ? (*rows)[0].Text(0) : std::string("?");
  };
  std::string first;
  {
    auto m = OpenManager(Options());
    ASSERT_TRUE(m->Create(Config()).ok());
    first = put_id(*m);
    ASSERT_EQ(first.size(), 32u) << first;
    EXPECT_EQ(first.substr(0, 16), table_epoch());
  }
  std::string second;
  {
    auto m = OpenManager(Options());  // the WAL as it was: the same epoch, the next number
    second = put_id(*m);
    ASSERT_EQ(second.size(), 32u) << second;
    EXPECT_EQ(second.substr(0, 16), first.substr(0, 16));
    EXPECT_GT(second, first);
  }
  // The WAL directory moves to a new device and starts empty.
  StreamManagerOptions moved = Options();
  moved.wal_dir = dir_.path() + "/wal-elsewhere";
  std::string third;
  {
    auto m = OpenManager(moved);
    third = put_id(*m);
    ASSERT_EQ(third.size(), 32u) << third;
    EXPECT_EQ(third.substr(16), first.substr(16)) << "numbered from 1 again";
    EXPECT_NE(third.substr(0, 16), first.substr(0, 16)) << "under a fresh epoch";
    EXPECT_EQ(third.substr(0, 16), table_epoch()) << "kept in the table";
    ASSERT_TRUE(m->Flush("s").ok());
  }
  // Lost: the directory is gone.
  std::filesystem::remove_all(moved.wal_dir + "/s");
  std::string fourth;
  {
    auto m = OpenManager(moved);
    fourth = put_id(*m);
    ASSERT_EQ(fourth.size(), 32u) << fourth;
    EXPECT_NE(fourth.substr(0, 16), third.substr(0, 16));
    EXPECT_NE(fourth.substr(0, 16), first.substr(0, 16));
    EXPECT_EQ(fourth.substr(0, 16), table_epoch());
  }
  // The renewed epoch holds across a restart on the WAL it started.
  auto m = OpenManager(moved);
  std::string fifth = put_id(*m);
  EXPECT_EQ(fifth.substr(0, 16), fourth.substr(0, 16));
  EXPECT_GT(fifth, fourth);
  std::set<std::string> ids{first, second, third, fourth, fifth};
  EXPECT_EQ(ids.size(), 5u);
}

// A stream is its row's name (the table's primary key): a config JSON without a name
// takes it, so the stream's WAL is <wal-dir>/<name> like any other, and deleting the
// stream removes that directory alone, never the WAL root with every stream's records.
TEST_F(StreamManagerTest, ARowWhoseConfigLacksANameIsTheRowsStream) {
  {
    StreamManagerOptions o = Options();
    o.stop_timeout_ms = 200;
    auto m = OpenManager(o);
    ASSERT_TRUE(m->Create(Config("other")).ok());
    lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
    ASSERT_TRUE(PutSync(*m, "other", "owed\n").ok());
    m->Stop();  // gives up on the failing lake: the record stays in other's WAL
    lake_.Get("iot-data")->FailPutsWhere(nullptr);
  }
  ASSERT_TRUE(
      db_->Exec("INSERT INTO streams(name, config, epoch, created_ms) VALUES(?, ?, ?, ?)",
                {std::string("d1"), std::string(R"({"bucket":"iot-data","buffer_interval_s":900})"),
                 std::string("00000000000000d1"), int64_t{testing::kStart}})
          .ok());
  auto m = OpenManager(Options());
  ASSERT_TRUE(m);
  auto d = m->Describe("d1");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->config.name, "d1");
  ASSERT_TRUE(PutSync(*m, "d1", "x\n").ok());
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/wal/d1"));
  ASSERT_TRUE(m->Delete("d1").ok());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/wal/d1"));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/wal/other"));
  // The other stream's record, still owed, is delivered.
  ASSERT_TRUE(m->Flush("other").ok());
  bool owed_delivered = false;
  for (const auto& [key, obj] : Objects()) owed_delivered |= obj.data == "owed\n";
  EXPECT_TRUE(owed_delivered);
}

// One stream's row that does not read keeps that stream down, and only it: the others
// start and take records; the failed one shows in List and Describe with the reason,
// refuses records, keeps its WAL, and an update with a valid configuration starts it with
// the records its WAL held.
TEST_F(StreamManagerTest, AnUnreadableRowKeepsOnlyItsStreamDown) {
  {
    StreamManagerOptions o = Options();
    o.stop_timeout_ms = 200;
    auto m = OpenManager(o);
    ASSERT_TRUE(m->Create(Config("d1")).ok());
    ASSERT_TRUE(m->Create(Config("good")).ok());
    lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
    ASSERT_TRUE(PutSync(*m, "d1", "owed-by-d1\n").ok());
    m->Stop();  // the record stays in d1's WAL
    lake_.Get("iot-data")->FailPutsWhere(nullptr);
  }
  // Truncated, as a crash of a hand edit might leave it.
  ASSERT_TRUE(db_->Exec("UPDATE streams SET config=substr(config, 1, 20) WHERE name='d1'").ok());
  auto m = OpenManager(Options());
  ASSERT_TRUE(m);
  auto list = m->List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "d1");
  EXPECT_EQ(list[1].name, "good");
  auto d = m->Describe("d1");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->status, "failed");
  EXPECT_NE(d->stats.last_error.find("not JSON"), std::string::npos) << d->stats.last_error;
  EXPECT_GT(d->stats.last_error_ms, 0);
  EXPECT_EQ(ToJson(*d)["status"], "failed");
  EXPECT_EQ(m->Describe("good")->status, "active");
  ASSERT_TRUE(PutSync(*m, "good", "fine\n").ok());

  Status refused = PutSync(*m, "d1", "x\n");
  EXPECT_EQ(refused.code(), ErrorCode::kFailedPrecondition) << refused.ToString();
  EXPECT_NE(refused.message().find("not JSON"), std::string::npos) << refused.ToString();
  auto batch = m->PutRecordBatch("d1", {"a"});
  EXPECT_EQ(batch[0].status.code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(m->Flush("d1").code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(m->Create(Config("d1")).code(), ErrorCode::kAlreadyExists);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/wal/d1/checkpoint") ||
              !std::filesystem::is_empty(dir_.path() + "/wal/d1"));

  // Mended by an update: it starts, and what its WAL held is delivered.
  StreamConfig bad = Config("d1");
  bad.buffer_size_mib = 0;
  EXPECT_EQ(m->Update(bad).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(m->Describe("d1")->status, "failed");
  ASSERT_TRUE(m->Update(Config("d1")).ok());
  EXPECT_EQ(m->Describe("d1")->status, "active");
  ASSERT_TRUE(m->Flush("d1").ok());
  bool owed_delivered = false;
  for (const auto& [key, obj] : Objects()) owed_delivered |= obj.data == "owed-by-d1\n";
  EXPECT_TRUE(owed_delivered);
  ASSERT_TRUE(PutSync(*m, "d1", "again\n").ok());
  m.reset();
  auto again = OpenManager(Options());  // the mended row reads at the next start
  EXPECT_EQ(again->Describe("d1")->status, "active");
}

// Every kind of damaged row is refused at load with the reason, by the checks Create
// makes (an unknown key included: a setting this server does not know is not silently
// dropped); deleting such a stream removes its row and its own WAL directory only.
TEST_F(StreamManagerTest, DamagedRowsFailWithTheirReasonAndCanBeDeleted) {
  {
    auto m = OpenManager(Options());
    ASSERT_TRUE(m->Create(Config("good")).ok());
    ASSERT_TRUE(PutSync(*m, "good", "kept\n").ok());
  }
  auto row = [&](const std::string& name, const std::string& config,
                 const std::string& epoch = "00000000000000ab") {
    ASSERT_TRUE(db_->Exec("INSERT INTO streams(name, config, epoch, created_ms) VALUES(?, ?, ?, ?)",
                          {name, config, epoch, int64_t{testing::kStart}})
                    .ok());
  };
  row("unknown-key", R"({"name":"unknown-key","bucket":"iot-data","zstd_level":3})");
  row("zero-size", R"({"name":"zero-size","bucket":"iot-data","buffer_size_mib":0})");
  row("renamed", R"({"name":"good","bucket":"iot-data"})");
  row("bad-epoch", R"({"bucket":"iot-data"})", "not-an-epoch");
  row("bad name", R"({"bucket":"iot-data"})");
  // A WAL left by the failed stream, to be removed with it.
  ASSERT_TRUE(std::filesystem::create_directories(dir_.path() + "/wal/zero-size"));
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/wal/zero-size/checkpoint",
                              R"({"delivered_through": 0, "delivered_ranges": []})")
                  .ok());

  auto m = OpenManager(Options());
  ASSERT_TRUE(m);
  const std::map<std::string, std::string> reasons = {
      {"unknown-key", "zstd_level: unknown stream config key"},
      {"zero-size", "buffer_size_mib: 0 is not in 1..128"},
      {"renamed", "the config of a stream named 'good'"},
      {"bad-epoch", "epoch 'not-an-epoch'"},
      {"bad name", "name:"},
  };
  EXPECT_EQ(m->List().size(), reasons.size() + 1);
  for (const auto& [name, reason] : reasons) {
    auto d = m->Describe(name);
    ASSERT_TRUE(d.ok()) << name;
    EXPECT_EQ(d->status, "failed") << name;
    EXPECT_NE(d->stats.last_error.find(reason), std::string::npos)
        << name << ": " << d->stats.last_error;
  }
  EXPECT_EQ(m->Describe("good")->status, "active");
  EXPECT_EQ(m->Describe("good")->config.bucket, "iot-data");

  for (const auto& [name, reason] : reasons) {
    Status st = m->Delete(name);
    EXPECT_TRUE(st.ok()) << name << ": " << st.ToString();
    EXPECT_EQ(m->Describe(name).status().code(), ErrorCode::kNotFound) << name;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/wal/zero-size"));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/wal/good"));
  auto rows = db_->Query("SELECT name FROM streams");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Text(0), "good");
  ASSERT_TRUE(m->Flush("good").ok());
  ASSERT_EQ(Objects().size(), 1u);
  EXPECT_EQ(Objects().begin()->second.data, "kept\n");
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
    EXPECT_TRUE(code == ErrorCode::kUnavailable || code == ErrorCode::kNotFound)
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
  // Each record counts with its 32-byte WAL frame header: 232 bytes, four of them fit.
  std::string rec(200, 'r');
  int ok = 0, exhausted = 0;
  for (int i = 0; i < 8; ++i) {
    Status s = PutSync(*m, "s", rec);
    if (s.ok()) ok++;
    if (s.code() == ErrorCode::kResourceExhausted) exhausted++;
  }
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(exhausted, 4);
  auto d = m->Describe("s");
  EXPECT_EQ(d->stats.records_rejected, 4u);
  EXPECT_EQ(d->stats.buffered_bytes, 800u);  // the records' own bytes
  // Once the bucket is back and the buffer delivered, records are accepted again.
  lake_.Get("iot-data")->FailPutsWhere(nullptr);
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_TRUE(PutSync(*m, "s", rec).ok());
}

// The pending limit bounds what the WAL holds: each record counts with its WAL frame
// header (32 bytes) and the stream's record delimiter, so empty and tiny records are
// refused too once the limit is reached (counting their bytes alone, they never were, and
// the WAL grew 40 times faster than the count).
TEST_F(StreamManagerTest, EmptyAndTinyRecordsCountWithTheirFramesAgainstThePendingLimit) {
  StreamManagerOptions o = Options();
  o.max_pending_bytes = 1000;
  o.stop_timeout_ms = 100;
  auto m = OpenManager(o);
  ASSERT_TRUE(m->Create(Config("empty")).ok());
  StreamConfig delimited = Config("delimited");
  delimited.record_delimiter = "\n";
  ASSERT_TRUE(m->Create(delimited).ok());
  lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
  auto accepted_until_refused = [&](const std::string& stream, const std::string& rec) {
    int accepted = 0;
    for (; accepted < 100; ++accepted) {
      Status s = PutSync(*m, stream, rec);
      if (!s.ok()) {
        EXPECT_EQ(s.code(), ErrorCode::kResourceExhausted) << s.ToString();
        EXPECT_NE(s.message().find("limit of 1000"), std::string::npos) << s.ToString();
        break;
      }
    }
    return accepted;
  };
  EXPECT_EQ(accepted_until_refused("empty", ""), 1000 / 32);
  EXPECT_EQ(accepted_until_refused("delimited", "x"), 1000 / (1 + 32 + 1));
  auto empty = m->Describe("empty")->stats;
  EXPECT_EQ(empty.buffered_bytes, 0u);  // the records' bytes
  EXPECT_LE(empty.wal_bytes, o.max_pending_bytes);
  EXPECT_LE(m->Describe("delimited")->stats.wal_bytes, o.max_pending_bytes);
}

// The same through a batch (records staged and admitted together): the WAL stays within
// the limit however small the records.
TEST_F(StreamManagerTest, ABatchOfTinyRecordsKeepsTheWalWithinThePendingLimit) {
  StreamManagerOptions o = Options();
  o.max_pending_bytes = 64 << 10;
  o.stop_timeout_ms = 100;
  auto m = OpenManager(o);
  ASSERT_TRUE(m->Create(Config()).ok());
  lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
  size_t accepted = 0, refused = 0;
  for (int batch = 0; batch < 20 && refused == 0; ++batch) {
    for (const PutRecordResult& r : m->PutRecordBatch("s", std::vector<std::string>(500, "x"))) {
      if (r.status.ok()) {
        ++accepted;
      } else {
        EXPECT_EQ(r.status.code(), ErrorCode::kResourceExhausted) << r.status.ToString();
        ++refused;
      }
    }
  }
  EXPECT_GT(refused, 0u);
  EXPECT_EQ(accepted, o.max_pending_bytes / 33);
  auto stats = m->Describe("s")->stats;
  EXPECT_EQ(stats.buffered_bytes, accepted);
  EXPECT_LE(stats.wal_bytes, o.max_pending_bytes);
}

// Small records of many partitions: buffers are sealed early as the limit counts them
// (with their frames), before the limit refuses any for good.
TEST_F(StreamManagerTest, ManySmallRecordsInManyPartitionsAreDeliveredEarlyInsteadOfRefused) {
  StreamManagerOptions o = Options();
  o.max_pending_bytes = 8 << 10;
  auto m = OpenManager(o);
  StreamConfig c = Config();  // 900 s interval: timers never fire, the clock stands still
  c.prefix = "device=!{partitionKeyFromQuery:device}/";
  ASSERT_TRUE(m->Create(c).ok());
  // 17 bytes, 49 as the limit counts them: without the frames counted the buffers would
  // never reach half the limit, and the limit would refuse records until their timers.
  size_t delivered_bytes = 0;
  for (int i = 0; i < 600; ++i) {
    std::string rec = fmt::format(R"({{"device":"d{:02d}"}})", i % 30) + "\n";
    delivered_bytes += rec.size();
    Status s = PutSync(*m, "s", rec);
    for (int tries = 0; s.code() == ErrorCode::kResourceExhausted && tries < 500; ++tries) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      s = PutSync(*m, "s", rec);
    }
    ASSERT_TRUE(s.ok()) << "record " << i << ": " << s.ToString();
  }
  EXPECT_GT(m->Describe("s")->stats.buffers_sealed_early, 0u);
  ASSERT_TRUE(m->Flush("s").ok());
  size_t in_lake = 0;
  for (const auto& [key, obj] : Objects()) in_lake += obj.data.size();
  EXPECT_EQ(in_lake, delivered_bytes);
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
  EXPECT_NE(out[2].status.message().find("limit of 1000"), std::string::npos);
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
    EXPECT_EQ(x.status.code(), ErrorCode::kUnavailable) << x.status.ToString();
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
  // Firehose takes a record of 0 bytes: it gets an id of its own.
  EXPECT_TRUE(r[1].status.ok()) << r[1].status.ToString();
  EXPECT_EQ(r[1].record_id.size(), 32u);
  EXPECT_TRUE(r[2].status.ok());
  EXPECT_NE(r[0].record_id, r[2].record_id);
  EXPECT_NE(r[1].record_id, r[2].record_id);
  ASSERT_TRUE(m->Flush("s").ok());
  std::string all;
  for (const auto& [key, obj] : Objects()) all += obj.data;
  EXPECT_EQ(all, "ac");
  EXPECT_TRUE(m->PutRecordBatch("s", {}).empty());
  auto missing = m->PutRecordBatch("nope", {"a"});
  EXPECT_EQ(missing[0].status.code(), ErrorCode::kNotFound);
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
  auto ingest = OpenManager(SecondServerOptions(other_db->get(), &other_registry));
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

// Servers sharing the table (streams_test_postgres): a row that stops reading leaves a
// stream running where it runs; a server that starts on it has it failed, its WAL kept;
// another server's update mends it there, and another's delete removes it there.
TEST_F(StreamManagerTest, AServerFollowsAFailedStreamMendedOrDeletedByAnother) {
  const char* pg = std::getenv("TRIBUTARY_TEST_POSTGRES_URL");
  if (pg == nullptr || *pg == '\0') GTEST_SKIP() << "runs as streams_test_postgres";
  auto control = OpenManager(Options());
  ASSERT_TRUE(control);
  ASSERT_TRUE(control->Create(Config("d1")).ok());
  auto other_db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
  ASSERT_TRUE(other_db.ok()) << other_db.status().ToString();
  MetricsRegistry other_registry;
  const StreamManagerOptions o = SecondServerOptions(other_db->get(), &other_registry);
  auto ingest = OpenManager(o);
  ASSERT_TRUE(ingest);
  auto wait_until = [](const std::function<bool()>& cond) {
    for (int i = 0; i < 200 && !cond(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    return cond();
  };
  auto status_of = [](StreamManager& m, const std::string& name) {
    auto d = m.Describe(name);
    return d.ok() ? d->status : d.status().ToString();
  };
  auto damage = [&] {
    ASSERT_TRUE(db_->Exec("UPDATE streams SET config='{\"bucket\":' WHERE name='d1'").ok());
    db_->Announce("streams", "d1");
  };
  ASSERT_TRUE(PutSync(*ingest, "d1", "taken-by-ingest\n").ok());

  damage();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(status_of(*ingest, "d1"), "active") << "keeps running as it was";
  ingest.reset();  // delivers what it took
  ingest = OpenManager(o);
  ASSERT_TRUE(ingest);
  EXPECT_EQ(status_of(*ingest, "d1"), "failed");
  EXPECT_TRUE(std::filesystem::exists(o.wal_dir + "/d1"));

  // Mended on the control server: started on the ingest server.
  ASSERT_TRUE(control->Update(Config("d1")).ok());
  ASSERT_TRUE(wait_until([&] { return status_of(*ingest, "d1") == "active"; }))
      << status_of(*ingest, "d1");
  ASSERT_TRUE(PutSync(*ingest, "d1", "after-mending\n").ok());

  // Damaged again, then deleted on the control server: gone here too, its WAL with it.
  damage();
  ingest.reset();
  ingest = OpenManager(o);
  ASSERT_TRUE(ingest);
  EXPECT_EQ(status_of(*ingest, "d1"), "failed");
  ASSERT_TRUE(control->Delete("d1").ok());
  ASSERT_TRUE(wait_until([&] { return ingest->List().empty(); }));
  EXPECT_EQ(ingest->Describe("d1").status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(o.wal_dir + "/d1"));
}

}  // namespace
}  // namespace tributary::streams
