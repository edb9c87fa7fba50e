// gzip as streams write it (libdeflate) and the lake reads it back (zlib, a piece at a
// time): concatenated members are one file, what is corrupt is named by its byte and
// member, and what inflates past the bound stops.
#include "streams/gzip.h"

#include <gtest/gtest.h>

#include <string>

namespace tributary::streams {
namespace {

std::string Lines(int n, const std::string& device) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += R"({"device":")" + device + R"(","seq":)" + std::to_string(i) + "}\n";
  return out;
}

TEST(GzipTest, RoundTripAndConcatenatedMembers) {
  const std::string a = Lines(2000, "pm-1");
  const std::string b = Lines(10, "pm-2");
  auto ga = GzipCompress(a);
  auto gb = GzipCompress(b);
  auto empty = GzipCompress("");
  ASSERT_TRUE(ga.ok() && gb.ok() && empty.ok());
  EXPECT_EQ(ga->substr(0, 2), "\x1f\x8b");
  EXPECT_LT(ga->size(), a.size() / 5);
  EXPECT_EQ(GzipDecompress(*ga).value(), a);
  EXPECT_EQ(GzipDecompress(*empty).value(), "");
  EXPECT_EQ(GzipDecompress(*ga + *empty + *gb).value(), a + b);
}

TEST(GzipTest, RawDeflateHasNoWrapper) {
  const std::string a = Lines(100, "pm-1");
  auto raw = RawDeflateCompress(a);
  ASSERT_TRUE(raw.ok());
  std::string out;
  auto used = InflateOne(*raw, -15, SIZE_MAX, &out, "deflate");
  ASSERT_TRUE(used.ok()) << used.status().ToString();
  EXPECT_EQ(*used, raw->size());
  EXPECT_EQ(out, a);
  EXPECT_FALSE(GzipDecompress(*raw).ok());  // no gzip header
}

TEST(GzipTest, CorruptionIsNamedByMemberAndByte) {
  const std::string first = GzipCompress(Lines(50, "pm-1")).value();
  std::string second = GzipCompress(Lines(50, "pm-2")).value();
  second[1] = 'x';  // the second member's magic
  auto got = GzipDecompress(first + second);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(got.status().message().find("gzip: corrupt data at byte "), std::string::npos)
      << got.status().message();
  EXPECT_NE(
      got.status().message().find("(in the member at byte " + std::to_string(first.size()) + ")"),
      std::string::npos)
      << got.status().message();

  auto cut = GzipDecompress(first.substr(0, first.size() - 4));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), ErrorCode::kDataLoss);
  EXPECT_EQ(cut.status().message().find("(in the member"), std::string::npos);
}

// The trailer's size decides whether one call of libdeflate reads the member; a trailer
// that lies (smaller, larger, or past what deflate can give) is caught, not believed.
TEST(GzipTest, ATrailerThatLiesIsAnError) {
  const std::string text = Lines(500, "pm-1");
  const std::string gz = GzipCompress(text).value();
  for (uint32_t size : {uint32_t(text.size() - 1), uint32_t(text.size() + 1), 0xffffffffu}) {
    std::string patched = gz;
    for (int i = 0; i < 4; ++i)
      patched[patched.size() - 4 + i] = static_cast<char>(size >> (8 * i));
    auto got = GzipDecompress(patched);
    ASSERT_FALSE(got.ok()) << size;
    EXPECT_EQ(got.status().code(), ErrorCode::kDataLoss) << got.status().ToString();
  }
}

TEST(GzipTest, InflatingStopsAtTheBound) {
  const std::string zeros(4 << 20, '0');
  auto bomb = GzipDecompress(GzipCompress(zeros).value(), 1 << 20);
  ASSERT_FALSE(bomb.ok());
  EXPECT_EQ(bomb.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(bomb.status().message(), "gzip: the data inflates past 1048576 bytes");
  EXPECT_EQ(GzipDecompress(GzipCompress(zeros).value(), zeros.size()).value(), zeros);
}

}  // namespace
}  // namespace tributary::streams
