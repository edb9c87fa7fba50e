// The stream manager's API: create, list, describe, delete; puts racing deletes,
// backpressure, completion batches; updates while records arrive. Restarts:
// stream_manager_restart_test.cc; servers sharing a PostgreSQL schema:
// stream_manager_shared_test.cc; what lands in the lake: stream_delivery_test.cc.
#include "streams/stream_manager.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/vfs.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "base/completion_batch.h"
#include "base/fault_points.h"
#include "streams/gzip.h"
#include "streams/testing/stream_manager_fixture.h"
#include "streams/wal.h"

namespace tributary::streams {
namespace {

using testing::StoredObject;
using testing::StreamManagerTest;

// Four threads putting numbered records ("t<thread>-<i>\n") into stream "s" as fast as
// they can, each once more after Finish is called (a put that meets the change done).
class RacingPuts {
 public:
  explicit RacingPuts(StreamManager* m) {
    for (int t = 0; t < 4; ++t) {
      threads_.emplace_back([this, m, t] {
        for (int i = 0;; ++i) {
          const bool last = finish_.load();
          std::string rec = fmt::format("t{}-{}\n", t, i);
          outstanding_.fetch_add(1);
          m->Put("s", rec, [this, rec](const Status& st, uint64_t) {
            {
              std::lock_guard<std::mutex> lock(mu_);
              if (st.ok()) {
                acked_.insert(rec);
              } else {
                refused_[st.code()]++;
              }
            }
            outstanding_.fetch_sub(1);
          });
          if (last) break;
        }
      });
    }
  }
  ~RacingPuts() { (void)Finish(); }

  // Stops the threads and waits (up to 5 s) until every put is answered; false if one
  // never was.
  bool Finish() {
    finish_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
    for (int waited = 0; outstanding_.load() != 0 && waited < 5000; waited += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return outstanding_.load() == 0;
  }
  // After Finish.
  const std::set<std::string>& acked() const { return acked_; }
  const std::map<ErrorCode, int>& refused() const { return refused_; }

 private:
  std::mutex mu_;
  std::set<std::string> acked_;
  std::map<ErrorCode, int> refused_;
  std::atomic<bool> finish_{false};
  std::atomic<int> outstanding_{0};
  std::vector<std::thread> threads_;
};

// Every line of every object, with its newline.
std::set<std::string> LinesOf(const std::map<std::string, StoredObject>& objects) {
  std::set<std::string> lines;
  for (const auto& [key, object] : objects) {
    size_t start = 0;
    for (size_t nl; (nl = object.data.find('\n', start)) != std::string::npos; start = nl + 1) {
      lines.insert(object.data.substr(start, nl - start + 1));
    }
  }
  return lines;
}

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

// The table decides whether a name is taken, not this server's copy of it, which lags
// another server's create of the same name until its change notice arrives: the second
// create is AlreadyExists (Firehose's ResourceInUseException), not the database's error.
TEST_F(StreamManagerTest, ANameAnotherServerTookFirstIsAlreadyExists) {
  auto m = OpenManager(Options());
  ASSERT_TRUE(
      db_->Exec("INSERT INTO streams(name, config, epoch, created_ms) VALUES(?, ?, ?, ?)",
                {std::string("raced"), std::string(R"({"name":"raced","bucket":"iot-data"})"),
                 std::string("00000000000000aa"), int64_t{testing::kStart}})
          .ok());
  Status s = m->Create(Config("raced"));
  EXPECT_EQ(s.code(), ErrorCode::kAlreadyExists) << s.ToString();
  EXPECT_EQ(s.message(), "delivery stream 'raced' already exists");
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

// While a delete whose stop fails takes the stream out and starts it again, puts are
// refused to be sent again (Unavailable), never told the stream does not exist, which
// drops the record as acknowledged (a rule's QoS 1 message); what is acknowledged is
// delivered.
TEST_F(StreamManagerTest, PutsDuringAFailedDeleteAreRefusedToBeSentAgainNeverDropped) {
  auto m = OpenManager(Options());
  ASSERT_TRUE(m->Create(Config()).ok());
  RacingPuts puts(m.get());
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  {
    struct Disarm {
      ~Disarm() { testing_support::DisarmFaults(); }
    } disarm;
    for (int round = 0; round < 5; ++round) {
      testing_support::ArmFault("streams.stop_flush", EIO);
      Status st = m->Delete("s");
      ASSERT_EQ(st.code(), ErrorCode::kUnavailable) << st.ToString();
    }
  }
  ASSERT_TRUE(puts.Finish()) << "puts never answered";
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_GT(puts.acked().size(), 0u);
  EXPECT_EQ(LinesOf(Objects()), puts.acked());
  for (const auto& [code, n] : puts.refused()) {
    EXPECT_EQ(code, ErrorCode::kUnavailable)
        << n << " records refused with " << static_cast<int>(code);
  }
}

TEST_F(StreamManagerTest, StopDeliversEverythingAndLeavesNoUndeliveredWal) {
  {
    auto m = OpenManager(Options());
    ASSERT_TRUE(m->Create(Config()).ok());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(PutSync(*m, "s", "x\n").ok());
    m->Stop();
    // Refused to be sent again (to the server that starts next), not dropped.
    EXPECT_EQ(PutSync(*m, "s", "late\n").code(), ErrorCode::kUnavailable);
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

// The names of this process's threads now.
std::multiset<std::string> ThreadNames() {
  std::multiset<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(e.path() / "comm");
    std::string name;
    std::getline(in, name);
    names.insert(name);
  }
  return names;
}

size_t ThreadsNamed(const std::string& prefix) {
  size_t n = 0;
  for (const std::string& name : ThreadNames()) n += name.rfind(prefix, 0) == 0;
  return n;
}

// The streams' WALs share one checkpoint saver thread and one spare maker (a server with
// hundreds of streams had one of each a stream), and the saver saves each stream's
// checkpoint once its records are delivered.
TEST_F(StreamManagerTest, StreamsShareOneThreadForTheirCheckpointSavesAndOneForSpares) {
  auto m = OpenManager(Options());
  constexpr int kStreams = 12;
  for (int i = 0; i < kStreams; ++i) {
    const std::string name = fmt::format("s{}", i);
    ASSERT_TRUE(m->Create(Config(name)).ok());
    ASSERT_TRUE(PutSync(*m, name, name + "\n").ok());
  }
  EXPECT_EQ(ThreadsNamed("walckpt"), 1u);
  EXPECT_EQ(ThreadsNamed("walprep"), 1u);  // fsync `always`, the default
  EXPECT_EQ(ThreadsNamed("wal:"), size_t{kStreams});
  EXPECT_EQ(ThreadsNamed("deliver:"), size_t{kStreams});
  // Delivered at their interval, not by a flush (which saves on the caller's thread).
  now_ += 901'000;
  ASSERT_TRUE(WaitForObjects(kStreams));
  for (int i = 0; i < kStreams; ++i) {
    const std::string name = fmt::format("s{}", i);
    uint64_t saves = 0;
    for (int waited = 0; waited < 5000 && saves == 0; waited += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      saves = m->Describe(name)->stats.wal_checkpoint_saves;
    }
    EXPECT_GE(saves, 1u) << name;
  }
  ASSERT_TRUE(m->Delete("s0").ok());
  EXPECT_EQ(ThreadsNamed("walckpt"), 1u) << "the other streams' saver stays";
  EXPECT_EQ(ThreadsNamed("walprep"), 1u);
}

// Logs in memory (tmpfs) make no spares: no spare maker for them. The directory the
// logs go in does not exist yet when the first stream is made.
TEST_F(StreamManagerTest, StreamsWithTheirLogsInMemoryStartNoSpareMaker) {
  const std::string shm = "/dev/shm";
  struct statfs st {};
  if (::statfs(shm.c_str(), &st) != 0 || st.f_type != TMPFS_MAGIC) {
    GTEST_SKIP() << shm << " is not tmpfs here";
  }
  const std::string wal_dir = fmt::format("{}/tributary-test-wal-{}/wal", shm, ::getpid());
  StreamManagerOptions o = Options();
  o.wal_dir = wal_dir;
  {
    auto m = OpenManager(o);
    for (const std::string name : {"a", "b"}) {
      ASSERT_TRUE(m->Create(Config(name)).ok());
      ASSERT_TRUE(PutSync(*m, name, name + "\n").ok());
    }
    EXPECT_EQ(ThreadsNamed("walprep"), 0u);
    EXPECT_EQ(ThreadsNamed("walckpt"), 1u);
    EXPECT_EQ(ThreadsNamed("wal:"), 2u);
  }
  std::filesystem::remove_all(std::filesystem::path(wal_dir).parent_path());
  EXPECT_TRUE(Wal::Preallocates(FsyncPolicy{}, dir_.path() + "/not/made/yet"))
      << "a directory not made yet on a disk";
}

// The streams keep delivered WAL segments for reuse within the server's budget
// (wal_reuse_mib) together, not each up to its own.
TEST_F(StreamManagerTest, StreamsKeepDeliveredSegmentsWithinOneBudget) {
  StreamManagerOptions o = Options();
  o.wal_segment_bytes = 64 << 10;
  o.wal_reuse_bytes = 64 << 10;  // one segment, for all of them
  auto m = OpenManager(o);
  auto kept = [&](const std::string& stream) {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/wal/" + stream)) {
      n += e.path().filename().string().rfind("recycled-", 0) == 0;
    }
    return n;
  };
  for (const std::string name : {"a", "b"}) {
    ASSERT_TRUE(m->Create(Config(name)).ok());
    for (int i = 0; i < 80; ++i) ASSERT_TRUE(PutSync(*m, name, std::string(3999, 'x') + "\n").ok());
    ASSERT_TRUE(m->Flush(name).ok());  // delivers, and saves the checkpoint
  }
  EXPECT_EQ(kept("a") + kept("b"), 1u);
}

// A shared WAL thread the system refuses (the server at its limit of threads) fails the
// create that needed it; the next create starts it.
TEST_F(StreamManagerTest, ASharedWalThreadTheSystemRefusesFailsTheCreate) {
  for (const std::string thread : {"walckpt", "walprep"}) {
    SCOPED_TRACE(thread);
    auto m = OpenManager(Options());  // its shared threads not started yet
    testing_support::ArmFault("thread.start:" + thread, EAGAIN);
    const std::string name = "s-" + thread;
    Status refused = m->Create(Config(name));
    EXPECT_EQ(refused.code(), ErrorCode::kResourceExhausted) << refused.ToString();
    EXPECT_NE(refused.message().find("cannot start thread '" + thread + "'"), std::string::npos)
        << refused.ToString();
    EXPECT_EQ(m->Describe(name).status().code(), ErrorCode::kNotFound);
    ASSERT_TRUE(m->Create(Config(name)).ok());
    ASSERT_TRUE(PutSync(*m, name, "x\n").ok());
    ASSERT_TRUE(m->Flush(name).ok());
    EXPECT_EQ(ThreadsNamed(thread), 1u);
    ASSERT_TRUE(m->Delete(name).ok());  // so that the next manager starts with no stream
  }
}

// Put takes no lock of the stream's: records put from several threads while the
// stream is deleted are each either refused or acknowledged, and every acknowledged one
// is in the lake by the time Delete returns.
TEST_F(StreamManagerTest, PutsRacingDeleteAreRefusedOrDelivered) {
  auto m = OpenManager(Options());
  ASSERT_TRUE(m->Create(Config()).ok());
  RacingPuts puts(m.get());
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  ASSERT_TRUE(m->Delete("s").ok());
  ASSERT_TRUE(puts.Finish()) << "puts never answered";
  EXPECT_GT(puts.acked().size(), 0u);
  EXPECT_GE(
      puts.refused().count(ErrorCode::kNotFound) ? puts.refused().at(ErrorCode::kNotFound) : 0,
      4);  // the puts after Delete
  // Nothing acknowledged is missing, nothing refused is there.
  EXPECT_EQ(LinesOf(Objects()), puts.acked());
  for (const auto& [code, n] : puts.refused()) {
    EXPECT_TRUE(code == ErrorCode::kUnavailable || code == ErrorCode::kNotFound)
        << n << " records refused with " << static_cast<int>(code);
  }
}

TEST_F(StreamManagerTest, BackpressureRefusesBeyondThePendingLimit) {
  auto m = OpenWithLakeDownAndALimitOf1000Bytes();
  ASSERT_TRUE(m);
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
  // Nothing is delivered (the buffers sealed under pressure included), so what was
  // admitted stays pending.
  auto m = OpenWithLakeDownAndALimitOf1000Bytes();
  ASSERT_TRUE(m);
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

// Records put together (PutAll: a rule's batchMode elements) inside a CompletionBatch
// keep their place among the thread's other records and are judged as one when it
// closes: taken whole, in order, when they fit; refused whole when they do not all fit,
// though one of them would (a record after them that fits is still taken).
TEST_F(StreamManagerTest, RecordsPutTogetherInABatchKeepTheirPlaceAndAreJudgedAsOne) {
  auto m = OpenWithLakeDownAndALimitOf1000Bytes();
  ASSERT_TRUE(m);
  const std::string a(200, 'a'), b(300, 'b'), c(300, 'c'), d(40, 'd'), e(40, 'e'), f(20, 'f');
  Outcome one, together, too_many, after;
  {
    CompletionBatch batch;
    m->Put("s", a, 0, one.Done());               // 232 with its frame header
    m->PutAll("s", {b, c}, 0, together.Done());  // 664: 896 in all
    m->PutAll("s", {d, e}, 0, too_many.Done());  // 144: d alone would fit (968), not both
    m->Put("s", f, 0, after.Done());             // 52: 948
    EXPECT_FALSE(together.given);                // judged with the rest, when the batch closes
  }
  for (Outcome* x : {&one, &together, &too_many, &after}) ASSERT_TRUE(x->WaitGiven());
  EXPECT_TRUE(one.status.ok()) << one.status.ToString();
  EXPECT_TRUE(together.status.ok()) << together.status.ToString();
  EXPECT_EQ(too_many.status.code(), ErrorCode::kResourceExhausted) << too_many.status.ToString();
  EXPECT_TRUE(after.status.ok()) << after.status.ToString();
  // In the order put: the first of b and c right after a.
  EXPECT_EQ(together.seq, one.seq + 1);
  EXPECT_EQ(after.seq, one.seq + 3);
  auto desc = m->Describe("s");
  EXPECT_EQ(desc->stats.buffered_bytes, 820u);  // nothing of d and e
  EXPECT_EQ(desc->stats.records_rejected, 2u);
  lake_.Get("iot-data")->FailPutsWhere(nullptr);
  ASSERT_TRUE(m->Flush("s").ok());
  std::string delivered;
  for (const auto& [key, object] : Objects()) delivered += object.data;
  EXPECT_EQ(delivered, a + b + c + f);
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

}  // namespace
}  // namespace tributary::streams
