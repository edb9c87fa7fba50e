#include "objstore/file_appender.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "base/files.h"
#include "base/testing/temp_dir.h"

namespace tributary::objstore::local {
namespace {

class FileAppenderTest : public ::testing::Test {
 protected:
  // Writes `data` in pieces of `piece` bytes through an appender; returns whether it went
  // direct, and checks the file holds exactly `data`.
  bool WriteAndCheck(const std::string& data, size_t piece) {
    std::string path = dir_.path() + "/f" + std::to_string(files_++);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    EXPECT_GE(fd, 0);
    FileAppender appender(fd, path);
    for (size_t off = 0; off < data.size(); off += piece) {
      Status st = appender.Append(std::string_view(data).substr(off, piece));
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    Status st = appender.Finish();
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(appender.bytes(), data.size());
    ::close(fd);
    auto back = ReadFile(path);
    EXPECT_TRUE(back.ok());
    EXPECT_EQ(back->size(), data.size());
    EXPECT_TRUE(*back == data) << "the file's bytes differ from what was appended";
    return appender.direct();
  }

  // Whether this filesystem takes O_DIRECT at all (tmpfs on older kernels does not).
  bool DirectSupported() {
    std::string probe = dir_.path() + "/probe";
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    ::close(fd);
    return true;
  }

  static std::string Bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
  }

  testing_support::TempDir dir_;
  int files_ = 0;
};

TEST_F(FileAppenderTest, SmallObjectsStayInThePageCache) {
  EXPECT_FALSE(WriteAndCheck("", 1));
  EXPECT_FALSE(WriteAndCheck(Bytes(100, 1), 7));
  EXPECT_FALSE(WriteAndCheck(Bytes(FileAppender::kDirectThreshold - 1, 2), 65536));
}

TEST_F(FileAppenderTest, LargeObjectsAreWholeAndExactAtEveryLength) {
  const size_t t = FileAppender::kDirectThreshold;
  bool direct = DirectSupported();
  // An odd tail (padded, then cut back), a whole number of staging buffers (no tail), one
  // byte past the threshold, and pieces larger than the staging buffer.
  EXPECT_EQ(WriteAndCheck(Bytes(3 * t + 1234, 3), 7777), direct);
  EXPECT_EQ(WriteAndCheck(Bytes(2 * t, 4), 4096), direct);
  EXPECT_EQ(WriteAndCheck(Bytes(t + 1, 5), 1), direct);
  EXPECT_EQ(WriteAndCheck(Bytes(5 * t + 4095, 6), 3 * t), direct);
  EXPECT_EQ(WriteAndCheck(Bytes(t, 7), t), direct);
}

}  // namespace
}  // namespace tributary::objstore::local
