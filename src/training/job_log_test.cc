#include "training/job_log.h"

#include <gtest/gtest.h>

namespace tributary::training {
namespace {

TEST(JobLogTest, KeepsTheLastLinesWithStableNumbers) {
  JobLog log(3);
  for (const char* line : {"a", "b", "c", "d"}) log.Append(line);
  JobLog::Slice s = log.Read(0, 100);
  EXPECT_TRUE(s.truncated);
  EXPECT_EQ(s.first, 1);
  EXPECT_EQ(s.lines, (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(s.next, 4);
  s = log.Read(2, 1);
  EXPECT_FALSE(s.truncated);
  EXPECT_EQ(s.lines, (std::vector<std::string>{"c"}));
  EXPECT_EQ(s.next, 3);
  s = log.Read(4, 100);  // a follower that has everything
  EXPECT_TRUE(s.lines.empty());
  EXPECT_EQ(s.next, 4);
  s = log.Read(99, 100);  // past the end: waits at the end
  EXPECT_EQ(s.next, 4);
}

TEST(JobLogTest, CutsLongLinesAndRoundTrips) {
  JobLog log(10);
  log.Append(std::string(JobLog::kMaxLineBytes + 10, 'x'));
  log.Append("short");
  EXPECT_EQ(log.Read(0, 10).lines[0].size(), JobLog::kMaxLineBytes + 3);
  JobLog back = JobLog::FromJson(log.ToJson(), 1);
  JobLog::Slice s = back.Read(0, 10);
  EXPECT_EQ(s.first, 1);
  EXPECT_EQ(s.lines, (std::vector<std::string>{"short"}));
  EXPECT_EQ(JobLog::FromJson(nlohmann::json("junk")).end(), 0);
}

}  // namespace
}  // namespace tributary::training
