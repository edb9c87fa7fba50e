#include "parquet/plain.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace tributary::parquet {
namespace {

const uint8_t* U(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

template <typename T>
void RoundTrip(std::vector<T> values) {
  std::string enc;
  PlainAppendFixed(values.data(), values.size(), &enc);
  EXPECT_EQ(enc.size(), values.size() * sizeof(T));
  std::vector<T> back(values.size());
  size_t used = 0;
  ASSERT_TRUE(PlainDecodeFixed(U(enc), enc.size(), values.size(), back.data(), &used).ok());
  EXPECT_EQ(used, enc.size());
  EXPECT_EQ(0, std::memcmp(back.data(), values.data(), enc.size()));  // bit-exact, NaN included
  if (!values.empty()) {
    EXPECT_FALSE(PlainDecodeFixed(U(enc), enc.size() - 1, values.size(), back.data(), &used).ok());
  }
}

TEST(Plain, FixedWidthTypesRoundTripBitExact) {
  RoundTrip<int32_t>({0, 1, -1, INT32_MIN, INT32_MAX});
  RoundTrip<int64_t>({0, -1, INT64_MIN, INT64_MAX});
  RoundTrip<float>({0.0f, -0.0f, 1.5f, std::numeric_limits<float>::infinity(), std::nanf("1"),
                    std::numeric_limits<float>::denorm_min()});
  RoundTrip<double>({0.0, -0.0, -1e308, std::numeric_limits<double>::quiet_NaN(),
                     -std::numeric_limits<double>::infinity()});
}

TEST(Plain, LittleEndianBytes) {
  std::string enc;
  PlainAppendOne<int32_t>(1, &enc);
  PlainAppendOne<int64_t>(-2, &enc);
  EXPECT_EQ(enc, std::string("\x01\x00\x00\x00\xfe\xff\xff\xff\xff\xff\xff\xff", 12));
}

TEST(Plain, Booleans) {
  std::vector<uint8_t> v = {1, 0, 1, 1, 0, 0, 0, 0, 1, 1};
  std::string enc;
  PlainAppendBools(v.data(), v.size(), &enc);
  EXPECT_EQ(enc, std::string("\x0d\x03", 2));
  std::vector<uint8_t> back(v.size());
  size_t used;
  ASSERT_TRUE(PlainDecodeBools(U(enc), enc.size(), v.size(), back.data(), &used).ok());
  EXPECT_EQ(back, v);
  EXPECT_EQ(used, 2u);
  EXPECT_FALSE(PlainDecodeBools(U(enc), 1, v.size(), back.data(), &used).ok());
}

TEST(Plain, ByteArrays) {
  std::string enc;
  PlainAppendString("ab", &enc);
  PlainAppendString("", &enc);
  PlainAppendString("\xe2\x98\x83", &enc);
  EXPECT_EQ(enc.substr(0, 6), std::string("\x02\x00\x00\x00"
                                          "ab",
                                          6));
  std::vector<std::string_view> back;
  size_t used;
  ASSERT_TRUE(PlainDecodeStrings(U(enc), enc.size(), 3, &back, &used).ok());
  EXPECT_EQ(back, (std::vector<std::string_view>{"ab", "", "\xe2\x98\x83"}));
  EXPECT_EQ(used, enc.size());
  for (size_t len = 0; len < enc.size(); ++len) {
    back.clear();
    EXPECT_FALSE(PlainDecodeStrings(U(enc), len, 3, &back, &used).ok()) << len;
  }
  std::string huge(
      "\xff\xff\xff\x7f"
      "x",
      5);
  back.clear();
  Status st = PlainDecodeStrings(U(huge), huge.size(), 1, &back, &used);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("runs past the end"), std::string::npos);
}

}  // namespace
}  // namespace tributary::parquet
