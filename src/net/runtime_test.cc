#include "net/runtime.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <future>
#include <string>

#include "base/fault_points.h"

namespace tributary::net {
namespace {

size_t ThreadsNow() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

TEST(RuntimeTest, RunsHandlersOnItsThreads) {
  Runtime runtime(2);
  ASSERT_TRUE(runtime.Start().ok());
  std::promise<void> ran;
  boost::asio::post(runtime.At(1), [&] { ran.set_value(); });
  EXPECT_EQ(ran.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

// An I/O thread the system refuses (the server at its limit of threads) is an error naming
// it, not an exception, and the threads started before it are stopped.
TEST(RuntimeTest, AThreadTheSystemRefusesIsAnErrorAndLeavesNoThreadBehind) {
  const size_t before = ThreadsNow();
  Runtime runtime(3);
  testing_support::ArmFault("thread.start:io-2", EAGAIN);
  Status st = runtime.Start();
  EXPECT_EQ(st.code(), ErrorCode::kResourceExhausted) << st.ToString();
  EXPECT_NE(st.message().find("cannot start thread 'io-2'"), std::string::npos) << st.ToString();
  EXPECT_EQ(ThreadsNow(), before);
}

}  // namespace
}  // namespace tributary::net
