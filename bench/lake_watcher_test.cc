#include "bench/lake_watcher.h"

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
