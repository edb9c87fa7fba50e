#include "net/connection_limiter.h"

#include <gtest/gtest.h>

#include <vector>

namespace tributary::net {
namespace {

// The example of the header: 3 in all, 2 per address.
TEST(ConnectionLimiterTest, CapsInAllAndPerAddress) {
  auto limiter = ConnectionLimiter::Create({3, 2, true});
  std::vector<ConnectionLimiter::Ticket> held;
  for (const char* ip : {"10.0.0.1", "10.0.0.1", "10.0.0.2"}) {
    held.push_back(limiter->Admit(ip));
    EXPECT_TRUE(held.back()) << ip;
  }
  EXPECT_FALSE(limiter->Admit("10.0.0.3"));  // 3 in all
  held.pop_back();                           // 10.0.0.2 goes
  EXPECT_FALSE(limiter->Admit("10.0.0.1"));  // its 2
  EXPECT_TRUE(limiter->Admit("10.0.0.2"));   // admitted, and gone again at once
  EXPECT_EQ(limiter->connections(), 2u);
  held.clear();
  EXPECT_EQ(limiter->connections(), 0u);
}

// Loopback counts in all only, unless told otherwise; an address not known likewise.
TEST(ConnectionLimiterTest, LoopbackAndUnknownAddressesCountInAllOnly) {
  auto limiter = ConnectionLimiter::Create({0, 1, true});
  auto a = limiter->Admit("127.0.0.1"), b = limiter->Admit("::1"), c = limiter->Admit("127.0.0.1");
  auto d = limiter->Admit(""), e = limiter->Admit("");
  EXPECT_TRUE(a && b && c && d && e);
  auto strict = ConnectionLimiter::Create({0, 1, false});
  auto f = strict->Admit("127.0.0.1");
  EXPECT_TRUE(f);
  EXPECT_FALSE(strict->Admit("127.0.0.1"));
}

// A ticket moved keeps its count; one reset or destroyed gives it back, once.
TEST(ConnectionLimiterTest, ATicketCountsOnceWhereverItMoves) {
  auto limiter = ConnectionLimiter::Create({1, 1, false});
  ConnectionLimiter::Ticket t = limiter->Admit("10.0.0.1");
  ConnectionLimiter::Ticket moved = std::move(t);
  EXPECT_FALSE(t);
  EXPECT_TRUE(moved);
  EXPECT_EQ(limiter->connections(), 1u);
  t = std::move(moved);
  EXPECT_EQ(limiter->connections(), 1u);
  t.Reset();
  t.Reset();
  EXPECT_EQ(limiter->connections(), 0u);
  EXPECT_TRUE(limiter->Admit("10.0.0.1"));
}

}  // namespace
}  // namespace tributary::net
