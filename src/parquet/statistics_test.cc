#include "parquet/statistics.h"

#include <gtest/gtest.h>

#include <limits>

#include "parquet/test_util.h"

namespace tributary::parquet {
namespace {

template <typename T>
std::string Enc(T v) {
  std::string s;
  PlainAppendOne(v, &s);
  return s;
}

TEST(Statistics, SignedIntegers) {
  StatsAccumulator<int64_t> s;
  for (int64_t v : std::initializer_list<int64_t>{5, -3, 0, INT64_MIN, 100}) s.Update(v);
  s.AddNulls(2);
  Statistics t = s.ToThrift();
  EXPECT_EQ(t.min_value, Enc<int64_t>(INT64_MIN));
  EXPECT_EQ(t.max_value, Enc<int64_t>(100));
  EXPECT_EQ(t.null_count, 2);
}

TEST(Statistics, FloatsSkipNaNAndNormalizeZeros) {
  StatsAccumulator<double> s;
  s.Update(std::numeric_limits<double>::quiet_NaN());
  s.Update(0.0);
  s.Update(-0.0);
  Statistics t = s.ToThrift();
  EXPECT_EQ(t.min_value, Enc(-0.0));  // a zero min is written as -0.0
  EXPECT_EQ(t.max_value, Enc(0.0));   // and a zero max as +0.0
  s.Update(-std::numeric_limits<double>::infinity());
  s.Update(2.5);
  t = s.ToThrift();
  EXPECT_EQ(t.min_value, Enc(-std::numeric_limits<double>::infinity()));
  EXPECT_EQ(t.max_value, Enc(2.5));

  StatsAccumulator<float> all_nan;
  all_nan.Update(std::numeric_limits<float>::quiet_NaN());
  t = all_nan.ToThrift();
  EXPECT_FALSE(t.min_value);
  EXPECT_FALSE(t.max_value);
  EXPECT_EQ(t.null_count, 0);
}

TEST(Statistics, StringsCompareAsUnsignedBytes) {
  StatsAccumulator<std::string_view> s;
  s.Update("a");
  s.Update("\xff");  // above every ASCII byte when unsigned
  s.Update("");
  s.Update("B");
  Statistics t = s.ToThrift();
  EXPECT_EQ(t.min_value, "");
  EXPECT_EQ(t.max_value, "\xff");

  StatsAccumulator<std::string_view> long_value;
  long_value.Update("x");
  std::string big(kMaxStringStat + 1, 'y');
  long_value.Update(big);
  EXPECT_FALSE(long_value.ToThrift().min_value);  // too long to keep: omitted
}

TEST(Statistics, Booleans) {
  StatsAccumulator<bool> s;
  s.Update(true);
  s.Update(false);
  Statistics t = s.ToThrift();
  EXPECT_EQ(t.min_value, std::string(1, '\0'));
  EXPECT_EQ(t.max_value, std::string(1, '\1'));
}

TEST(Statistics, WrittenPerColumnChunk) {
  Schema schema = *Schema::Parse("i:int32?,s:string,d:double");
  RecordBatch b = RecordBatch::Empty(schema);
  b.columns[0].AppendInt32(-7);
  b.columns[0].AppendNull();
  b.columns[0].AppendInt32(3);
  b.columns[1].AppendString("b");
  b.columns[1].AppendString("a");
  b.columns[1].AppendString("\xc3\xa9");
  b.columns[2].AppendDouble(std::numeric_limits<double>::quiet_NaN());
  b.columns[2].AppendDouble(-1.5);
  b.columns[2].AppendDouble(4);
  b.num_rows = 3;
  std::string file = testing::WriteToString(b, {});
  auto r = ParquetReader::Open(MakeMemorySource(file));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& cols = (*r)->metadata().row_groups.at(0).columns;
  const Statistics& i = *cols[0].meta_data->statistics;
  EXPECT_EQ(i.min_value, Enc<int32_t>(-7));
  EXPECT_EQ(i.max_value, Enc<int32_t>(3));
  EXPECT_EQ(i.null_count, 1);
  EXPECT_EQ(cols[1].meta_data->statistics->min_value, "a");
  EXPECT_EQ(cols[1].meta_data->statistics->max_value, "\xc3\xa9");
  EXPECT_EQ(cols[1].meta_data->statistics->null_count, 0);
  EXPECT_EQ(cols[2].meta_data->statistics->min_value, Enc(-1.5));
  EXPECT_EQ(cols[2].meta_data->statistics->max_value, Enc(4.0));
  EXPECT_EQ((*r)->metadata().num_column_orders, 3);
}

}  // namespace
}  // namespace tributary::parquet
