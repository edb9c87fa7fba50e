#include "base/thread_name.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>

#include <sys/syscall.h>
#include <unistd.h>

namespace tributary {
namespace {

std::string NameIn(const std::string& work) {
  std::string got;
  std::thread([&] {
    SetThreadName(work);
    got = ThreadName();
  }).join();
  return got;
}

TEST(ThreadNameTest, NamesTheCallingThreadOnly) {
  std::string before = ThreadName();
  EXPECT_EQ(NameIn("wal:telemetry"), "wal:telemetry");
  EXPECT_EQ(ThreadName(), before);
}

TEST(ThreadNameTest, ProcShowsTheName) {
  std::string comm;
  std::thread([&] {
    SetThreadName("io-3");
    std::ifstream in("/proc/self/task/" + std::to_string(::syscall(SYS_gettid)) + "/comm");
    std::getline(in, comm);
  }).join();
  EXPECT_EQ(comm, "io-3");
}

TEST(ThreadNameTest, LongNamesAreCutAtFifteenBytes) {
  EXPECT_EQ(NameIn("deliver:a-very-long-stream-name"), "deliver:a-very-");
  EXPECT_EQ(NameIn(std::string(15, 'x')), std::string(15, 'x'));
}

TEST(ThreadNameTest, ACutNeverSplitsAUtf8Character) {
  // 14 ASCII bytes, then a two-byte character that would straddle the limit.
  EXPECT_EQ(NameIn("wal:0123456789\xC3\xA9"), "wal:0123456789");
  EXPECT_EQ(NameIn("wal:012345678\xC3\xA9z"), "wal:012345678\xC3\xA9");
}

}  // namespace
}  // namespace tributary
