// The stream manager across restarts: undelivered records delivered again; a WAL damaged
// in the middle or a corrupt checkpoint; a WAL directory that starts empty (a fresh
// epoch); stream rows that do not read or validate (the stream failed alone).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "base/fault_points.h"
#include "base/files.h"
#include "base/testing/temp_dir.h"
#include "streams/gzip.h"
#include "streams/stream_manager.h"
#include "streams/testing/stream_manager_fixture.h"
#include "streams/testing/wal_test_support.h"
#include "streams/wal.h"

namespace tributary::streams {
namespace {

using testing::StoredObject;
using testing::StreamManagerTest;

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
  // This process took none of them in: they count as recovered, so that what was
  // delivered is never more than what came in or was recovered.
  StreamStats stats = m->Describe("s")->stats;
  EXPECT_EQ(stats.records_in, 0u);
  EXPECT_EQ(stats.records_recovered, 50u);
  EXPECT_EQ(stats.records_delivered, 50u);
  ASSERT_TRUE(PutSync(*m, "s", "after-restart\n").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  stats = m->Describe("s")->stats;
  EXPECT_EQ(stats.records_in, 1u);
  EXPECT_EQ(stats.records_delivered, 51u);
  EXPECT_EQ(stats.records_in + stats.records_recovered, stats.records_delivered);
  const std::string text = fresh.Render();
  EXPECT_NE(text.find("tributary_stream_records_recovered_total{stream=\"s\"} 50"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tributary_stream_records_in_total{stream=\"s\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("tributary_stream_records_delivered_total{stream=\"s\"} 51"),
            std::string::npos)
      << text;
  // And once more: now nothing is owed.
  m.reset();
  auto m2 = OpenManager(Options());
  EXPECT_EQ(m2->Describe("s")->stats.buffered_bytes, 0u);
  EXPECT_EQ(m2->Describe("s")->stats.records_recovered, 0u);
  ASSERT_TRUE(m2->Flush("s").ok());
  EXPECT_EQ(Objects().size(), 3u);
}

// A flush returns once its records' checkpoint is saved, though the WAL coalesces its
// saves (an interval apart): a crash right after it delivers none of them again.
TEST_F(StreamManagerTest, AFlushSavesTheCheckpointACrashAfterItDeliversNothingAgain) {
  auto m = OpenManager(Options());
  ASSERT_TRUE(m->Create(Config()).ok());
  for (int i = 0; i < 3; ++i) {  // three objects, delivered within one save interval
    ASSERT_TRUE(PutSync(*m, "s", fmt::format("r{}\n", i)).ok());
    ASSERT_TRUE(m->Flush("s").ok());
  }
  EXPECT_EQ(Objects().size(), 3u);
  // What a crash now leaves: the WAL directory as it is, the server still running.
  testing_support::TempDir crash;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/wal/s")) {
    std::filesystem::copy_file(e.path(), crash.path() + "/" + e.path().filename().string());
  }
  WalOptions wo;
  wo.dir = crash.path();
  std::vector<WalRecord> undelivered;
  auto wal = Wal::Open(wo, &undelivered);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  EXPECT_TRUE(undelivered.empty()) << undelivered.size() << " records delivered again";
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

// A stream whose threads the system refuses at start (the server at its limit of threads:
// ulimit -u, systemd's TasksMax=) is down with the reason, and only it; the server starts.
// A create refused so leaves no stream; either is started by a later start or create.
TEST_F(StreamManagerTest, AStreamWhoseThreadsTheSystemRefusesIsDownAndOnlyIt) {
  {
    auto m = OpenManager(Options());
    ASSERT_TRUE(m->Create(Config("d1")).ok());
    ASSERT_TRUE(m->Create(Config("good")).ok());
  }
  testing_support::ArmFault("thread.start:deliver:d1", EAGAIN);
  auto m = OpenManager(Options());
  ASSERT_TRUE(m);
  auto d = m->Describe("d1");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->status, "failed");
  EXPECT_NE(d->stats.last_error.find("cannot start thread 'deliver:d1'"), std::string::npos)
      << d->stats.last_error;
  EXPECT_EQ(m->Describe("good")->status, "active");
  ASSERT_TRUE(PutSync(*m, "good", "fine\n").ok());

  testing_support::ArmFault("thread.start:wal:d2", EAGAIN);
  Status refused = m->Create(Config("d2"));
  EXPECT_EQ(refused.code(), ErrorCode::kResourceExhausted) << refused.ToString();
  EXPECT_NE(refused.message().find("cannot start thread 'wal:d2'"), std::string::npos)
      << refused.ToString();
  EXPECT_EQ(m->Describe("d2").status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/wal/d2")) << "the failed create's WAL";
  ASSERT_TRUE(m->Create(Config("d2")).ok()) << "a create again, with threads to spare";
  ASSERT_TRUE(PutSync(*m, "d2", "x\n").ok());
  m.reset();
  auto again = OpenManager(Options());
  EXPECT_EQ(again->Describe("d1")->status, "active");
  EXPECT_EQ(again->Describe("d2")->status, "active");
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

// A stream deleted from the table while its WAL held acknowledged, undelivered records
// (another server deleted it while this one was down, or before its lake took them): at
// start the WAL is delivered ("draining", by the configuration saved beside it), a
// stream created again under the name does not throw it away, and the WAL goes once
// every record it held is in the lake.
TEST_F(StreamManagerTest, AWalWhoseStreamLeftTheTableIsDeliveredNotThrownAway) {
  auto bucket = lake_.Get("iot-data");
  StreamManagerOptions o = Options();
  o.stop_timeout_ms = 200;  // Stop gives up on the failing bucket and keeps the WAL
  {
    auto m = OpenManager(o);
    ASSERT_TRUE(m->Create(Config("w1")).ok());
    bucket->FailPutsWhere([](const std::string&) { return true; });
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(PutSync(*m, "w1", fmt::format("old-{:02d}\n", i)).ok());
    }
  }
  // Deleted by another server meanwhile.
  ASSERT_TRUE(db_->Exec("DELETE FROM streams WHERE name='w1'").ok());
  auto m = OpenManager(o);
  ASSERT_TRUE(m);
  auto d = m->Describe("w1");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->status, "draining");
  ASSERT_EQ(m->List().size(), 1u);
  EXPECT_EQ(PutSync(*m, "w1", "refused\n").code(), ErrorCode::kNotFound) << "accepts nothing";
  EXPECT_FALSE(std::filesystem::exists(o.wal_dir + "/w1")) << "moved aside";

  // Created again while the old records still wait: they are kept, and delivered.
  ASSERT_TRUE(m->Create(Config("w1")).ok());
  EXPECT_EQ(m->Describe("w1")->status, "active");
  ASSERT_TRUE(PutSync(*m, "w1", "new\n").ok());
  bucket->FailPutsWhere(nullptr);
  ASSERT_TRUE(m->Flush("w1").ok());
  auto all = [&] {
    std::string out;
    for (const auto& [key, obj] : Objects()) out += obj.data;
    return out;
  };
  for (int i = 0; i < 200 && all().find("old-29") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  const std::string delivered = all();
  for (int i = 0; i < 30; ++i) {
    EXPECT_NE(delivered.find(fmt::format("old-{:02d}\n", i)), std::string::npos) << i;
  }
  EXPECT_NE(delivered.find("new\n"), std::string::npos);
  // Drained: its WAL removed, and only the new stream is left.
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = std::filesystem::is_empty(o.wal_dir + "/+draining");
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_TRUE(gone);
  EXPECT_EQ(m->List().size(), 1u);
  EXPECT_EQ(m->Describe("w1")->status, "active");
}

// The value of an unlabelled series in `registry`'s /metrics text; -1 if it is not there.
int64_t Sample(const MetricsRegistry& registry, const std::string& name) {
  const std::string text = "\n" + registry.Render();
  size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + name.size() + 2));
}

// A draining WAL's counters are its own, kept out of /metrics under the stream's name;
// /metrics shows them summed over the draining WALs: how many there are, what they still
// hold, what they delivered (and how much of it under the error prefix).
TEST_F(StreamManagerTest, DrainingWalsShowInMetrics) {
  auto bucket = lake_.Get("iot-data");
  StreamManagerOptions o = Options();
  o.stop_timeout_ms = 200;
  StreamConfig c = Config("w4");
  c.prefix = "device=!{partitionKeyFromQuery:device}/";
  uint64_t bytes = 0;
  {
    auto m = OpenManager(o);
    ASSERT_TRUE(m->Create(c).ok());
    bucket->FailPutsWhere([](const std::string&) { return true; });
    for (int i = 0; i < 25; ++i) {
      // One in five is not JSON: the error prefix's.
      std::string rec = i % 5 == 4 ? fmt::format("not json {}\n", i)
                                   : fmt::format(R"({{"device":"d{}"}})", i % 2) + "\n";
      bytes += rec.size();
      ASSERT_TRUE(PutSync(*m, "w4", rec).ok());
    }
  }
  ASSERT_TRUE(db_->Exec("DELETE FROM streams WHERE name='w4'").ok());
  MetricsRegistry fresh;  // a new process's
  o.metrics = &fresh;
  auto m = OpenManager(o);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->Describe("w4")->status, "draining");
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_wals"), 1);
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_buffered_records"), 25);
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_buffered_bytes"), int64_t(bytes));
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_records_recovered_total"), 25);
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_records_delivered_total"), 0);
  // The lake refuses them for now: the drainer's retries show.
  for (int i = 0; i < 200 && Sample(fresh, "tributary_stream_draining_delivery_errors_total") == 0;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_GT(Sample(fresh, "tributary_stream_draining_delivery_errors_total"), 0);
  EXPECT_EQ(fresh.Render().find("stream=\"w4\""), std::string::npos)
      << "the draining stream's own series stay out of /metrics";

  bucket->FailPutsWhere(nullptr);
  bool gone = false;
  for (int i = 0; i < 400 && !gone; ++i) {
    gone = std::filesystem::is_empty(o.wal_dir + "/+draining");
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_TRUE(gone);
  const std::string text = fresh.Render();
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_wals"), 0) << text;
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_buffered_records"), 0) << text;
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_buffered_bytes"), 0) << text;
  // Kept once the WAL is drained: counters do not go back.
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_records_recovered_total"), 25) << text;
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_records_delivered_total"), 25) << text;
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_records_to_error_prefix_total"), 5) << text;
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_objects_delivered_total"),
            int64_t(Objects().size()))
      << text;
  EXPECT_GT(Sample(fresh, "tributary_stream_draining_bytes_delivered_total"), 0) << text;
  EXPECT_GT(Sample(fresh, "tributary_stream_draining_delivery_errors_total"), 0) << text;
  EXPECT_NE(text.find("# TYPE tributary_stream_draining_records_delivered_total counter"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE tributary_stream_draining_wals gauge"), std::string::npos);

  // The manager gone, so are the series (they read its drainer).
  m.reset();
  EXPECT_EQ(fresh.Render().find("tributary_stream_draining_"), std::string::npos);
}

// The WAL of a stream gone from the table is opened once to see whether it holds anything
// (and then again, moved aside, to be drained): damage found in the middle of a segment
// is repaired by the first open, and the records it cost count in
// tributary_stream_draining_wal_records_lost_total all the same.
TEST_F(StreamManagerTest, RecordsLostInALeftoverWalCountWhenItIsSetAside) {
  auto bucket = lake_.Get("iot-data");
  StreamManagerOptions o = Options();
  o.stop_timeout_ms = 200;
  {
    auto m = OpenManager(o);
    ASSERT_TRUE(m->Create(Config("w5")).ok());
    bucket->FailPutsWhere([](const std::string&) { return true; });
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(PutSync(*m, "w5", fmt::format("old-{:02d}\n", i)).ok());
    }
  }
  bucket->FailPutsWhere(nullptr);
  ASSERT_TRUE(db_->Exec("DELETE FROM streams WHERE name='w5'").ok());
  {
    const std::string segment = testing::OnlySegment(o.wal_dir + "/w5");
    auto bytes = ReadFile(segment);
    ASSERT_TRUE(bytes.ok());
    const size_t at = bytes->find("old-10");
    ASSERT_NE(at, std::string::npos);
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at));
    f.put('X');
  }
  MetricsRegistry fresh;
  o.metrics = &fresh;
  testing::WarningCapture warnings;
  auto m = OpenManager(o);
  ASSERT_TRUE(m);
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_wal_records_lost_total"), 1) << fresh.Render();
  EXPECT_NE(warnings.text().find("#11..#11"), std::string::npos) << warnings.text();
  bool gone = false;
  for (int i = 0; i < 400 && !gone; ++i) {
    gone = std::filesystem::is_empty(o.wal_dir + "/+draining");
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_TRUE(gone);
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_records_delivered_total"), 29);
  EXPECT_EQ(Sample(fresh, "tributary_stream_draining_wal_records_lost_total"), 1)
      << "counted once, not again when the drained WAL's counts are kept";
}

// Created again over an old WAL directory that still holds undelivered records (and no
// saved configuration, as an older version left it): the WAL is moved aside and kept,
// never deleted; one that holds nothing undelivered is removed.
TEST_F(StreamManagerTest, ACreateNeverDeletesAnOldWalWithUndeliveredRecords) {
  auto bucket = lake_.Get("iot-data");
  StreamManagerOptions o = Options();
  o.stop_timeout_ms = 200;
  {
    auto m = OpenManager(o);
    ASSERT_TRUE(m->Create(Config("w2")).ok());
    ASSERT_TRUE(m->Create(Config("w3")).ok());
    ASSERT_TRUE(PutSync(*m, "w3", "delivered\n").ok());
    ASSERT_TRUE(m->Flush("w3").ok());
    bucket->FailPutsWhere([](const std::string&) { return true; });
    ASSERT_TRUE(PutSync(*m, "w2", "owed\n").ok());
  }
  bucket->FailPutsWhere(nullptr);
  std::filesystem::remove(o.wal_dir + "/w2/stream.json");
  ASSERT_TRUE(db_->Exec("DELETE FROM streams").ok());
  auto m = OpenManager(o);
  ASSERT_TRUE(m->Create(Config("w2")).ok());
  ASSERT_TRUE(m->Create(Config("w3")).ok());
  size_t kept = 0;
  for (const auto& e : std::filesystem::directory_iterator(o.wal_dir + "/+draining")) {
    EXPECT_EQ(e.path().filename().string().rfind("w2-", 0), 0u) << e.path();
    EXPECT_FALSE(Wal::HoldsNothing(e.path().string())) << e.path();
    ++kept;
  }
  EXPECT_EQ(kept, 1u);
}

}  // namespace
}  // namespace tributary::streams
