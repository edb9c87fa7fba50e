#include "net/listen_address.h"

#include <gtest/gtest.h>

namespace tributary::net {
namespace {

TEST(ListenAddress, AnAddressIsNotAName) {
  EXPECT_TRUE(IsIpAddress("0.0.0.0"));
  EXPECT_TRUE(IsIpAddress("::"));
  EXPECT_TRUE(IsIpAddress("fd00::5"));
  EXPECT_FALSE(IsIpAddress("localhost"));
  EXPECT_FALSE(IsIpAddress("127.0.0"));
  EXPECT_FALSE(IsIpAddress(""));
}

TEST(ListenAddress, LoopbackIsThisMachineOnly) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.2"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_TRUE(IsLoopbackAddress("::ffff:127.0.0.1"));  // an IPv4 peer of a dual-stack listener
  EXPECT_FALSE(IsLoopbackAddress("::ffff:10.0.0.5"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackAddress("::"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.5"));
  EXPECT_FALSE(IsLoopbackAddress("fd00::5"));
  EXPECT_FALSE(IsLoopbackAddress("localhost"));  // a name, not an address
  EXPECT_FALSE(IsLoopbackAddress(""));
}

TEST(ListenAddress, LocalUrlHostReachesTheListener) {
  EXPECT_EQ(LocalUrlHost("0.0.0.0"), "127.0.0.1");
  EXPECT_EQ(LocalUrlHost("::"), "[::1]");
  EXPECT_EQ(LocalUrlHost("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(LocalUrlHost("10.0.0.5"), "10.0.0.5");
  EXPECT_EQ(LocalUrlHost("::1"), "[::1]");
  EXPECT_EQ(LocalUrlHost("fd00::5"), "[fd00::5]");
}

}  // namespace
}  // namespace tributary::net
