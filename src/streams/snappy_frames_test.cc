// Snappy's framing format as streams write it (compression snappy) and the lake reads it
// back: chunks of at most 64 KiB, stored when they do not compress, each checked by its
// masked CRC-32C; what does not follow the format is an error naming the byte.
#include "streams/snappy_frames.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace tributary::streams {
namespace {

std::string Chunk(unsigned char type, std::string_view body) {
  std::string out(1, static_cast<char>(type));
  for (int i = 0; i < 3; ++i) out.push_back(static_cast<char>((body.size() >> (8 * i)) & 0xff));
  out.append(body);
  return out;
}

TEST(SnappyFramesTest, RoundTripsAcrossChunks) {
  std::mt19937 random(7);
  std::string noise(70000, '\0');  // does not compress: stored
  for (char& c : noise) c = static_cast<char>(random());
  std::string records;
  for (int i = 0; i < 5000; ++i)
    records += R"({"device":"pm-)" + std::to_string(i % 7) +
               R"(","pm25":12.5})"
               "\n";
  for (const std::string& data :
       {std::string(), std::string("a"), records, noise, records + noise}) {
    std::string framed = SnappyFramesCompress(data);
    ASSERT_EQ(framed.substr(0, kSnappyFramesMagic.size()), kSnappyFramesMagic);
    auto back = SnappyFramesDecompress(framed);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, data);
  }
  EXPECT_EQ(SnappyFramesCompress(""), kSnappyFramesMagic);
  EXPECT_LT(SnappyFramesCompress(records).size(), records.size() / 4);
  // Incompressible input costs a chunk header and a CRC per 64 KiB, no more.
  EXPECT_EQ(SnappyFramesCompress(noise).size(), kSnappyFramesMagic.size() + 2 * 8 + noise.size());
}

TEST(SnappyFramesTest, SkipsPaddingAndSkippableChunks) {
  std::string framed = SnappyFramesCompress("hello, lake");
  std::string with_extras = std::string(kSnappyFramesMagic) + Chunk(0xfe, std::string(5, '\0')) +
                            Chunk(0x80, "skip me") + framed.substr(kSnappyFramesMagic.size()) +
                            std::string(kSnappyFramesMagic);  // streams concatenated
  EXPECT_EQ(SnappyFramesDecompress(with_extras).value(), "hello, lake");
}

TEST(SnappyFramesTest, ErrorsNameTheByte) {
  std::string framed = SnappyFramesCompress("hello, lake");
  auto message = [](std::string_view data) {
    return SnappyFramesDecompress(data).status().message();
  };
  EXPECT_EQ(message("hello"), "snappy: no stream identifier (ff 06 00 00 sNaPpY) at byte 0");
  EXPECT_EQ(message(framed.substr(0, framed.size() - 2)),
            "snappy: the chunk at byte 10 holds 15 bytes, 13 are left");
  std::string bad_crc = framed;
  bad_crc[15] ^= 1;
  EXPECT_EQ(message(bad_crc), "snappy: the CRC of the chunk at byte 10 does not match");
  EXPECT_EQ(message(std::string(kSnappyFramesMagic) + Chunk(0x02, "x")),
            "snappy: chunk type 0x02 at byte 10 is reserved and cannot be skipped");
  EXPECT_EQ(message(std::string(kSnappyFramesMagic) + Chunk(0x00, "\x01\x02\x03\x04\xff\xff\xff")),
            "snappy: the chunk at byte 10 is not a snappy block");
  EXPECT_EQ(SnappyFramesDecompress(framed).status().code(), ErrorCode::kOk);
  auto over = SnappyFramesDecompress(SnappyFramesCompress(std::string(200000, 'x')), 100000);
  EXPECT_EQ(over.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(over.status().message(), "snappy: the data uncompresses past 100000 bytes");
}

}  // namespace
}  // namespace tributary::streams
