#include "base/file_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace tributary {
namespace {

TEST(FileLimit, TheSoftLimitIsRaisedToTheHardOne) {
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max <= 256)
    GTEST_SKIP() << "hard limit too low to lower under";
  struct rlimit low = saved;
  low.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  auto raised = RaiseOpenFileLimit();
  ASSERT_TRUE(raised.ok()) << raised.status().ToString();
  EXPECT_EQ(raised->before, 256u);
  const uint64_t want =
      saved.rlim_max == RLIM_INFINITY ? (1u << 20) : std::min<uint64_t>(saved.rlim_max, 1u << 20);
  EXPECT_EQ(raised->now, want);
  struct rlimit now {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(now.rlim_cur, want);
  EXPECT_EQ(OpenFileLimit(), want);
  // A cap below the soft limit leaves it as it is.
  auto capped = RaiseOpenFileLimit(100);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->now, want);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
}

}  // namespace
}  // namespace tributary
