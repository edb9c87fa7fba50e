// Firehose's two Snappy streams as streams write them (compression snappy and
// hadoop_snappy) and the lake reads them back: blocks of at most 32 KiB (snappy-java's) or
// 256 KiB (Hadoop's) of input with big-endian lengths; what does not follow the format is
// an error naming the byte.
#include "streams/snappy_streams.h"

#include <gtest/gtest.h>

#include <string>

#include "streams/testing/sample_bytes.h"

namespace tributary::streams {
namespace {

std::string Be32(uint32_t v) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  return out;
}

class SnappyStreamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    noise_ = testing::NoiseBytes(300000, 7);  // does not compress
    records_ = testing::PmReadings(8000);
  }
  std::string noise_;
  std::string records_;
};

TEST_F(SnappyStreamsTest, RoundTripAcrossBlocks) {
  for (const std::string& data :
       {std::string(), std::string("a"), records_, noise_, records_ + noise_}) {
    auto java = XerialSnappyDecompress(XerialSnappyCompress(data));
    ASSERT_TRUE(java.ok()) << java.status().ToString();
    EXPECT_EQ(*java, data);
    auto hadoop = HadoopSnappyDecompress(HadoopSnappyCompress(data));
    ASSERT_TRUE(hadoop.ok()) << hadoop.status().ToString();
    EXPECT_EQ(*hadoop, data);
  }
  EXPECT_LT(XerialSnappyCompress(records_).size(), records_.size() / 4);
  EXPECT_LT(HadoopSnappyCompress(records_).size(), records_.size() / 4);
}

TEST_F(SnappyStreamsTest, TheLayoutsAreSnappyJavasAndHadoops) {
  // snappy-java: the magic, versions 1 and 1, then a length before each 32 KiB block.
  const std::string java = XerialSnappyCompress(std::string(70000, 'x'));
  EXPECT_EQ(java.substr(0, 16), std::string(kXerialSnappyMagic) + Be32(1) + Be32(1));
  size_t blocks = 0;
  for (size_t at = 16; at < java.size(); ++blocks) {
    at += 4 + ((uint32_t{static_cast<unsigned char>(java[at])} << 24) |
               (uint32_t{static_cast<unsigned char>(java[at + 1])} << 16) |
               (uint32_t{static_cast<unsigned char>(java[at + 2])} << 8) |
               uint32_t{static_cast<unsigned char>(java[at + 3])});
  }
  EXPECT_EQ(blocks, 3u);  // 32768 + 32768 + 4464
  // Hadoop: the block's input length, then its compressed length, no header.
  const std::string hadoop = HadoopSnappyCompress("hello");
  EXPECT_EQ(hadoop.substr(0, 4), Be32(5));
  EXPECT_EQ(hadoop.substr(4, 4), Be32(static_cast<uint32_t>(hadoop.size() - 8)));
  // A Hadoop block written in two pieces reads as one.
  std::string one = HadoopSnappyCompress("hello, ");
  std::string two = HadoopSnappyCompress("lake");
  std::string pieces = Be32(11) + one.substr(4) + two.substr(4);
  EXPECT_EQ(HadoopSnappyDecompress(pieces).value(), "hello, lake");
}

TEST_F(SnappyStreamsTest, ErrorsNameTheByte) {
  const std::string java = XerialSnappyCompress("hello, lake");
  auto java_error = [](std::string_view d) { return XerialSnappyDecompress(d).status().message(); };
  EXPECT_EQ(java_error("hello"), "snappy: no snappy-java header (82 SNAPPY 00) at byte 0");
  EXPECT_EQ(java_error(java.substr(0, 12)), "snappy: the snappy-java header is cut short");
  EXPECT_EQ(java_error(java.substr(0, 18)), "snappy: a block's length cut short at byte 16");
  EXPECT_EQ(java_error(java.substr(0, java.size() - 2)),
            "snappy: the block at byte 20 holds 13 bytes, 11 are left");
  std::string not_snappy = java.substr(0, 16) + Be32(5) + "\xff\xff\xff\xff\xff";
  EXPECT_EQ(java_error(not_snappy), "snappy: the block at byte 20 is not Snappy");

  auto hadoop_error = [](std::string_view d) {
    return HadoopSnappyDecompress(d).status().message();
  };
  const std::string hadoop = HadoopSnappyCompress("hello, lake");
  EXPECT_EQ(hadoop_error(hadoop.substr(0, 6)),
            "snappy: a Hadoop block's lengths cut short at byte 0");
  EXPECT_EQ(hadoop_error(Be32(20) + hadoop.substr(4)),
            "snappy: a Hadoop block's length cut short at byte 21");
  EXPECT_EQ(hadoop_error(Be32(5) + hadoop.substr(4)),
            "snappy: a Hadoop block of 11 bytes where 5 were announced, ending at byte 21");

  auto over = XerialSnappyDecompress(XerialSnappyCompress(std::string(200000, 'x')), 100000);
  EXPECT_EQ(over.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(over.status().message(), "snappy: the data uncompresses past 100000 bytes");
  EXPECT_EQ(HadoopSnappyDecompress(HadoopSnappyCompress(std::string(200000, 'x')), 100000)
                .status()
                .code(),
            ErrorCode::kResourceExhausted);
}

}  // namespace
}  // namespace tributary::streams
