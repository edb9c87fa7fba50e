// The write-ahead log's tests: Segments: preallocation, reuse of delivered segments, the checkpoint.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/completion_batch.h"
#include "base/due_tasks.h"
#include "base/files.h"
#include "base/testing/temp_dir.h"
#include "base/thread_name.h"
#include "streams/testing/wal_test_support.h"
#include "streams/wal.h"
#include "streams/wal_format.h"

namespace tributary::streams {
namespace {

namespace fs = std::filesystem;
using namespace testing;  // streams::testing: the WAL's test helpers
using testing_support::TempDir;

// Logs that share a spare maker and a checkpoint saver (as a server's streams do) each get
// their spares and their saves, and one that closes leaves the other's going.
TEST(WalTest, LogsSharingASpareMakerAndASaverEachGetTheirOwn) {
  constexpr uint64_t kSegment = 64 << 10;
  TempDir dir;
  if (OnTmpfs(dir.path())) GTEST_SKIP() << dir.path() << " is on tmpfs";
  auto saver = DueTasks::Start("test-walckpt");
  auto maker = DueTasks::Start("test-walprep");
  ASSERT_TRUE(saver.ok() && maker.ok());
  struct Log {
    std::string dir;
    std::unique_ptr<Wal> wal;
    std::vector<uint64_t> seqs;
    uint64_t earlier_segments = 0;  // logical bytes of the segments before the active one
    int preallocated = 0;
  };
  auto open = [&](const std::string& name) {
    Log log;
    log.dir = dir.path() + "/" + name;
    WalOptions o;
    o.dir = log.dir;
    o.fsync = *FsyncPolicy::Parse("always");
    o.segment_bytes = kSegment;
    o.checkpoint_interval_ms = 20;
    o.saver = *saver;
    o.spare_maker = *maker;
    std::vector<WalRecord> recovered;
    auto w = Wal::Open(std::move(o), &recovered);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    if (w.ok()) log.wal = std::move(w).value();
    return log;
  };
  // Appends a 4000-byte record, as LaterSegmentsArePreallocatedAndRecover does.
  auto append = [&](Log& log) {
    const uint64_t bytes = log.wal->size_bytes();
    const size_t count = log.wal->segment_count();
    if (bytes - log.earlier_segments > kSegment / 2) {
      ASSERT_TRUE(WaitForFile(log.dir + "/spare.wal")) << log.dir << ": no spare";
    }
    std::promise<Status> done;
    log.seqs.push_back(log.wal->Append(std::string(4000, 'r'), 1000,
                                       [&](const Status& s, uint64_t) { done.set_value(s); }));
    ASSERT_TRUE(done.get_future().get().ok());
    if (log.wal->segment_count() == count) return;
    log.earlier_segments = bytes;
    const struct stat st = Stat(Segments(log.dir).back());
    EXPECT_EQ(uint64_t(st.st_size), kSegment);
    EXPECT_GE(uint64_t(st.st_blocks) * 512, kSegment) << "blocks not allocated";
    ++log.preallocated;
  };
  Log a = open("a");
  Log b = open("b");
  ASSERT_TRUE(a.wal && b.wal);
  for (int i = 0; i < 50; ++i) {
    append(a);
    append(b);
  }
  EXPECT_GE(a.preallocated, 2);
  EXPECT_GE(b.preallocated, 2);
  // Saved by the shared saver, not by a flush: the delivered segments go.
  ASSERT_TRUE(a.wal->MarkDelivered(a.seqs).ok());
  EXPECT_TRUE(WaitUntil([&] { return a.wal->checkpoint_saves() >= 1; }, 5000));
  EXPECT_TRUE(WaitUntil([&] { return Segments(a.dir).size() == 1; }, 5000));
  EXPECT_EQ(b.wal->checkpoint_saves(), 0u);
  // One closes; the other goes on with spares of its own.
  a.wal.reset();
  const int before = b.preallocated;
  for (int i = 0; i < 20; ++i) append(b);
  EXPECT_GT(b.preallocated, before);
  ASSERT_TRUE(b.wal->MarkDelivered(b.seqs).ok());
  EXPECT_TRUE(WaitUntil([&] { return b.wal->checkpoint_saves() >= 1; }, 5000));
  EXPECT_GE((*maker)->runs(), 4u);
}

// With small segments and `always`, every segment after the first is a spare made while
// its predecessor filled: full size on disk, blocks allocated, from its first record.
TEST(WalTest, LaterSegmentsArePreallocatedAndRecover) {
  constexpr uint64_t kSegment = 64 << 10;
  auto record = [](int i) { return std::string(3993, 'r') + std::to_string(1000000 + i); };
  TempDir dir;
  if (OnTmpfs(dir.path())) GTEST_SKIP() << dir.path() << " is on tmpfs";
  const std::string spare = dir.path() + "/spare.wal";
  std::vector<uint64_t> seqs;
  int preallocated = 0;
  uint64_t active_bytes = 0;
  {
    Harness h(dir.path(), *FsyncPolicy::Parse("always"), kSegment);
    uint64_t earlier_segments = 0;  // logical bytes of the segments before the active one
    for (int i = 0; i < 90; ++i) {
      uint64_t bytes = h.wal->size_bytes();
      size_t count = h.wal->segment_count();
      // Past half, the spare is on its way; wait for it so the switch does not race it.
      if (bytes - earlier_segments > kSegment / 2) {
        ASSERT_TRUE(WaitForFile(spare)) << "no spare before record " << i;
      }
      seqs.push_back(h.AppendSync(record(i)));
      if (h.wal->segment_count() == count) continue;
      ASSERT_EQ(h.wal->segment_count(), count + 1);
      earlier_segments = bytes;
      EXPECT_FALSE(fs::exists(spare));  // it became the new segment
      std::string newest = Segments(dir.path()).back();
      struct stat st = Stat(newest);
      EXPECT_EQ(h.wal->size_bytes() - earlier_segments, FrameSize(4000));
      EXPECT_EQ(uint64_t(st.st_size), kSegment) << newest;
      EXPECT_GE(uint64_t(st.st_blocks) * 512, kSegment) << newest << ": blocks not allocated";
      ++preallocated;
    }
    EXPECT_GE(preallocated, 4);
    EXPECT_EQ(h.wal->size_bytes(), seqs.size() * FrameSize(4000));
    active_bytes = h.wal->size_bytes() - earlier_segments;
  }
  ASSERT_EQ(Segments(dir.path()).size(), size_t(preallocated + 1));
  // The active segment is cut to its frames on close.
  EXPECT_EQ(fs::file_size(Segments(dir.path()).back()), active_bytes);
  // A crash may leave a spare, whole or half filled: Open deletes it.
  ASSERT_TRUE(WriteFileAtomic(spare, std::string(8192, 'x')).ok());
  ASSERT_TRUE(WriteFileAtomic(spare + ".tmp", std::string(4096, '\0')).ok());
  WarningCapture warnings;
  Harness h(dir.path(), *FsyncPolicy::Parse("always"), kSegment);
  EXPECT_FALSE(fs::exists(spare));
  EXPECT_FALSE(fs::exists(spare + ".tmp"));
  ASSERT_EQ(h.recovered.size(), seqs.size());
  for (size_t i = 0; i < seqs.size(); ++i) {
    EXPECT_EQ(h.recovered[i].seq, seqs[i]);
    EXPECT_EQ(h.recovered[i].data, record(int(i)));
  }
  EXPECT_EQ(h.AppendSync("next"), seqs.back() + 1);
  EXPECT_EQ(warnings.text(), "");
}

// A delivered whole segment is kept and becomes a later segment (no zero fill): the same
// file, by its inode, is later the active segment, and a crash with its old frames behind the new ones
// recovers exactly the new ones.
TEST(WalTest, ADeliveredSegmentIsReusedAsALaterOne) {
  constexpr uint64_t kSegment = 64 << 10;
  auto record = [](int i) { return std::string(3993, 'r') + std::to_string(1000000 + i); };
  TempDir dir;
  if (OnTmpfs(dir.path())) GTEST_SKIP() << dir.path() << " is on tmpfs";
  const std::string spare = dir.path() + "/spare.wal";
  TempDir crash_copy;
  std::vector<uint64_t> undelivered;
  {
    Harness h(dir.path(), *FsyncPolicy::Parse("always"), kSegment);
    // Fill the first segment; the switch takes the zero-filled spare made at half.
    std::vector<uint64_t> seqs;
    int i = 0;
    while (h.wal->segment_count() < 2) {
      if (h.wal->size_bytes() > kSegment / 2) {
        ASSERT_TRUE(WaitForFile(spare));
      }
      seqs.push_back(h.AppendSync(record(i++)));
    }
    ASSERT_FALSE(fs::exists(spare));  // taken; the new segment is not yet half full
    const std::string first = Segments(dir.path()).front();
    const ino_t first_inode = Stat(first).st_ino;
    // Every record of the first segment delivered (the last one opened the second): the
    // first segment is kept for reuse.
    undelivered.push_back(seqs.back());
    seqs.pop_back();
    ASSERT_TRUE(h.wal->MarkDelivered(seqs).ok());
    EXPECT_FALSE(fs::exists(first));
    const std::string kept = dir.path() + "/recycled-" + fs::path(first).filename().string();
    ASSERT_TRUE(fs::exists(kept));
    EXPECT_EQ(Stat(kept).st_ino, first_inode);
    // The next switch takes it; no zero fill is asked for on the way.
    ASSERT_EQ(h.wal->segment_count(), 1u);
    while (h.wal->segment_count() < 2) undelivered.push_back(h.AppendSync(record(i++)));
    EXPECT_FALSE(fs::exists(spare));
    EXPECT_FALSE(fs::exists(spare + ".tmp"));
    EXPECT_FALSE(fs::exists(kept));
    const std::string newest = Segments(dir.path()).back();
    EXPECT_EQ(Stat(newest).st_ino, first_inode) << newest;

    undelivered.push_back(h.AppendSync(record(i++)));
    // What a crash now leaves: the recycled segment's new frames, then its old ones.
    for (const std::string& path : Segments(dir.path())) {
      fs::copy_file(path, crash_copy.path() + "/" + fs::path(path).filename().string());
    }
    fs::copy_file(dir.path() + "/checkpoint", crash_copy.path() + "/checkpoint");
    EXPECT_GE(fs::file_size(newest), kSegment);
  }
  WarningCapture warnings;
  Harness h(crash_copy.path(), *FsyncPolicy::Parse("always"), kSegment);
  ASSERT_EQ(h.recovered.size(), undelivered.size());
  for (size_t k = 0; k < undelivered.size(); ++k) EXPECT_EQ(h.recovered[k].seq, undelivered[k]);
  EXPECT_EQ(h.AppendSync("next"), undelivered.back() + 1);
  EXPECT_EQ(warnings.text(), "");
}

// Delivered segments are kept up to `reuse_bytes` (at least two); the others are
// deleted, and none outlives the log: closed, it removes them, and Open removes any a
// crash left.
TEST(WalTest, DeliveredSegmentsAreKeptUpToReuseBytes) {
  constexpr uint64_t kSegment = 64 << 10;
  auto kept = [](const std::string& dir) {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir)) n += e.path().filename().string().rfind("recycled-", 0) == 0;
    return n;
  };
  // Five delivered: two at least, three as 3 segments' worth allows, all five.
  for (auto [reuse, want] : {std::pair<uint64_t, size_t>{0, 2}, {3 * kSegment, 3}, {100 * kSegment, 5}}) {
    TempDir dir;
    if (OnTmpfs(dir.path())) GTEST_SKIP() << dir.path() << " is on tmpfs";
    {
      Harness h(dir.path(), *FsyncPolicy::Parse("always"), kSegment, reuse);
      std::vector<uint64_t> seqs;
      while (h.wal->segment_count() < 6) seqs.push_back(h.AppendSync(std::string(4000, 'k')));
      seqs.pop_back();  // in the active segment
      ASSERT_TRUE(h.wal->MarkDelivered(seqs).ok());
      EXPECT_EQ(h.wal->segment_count(), 1u);
      EXPECT_EQ(kept(dir.path()), want) << reuse;
      EXPECT_EQ(Segments(dir.path()).size(), 1u);
    }
    EXPECT_EQ(kept(dir.path()), 0u);
    ASSERT_TRUE(WriteFileAtomic(dir.path() + "/recycled-00000000000000000001.wal", std::string(4096, 'x')).ok());
    Harness h(dir.path(), *FsyncPolicy::Parse("always"), kSegment, reuse);
    EXPECT_EQ(kept(dir.path()), 0u);
    EXPECT_EQ(h.recovered.size(), 1u);
  }
}

// The server's budget bounds what all its logs keep together: past it a delivered segment
// goes, where the log's own reuse_bytes would have kept it; a kept segment that becomes a
// segment again, or goes with its log, gives its share back.
TEST(WalTest, LogsKeepDeliveredSegmentsWithinTheServersBudget) {
  constexpr uint64_t kSegment = 64 << 10;
  auto kept = [](const std::string& dir) {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir))
      n += e.path().filename().string().rfind("recycled-", 0) == 0;
    return n;
  };
  TempDir a_dir, b_dir;
  if (OnTmpfs(a_dir.path())) GTEST_SKIP() << a_dir.path() << " is on tmpfs";
  const auto always = *FsyncPolicy::Parse("always");
  auto budget = std::make_shared<WalReuseBudget>(3 * kSegment);
  auto a = std::make_unique<Harness>(a_dir.path(), always, kSegment, 100 * kSegment, budget);
  Harness b(b_dir.path(), always, kSegment, 100 * kSegment, budget);
  // Fills `h` to `segments` segments and delivers all but the last record (in the active
  // segment; `held` keeps it for the next call).
  auto fill_and_deliver = [](Harness& h, size_t segments, std::vector<uint64_t>& held) {
    std::vector<uint64_t> seqs = std::exchange(held, {});
    while (h.wal->segment_count() < segments) seqs.push_back(h.AppendSync(std::string(4000, 'k')));
    held.push_back(seqs.back());
    seqs.pop_back();
    ASSERT_TRUE(h.wal->MarkDelivered(seqs).ok());
    EXPECT_EQ(h.wal->segment_count(), 1u);
  };
  std::vector<uint64_t> a_held, b_held;
  fill_and_deliver(*a, 6, a_held);
  EXPECT_EQ(kept(a_dir.path()), 3u) << "five delivered, three within the budget";
  EXPECT_EQ(budget->held_bytes(), 3 * kSegment);
  fill_and_deliver(b, 6, b_held);
  EXPECT_EQ(kept(b_dir.path()), 0u) << "the budget is taken";
  EXPECT_EQ(Segments(b_dir.path()).size(), 1u);
  // A's next segment is one it kept: its share is back, and B may keep one.
  const size_t count = a->wal->segment_count();
  while (a->wal->segment_count() == count) a->AppendSync(std::string(4000, 'k'));
  EXPECT_EQ(kept(a_dir.path()), 2u);
  EXPECT_EQ(budget->held_bytes(), 2 * kSegment);
  // A closes and deletes what it kept.
  a.reset();
  EXPECT_EQ(kept(a_dir.path()), 0u);
  EXPECT_EQ(budget->held_bytes(), 0u);
  fill_and_deliver(b, 6, b_held);
  EXPECT_EQ(kept(b_dir.path()), 3u);
  EXPECT_EQ(budget->held_bytes(), 3 * kSegment);
}

// Under the other policies an fdatasync is rare or never: no spare, segments as long as
// their frames.
TEST(WalTest, OnlyAlwaysPreallocates) {
  for (const char* policy : {"interval:20", "never"}) {
    TempDir dir;
    Harness h(dir.path(), *FsyncPolicy::Parse(policy), 16 << 10);
    for (int i = 0; i < 40; ++i) h.AppendSync(std::string(1000, 'n'));
    EXPECT_GT(h.wal->segment_count(), 2u) << policy;
    EXPECT_FALSE(fs::exists(dir.path() + "/spare.wal")) << policy;
    EXPECT_FALSE(fs::exists(dir.path() + "/spare.wal.tmp")) << policy;
    uint64_t on_disk = 0;
    for (const std::string& s : Segments(dir.path())) on_disk += fs::file_size(s);
    EXPECT_EQ(on_disk, h.wal->size_bytes()) << policy;
  }
}

TEST(WalTest, CheckpointLetsDeliveredSegmentsGo) {
  TempDir dir;
  std::vector<uint64_t> seqs;
  {
    Harness h(dir.path(), {}, /*segment=*/200);  // a new segment every few records
    for (int i = 0; i < 20; ++i) seqs.push_back(h.AppendSync(std::string(50, 'a' + i % 26)));
    EXPECT_GT(h.wal->segment_count(), 5u);
    uint64_t before = h.wal->size_bytes();
    // Out of order: the second half first keeps every segment (the watermark is still 0).
    ASSERT_TRUE(h.wal->MarkDelivered({seqs.begin() + 10, seqs.end()}).ok());
    EXPECT_EQ(h.wal->delivered_through(), 0u);
    EXPECT_EQ(h.wal->size_bytes(), before);
    ASSERT_TRUE(h.wal->MarkDelivered({seqs.begin(), seqs.begin() + 5}).ok());
    EXPECT_EQ(h.wal->delivered_through(), 5u);
    EXPECT_LT(h.wal->size_bytes(), before);
  }
  Harness h(dir.path());
  ASSERT_EQ(h.recovered.size(), 5u);
  EXPECT_EQ(h.recovered.front().seq, 6u);
  EXPECT_EQ(h.recovered.back().seq, 10u);
  ASSERT_TRUE(h.wal->MarkDelivered({6, 7, 8, 9, 10}).ok());
  EXPECT_EQ(h.wal->delivered_through(), 20u);
  EXPECT_EQ(h.wal->segment_count(), 1u);  // only the open one
}

TEST(WalTest, CheckpointRangesMerge) {
  WalCheckpoint c;
  for (uint64_t s : {5, 3, 4, 9, 1}) c.MarkDelivered(s);
  EXPECT_EQ(c.delivered_through(), 1u);
  EXPECT_EQ(c.range_count(), 2u);  // [3,5] [9,9]
  c.MarkDelivered(2);
  EXPECT_EQ(c.delivered_through(), 5u);
  EXPECT_TRUE(c.IsDelivered(9));
  EXPECT_FALSE(c.IsDelivered(8));
  TempDir dir;
  ASSERT_TRUE(c.Save(dir.path() + "/cp").ok());
  auto back = WalCheckpoint::Load(dir.path() + "/cp");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->delivered_through(), 5u);
  EXPECT_TRUE(back->IsDelivered(9));
  EXPECT_FALSE(back->IsDelivered(6));
  // Ranges at once: across, touching and inside the ones there.
  WalCheckpoint r;
  r.MarkDeliveredRange(10, 12);
  r.MarkDeliveredRange(20, 25);
  r.MarkDeliveredRange(30, 30);
  EXPECT_EQ(r.highest_delivered(), 30u);
  r.MarkDeliveredRange(13, 21);  // joins [10,12] and [20,25]
  EXPECT_EQ(r.range_count(), 2u);
  EXPECT_TRUE(r.IsDelivered(17));
  EXPECT_FALSE(r.IsDelivered(26));
  r.MarkDeliveredRange(1, 9);  // reaches the watermark: it runs to the end of [10,25]
  EXPECT_EQ(r.delivered_through(), 25u);
  EXPECT_EQ(r.range_count(), 1u);
  r.MarkDeliveredRange(5, 3);  // empty
  r.MarkDeliveredRange(26, 40);
  EXPECT_EQ(r.delivered_through(), 40u);
  EXPECT_EQ(r.range_count(), 0u);
  EXPECT_EQ(r.highest_delivered(), 40u);
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/bad", "{not json").ok());
  EXPECT_EQ(WalCheckpoint::Load(dir.path() + "/bad").status().code(), ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace tributary::streams
