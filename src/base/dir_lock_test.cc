#include "base/dir_lock.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/testing/temp_dir.h"

namespace tributary {
namespace {

// flock claims belong to an open file description: a second open in this process
// conflicts just as another process would.
TEST(DirLockTest, ASecondClaimIsRefusedWithTheHoldersPid) {
  testing_support::TempDir dir;
  auto first = DirLock::Acquire(dir.path(), "x.lock", "data directory");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->held());
  auto second = DirLock::Acquire(dir.path(), "x.lock", "data directory");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(second.status().message(),
            "data directory '" + dir.path() + "' is in use by another process (pid " +
                std::to_string(::getpid()) +
                "): stop that one first, or give this one another data directory");
}

TEST(DirLockTest, ReleasedWhenDestroyedOrMovedFrom) {
  testing_support::TempDir dir;
  {
    auto first = DirLock::Acquire(dir.path(), "x.lock", "d");
    ASSERT_TRUE(first.ok());
    DirLock moved = std::move(first).value();
    EXPECT_TRUE(moved.held());
    EXPECT_FALSE(DirLock::Acquire(dir.path(), "x.lock", "d").ok());
  }
  EXPECT_TRUE(DirLock::Acquire(dir.path(), "x.lock", "d").ok());
}

// A process killed while holding the claim leaves no stale lock behind.
TEST(DirLockTest, AKilledHolderLeavesNoClaim) {
  testing_support::TempDir dir;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = DirLock::Acquire(dir.path(), "x.lock", "d");
    char c = lock.ok() ? '1' : '0';
    (void)!::write(ready[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, '1');
  auto while_held = DirLock::Acquire(dir.path(), "x.lock", "d");
  ASSERT_FALSE(while_held.ok());
  EXPECT_NE(while_held.status().message().find("(pid " + std::to_string(child) + ")"),
            std::string::npos) << while_held.status().message();
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(DirLock::Acquire(dir.path(), "x.lock", "d").ok());
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(DirLockTest, AMissingDirectoryIsAnIoErrorNamingIt) {
  auto lock = DirLock::Acquire("/nonexistent-tributary-dir", "x.lock", "WAL directory");
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), ErrorCode::kIoError);
  EXPECT_NE(lock.status().message().find("WAL directory '/nonexistent-tributary-dir'"),
            std::string::npos) << lock.status().message();
}

}  // namespace
}  // namespace tributary
