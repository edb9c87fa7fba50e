#include "base/fault_points.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace tributary {
namespace {

TEST(FaultPointsTest, AnArmedPointFailsItsNextHitsThenGoesQuiet) {
  EXPECT_EQ(InjectedFault("test.call"), 0);
  testing_support::ArmFault("test.call", EIO, 2);
  EXPECT_EQ(InjectedFault("test.other"), 0);  // only the armed name
  EXPECT_EQ(InjectedFault("test.call"), EIO);
  EXPECT_EQ(InjectedFault("test.call"), EIO);
  EXPECT_EQ(InjectedFault("test.call"), 0);
}

TEST(FaultPointsTest, DisarmClearsEveryPoint) {
  testing_support::ArmFault("test.a", ENOSPC);
  testing_support::ArmFault("test.b", EIO, 5);
  testing_support::DisarmFaults();
  EXPECT_EQ(InjectedFault("test.a"), 0);
  EXPECT_EQ(InjectedFault("test.b"), 0);
  // Re-arming after a disarm works as before.
  testing_support::ArmFault("test.a", ENOSPC);
  EXPECT_EQ(InjectedFault("test.a"), ENOSPC);
  EXPECT_EQ(InjectedFault("test.a"), 0);
}

}  // namespace
}  // namespace tributary
