#include "parquet/delta.h"

#include <gtest/gtest.h>

#include <random>

#include "parquet/plain.h"

namespace tributary::parquet {
namespace {

const uint8_t* U(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

void Varint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void ZigZag(int64_t v, std::string* out) {
  Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63), out);
}

// A straightforward DELTA_BINARY_PACKED encoder for tests: blocks of 128 values
// in 4 miniblocks of 32, deltas computed with wrapping arithmetic.
std::string EncodeDelta(const std::vector<int64_t>& v) {
  std::string out;
  Varint(128, &out);
  Varint(4, &out);
  Varint(v.size(), &out);
  ZigZag(v.empty() ? 0 : v[0], &out);
  for (size_t start = 1; start < v.size(); start += 128) {
    size_t end = std::min(v.size(), start + 128);
    std::vector<uint64_t> d;
    for (size_t i = start; i < end; ++i)
      d.push_back(static_cast<uint64_t>(v[i]) - static_cast<uint64_t>(v[i - 1]));
    int64_t min = static_cast<int64_t>(d[0]);
    for (uint64_t x : d) min = std::min(min, static_cast<int64_t>(x));
    ZigZag(min, &out);
    std::vector<int> widths(4, 0);
    for (size_t i = 0; i < d.size(); ++i) {
      uint64_t rel = d[i] - static_cast<uint64_t>(min);
      int w = 0;
      while (w < 64 && (rel >> w) != 0) ++w;
      widths[i / 32] = std::max(widths[i / 32], w);
    }
    for (int w : widths) out.push_back(static_cast<char>(w));
    for (size_t m = 0; m * 32 < d.size(); ++m) {
      unsigned __int128 acc = 0;
      int bits = 0;
      for (size_t j = 0; j < 32; ++j) {
        size_t i = m * 32 + j;
        uint64_t rel = i < d.size() ? d[i] - static_cast<uint64_t>(min) : 0;
        acc |= static_cast<unsigned __int128>(rel) << bits;
        bits += widths[m];
        while (bits >= 8) {
          out.push_back(static_cast<char>(static_cast<uint8_t>(acc)));
          acc >>= 8;
          bits -= 8;
        }
      }
    }
  }
  return out;
}

TEST(Delta, BinaryPackedRoundTrips) {
  std::mt19937_64 rng(5);
  for (size_t n : {size_t{1}, size_t{2}, size_t{33}, size_t{128}, size_t{129}, size_t{1000}}) {
    std::vector<int64_t> v(n);
    for (size_t i = 0; i < n; ++i) {
      v[i] = i % 50 == 7 ? (i % 2 ? INT64_MIN : INT64_MAX)
                         : static_cast<int64_t>(rng() % 1000) - 500 + static_cast<int64_t>(i) * 10;
    }
    std::string enc = EncodeDelta(v);
    std::vector<int64_t> back;
    size_t used = 0;
    Status st = DeltaBinaryPackedDecode(U(enc), enc.size(), n, &back, &used);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(back, v) << n;
    EXPECT_EQ(used, enc.size()) << n;
    // Truncation is an error, except inside the padding of the last miniblock
    // (past the last value), which some writers leave out: then the values
    // must still all be right.
    for (size_t len = 0; len < enc.size(); len += 3) {
      Status cut = DeltaBinaryPackedDecode(U(enc), len, n, &back, &used);
      if (len < enc.size() / 2 + 1) {
        EXPECT_FALSE(cut.ok()) << n << " " << len;
      } else if (cut.ok()) {
        EXPECT_EQ(back, v) << n << " " << len;
      }
    }
  }
}

TEST(Delta, RejectsBadHeaders) {
  std::string enc;
  Varint(100, &enc);  // not a multiple of 128
  Varint(4, &enc);
  Varint(1, &enc);
  ZigZag(0, &enc);
  std::vector<int64_t> out;
  size_t used;
  EXPECT_FALSE(DeltaBinaryPackedDecode(U(enc), enc.size(), 1, &out, &used).ok());
  std::string few = EncodeDelta({1, 2, 3});
  EXPECT_FALSE(DeltaBinaryPackedDecode(U(few), few.size(), 4, &out, &used).ok());  // header says 3
}

TEST(Delta, LengthAndIncrementalByteArrays) {
  std::vector<std::string> words = {"apple", "applesauce", "apply", "", "banana", "band"};
  // DELTA_LENGTH_BYTE_ARRAY
  std::vector<int64_t> lengths;
  std::string bytes;
  for (const auto& w : words) {
    lengths.push_back(static_cast<int64_t>(w.size()));
    bytes += w;
  }
  std::string enc = EncodeDelta(lengths) + bytes;
  std::vector<std::string_view> got;
  size_t used;
  ASSERT_TRUE(DeltaLengthByteArrayDecode(U(enc), enc.size(), words.size(), &got, &used).ok());
  ASSERT_EQ(got.size(), words.size());
  for (size_t i = 0; i < words.size(); ++i) EXPECT_EQ(got[i], words[i]);
  EXPECT_FALSE(DeltaLengthByteArrayDecode(U(enc), enc.size() - 1, words.size(), &got, &used).ok());

  // DELTA_BYTE_ARRAY: prefixes shared with the previous value.
  std::vector<int64_t> prefixes = {0, 5, 4, 0, 0, 3};
  std::vector<int64_t> suffix_lengths;
  std::string suffixes;
  for (size_t i = 0; i < words.size(); ++i) {
    std::string s = words[i].substr(prefixes[i]);
    suffix_lengths.push_back(static_cast<int64_t>(s.size()));
    suffixes += s;
  }
  std::string enc2 = EncodeDelta(prefixes) + EncodeDelta(suffix_lengths) + suffixes;
  std::string arena;
  ASSERT_TRUE(DeltaByteArrayDecode(U(enc2), enc2.size(), words.size(), 1 << 20, &arena, &got).ok());
  for (size_t i = 0; i < words.size(); ++i) EXPECT_EQ(got[i], words[i]);
  EXPECT_EQ(DeltaByteArrayDecode(U(enc2), enc2.size(), words.size(), 10, &arena, &got).code(),
            ErrorCode::kResourceExhausted);
  std::string bad =
      EncodeDelta({3}) + EncodeDelta({1}) + "x";  // prefix longer than the (empty) previous value
  EXPECT_FALSE(DeltaByteArrayDecode(U(bad), bad.size(), 1, 1 << 20, &arena, &got).ok());
}

TEST(Delta, ByteStreamSplit) {
  std::vector<double> v = {1.5, -0.0, 1e300};
  std::string raw;
  PlainAppendFixed(v.data(), v.size(), &raw);
  std::string split(raw.size(), '\0');
  for (size_t i = 0; i < v.size(); ++i) {
    for (size_t k = 0; k < 8; ++k) split[k * v.size() + i] = raw[i * 8 + k];
  }
  std::vector<double> back(v.size());
  ASSERT_TRUE(ByteStreamSplitDecode(U(split), split.size(), v.size(), 8,
                                    reinterpret_cast<uint8_t*>(back.data()))
                  .ok());
  EXPECT_EQ(0, std::memcmp(back.data(), v.data(), raw.size()));
  EXPECT_FALSE(ByteStreamSplitDecode(U(split), split.size() - 1, v.size(), 8,
                                     reinterpret_cast<uint8_t*>(back.data()))
                   .ok());
}

}  // namespace
}  // namespace tributary::parquet
