#include "parquet/rle.h"

#include <gtest/gtest.h>

#include <random>

namespace tributary::parquet {
namespace {

const uint8_t* U(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::vector<uint32_t> Decode(const std::string& enc, int bw, size_t n) {
  std::vector<uint32_t> out(n);
  RleDecoder d(U(enc), enc.size(), bw);
  Status st = d.Decode(out.data(), n);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

TEST(Rle, KnownEncodings) {
  std::vector<uint32_t> ten_ones(10, 1);
  std::string out;
  RleEncode(ten_ones.data(), ten_ones.size(), 1, &out);
  EXPECT_EQ(out, std::string("\x14\x01", 2));  // RLE run: 10 << 1, value 1

  std::vector<uint32_t> short_run = {1, 0, 1};
  out.clear();
  RleEncode(short_run.data(), short_run.size(), 1, &out);
  EXPECT_EQ(out, std::string("\x03\x05", 2));  // one bit-packed group: 1,0,1 -> 0b101

  // The spec's bit-packing example: 0..7 at width 3 -> 0x88 0xC6 0xFA.
  std::vector<uint32_t> seq = {0, 1, 2, 3, 4, 5, 6, 7};
  out.clear();
  BitPack(seq.data(), seq.size(), 3, &out);
  EXPECT_EQ(out, std::string("\x88\xc6\xfa", 3));
}

TEST(Rle, RoundTripsEveryBitWidthWithRunBoundaries) {
  std::mt19937_64 rng(42);
  for (int bw = 0; bw <= 32; ++bw) {
    const uint64_t max = bw == 0 ? 0 : (bw == 32 ? 0xFFFFFFFFull : (1ull << bw) - 1);
    std::vector<uint32_t> values;
    // Runs of every length around the 8-value group boundary, then noise,
    // and the extremes of the width.
    for (int len = 1; len <= 20; ++len) {
      uint32_t v = static_cast<uint32_t>(rng() & max);
      values.insert(values.end(), len, v);
      for (int k = 0; k < len % 5; ++k) values.push_back(static_cast<uint32_t>(rng() & max));
    }
    values.insert(values.end(), 9, static_cast<uint32_t>(max));
    values.push_back(0);
    values.push_back(static_cast<uint32_t>(max));
    for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, values.size()}) {
      std::string enc;
      RleEncode(values.data(), n, bw, &enc);
      std::vector<uint32_t> back = Decode(enc, bw, n);
      ASSERT_EQ(back, std::vector<uint32_t>(values.begin(), values.begin() + n))
          << "bw " << bw << " n " << n;
    }
  }
}

TEST(Rle, DecodesInPiecesAcrossRuns) {
  std::vector<uint32_t> values;
  for (int i = 0; i < 1000; ++i) values.push_back(i % 37 < 20 ? 5 : static_cast<uint32_t>(i % 13));
  std::string enc;
  RleEncode(values.data(), values.size(), 4, &enc);
  RleDecoder d(U(enc), enc.size(), 4);
  std::vector<uint32_t> back;
  size_t pos = 0, step = 1;
  while (pos < values.size()) {
    size_t n = std::min(step, values.size() - pos);
    std::vector<uint32_t> part(n);
    ASSERT_TRUE(d.Decode(part.data(), n).ok());
    back.insert(back.end(), part.begin(), part.end());
    pos += n;
    step = step % 11 + 1;
  }
  EXPECT_EQ(back, values);
}

TEST(Rle, ErrorsOnTruncatedOrInvalidStreams) {
  std::vector<uint32_t> values(100, 3);
  std::string enc;
  RleEncode(values.data(), values.size(), 2, &enc);
  std::vector<uint32_t> out(101);
  RleDecoder more(U(enc), enc.size(), 2);
  EXPECT_FALSE(more.Decode(out.data(), 101).ok());  // asks for more than the stream holds

  RleDecoder empty(U(enc), 0, 2);
  EXPECT_FALSE(empty.Decode(out.data(), 1).ok());

  std::string wide("\x02\x07", 2);  // RLE run of 1, value 7 at bit width 2
  RleDecoder w(U(wide), wide.size(), 2);
  Status st = w.Decode(out.data(), 1);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("wider"), std::string::npos);

  std::string zero_run("\x00", 1);
  RleDecoder z(U(zero_run), 1, 1);
  EXPECT_FALSE(z.Decode(out.data(), 1).ok());

  std::string idx("\x02\x05", 2);
  RleDecoder b(U(idx), idx.size(), 3);
  st = b.DecodeBounded(out.data(), 1, 4);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("exceeds"), std::string::npos);
}

TEST(Rle, TruncatedFinalBitPackedRunYieldsOnlyItsValues) {
  // Header says 2 groups (16 values) at width 8, but only 3 bytes follow.
  std::string enc("\x05\x01\x02\x03", 4);
  std::vector<uint32_t> out(3);
  RleDecoder d(U(enc), enc.size(), 8);
  ASSERT_TRUE(d.Decode(out.data(), 3).ok());
  EXPECT_EQ(out, (std::vector<uint32_t>{1, 2, 3}));
  uint32_t extra;
  EXPECT_FALSE(d.Decode(&extra, 1).ok());
}

TEST(Rle, BitWidth) {
  EXPECT_EQ(BitWidth(0), 0);
  EXPECT_EQ(BitWidth(1), 1);
  EXPECT_EQ(BitWidth(2), 2);
  EXPECT_EQ(BitWidth(255), 8);
  EXPECT_EQ(BitWidth(256), 9);
  EXPECT_EQ(BitWidth(0xFFFFFFFFull), 32);
}

}  // namespace
}  // namespace tributary::parquet
