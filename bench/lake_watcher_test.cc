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
  // Polled every 1 ms: 50 ms is many scans that must find the object and not read it.
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

TEST_F(LakeWatcherTest, ADirectoryThatAppearsLaterIsWatched) {
  std::string bucket = dir_ + "/lake/bench";
  LakeWatcher watcher(bucket, SteadyNanos(), 1);
  ASSERT_TRUE(watcher.Start(1).ok());
  dir_ = bucket;
  WriteObject("k/obj", {{0, 0, 0}});
  dir_ = fs::path(bucket).parent_path().parent_path().string();
  watcher.Stop();
  EXPECT_EQ(watcher.distinct_records(), 1u);
}

}  // namespace
}  // namespace tributary::bench
