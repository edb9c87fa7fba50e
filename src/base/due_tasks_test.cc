#include "base/due_tasks.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/fault_points.h"
#include "base/thread_name.h"

namespace tributary {
namespace {

constexpr int64_t kMs = 1'000'000;

std::shared_ptr<DueTasks> Started() {
  auto tasks = DueTasks::Start("due-test");
  EXPECT_TRUE(tasks.ok()) << tasks.status().ToString();
  return tasks.ok() ? *tasks : nullptr;
}

// What the tasks did, in order, and when.
struct Journal {
  std::mutex mu;
  std::vector<std::string> order;
  std::vector<int64_t> at_ns;
  std::function<void()> Note(std::string name) {
    return [this, name] {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(name);
      at_ns.push_back(SteadyNanos());
    };
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return order.size();
  }
};

bool WaitFor(const std::function<bool()>& done, int timeout_ms = 5000) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TEST(DueTasksTest, TasksRunWhenDueSoonestFirstOnTheNamedThread) {
  auto tasks = Started();
  ASSERT_NE(tasks, nullptr);
  Journal journal;
  std::string thread;
  DueTasks::Id late = tasks->Add(journal.Note("late"));
  DueTasks::Id soon = tasks->Add(journal.Note("soon"));
  DueTasks::Id now = tasks->Add([&] {
    thread = ThreadName();
    journal.Note("now")();
  });
  const int64_t start = SteadyNanos();
  tasks->Schedule(late, start + 200 * kMs);
  tasks->Schedule(soon, start + 60 * kMs);
  tasks->Schedule(now, 0);
  ASSERT_TRUE(WaitFor([&] { return journal.size() == 3; }));
  EXPECT_EQ(journal.order, (std::vector<std::string>{"now", "soon", "late"}));
  EXPECT_GE(journal.at_ns[1], start + 60 * kMs);
  EXPECT_GE(journal.at_ns[2], start + 200 * kMs);
  EXPECT_EQ(thread, "due-test");
  EXPECT_EQ(tasks->runs(), 3u);
  for (DueTasks::Id id : {late, soon, now}) tasks->Remove(id);
}

// Scheduled twice before it runs, a task runs once, at the sooner time.
TEST(DueTasksTest, ATaskScheduledAgainBeforeItRunsRunsOnceAtTheSoonerTime) {
  auto tasks = Started();
  ASSERT_NE(tasks, nullptr);
  Journal journal;
  DueTasks::Id id = tasks->Add(journal.Note("save"));
  const int64_t start = SteadyNanos();
  tasks->Schedule(id, start + 1000 * kMs);
  tasks->Schedule(id, start + 50 * kMs);
  tasks->Schedule(id, start + 1500 * kMs);  // later than scheduled: no change
  ASSERT_TRUE(WaitFor([&] { return journal.size() == 1; }));
  EXPECT_LT(journal.at_ns[0], start + 900 * kMs) << "not at the sooner time";
  // Past both later times: it ran once.
  std::this_thread::sleep_until(
      std::chrono::steady_clock::time_point(std::chrono::nanoseconds(start + 1600 * kMs)));
  EXPECT_EQ(journal.size(), 1u);
  tasks->Remove(id);
}

TEST(DueTasksTest, ATaskScheduledWhileItRunsRunsAgainAfter) {
  auto tasks = Started();
  ASSERT_NE(tasks, nullptr);
  std::promise<void> started, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> runs{0};
  DueTasks::Id id = tasks->Add([&, released] {
    if (runs.fetch_add(1) == 0) {
      started.set_value();
      released.wait();
    }
  });
  tasks->Schedule(id, 0);
  started.get_future().wait();
  tasks->Schedule(id, 0);
  release.set_value();
  ASSERT_TRUE(WaitFor([&] { return runs.load() == 2; }));
  tasks->Remove(id);
}

// An owner that goes waits for its running task, and a scheduled one does not run.
TEST(DueTasksTest, RemoveWaitsForTheRunningTaskAndDropsAScheduledOne) {
  auto tasks = Started();
  ASSERT_NE(tasks, nullptr);
  std::promise<void> started, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> finished{false};
  DueTasks::Id running = tasks->Add([&, released] {
    started.set_value();
    released.wait();
    finished = true;
  });
  std::atomic<bool> dropped_ran{false};
  DueTasks::Id dropped = tasks->Add([&] { dropped_ran = true; });
  tasks->Schedule(running, 0);
  started.get_future().wait();
  tasks->Schedule(dropped, SteadyNanos() + 50 * kMs);
  tasks->Remove(dropped);
  std::atomic<bool> removed{false};
  std::thread remover([&] {
    tasks->Remove(running);
    removed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(removed.load());
  release.set_value();
  remover.join();
  EXPECT_TRUE(finished.load());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(dropped_ran.load());
  tasks->Schedule(running, 0);  // gone: ignored
  EXPECT_EQ(tasks->runs(), 1u);
}

TEST(DueTasksTest, AThreadTheSystemRefusesIsAnError) {
  testing_support::ArmFault("thread.start:walckpt", EAGAIN);
  auto tasks = DueTasks::Start("walckpt");
  ASSERT_FALSE(tasks.ok());
  EXPECT_EQ(tasks.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(tasks.status().message().find("cannot start thread 'walckpt'"), std::string::npos)
      << tasks.status().message();
}

}  // namespace
}  // namespace tributary
