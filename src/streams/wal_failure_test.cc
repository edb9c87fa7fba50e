// The write-ahead log's tests: a commit the file system refuses. The refusal is real: the
// kernel refuses writes past a lowered file-size limit (testing_support::FileSizeLimit).
#include "streams/wal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <future>
#include <thread>
#include <string>
#include <vector>

#include "base/fault_points.h"
#include "base/testing/file_size_limit.h"
#include "base/testing/temp_dir.h"
#include "streams/testing/wal_test_support.h"

namespace tributary::streams {
namespace {

using namespace testing;  // streams::testing: the WAL's test helpers
using ::testing::HasSubstr;
using testing_support::FileSizeLimit;
using testing_support::TempDir;

// Disarms every fault point when the test ends, however it ends.
struct DisarmAtEnd {
  ~DisarmAtEnd() { testing_support::DisarmFaults(); }
};

Status AppendAndWait(Wal& wal, const std::string& data, uint64_t* seq) {
  std::promise<Status> done;
  *seq = wal.Append(data, 1000, [&](const Status& s, uint64_t) { done.set_value(s); });
  return done.get_future().get();
}

// The write is cut short inside the failing frame, so part of it reaches the file: the
// WAL must cut it off again, tell its caller, skip its sequence number and go on.
TEST(WalFailureTest, ARefusedCommitFailsItsCallersAndLeavesNothingBehind) {
  for (const char* policy : {"always", "never"}) {
    SCOPED_TRACE(policy);
    TempDir dir;
    {
      WarningCapture warnings;
      Harness h(dir.path(), *FsyncPolicy::Parse(policy));
      h.AppendSync("a");
      h.AppendSync("b");
      const std::string segment = OnlySegment(dir.path());
      uint64_t failed_seq = 0;
      Status failed;
      {
        // The next block boundary: a direct commit (policy `always`) rewrites the block the
        // frames end in, and the kernel may cut it only at a block boundary.
        FileSizeLimit limit((h.wal->size_bytes() + 4095) / 4096 * 4096);
        failed = AppendAndWait(*h.wal, std::string(6000, 'x'), &failed_seq);
      }
      EXPECT_FALSE(failed.ok());
      EXPECT_THAT(failed.ToString(), HasSubstr(segment));
      EXPECT_THAT(failed.ToString(), HasSubstr("File too large"));
      EXPECT_EQ(failed_seq, 3u);

      // The log goes on after the refusal, without reusing the refused record's number.
      EXPECT_EQ(h.AppendSync("c"), 4u);
      EXPECT_EQ(Data(h.durable), (std::vector<std::string>{"a", "b", "c"}));
      // The refused number counts as delivered: the checkpoint's watermark passes it.
      ASSERT_TRUE(h.wal->MarkDelivered({1, 2}).ok());
      EXPECT_EQ(h.wal->delivered_through(), 3u);
      EXPECT_EQ(warnings.text(), "");
    }
    // No part of the refused frame is in the segment: recovery finds no damage and
    // returns exactly the records that were acknowledged and not delivered.
    WarningCapture warnings;
    Harness h(dir.path(), *FsyncPolicy::Parse(policy));
    EXPECT_EQ(Data(h.recovered), (std::vector<std::string>{"c"}));
    EXPECT_EQ(warnings.text(), "");
    EXPECT_EQ(h.AppendSync("d"), 5u);
  }
}

// Every caller of a refused group commit is told, each exactly once, and none of their
// records is handed on for delivery.
TEST(WalFailureTest, EveryCallerOfARefusedGroupCommitIsTold) {
  TempDir dir;
  Harness h(dir.path(), *FsyncPolicy::Parse("never"));
  h.AppendSync("first");
  constexpr int kCallers = 50;
  std::vector<std::promise<Status>> done(kCallers);
  {
    FileSizeLimit limit(h.wal->size_bytes());
    for (int i = 0; i < kCallers; ++i) {
      h.wal->Append(std::string(100, 'r'), 1000,
                    [&done, i](const Status& s, uint64_t) { done[i].set_value(s); });
    }
    for (auto& d : done) {
      Status s = d.get_future().get();
      EXPECT_FALSE(s.ok());
      EXPECT_THAT(s.ToString(), HasSubstr("File too large"));
    }
  }
  EXPECT_EQ(Data(h.durable), (std::vector<std::string>{"first"}));
  EXPECT_EQ(h.AppendSync("after"), kCallers + 2u);
  EXPECT_EQ(Data(h.durable), (std::vector<std::string>{"first", "after"}));
}

// A sync that fails (EIO, from the fault point: no real disk can be made to) refuses its
// commit like a failed write; the next commit starts a new segment, since after a failed
// sync the segment's last blocks are in doubt, and recovery finds everything acknowledged.
TEST(WalFailureTest, AFailedSyncRefusesItsCommitAndTheLogGoesOnInANewSegment) {
  TempDir dir;
  {
    WarningCapture warnings;
    Harness h(dir.path(), *FsyncPolicy::Parse("always"));
    h.AppendSync("a");
    h.AppendSync("b");
    EXPECT_EQ(h.wal->segment_count(), 1u);
    DisarmAtEnd disarm;
    testing_support::ArmFault("wal.fdatasync", EIO);
    uint64_t seq = 0;
    Status failed = AppendAndWait(*h.wal, "x", &seq);
    EXPECT_FALSE(failed.ok());
    EXPECT_THAT(failed.ToString(), HasSubstr("fdatasync: Input/output error"));
    EXPECT_EQ(h.AppendSync("c"), seq + 1);
    EXPECT_EQ(h.wal->segment_count(), 2u);
    EXPECT_EQ(Data(h.durable), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(warnings.text(), "");
  }
  WarningCapture warnings;
  Harness h(dir.path(), *FsyncPolicy::Parse("always"));
  EXPECT_EQ(Data(h.recovered), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(warnings.text(), "");
}

// A segment switch that fails (the directory's fsync, after a failed sync asked for a new
// segment) refuses its commit; the next commit tries the switch again and the log goes on.
TEST(WalFailureTest, AFailedSegmentSwitchIsTriedAgainByTheNextCommit) {
  TempDir dir;
  {
    Harness h(dir.path(), *FsyncPolicy::Parse("always"));
    h.AppendSync("a");
    h.AppendSync("b");
    DisarmAtEnd disarm;
    testing_support::ArmFault("wal.fdatasync", EIO);
    uint64_t seq = 0;
    EXPECT_FALSE(AppendAndWait(*h.wal, "x", &seq).ok());
    testing_support::ArmFault("wal.fsync_dir", EIO);
    Status failed = AppendAndWait(*h.wal, "y", &seq);
    EXPECT_THAT(failed.ToString(), HasSubstr("fsync directory: Input/output error"));
    EXPECT_EQ(h.wal->segment_count(), 1u);
    for (std::string s : {"c", "d"}) h.AppendSync(s);
    EXPECT_EQ(h.wal->segment_count(), 2u);
    EXPECT_EQ(Data(h.durable), (std::vector<std::string>{"a", "b", "c", "d"}));
  }
  WarningCapture warnings;
  Harness h(dir.path(), *FsyncPolicy::Parse("always"));
  EXPECT_EQ(Data(h.recovered), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(warnings.text(), "");
}

// A refused commit's numbers are counted as delivered; once the checkpoint says so they
// are never handed out again, even when they were above every frame on disk.
TEST(WalFailureTest, RefusedNumbersAreNotHandedOutAgainAfterARestart) {
  TempDir dir;
  uint64_t refused = 0;
  {
    Harness h(dir.path(), *FsyncPolicy::Parse("never"));
    h.AppendSync("a");
    {
      FileSizeLimit limit(h.wal->size_bytes());
      EXPECT_FALSE(AppendAndWait(*h.wal, std::string(100, 'r'), &refused).ok());
    }
    ASSERT_TRUE(h.wal->MarkDelivered({}).ok());  // the checkpoint saved with the refusal
  }
  uint64_t d = 0;
  {
    Harness h(dir.path(), *FsyncPolicy::Parse("never"));
    EXPECT_EQ(Data(h.recovered), std::vector<std::string>{"a"});
    d = h.AppendSync("d");
    EXPECT_GT(d, refused);
  }
  Harness h(dir.path(), *FsyncPolicy::Parse("never"));
  EXPECT_EQ(Data(h.recovered), (std::vector<std::string>{"a", "d"}));
}

// Under `interval` nobody waits for the periodic sync: its failure is logged, naming the
// segment, and the next commit starts a new segment instead of trusting this one.
TEST(WalFailureTest, AFailedPeriodicSyncIsLoggedAndTheNextCommitStartsANewSegment) {
  TempDir dir;
  WarningCapture warnings;
  Harness h(dir.path(), *FsyncPolicy::Parse("interval:20"));
  h.AppendSync("a");
  const std::string segment = OnlySegment(dir.path());
  DisarmAtEnd disarm;
  testing_support::ArmFault("wal.fdatasync", EIO);
  ASSERT_TRUE(WaitUntil([&] { return !warnings.text().empty(); }, 5000));
  EXPECT_THAT(warnings.text(), HasSubstr("WAL " + segment + ": fdatasync (interval) failed: "
                                         "Input/output error"));
  EXPECT_THAT(warnings.text(), HasSubstr("the next commit starts a new segment"));
  h.AppendSync("b");
  EXPECT_EQ(h.wal->segment_count(), 2u);
  EXPECT_EQ(Data(h.durable), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace tributary::streams
