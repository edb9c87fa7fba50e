// Interoperability with the real mosquitto_pub / mosquitto_sub clients, run as bounded
// subprocesses, for MQTT 3.1.1 and 5.0: QoS 0/1/2, retained messages, wills, persistent
// sessions receiving what was queued while offline, also across a broker restart.
#include <gtest/gtest.h>

#include <filesystem>

#include "broker/testing/test_util.h"

namespace tributary::broker {
namespace {

using testing::Subprocess;
using testing::TestBroker;
using testing::TestOptions;
using testing::WaitFor;

class MosquittoTest : public ::testing::TestWithParam<const char*> {
 protected:
  std::vector<std::string> Base(const char* tool, int port) {
    return {tool, "-h", "127.0.0.1", "-p", std::to_string(port), "-V", GetParam()};
  }
  bool v5() const { return std::string(GetParam()) == "mqttv5"; }

  int Pub(int port, std::vector<std::string> extra, std::string* out = nullptr) {
    auto argv = Base("mosquitto_pub", port);
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string o;
    int rc = testing::RunCommand(argv, 5000, &o);
    if (out) *out = o;
    EXPECT_EQ(rc, 0) << "mosquitto_pub failed: " << o;
    return rc;
  }

  std::unique_ptr<Subprocess> Sub(int port, std::vector<std::string> extra) {
    auto argv = Base("mosquitto_sub", port);
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<Subprocess>(argv);
  }

  // Waits until the broker holds `n` subscriptions (the subscriber is ready).
  bool WaitSubscriptions(TestBroker& tb, uint64_t n) {
    return WaitFor([&] { return tb.broker().Stats().subscriptions >= n; }, 5000);
  }
};

TEST_P(MosquittoTest, PubSubAtEveryQos) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  for (int qos = 0; qos <= 2; ++qos) {
    std::string topic = "interop/qos" + std::to_string(qos);
    // The previous subscriber (clean session) is gone with its subscription.
    ASSERT_TRUE(WaitFor([&] { return tb->broker().Stats().subscriptions == 0; }, 3000));
    auto sub = Sub(tb->port(), {"-t", topic, "-q", std::to_string(qos), "-C", "1", "-W", "5"});
    ASSERT_TRUE(WaitSubscriptions(*tb, 1));
    Pub(tb->port(), {"-t", topic, "-q", std::to_string(qos), "-m", "hello " + topic});
    EXPECT_EQ(sub->Wait(6000), 0) << sub->Output();
    EXPECT_EQ(sub->Output(), "hello " + topic + "\n");
  }
}

TEST_P(MosquittoTest, RetainedSetAndClear) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  Pub(tb->port(), {"-t", "interop/ret", "-m", "kept", "-r", "-q", "1"});
  std::string out;
  auto argv = Base("mosquitto_sub", tb->port());
  for (const char* a : {"-t", "interop/ret", "-C", "1", "-W", "3", "-v"}) argv.push_back(a);
  EXPECT_EQ(testing::RunCommand(argv, 5000, &out), 0) << out;
  EXPECT_EQ(out, "interop/ret kept\n");
  Pub(tb->port(), {"-t", "interop/ret", "-n", "-r"});
  argv.back() = "-v";
  argv[argv.size() - 2] = "1";  // -W 1: nothing should come
  testing::RunCommand(argv, 4000, &out);
  EXPECT_EQ(out.find("kept"), std::string::npos) << out;
}

TEST_P(MosquittoTest, WillIsSentOnAbnormalDisconnect) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto watcher = Sub(tb->port(), {"-t", "interop/will", "-C", "1", "-W", "8", "-q", "1"});
  ASSERT_TRUE(WaitSubscriptions(*tb, 1));
  auto victim = Sub(tb->port(), {"-t", "interop/other", "-i", "victim", "--will-topic",
                                 "interop/will", "--will-payload", "victim died", "--will-qos",
                                 "1"});
  ASSERT_TRUE(WaitSubscriptions(*tb, 2));
  victim->Kill();  // SIGKILL: no DISCONNECT
  EXPECT_EQ(watcher->Wait(8000), 0) << watcher->Output();
  EXPECT_EQ(watcher->Output(), "victim died\n");
}

TEST_P(MosquittoTest, NormalDisconnectSendsNoWill) {
  auto tb = TestBroker::Start(TestOptions());
  ASSERT_TRUE(tb);
  auto watcher = Sub(tb->port(), {"-t", "interop/will2", "-C", "1", "-W", "2"});
  ASSERT_TRUE(WaitSubscriptions(*tb, 1));
  Pub(tb->port(), {"-t", "interop/x", "-m", "x", "--will-topic", "interop/will2",
                   "--will-payload", "should not appear"});
  watcher->Wait(4000);
  EXPECT_EQ(watcher->Output().find("should not appear"), std::string::npos);
}

TEST_P(MosquittoTest, PersistentSessionReceivesQueuedMessagesAcrossRestart) {
  std::string dir = testing::MakeTempDir("broker-interop");
  auto o = TestOptions();
  o.state_dir = dir;
  std::string id = std::string("persist-") + GetParam();
  std::vector<std::string> session = {"-c", "-i", id, "-q", "1", "-t", "interop/persist"};
  if (v5()) session.insert(session.end(), {"-x", "600"});
  {
    auto tb = TestBroker::Start(o);
    ASSERT_TRUE(tb);
    // Create the session and its subscription, then go away.
    auto first = Sub(tb->port(), session);
    ASSERT_TRUE(WaitSubscriptions(*tb, 1));
    first->Kill();
    ASSERT_TRUE(WaitFor([&] { return tb->broker().Stats().connections == 0; }, 3000));
    Pub(tb->port(), {"-t", "interop/persist", "-q", "1", "-m", "while offline 1"});
    // Receive it while still on the first broker instance.
    auto check = session;
    check.insert(check.end(), {"-C", "1", "-W", "5"});
    auto got = Sub(tb->port(), check);
    EXPECT_EQ(got->Wait(6000), 0) << got->Output();
    EXPECT_EQ(got->Output(), "while offline 1\n");
    ASSERT_TRUE(WaitFor([&] { return tb->broker().Stats().connections == 0; }, 3000));
    Pub(tb->port(), {"-t", "interop/persist", "-q", "2", "-m", "while offline 2"});
    Pub(tb->port(), {"-t", "interop/persist", "-q", "1", "-m", "before restart"});
    Pub(tb->port(), {"-t", "interop/retained", "-q", "1", "-r", "-m", "retained survives"});
    tb->Stop();
  }
  auto tb = TestBroker::Start(o);
  ASSERT_TRUE(tb);
  auto check = session;
  check.insert(check.end(), {"-C", "2", "-W", "5"});
  auto got = Sub(tb->port(), check);
  EXPECT_EQ(got->Wait(6000), 0) << got->Output();
  EXPECT_EQ(got->Output(), "while offline 2\nbefore restart\n");
  std::string out;
  auto argv = Base("mosquitto_sub", tb->port());
  for (const char* a : {"-t", "interop/retained", "-C", "1", "-W", "3"}) argv.push_back(a);
  EXPECT_EQ(testing::RunCommand(argv, 5000, &out), 0) << out;
  EXPECT_EQ(out, "retained survives\n");
  tb.reset();
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Versions, MosquittoTest, ::testing::Values("mqttv311", "mqttv5"));

}  // namespace
}  // namespace tributary::broker
