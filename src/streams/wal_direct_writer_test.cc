#include "streams/wal_direct_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "base/files.h"
#include "base/testing/temp_dir.h"
#include "streams/wal_format.h"

namespace tributary::streams {
namespace {

using testing_support::TempDir;

// A segment file open with O_DIRECT and a writer for it; the test is skipped where the
// file system refuses O_DIRECT (tmpfs on older kernels).
class WalDirectWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0644);
    if (fd_ < 0) GTEST_SKIP() << dir_.path() << " does not take O_DIRECT";
    writer_.StartSegment();
  }
  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
  }

  TempDir dir_;
  const std::string path_ = dir_.path() + "/segment.wal";
  int fd_ = -1;
  WalDirectWriter writer_{7};
};

std::string Frames(uint64_t first_seq, int count, size_t bytes) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    EncodeFrame(7, first_seq + i, 1000 + i, std::string(bytes + i, char('a' + i % 26)), &out);
  }
  return out;
}

// Commits of sizes that end anywhere in a block, across block boundaries: after each,
// the file holds exactly the frames so far, then one padding frame (sequence number 0)
// that ends on a block boundary.
TEST_F(WalDirectWriterTest, EachCommitLeavesTheFramesThenAPaddingFrameToTheBlockEnd) {
  std::string expected;
  uint64_t seq = 1;
  auto commit = [&](const std::string& batch, int count) {
    auto outcome = writer_.Write(fd_, expected.size(), batch);
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    ASSERT_EQ(*outcome, WalDirectWriter::Outcome::kWritten);
    expected += batch;
    seq += count;

    auto file = ReadFile(path_);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    ASSERT_GE(file->size(), expected.size());
    EXPECT_EQ(file->substr(0, expected.size()), expected);
    size_t offset = expected.size();
    WalFrame padding;
    ASSERT_EQ(DecodeFrame(*file, &offset, &padding), DecodeResult::kOk) << "after seq " << seq - 1;
    EXPECT_EQ(padding.seq, 0u);
    EXPECT_EQ(offset % WalDirectWriter::kBlockBytes, 0u) << "padding ends at " << offset;
    EXPECT_EQ(offset, file->size());
    EXPECT_GE(offset - expected.size(), kFrameHeaderBytes + kFrameFixedBodyBytes);
  };
  // Frames of one byte up to several KiB, ending anywhere in a block.
  for (auto [count, bytes] : {std::pair{1, 1}, {3, 100}, {2, 2500}, {40, 300}, {1, 7}}) {
    commit(Frames(seq, count, bytes), count);
  }
  // One frame ending exactly on a boundary, then one ending 10 bytes short of one: both
  // leave too little room for a padding frame in their block, which takes the next.
  const size_t frame = kFrameHeaderBytes + kFrameFixedBodyBytes;
  const size_t block = WalDirectWriter::kBlockBytes;
  commit(Frames(seq, 1, block - expected.size() % block - frame + block), 1);
  ASSERT_EQ(expected.size() % block, 0u);
  commit(Frames(seq, 1, block - 10 - frame), 1);
  ASSERT_EQ(expected.size() % block, block - 10);

  // Every frame decodes, in order, and then the padding.
  auto file = ReadFile(path_);
  ASSERT_TRUE(file.ok());
  size_t offset = 0;
  WalFrame f;
  uint64_t want = 1;
  while (offset < expected.size()) {
    ASSERT_EQ(DecodeFrame(*file, &offset, &f), DecodeResult::kOk);
    EXPECT_EQ(f.seq, want++);
  }
  EXPECT_EQ(want, seq);
}

// A commit that would end a block's bytes at an offset the writer does not hold (the
// caller's bookkeeping and the writer's disagree) is refused before anything is written.
TEST_F(WalDirectWriterTest, AnOffsetThatDisagreesWithTheHeldBlockIsRefused) {
  std::string batch = Frames(1, 2, 10);
  ASSERT_TRUE(writer_.Write(fd_, 0, batch).ok());
  auto wrong = writer_.Write(fd_, batch.size() + 1, Frames(3, 1, 10));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("offset " + std::to_string(batch.size() + 1)),
            std::string::npos)
      << wrong.status().message();
  // A new segment starts again at 0.
  writer_.StartSegment();
  EXPECT_TRUE(writer_.Write(fd_, 0, batch).ok());
}

}  // namespace
}  // namespace tributary::streams
