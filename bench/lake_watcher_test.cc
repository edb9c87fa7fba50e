#include "bench/lake_watcher.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/clock.h"
#include "bench/bench_payload.h"

namespace tributary::bench {
namespace {

namespace fs = std::filesystem;

class LakeWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "lake-watcher-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes an object of one record per (pub, seq), sent at `sent_ns`.
  void WriteObject(const std::string& key, std::initializer_list<PayloadFields> records,
                   const std::string& extra = "") {
    // Written under a hidden name and renamed, as the object store does: a watcher
    // polling meanwhile must never see a half-written object.
    fs::path final_path = fs::path(dir_) / key;
    fs::create_directories(final_path.parent_path());
    fs::path temp = final_path.parent_path() / ("." + final_path.filename().string() + ".tmp");
    {
      std::ofstream out(temp, std::ios::binary);
      std::string payload;
      for (const PayloadFields& f : records) {
        ASSERT_TRUE(MakePayload(f, 250, &payload));
        out << payload << '\n';
      }
      out << extra;
    }
    fs::rename(temp, final_path);
  }

  std::string dir_;
};

TEST_F(LakeWatcherTest, FindsNewRecordsOnceAndSkipsOldAndHiddenObjects) {
  WriteObject("2026/11/30/01/old", {{0, 0, 1}});  // another run's: never read
  LakeWatcher watcher(dir_, SteadyNanos(), 2);
  ASSERT_TRUE(watcher.Start(1).ok());
  WriteObject(".tributary-tmp/partial", {{0, 5, 1}});
  WriteObject("2026/11/30/01/a", {{0, 0, 10}, {1, 0, 20}}, "not a payload\n\n");
  WriteObject("2026/11/30/02/b", {{0, 1, 30}, {0, 0, 10}});  // the second is a duplicate
  watcher.Stop();

  EXPECT_EQ(watcher.objects(), 2u);
  EXPECT_EQ(watcher.distinct_records(), 3u);
  EXPECT_EQ(watcher.duplicates(), 1u);
  EXPECT_EQ(watcher.foreign(), 1u);
  EXPECT_TRUE(watcher.error().empty());
  EXPECT_TRUE(watcher.Seen(0, 0));
  EXPECT_TRUE(watcher.Seen(0, 1));
  EXPECT_TRUE(watcher.Seen(1, 0));
  EXPECT_FALSE(watcher.Seen(0, 5));
  EXPECT_FALSE(watcher.Seen(2, 0));
  ASSERT_EQ(watcher.records().size(), 3u);
  for (const LakeRecord& r : watcher.records()) EXPECT_GT(r.seen_ns, r.sent_ns);
}

TEST_F(LakeWatcherTest, DeferredObjectsAreReadLaterWithTheTimeTheyWereFirstSeen) {
  int64_t origin = SteadyNanos();
  LakeWatcher watcher(dir_, origin, 1);
  ASSERT_TRUE(watcher.Start(1).ok());
  watcher.DeferReading(true);
  WriteObject("2026/11/30/01/a", {{0, 0, 0}, {0, 1, 0}});
  // 50 ms: time enough to be told of the object, which must not be read yet.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(watcher.distinct_records(), 0u) << "read while reading was deferred";
  int64_t undeferred_ns = SteadyNanos() - origin;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  watcher.DeferReading(false);
  for (int i = 0; i < 2000 && watcher.distinct_records() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(watcher.distinct_records(), 2u) << "not read once deferring stopped";
  watcher.Stop();
  EXPECT_EQ(watcher.objects(), 1u);
  ASSERT_EQ(watcher.records().size(), 2u);
  // The latency counts from when the object was first seen, not from when it was read.
  for (const LakeRecord& r : watcher.records()) EXPECT_LT(r.seen_ns, undeferred_ns);
}

// Waits up to 2 s for the watcher to have found `n` records while it runs (Stop's last walk
// of the tree would find them anyway: these check the watching itself).
bool FoundWhileRunning(const LakeWatcher& watcher, uint64_t n) {
  for (int i = 0; i < 2000 && watcher.distinct_records() < n; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return watcher.distinct_records() == n;
}

TEST_F(LakeWatcherTest, ADirectoryThatAppearsLaterIsWatched) {
  std::string bucket = dir_ + "/lake/bench";
  LakeWatcher watcher(bucket, SteadyNanos(), 1);
  ASSERT_TRUE(watcher.Start(1).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  dir_ = bucket;
  WriteObject("k/obj", {{0, 0, 0}});
  EXPECT_TRUE(FoundWhileRunning(watcher, 1));
  WriteObject("k/obj2", {{0, 1, 0}});
  EXPECT_TRUE(FoundWhileRunning(watcher, 2));
  dir_ = fs::path(bucket).parent_path().parent_path().string();
  watcher.Stop();
  EXPECT_EQ(watcher.distinct_records(), 2u);
}

TEST_F(LakeWatcherTest, NewDirectoriesAtAnyDepthAreWatched) {
  LakeWatcher watcher(dir_, SteadyNanos(), 1);
  ASSERT_TRUE(watcher.Start(1).ok());
  // Hour directories appear as time goes by, several levels at once at midnight.
  WriteObject("2026/11/30/23/a", {{0, 0, 0}});
  EXPECT_TRUE(FoundWhileRunning(watcher, 1));
  WriteObject("2026/12/01/00/b", {{0, 1, 0}});
  EXPECT_TRUE(FoundWhileRunning(watcher, 2));
  WriteObject("2026/12/01/00/c", {{0, 2, 0}});
  EXPECT_TRUE(FoundWhileRunning(watcher, 3));
  // Written in place rather than renamed: seen once it is closed.
  {
    std::ofstream out(fs::path(dir_) / "2026/12/01/00/d", std::ios::binary);
    std::string payload;
    ASSERT_TRUE(MakePayload({0, 3, 0}, 250, &payload));
    out << payload << '\n';
  }
  EXPECT_TRUE(FoundWhileRunning(watcher, 4));
  watcher.Stop();
  EXPECT_EQ(watcher.objects(), 4u);
  EXPECT_EQ(watcher.duplicates(), 0u);
}

}  // namespace
}  // namespace tributary::bench
