#include "base/start_thread.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "base/fault_points.h"
#include "base/thread_name.h"

namespace tributary {
namespace {

TEST(StartThreadTest, RunsTheBodyOnAThreadOfTheGivenName) {
  std::string name;
  auto t = StartThread("walckpt:s", [&] { name = ThreadName(); });
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  t->join();
  EXPECT_EQ(name, "walckpt:s");
}

TEST(StartThreadTest, ARefusedThreadIsAnErrorNamingItAndTheLimits) {
  testing_support::ArmFault("thread.start:deliver:s", EAGAIN);
  bool ran = false;
  auto t = StartThread("deliver:s", [&] { ran = true; });
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), ErrorCode::kResourceExhausted);
  const std::string& m = t.status().message();
  EXPECT_NE(m.find("cannot start thread 'deliver:s': Resource temporarily unavailable"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("ulimit -u"), std::string::npos) << m;
  EXPECT_NE(m.find("TasksMax"), std::string::npos) << m;
  EXPECT_FALSE(ran);
  // Armed for one start: the next one runs.
  auto next = StartThread("deliver:s", [&] { ran = true; });
  ASSERT_TRUE(next.ok());
  next->join();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace tributary
