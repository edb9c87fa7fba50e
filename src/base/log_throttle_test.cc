#include "base/log_throttle.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace tributary {
namespace {

TEST(LogThrottleTest, LetsOnePerIntervalThroughAndCountsTheRest) {
  int64_t now = 5000;
  LogThrottle throttle(1000, [&] { return now; });
  uint64_t held = 99;
  EXPECT_TRUE(throttle.Allow(&held));  // the first one always
  EXPECT_EQ(held, 0u);
  for (int i = 0; i < 7; ++i) EXPECT_FALSE(throttle.Allow(&held));
  now += 999;
  EXPECT_FALSE(throttle.Allow(&held));
  now += 1;
  EXPECT_TRUE(throttle.Allow(&held));
  EXPECT_EQ(held, 8u);  // the seven and the one at 999 ms
  // A quiet spell: the next one is let through at once, with nothing held back.
  now += 60'000;
  EXPECT_TRUE(throttle.Allow(&held));
  EXPECT_EQ(held, 0u);
}

TEST(LogThrottleTest, ManyThreadsAtOnceLetExactlyOneThroughAndLoseNoCount) {
  std::atomic<int64_t> now{0};
  LogThrottle throttle(1000, [&] { return now.load(); });
  constexpr int kThreads = 8, kEach = 10'000;
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        uint64_t held;
        if (throttle.Allow(&held)) allowed.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1);
  now = 1000;
  uint64_t held = 0;
  EXPECT_TRUE(throttle.Allow(&held));
  EXPECT_EQ(held, uint64_t{kThreads} * kEach - 1);
}

}  // namespace
}  // namespace tributary
