#include "broker/due_ids.h"

#include <gtest/gtest.h>

namespace tributary::broker {
namespace {

using Ids = std::vector<std::string>;

TEST(DueIdsTest, TakesThoseDueSoonestFirstAndLeavesTheRest) {
  DueIds e;
  e.Set("c", 300);
  e.Set("a", 100);
  e.Set("b", 200);
  EXPECT_EQ(e.TakeDue(99), Ids{});
  EXPECT_EQ(e.TakeDue(200), (Ids{"a", "b"}));
  EXPECT_EQ(e.size(), 1u);
  EXPECT_EQ(e.TakeDue(200), Ids{});
  EXPECT_EQ(e.TakeDue(1000), Ids{"c"});
  EXPECT_EQ(e.size(), 0u);
}

TEST(DueIdsTest, ALaterSetReplacesTheEarlierTimeAndClearForgetsIt) {
  DueIds e;
  e.Set("a", 100);
  e.Set("a", 500);  // disconnected again, later
  e.Set("b", 100);
  e.Set("c", 100);
  e.Clear("c");      // attached again
  e.Clear("never");  // no entry: nothing happens
  EXPECT_EQ(e.size(), 2u);
  EXPECT_EQ(e.Due("a"), 500);
  EXPECT_EQ(e.Due("c"), std::nullopt);
  EXPECT_EQ(e.TakeDue(400), Ids{"b"});
  EXPECT_EQ(e.TakeDue(500), Ids{"a"});
  e.Set("a", 700);  // an id taken may come back
  e.Set("a", 700);
  EXPECT_EQ(e.size(), 1u);
  EXPECT_EQ(e.TakeDue(700), Ids{"a"});
}

TEST(DueIdsTest, SessionsDueAtTheSameTimeAreAllTaken) {
  DueIds e;
  for (int i = 0; i < 100; ++i) e.Set("s" + std::to_string(i), i < 50 ? 10 : 20);
  EXPECT_EQ(e.TakeDue(10).size(), 50u);
  EXPECT_EQ(e.TakeDue(20).size(), 50u);
}

}  // namespace
}  // namespace tributary::broker
