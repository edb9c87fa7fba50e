#include "bench/latency.h"

#include <gtest/gtest.h>

namespace tributary::bench {
namespace {

TEST(LatencyRecorder, EmptyIsZero) {
  LatencyRecorder r;
  EXPECT_EQ(r.PercentileMicros(0.5), 0);
}

TEST(LatencyRecorder, NearestRankPercentiles) {
  LatencyRecorder r;
  // 1..100 microseconds, added in reverse so that the order does not help.
  for (int i = 100; i >= 1; --i) r.Add(i * 1000);
  EXPECT_EQ(r.count(), 100u);
  EXPECT_DOUBLE_EQ(r.PercentileMicros(0.50), 50);
  EXPECT_DOUBLE_EQ(r.PercentileMicros(0.99), 99);
  EXPECT_DOUBLE_EQ(r.PercentileMicros(1.0), 100);
  EXPECT_DOUBLE_EQ(r.PercentileMicros(0.001), 1);
}

TEST(LatencyRecorder, OneOutlierMovesOnlyTheTail) {
  LatencyRecorder r;
  for (int i = 0; i < 999; ++i) r.Add(10'000);
  r.Add(5'000'000);
  EXPECT_DOUBLE_EQ(r.PercentileMicros(0.50), 10);
  EXPECT_DOUBLE_EQ(r.PercentileMicros(0.99), 10);
  EXPECT_DOUBLE_EQ(r.PercentileMicros(1.0), 5000);
}

}  // namespace
}  // namespace tributary::bench
