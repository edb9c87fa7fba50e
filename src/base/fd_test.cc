#include "base/fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <utility>

namespace tributary {
namespace {

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(FdTest, ClosesWhenItGoesIsResetOrIsMovedOnto) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    Fd fd(raw);
    EXPECT_TRUE(fd.valid());
    EXPECT_EQ(fd.get(), raw);
  }
  EXPECT_FALSE(IsOpen(raw)) << "closed when it went";

  Fd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int first = a.get();
  a.Reset();
  EXPECT_FALSE(a.valid());
  EXPECT_FALSE(IsOpen(first)) << "closed by Reset";

  Fd b(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  Fd c(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int kept = b.get(), replaced = c.get();
  c = std::move(b);
  EXPECT_FALSE(b.valid());
  EXPECT_EQ(c.get(), kept);
  EXPECT_TRUE(IsOpen(kept)) << "moved, not closed";
  EXPECT_FALSE(IsOpen(replaced)) << "the one moved onto is closed";
  Fd d(std::move(c));
  EXPECT_EQ(d.get(), kept);
  EXPECT_FALSE(c.valid());
}

}  // namespace
}  // namespace tributary
