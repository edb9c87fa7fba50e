// The write-ahead log's tests: The frame format and the fsync policy's syntax.
#include "streams/wal.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/completion_batch.h"
#include "base/files.h"
#include "base/testing/temp_dir.h"
#include "base/thread_name.h"
#include "streams/testing/wal_test_support.h"
#include "streams/wal_format.h"

namespace tributary::streams {
namespace {

namespace fs = std::filesystem;
using namespace testing;  // streams::testing: the WAL's test helpers
using testing_support::TempDir;

TEST(WalFormatTest, FrameRoundTripAndRecordId) {
  std::string buf;
  EncodeFrame(7, 42, 1234, "hello", &buf);
  EXPECT_EQ(buf.size(), kFrameHeaderBytes + kFrameFixedBodyBytes + 5);
  size_t offset = 0;
  WalFrame f;
  ASSERT_EQ(DecodeFrame(buf, &offset, &f), DecodeResult::kOk);
  EXPECT_EQ(f.epoch, 7u);
  EXPECT_EQ(f.seq, 42u);
  EXPECT_EQ(f.arrival_ms, 1234);
  EXPECT_EQ(f.data, "hello");
  EXPECT_EQ(DecodeFrame(buf, &offset, &f), DecodeResult::kEnd);
  EXPECT_EQ(RecordId(7, 42), "0000000000000007000000000000002a");
}

// The on-disk format is fixed by README.md: the frame's bytes, CRC included, must not
// change with the implementation (logs written by earlier versions must still recover).
TEST(WalFormatTest, FrameBytesAreTheDocumentedLayout) {
  std::string buf;
  EncodeFrame(7, 42, 1234, "hello", &buf);
  std::string expected_header = {
      29, 0, 0, 0,                 // body length 24 + 5
      0, 0, 0, 0,                  // CRC, checked below
      7, 0, 0, 0, 0, 0, 0, 0,      // epoch
      42, 0, 0, 0, 0, 0, 0, 0,     // seq
      char(0xd2), 4, 0, 0, 0, 0, 0, 0};  // 1234 ms
  ASSERT_EQ(buf.size(), 37u);
  for (size_t i = 0; i < 32; ++i) {
    if (i >= 4 && i < 8) continue;
    EXPECT_EQ(buf[i], expected_header[i]) << "byte " << i;
  }
  EXPECT_EQ(buf.substr(32), "hello");
  // zlib's CRC-32 of the body: the value the first version of the log wrote.
  uint32_t crc = uint8_t(buf[4]) | uint32_t(uint8_t(buf[5])) << 8 |
                 uint32_t(uint8_t(buf[6])) << 16 | uint32_t(uint8_t(buf[7])) << 24;
  EXPECT_EQ(crc, 0x95442c81u) << std::hex << crc;
}

TEST(FsyncPolicyTest, Parses) {
  EXPECT_EQ(FsyncPolicy::Parse("always")->mode, FsyncPolicy::Mode::kAlways);
  EXPECT_EQ(FsyncPolicy::Parse("never")->mode, FsyncPolicy::Mode::kNever);
  auto i = FsyncPolicy::Parse("interval:250");
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->interval_ms, 250);
  EXPECT_EQ(i->ToString(), "interval:250");
  for (const char* bad : {"", "sometimes", "interval:", "interval:0", "interval:x", "interval:5s"}) {
    EXPECT_FALSE(FsyncPolicy::Parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace tributary::streams
