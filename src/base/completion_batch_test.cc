#include "base/completion_batch.h"

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace tributary {
namespace {

// A destination that records what each post handed it, to run later.
struct Loop {
  std::vector<CompletionBatch::Task> posted;
  void RunAll() {
    std::vector<CompletionBatch::Task> now = std::move(posted);
    posted.clear();
    for (const auto& task : now) task();
  }
};

void PostToLoop(void* key, CompletionBatch::Task run) {
  static_cast<Loop*>(key)->posted.push_back(std::move(run));
}

TEST(CompletionBatchTest, WithoutABatchEachTaskIsPostedAtOnce) {
  Loop loop;
  std::string ran;
  CompletionBatch::Post(&loop, &PostToLoop, [&] { ran += "a"; });
  CompletionBatch::Post(&loop, &PostToLoop, [&] { ran += "b"; });
  EXPECT_EQ(loop.posted.size(), 2u);
  EXPECT_EQ(ran, "");
  loop.RunAll();
  EXPECT_EQ(ran, "ab");
}

TEST(CompletionBatchTest, ABatchPostsOncePerDestinationInQueueOrder) {
  Loop first, second;
  std::string ran;
  {
    CompletionBatch batch;
    CompletionBatch::Post(&first, &PostToLoop, [&] { ran += "1"; });
    CompletionBatch::Post(&second, &PostToLoop, [&] { ran += "x"; });
    CompletionBatch::Post(&first, &PostToLoop, [&] { ran += "2"; });
    CompletionBatch::Post(&first, &PostToLoop, [&] { ran += "3"; });
    CompletionBatch::Post(&second, &PostToLoop, [&] { ran += "y"; });
    EXPECT_TRUE(first.posted.empty());  // held until the batch closes
    EXPECT_TRUE(second.posted.empty());
  }
  ASSERT_EQ(first.posted.size(), 1u);
  ASSERT_EQ(second.posted.size(), 1u);
  second.RunAll();
  first.RunAll();
  EXPECT_EQ(ran, "xy123");
}

TEST(CompletionBatchTest, OnlyTheOutermostBatchPostsAndTheNextStartsEmpty) {
  Loop loop;
  int ran = 0;
  {
    CompletionBatch outer;
    {
      CompletionBatch inner;
      CompletionBatch::Post(&loop, &PostToLoop, [&] { ++ran; });
    }
    EXPECT_TRUE(loop.posted.empty());
    CompletionBatch::Post(&loop, &PostToLoop, [&] { ++ran; });
  }
  ASSERT_EQ(loop.posted.size(), 1u);
  loop.RunAll();
  EXPECT_EQ(ran, 2);
  { CompletionBatch empty; }
  EXPECT_TRUE(loop.posted.empty());
}

TEST(CompletionBatchTest, IsOpenFromTheFirstBatchUntilTheOutermostCloses) {
  EXPECT_FALSE(CompletionBatch::IsOpen());
  Loop loop;
  bool open_while_posting = true;
  {
    CompletionBatch outer;
    EXPECT_TRUE(CompletionBatch::IsOpen());
    { CompletionBatch inner; }
    EXPECT_TRUE(CompletionBatch::IsOpen());
    // What runs as the batch closes sees it closed: a task that posts again posts at once.
    CompletionBatch::Post(&loop, [](void*, CompletionBatch::Task run) { run(); },
                          [&] { open_while_posting = CompletionBatch::IsOpen(); });
  }
  EXPECT_FALSE(open_while_posting);
  EXPECT_FALSE(CompletionBatch::IsOpen());
}

TEST(CompletionBatchTest, ABatchBelongsToItsThread) {
  Loop loop;
  CompletionBatch batch;
  std::thread other([&] { CompletionBatch::Post(&loop, &PostToLoop, [] {}); });
  other.join();
  EXPECT_EQ(loop.posted.size(), 1u);  // posted at once: no batch open on that thread
}

}  // namespace
}  // namespace tributary
