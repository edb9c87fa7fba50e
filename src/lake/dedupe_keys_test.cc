#include "lake/dedupe_keys.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace tributary::lake {
namespace {

TEST(DedupeKeys, HashIsStableAndSpreadsCloseKeys) {
  // Stored hashes must not change between versions.
  EXPECT_EQ(DedupeKeyHash("record-42"), 0xd0a1512b76366f0dULL);
  EXPECT_EQ(DedupeKeyHash(""), 0x48218226ff3cd4bfULL);
  EXPECT_NE(DedupeKeyHash("a"), DedupeKeyHash(std::string("a\0", 2)));
  std::set<uint64_t> seen;
  for (int i = 0; i < 100000; ++i) {
    std::string key = "sensor-" + std::to_string(i);
    seen.insert(DedupeKeyHash(key));
    seen.insert(DedupeKeyHash(std::string(1, '\0') + key));
  }
  EXPECT_EQ(seen.size(), 200000u);
}

TEST(DedupeKeys, EncodeDecodeRoundTripsAndRejectsTornBytes) {
  std::vector<uint64_t> keys = {0, 1, UINT64_MAX, 0x0102030405060708ULL};
  std::string bytes = EncodeDedupeKeys(keys);
  ASSERT_EQ(bytes.size(), 32u);
  EXPECT_EQ(bytes[24], '\x08');  // little-endian
  std::vector<uint64_t> back;
  ASSERT_TRUE(DecodeDedupeKeys(bytes, &back));
  EXPECT_EQ(back, keys);
  EXPECT_FALSE(DecodeDedupeKeys(bytes.substr(0, 31), &back));
}

TEST(DedupeKeys, SetSeesHistoryAndItsOwnKeysFromManyThreads) {
  DedupeSet set;
  set.SetHistory({DedupeKeyHash("old"), DedupeKeyHash("old"), DedupeKeyHash("older")});
  EXPECT_EQ(set.history_size(), 2u);
  EXPECT_FALSE(set.Insert("old"));
  EXPECT_TRUE(set.Insert("new"));
  EXPECT_FALSE(set.Insert("new"));
  std::atomic<int> kept{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) kept += set.Insert("k" + std::to_string(i)) ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(kept.load(), 1000);
  std::vector<uint64_t> added = set.TakeNewKeys();
  EXPECT_EQ(added.size(), 1001u);
  EXPECT_TRUE(std::is_sorted(added.begin(), added.end()));
  EXPECT_TRUE(set.TakeNewKeys().empty());
  EXPECT_TRUE(set.Insert("new")) << "taken keys are forgotten";
}

}  // namespace
}  // namespace tributary::lake
