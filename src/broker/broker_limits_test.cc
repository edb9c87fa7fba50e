// Socket tests of the limits on what clients can make the broker hold (BrokerOptions):
// connections held at once, each refusal counted in tributary_mqtt_limit_refusals_total.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "broker/testing/test_client.h"
#include "broker/testing/test_connect.h"
#include "broker/testing/test_util.h"

namespace tributary::broker {
namespace {

using testing::MustConnect;
using testing::TestBroker;
using testing::TestClient;
using testing::TestOptions;
using testing::V5;

// The value of tributary_mqtt_limit_refusals_total{limit="<limit>"}, or -1 when absent.
long long Refusals(TestBroker& tb, const std::string& limit) {
  const std::string text = tb.metrics().Render();
  const std::string key = "tributary_mqtt_limit_refusals_total{limit=\"" + limit + "\"} ";
  size_t at = text.find(key);
  return at == std::string::npos ? -1 : std::stoll(text.substr(at + key.size()));
}

// Past the cap on connections held at once a new one is closed as soon as it is accepted,
// before any CONNECT; one ending makes room again.
TEST(BrokerLimitsTest, ConnectionsPastTheCapAreClosedAtOnce) {
  BrokerOptions o = TestOptions();
  o.max_connections = 2;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  auto a = MustConnect(tb->port(), V5("a"));
  auto b = MustConnect(tb->port(), V5("b"));
  auto c = TestClient::Open(tb->port());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*c)->WaitClosed());
  EXPECT_EQ(Refusals(*tb, "connections"), 1);
  a.reset();
  bool admitted = false;
  for (int i = 0; i < 50 && !admitted; ++i) {
    admitted = TestClient::Connected(tb->port(), V5("d")).ok();
    if (!admitted) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(admitted);
}

// One address holds at most its share (loopback counted here as any address).
TEST(BrokerLimitsTest, ConnectionsPastTheCapPerAddressAreClosedAtOnce) {
  BrokerOptions o = TestOptions();
  o.max_connections_per_address = 1;
  o.loopback_unlimited = false;
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  auto a = MustConnect(tb->port(), V5("a"));
  auto b = TestClient::Open(tb->port());
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE((*b)->WaitClosed());
  EXPECT_EQ(Refusals(*tb, "connections"), 1);
}

}  // namespace
}  // namespace tributary::broker
