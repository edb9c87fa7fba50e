// Decimal arithmetic (decimal.h), decimal columns through the writer and reader, and
// decimal schemas: a table of texts and the unscaled values they must give.
#include "parquet/decimal.h"

#include <gtest/gtest.h>

#include <tuple>

#include "parquet/compression.h"
#include "parquet/test_util.h"

namespace tributary::parquet {
namespace {

// The unscaled value as text (gtest cannot print an Int128).
std::string Text(Int128 v) { return FormatDecimal(v, 0); }

std::string Parsed(std::string_view text, int precision, int scale) {
  Result<Int128> r = ParseDecimal(text, precision, scale);
  return r.ok() ? Text(*r) : "error: " + r.status().message();
}

TEST(Decimal, ParsesAndRoundsHalfAwayFromZero) {
  struct Case {
    const char* text;
    int precision, scale;
    const char* want;
  };
  const Case cases[] = {
      {"12.34", 4, 2, "1234"},
      {"-12.34", 4, 2, "-1234"},
      {"+1.5", 4, 2, "150"},
      {"0", 1, 0, "0"},
      {"-0", 4, 2, "0"},
      {".25", 3, 2, "25"},
      {"7.", 3, 2, "700"},
      {"12.345", 5, 2, "1235"},     // half: away from zero
      {"-12.345", 5, 2, "-1235"},
      {"12.3449", 5, 2, "1234"},
      {"99.995", 4, 2, "error: '99.995' does not fit decimal(4,2)"},  // rounds to 100.00
      {"99.994", 4, 2, "9999"},
      {"0.004", 4, 2, "0"},
      {"0.005", 4, 2, "1"},
      {"0.0000001", 4, 2, "0"},
      {"1.5e3", 6, 2, "150000"},
      {"-2E-2", 4, 2, "-2"},
      {"125e-1", 4, 0, "13"},
      {"000123.4500", 5, 2, "12345"},
      {"123.45", 4, 2, "error: '123.45' does not fit decimal(4,2)"},
      {"1e38", 38, 0, "error: '1e38' does not fit decimal(38,0)"},
      {"99999999999999999999999999999999999999", 38, 0, "99999999999999999999999999999999999999"},
      {"-9999999999999999999999999999.9999999999", 38, 10, "-99999999999999999999999999999999999999"},
      {"", 4, 2, "error: '' is not a decimal number"},
      {"-", 4, 2, "error: '-' is not a decimal number"},
      {".", 4, 2, "error: '.' is not a decimal number"},
      {"1e", 4, 2, "error: '1e' is not a decimal number"},
      {"1.2.3", 4, 2, "error: '1.2.3' is not a decimal number"},
      {"12a", 4, 2, "error: '12a' is not a decimal number"},
      {" 1", 4, 2, "error: ' 1' is not a decimal number"},
      {"NaN", 4, 2, "error: 'NaN' is not a decimal number"},
      {"1e99999999999", 4, 2, "error: '1e99999999999' does not fit decimal(4,2)"},
      {"1e-99999999999", 4, 2, "0"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Parsed(c.text, c.precision, c.scale), c.want) << c.text;
  }
}

TEST(Decimal, Formats) {
  EXPECT_EQ(FormatDecimal(1234, 2), "12.34");
  EXPECT_EQ(FormatDecimal(-50, 2), "-0.50");
  EXPECT_EQ(FormatDecimal(5, 3), "0.005");
  EXPECT_EQ(FormatDecimal(0, 2), "0.00");
  EXPECT_EQ(FormatDecimal(7, 0), "7");
  EXPECT_EQ(FormatDecimal(-(Pow10(38) - 1), 38), "-0.99999999999999999999999999999999999999");
}

TEST(Decimal, ConvertsFromAndToOtherNumbers) {
  auto from_double = [](double v, int p, int s) {
    auto r = DecimalFromDouble(v, p, s);
    return r.ok() ? Text(*r) : "error: " + r.status().message();
  };
  EXPECT_EQ(from_double(0.1, 4, 2), "10");  // the double's shortest text, not 0.1000000000000000055...
  EXPECT_EQ(from_double(2.675, 4, 2), "268");
  EXPECT_EQ(from_double(-1e-9, 4, 2), "0");
  EXPECT_EQ(from_double(1e6, 4, 2), "error: '1e+06' does not fit decimal(4,2)");
  EXPECT_EQ(from_double(std::numeric_limits<double>::quiet_NaN(), 4, 2), "error: NaN does not fit decimal(4,2)");
  EXPECT_EQ(from_double(std::numeric_limits<double>::infinity(), 4, 2),
            "error: an infinite number does not fit decimal(4,2)");

  EXPECT_EQ(Text(*DecimalFromInt(-42, 5, 3)), "-42000");
  EXPECT_EQ(Text(*DecimalFromInt(0, 38, 38)), "0");
  EXPECT_FALSE(DecimalFromInt(100, 4, 2).ok());
  EXPECT_FALSE(DecimalFromInt(INT64_MIN, 38, 20).ok());
  EXPECT_EQ(Text(*DecimalFromInt(INT64_MIN, 38, 19)), "-92233720368547758080000000000000000000");

  EXPECT_EQ(Text(*RescaleDecimal(12345, 3, 10, 1)), "123");   // 12.345 -> 12.3
  EXPECT_EQ(Text(*RescaleDecimal(-12350, 3, 10, 1)), "-124");  // -12.350 -> -12.4
  EXPECT_EQ(Text(*RescaleDecimal(15, 1, 10, 4)), "15000");
  EXPECT_FALSE(RescaleDecimal(15, 1, 4, 4).ok());  // 1.5000 needs 5 digits
  EXPECT_FALSE(RescaleDecimal(Pow10(37), 0, 38, 5).ok());

  EXPECT_EQ(DecimalToDouble(1234, 2), 12.34);
  EXPECT_EQ(DecimalToDouble(-5, 1), -0.5);
  EXPECT_EQ(DecimalToDouble(Pow10(37) * 3, 37), 3.0);
  int64_t whole = 0;
  ASSERT_TRUE(DecimalToInt(-1299, 2, &whole));
  EXPECT_EQ(whole, -12);  // toward zero
  EXPECT_FALSE(DecimalToInt(Pow10(30), 0, &whole));
}

TEST(Decimal, PhysicalTypesAndBytes) {
  EXPECT_EQ(DecimalPhysicalType(9), PhysicalType::kInt32);
  EXPECT_EQ(DecimalPhysicalType(10), PhysicalType::kInt64);
  EXPECT_EQ(DecimalPhysicalType(18), PhysicalType::kInt64);
  EXPECT_EQ(DecimalPhysicalType(19), PhysicalType::kFixedLenByteArray);
  // The fewest bytes that hold 10^p - 1, as parquet-format tabulates them.
  const std::pair<int, int> widths[] = {{1, 1}, {2, 1}, {3, 2}, {4, 2}, {9, 4}, {10, 5}, {18, 8},
                                        {19, 9}, {28, 12}, {30, 13}, {38, 16}};
  for (auto [p, w] : widths) EXPECT_EQ(DecimalByteWidth(p), w) << "precision " << p;

  std::string bytes;
  AppendBigEndian(-2, 3, &bytes);
  EXPECT_EQ(bytes, std::string("\xff\xff\xfe", 3));
  bytes.clear();
  AppendBigEndian(258, 2, &bytes);
  EXPECT_EQ(bytes, std::string("\x01\x02", 2));
  EXPECT_EQ(Text(*FromBigEndian(std::string("\xff\xff\xfe", 3))), "-2");
  EXPECT_EQ(Text(*FromBigEndian(std::string("\x00\x80", 2))), "128");
  EXPECT_EQ(Text(*FromBigEndian(std::string("\x80", 1))), "-128");
  for (Int128 v : {Pow10(38) - 1, -(Pow10(38) - 1), Int128{0}, Int128{-1}}) {
    bytes.clear();
    AppendBigEndian(v, 16, &bytes);
    EXPECT_EQ(Text(*FromBigEndian(bytes)), Text(v));
  }
  EXPECT_FALSE(FromBigEndian("").ok());
  EXPECT_FALSE(FromBigEndian(std::string(17, 'x')).ok());
}

TEST(Decimal, TypeNames) {
  int p = 0, s = 0;
  ASSERT_TRUE(ParseDecimalType("decimal(10,2)", &p, &s).ok());
  EXPECT_EQ(p * 100 + s, 1002);
  ASSERT_TRUE(ParseDecimalType("decimal( 38 , 10 )", &p, &s).ok());
  EXPECT_EQ(p * 100 + s, 3810);
  ASSERT_TRUE(ParseDecimalType("decimal(7)", &p, &s).ok());
  EXPECT_EQ(p * 100 + s, 700);
  ASSERT_TRUE(ParseDecimalType("decimal", &p, &s).ok());  // Hive's default
  EXPECT_EQ(p * 100 + s, 1000);
  EXPECT_EQ(ParseDecimalType("decimal(0,0)", &p, &s).message(), "decimal precision 0 is out of range (1 to 38)");
  EXPECT_EQ(ParseDecimalType("decimal(5,6)", &p, &s).message(),
            "decimal scale 6 is out of range (0 to the precision, 5)");
  EXPECT_EQ(ParseDecimalType("decimal(5,x)", &p, &s).message(), "type 'decimal(5,x)' is not decimal(precision,scale)");
  EXPECT_EQ(ParseDecimalType("decimal(5,2", &p, &s).message(), "type 'decimal(5,2' is not decimal(precision,scale)");
  EXPECT_FALSE(IsDecimalType("decimalish"));

  Schema schema = *Schema::Parse("id:int64,price:decimal(10,2)?,big:decimal(38,0)");
  ASSERT_EQ(schema.columns.size(), 3u);
  EXPECT_EQ(schema.columns[1].type, ColumnType::kDecimal);
  EXPECT_EQ(schema.columns[1].precision, 10);
  EXPECT_EQ(schema.columns[1].scale, 2);
  EXPECT_TRUE(schema.columns[1].optional);
  EXPECT_EQ(schema.ToString(), "id:int64,price:decimal(10,2)?,big:decimal(38,0)");
}

// Every physical width, both level layouts, every codec, both page versions.
using Param = std::tuple<int /*precision*/, bool /*optional*/, Codec, bool /*v2*/>;
class DecimalRoundTrip : public ::testing::TestWithParam<Param> {};

TEST_P(DecimalRoundTrip, ValuesComeBackExactly) {
  auto [precision, optional, codec, v2] = GetParam();
  std::mt19937_64 rng(static_cast<uint64_t>(precision) * 100 + optional * 10 + static_cast<int>(codec) + v2);
  Schema schema;
  Column c{"d", ColumnType::kDecimal, optional};
  c.precision = precision;
  c.scale = precision / 3;
  schema.columns.push_back(c);
  RecordBatch batch = RecordBatch::Empty(schema);
  const int64_t n = 2500;
  batch.columns[0] = testing::RandomDecimalColumn(precision, optional, n, rng);
  batch.num_rows = n;
  WriterOptions o;
  o.codec = codec;
  o.data_page_v2 = v2;
  o.page_size = 512;
  o.row_group_rows = 1000;
  std::string file = testing::WriteToString(batch, o);
  auto groups = testing::ReadAllGroups(file);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 3u);
  std::vector<const ColumnBatch*> got;
  for (const RecordBatch& g : *groups) {
    EXPECT_EQ(g.schema.columns[0], schema.columns[0]);
    got.push_back(&g.columns[0]);
  }
  testing::ExpectColumnsEqual(batch.columns[0], got);

  // The footer says what other readers need: the physical type, width, DECIMAL(p,s), and
  // min/max in the physical type's bytes.
  auto reader = ParquetReader::Open(MakeMemorySource(file));
  ASSERT_TRUE(reader.ok());
  const SchemaElement& e = (*reader)->metadata().schema[1];
  EXPECT_EQ(*e.type, DecimalPhysicalType(precision));
  if (precision > 18) {
    EXPECT_EQ(e.type_length.value_or(0), DecimalByteWidth(precision));
  }
  EXPECT_EQ(e.converted_type, ConvertedType::kDecimal);
  EXPECT_EQ(e.precision.value_or(0), precision);
  EXPECT_EQ(e.logical_type.kind, LogicalType::Kind::kDecimal);
  EXPECT_EQ(e.logical_type.precision, precision);
  EXPECT_EQ(e.logical_type.scale, precision / 3);
  const ColumnMetaData& m = *(*reader)->metadata().row_groups[0].columns[0].meta_data;
  ASSERT_TRUE(m.statistics && m.statistics->min_value && m.statistics->max_value);
  Int128 lo = Pow10(38), hi = -Pow10(38);
  for (int64_t i = 0; i < 1000; ++i) {
    if (!batch.columns[0].IsValid(i)) continue;
    lo = std::min(lo, batch.columns[0].i128[i]);
    hi = std::max(hi, batch.columns[0].i128[i]);
  }
  auto stat = [&](const std::string& bytes) -> std::string {
    if (precision > 18) return Text(*FromBigEndian(bytes));
    if (precision > 9) {
      int64_t v;
      std::memcpy(&v, bytes.data(), 8);
      return Text(v);
    }
    int32_t v;
    std::memcpy(&v, bytes.data(), 4);
    return Text(v);
  };
  EXPECT_EQ(stat(*m.statistics->min_value), Text(lo));
  EXPECT_EQ(stat(*m.statistics->max_value), Text(hi));
}

std::string Name(const ::testing::TestParamInfo<Param>& info) {
  auto [precision, optional, codec, v2] = info.param;
  return "p" + std::to_string(precision) + (optional ? "_optional_" : "_required_") +
         std::string(CodecName(codec)) + (v2 ? "_v2" : "_v1");
}

INSTANTIATE_TEST_SUITE_P(AllWidths, DecimalRoundTrip,
                         ::testing::Combine(::testing::Values(1, 9, 10, 18, 19, 28, 38), ::testing::Bool(),
                                            ::testing::Values(Codec::kUncompressed, Codec::kSnappy, Codec::kZstd),
                                            ::testing::Bool()),
                         Name);

TEST(DecimalWriter, RefusesAValueWiderThanItsColumn) {
  Schema schema = *Schema::Parse("d:decimal(4,2)");
  std::string file;
  auto w = ParquetWriter::Open(MakeStringSink(&file), schema, {});
  ASSERT_TRUE(w.ok());
  RecordBatch b = RecordBatch::Empty(schema);
  b.columns[0].AppendDecimal(9999);
  b.columns[0].AppendDecimal(-10000);
  b.num_rows = 2;
  Status st = (*w)->Write(b);
  EXPECT_EQ(st.message(), "column 'd' row 1: -100.00 does not fit decimal(4,2)");
  // The columns API checks the same, and the writer is still usable after a refusal.
  st = (*w)->WriteColumns(b.columns);
  EXPECT_EQ(st.message(), "column 'd' row 1: -100.00 does not fit decimal(4,2)");
  b.columns[0].i128[1] = -9999;
  EXPECT_TRUE((*w)->Write(b).ok());
  EXPECT_TRUE((*w)->Close().ok());
}

}  // namespace
}  // namespace tributary::parquet
