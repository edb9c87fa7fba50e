// BoundedWorkQueue: items reach the handler in order, the bounds refuse at once and leave
// the item to the caller, Stop handles what is queued before it returns, and workers the
// system refuses leave fewer workers or, with none, a queue that refuses with the reason.
#include "base/bounded_work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <future>
#include <mutex>
#include <vector>

#include "base/fault_points.h"

namespace tributary {
namespace {

struct Job {
  int n = 0;
  std::string refused_by;  // set by the caller when Push refuses
};

TEST(BoundedWorkQueueTest, OneWorkerHandlesItemsInOrderAndStopDrains) {
  std::mutex mu;
  std::vector<int> handled;
  BoundedWorkQueue<Job> q({.threads = 1, .max_items = 1000, .name = "test queue"},
                          [&](Job& job) {
                            std::lock_guard lock(mu);
                            handled.push_back(job.n);
                          });
  for (int i = 0; i < 500; ++i) {
    Job job{i, ""};
    ASSERT_TRUE(q.Push(job, 1).ok());
  }
  q.Stop();  // everything queued is handled first
  ASSERT_EQ(handled.size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(handled[i], i);
  EXPECT_EQ(q.items(), 0u);
  EXPECT_EQ(q.bytes(), 0u);
  Job late{1, ""};
  Status after = q.Push(late, 1);
  EXPECT_EQ(after.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(after.message(), "the test queue is stopping");
}

TEST(BoundedWorkQueueTest, BoundsRefuseAtOnceAndLeaveTheItemToTheCaller) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  BoundedWorkQueue<Job> q({.threads = 1, .max_items = 2, .max_bytes = 10, .name = "q",
                           .unit = "jobs"},
                          [&](Job& job) {
                            if (job.n == 0) {
                              started.set_value();
                              released.wait();
                            }
                          });
  Job first{0, ""}, second{1, ""}, third{2, "mine"}, heavy{3, ""};
  ASSERT_TRUE(q.Push(first, 4).ok());
  started.get_future().wait();  // being handled, still counted
  ASSERT_TRUE(q.Push(second, 4).ok());
  Status full = q.Push(third, 1);
  EXPECT_EQ(full.code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(full.message(),
            "q full: 2 jobs of 8 bytes wait (limits 2 jobs, 10 bytes); retry later");
  EXPECT_EQ(third.refused_by, "mine") << "a refused item must be left as it was";
  EXPECT_EQ(q.items(), 2u);
  EXPECT_EQ(q.bytes(), 8u);
  release.set_value();
  q.Stop();
  Status too_big = BoundedWorkQueue<Job>({.threads = 1, .max_bytes = 3}, [](Job&) {}).Push(heavy, 4);
  EXPECT_EQ(too_big.code(), ErrorCode::kResourceExhausted);
}

TEST(BoundedWorkQueueTest, AWorkerTheSystemRefusesLeavesTheOthersToHandleEverything) {
  testing_support::ArmFault("thread.start:q:1", EAGAIN);
  std::atomic<int> handled{0};
  BoundedWorkQueue<Job> q(
      {.threads = 3, .max_items = 1000, .name = "test queue", .thread_name = "q"},
      [&](Job&) { ++handled; });
  for (int i = 0; i < 100; ++i) {
    Job job{i, ""};
    ASSERT_TRUE(q.Push(job, 1).ok());
  }
  q.Stop();
  EXPECT_EQ(handled.load(), 100);
}

TEST(BoundedWorkQueueTest, WithNoWorkerEveryPushIsRefusedWithTheReason) {
  testing_support::ArmFault("thread.start:q:0", EAGAIN);
  BoundedWorkQueue<Job> q(
      {.threads = 2, .max_items = 1000, .name = "test queue", .thread_name = "q"}, [&](Job&) {});
  Job job{1, ""};
  Status refused = q.Push(job, 1);
  EXPECT_EQ(refused.code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(refused.message().find("the test queue: cannot start thread 'q:0'"), std::string::npos)
      << refused.ToString();
  EXPECT_EQ(q.items(), 0u);
}

}  // namespace
}  // namespace tributary
