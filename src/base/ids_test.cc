#include "base/ids.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

namespace tributary {
namespace {

TEST(IdsTest, UuidsAreCanonicalAndDistinct) {
  std::string a = NewUuid();
  std::string b = NewUuid();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 36u);
  for (size_t i : {8u, 13u, 18u, 23u}) EXPECT_EQ(a[i], '-') << a;
  EXPECT_EQ(a[14], '4') << a;  // version 4
  EXPECT_EQ(RandomHex(8).size(), 16u);
}

TEST(IdsTest, ProcessUniqueIdsNeverRepeatAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kEach = 10000;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&got, t] {
      for (int i = 0; i < kEach; ++i) got[t].push_back(NextProcessUniqueId());
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> all;
  for (const auto& ids : got) {
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));  // increasing within a thread
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), size_t{kThreads} * kEach);
  EXPECT_EQ(all.count(0), 0u);  // 0 stays free for "none"
}

}  // namespace
}  // namespace tributary
