#include "lake/partition_detect.h"

#include <gtest/gtest.h>

namespace tributary::lake {
namespace {

struct Case {
  const char* key;
  std::vector<std::string> keys;
  std::vector<std::string> values;
};

TEST(PartitionDetect, Examples) {
  const Case cases[] = {
      {"2026/11/30/14/pollution-1-2026-11-30-14-02-11-abc",
       {"year", "month", "day", "hour"},
       {"2026", "11", "30", "14"}},
      {"device=sensor-1/2026/11/30/obj.gz",
       {"device", "year", "month", "day"},
       {"sensor-1", "2026", "11", "30"}},
      {"year=2026/month=11/part-0.json", {"year", "month"}, {"2026", "11"}},
      {"eu/2026/obj", {"partition_0", "year"}, {"eu", "2026"}},
      {"obj.json", {}, {}},
      {"2026/13/obj", {"year", "partition_1"}, {"2026", "13"}},
      {"2026/11/30/14/15/obj",
       {"year", "month", "day", "hour", "partition_4"},
       {"2026", "11", "30", "14", "15"}},
      {"year=1/2026/obj", {"year", "partition_1"}, {"1", "2026"}},
  };
  for (const auto& c : cases) {
    DetectedPartition p = DetectPartition(c.key);
    EXPECT_EQ(p.keys, c.keys) << c.key;
    EXPECT_EQ(p.values, c.values) << c.key;
  }
  EXPECT_EQ(DetectPartition("2026/11/30/14/x").prefix, "2026/11/30/14/");
  EXPECT_EQ(DetectPartition("x").prefix, "");
}

TEST(PartitionDetect, HiddenKeys) {
  EXPECT_TRUE(IsHiddenKey("_SUCCESS"));
  EXPECT_TRUE(IsHiddenKey("2026/.tmp-file"));
  EXPECT_TRUE(IsHiddenKey("_temporary/0/part"));
  EXPECT_TRUE(IsHiddenKey("2026/11/"));
  EXPECT_FALSE(IsHiddenKey("2026/11/30/14/obj_1"));
}

}  // namespace
}  // namespace tributary::lake
