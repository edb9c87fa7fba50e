// The write-ahead log's tests: a commit the file system refuses. The refusal is real: the
// kernel refuses writes past a lowered file-size limit (testing_support::FileSizeLimit).
#include "streams/wal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "base/testing/file_size_limit.h"
#include "base/testing/temp_dir.h"
#include "streams/testing/wal_test_support.h"

namespace tributary::streams {
namespace {

using namespace testing;  // streams::testing: the WAL's test helpers
using ::testing::HasSubstr;
using testing_support::FileSizeLimit;
using testing_support::TempDir;

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

}  // namespace
}  // namespace tributary::streams
