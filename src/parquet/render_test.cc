#include "parquet/render.h"

#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <sstream>

#include "parquet/jsonl_import.h"
#include "parquet/test_util.h"

namespace tributary::parquet {
namespace {

TEST(Render, Timestamps) {
  EXPECT_EQ(FormatTimestampMicros(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestampMicros(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestampMicros(1714564800000001), "2024-05-01T12:00:00.000001Z");
  EXPECT_EQ(FormatTimestampMicros(951782400000000), "2000-02-29T00:00:00.000000Z");
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1714564800000001}, int64_t{-62135596800000000},
                    int64_t{253402300799999999}}) {
    auto back = ParseTimestampMicros(FormatTimestampMicros(v));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, v);
  }
  EXPECT_EQ(*ParseTimestampMicros("2024-05-01T12:00:00Z"), 1714564800000000);
  EXPECT_EQ(*ParseTimestampMicros("2024-05-01 12:00:00.5"), 1714564800500000);
  EXPECT_FALSE(ParseTimestampMicros("2024-05-01").ok());
  EXPECT_FALSE(ParseTimestampMicros("2024-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimestampMicros("2024-05-01T12:00:00+02:00").ok());
}

TEST(Render, Dates) {
  EXPECT_EQ(FormatDate(0), "1970-01-01");
  EXPECT_EQ(FormatDate(-1), "1969-12-31");
  EXPECT_EQ(FormatDate(11016), "2000-02-29");
  EXPECT_EQ(FormatDate(-719162), "0001-01-01");
  EXPECT_EQ(FormatDate(2932896), "9999-12-31");
  for (int64_t v : {0, -1, 11016, 20426, -719162, 2932896}) {
    auto back = ParseDate(FormatDate(v));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, v);
  }
  for (const char* bad : {"2026-02-29", "2024-02-30", "2026-13-01", "2026-00-10", "2026-1-01",
                          "2026-12-04T00:00:00Z", "26-12-04", "", "2026/12/04"}) {
    auto r = ParseDate(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("is not YYYY-MM-DD"), std::string::npos) << r.status().ToString();
  }
  EXPECT_EQ(*ParseDate("2024-02-29"), 19782);
}

TEST(Render, JsonRowEscapesAndSpecials) {
  Schema schema = *Schema::Parse("s:string?,d:double,f:float,b:boolean,i:int64,t:timestamp");
  RecordBatch b = RecordBatch::Empty(schema);
  b.columns[0].AppendString(std::string("q\"\\\n\x01\xc3\xa9\xff", 8));
  b.columns[1].AppendDouble(std::numeric_limits<double>::quiet_NaN());
  b.columns[2].AppendFloat(0.1f);
  b.columns[3].AppendBool(true);
  b.columns[4].AppendInt64(INT64_MIN);
  b.columns[5].AppendInt64(0);
  b.columns[0].AppendNull();
  b.columns[1].AppendDouble(-std::numeric_limits<double>::infinity());
  b.columns[2].AppendFloat(-0.0f);
  b.columns[3].AppendBool(false);
  b.columns[4].AppendInt64(7);
  b.columns[5].AppendInt64(1);
  b.num_rows = 2;
  std::string out;
  AppendJsonRow(b, 0, &out);
  EXPECT_EQ(out,
            "{\"s\":\"q\\\"\\\\\\u000a\\u0001\xc3\xa9\\ufffd\",\"d\":\"NaN\",\"f\":0.1,\"b\":true,"
            "\"i\":-9223372036854775808,\"t\":\"1970-01-01T00:00:00.000000Z\"}");
  out.clear();
  AppendJsonRow(b, 1, &out);
  EXPECT_EQ(out,
            "{\"s\":null,\"d\":\"-Infinity\",\"f\":-0,\"b\":false,\"i\":7,\"t\":\"1970-01-01T00:00:"
            "00.000001Z\"}");
}

TEST(Render, JsonLinesThroughParquetAndBack) {
  std::string dir = ::testing::TempDir();
  std::string path = dir + "/tributary_render.parquet";
  std::istringstream in(
      "{\"id\":1,\"name\":\"a\",\"temp\":1.5,\"ts\":\"2024-05-01T12:00:00Z\",\"day\":\"2024-05-01\"}\n"
      "\n"
      "{\"id\":2,\"temp\":\"NaN\",\"ts\":5,\"day\":-1}\n");
  WriterOptions o;
  o.codec = Codec::kZstd;
  auto stats = JsonLinesToParquet(
      in, *Schema::Parse("id:int64,name:string?,temp:double,ts:timestamp,day:date?"), o, path);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->rows, 2);
  std::ostringstream cat;
  ASSERT_TRUE(Cat(path, -1, cat).ok());
  EXPECT_EQ(cat.str(),
            "{\"id\":1,\"name\":\"a\",\"temp\":1.5,\"ts\":\"2024-05-01T12:00:00.000000Z\","
            "\"day\":\"2024-05-01\"}\n"
            "{\"id\":2,\"name\":null,\"temp\":\"NaN\",\"ts\":\"1970-01-01T00:00:00.000005Z\","
            "\"day\":\"1969-12-31\"}\n");
  std::ostringstream one;
  ASSERT_TRUE(Cat(path, 1, one).ok());
  const std::string lines = one.str();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 1);
  std::ostringstream schema;
  ASSERT_TRUE(PrintSchema(path, schema).ok());
  EXPECT_NE(schema.str().find("created_by: tributary version 0.1.0"), std::string::npos)
      << schema.str();
  EXPECT_NE(schema.str().find("name: string optional (BYTE_ARRAY STRING)"), std::string::npos)
      << schema.str();
  EXPECT_NE(schema.str().find("ts: timestamp required (INT64 TIMESTAMP(MICROS,UTC))"),
            std::string::npos);
  EXPECT_NE(schema.str().find("codec: zstd"), std::string::npos);
  EXPECT_NE(schema.str().find("day: date optional (INT32 DATE)"), std::string::npos) << schema.str();
}

TEST(Render, JsonLinesErrorsNameLineAndColumn) {
  std::string path = ::testing::TempDir() + "/tributary_render_bad.parquet";
  Schema schema = *Schema::Parse("id:int32,s:string?");
  std::istringstream wrong_type("{\"id\":1}\n{\"id\":\"x\"}\n");
  auto r = JsonLinesToParquet(wrong_type, schema, {}, path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("column 'id'"), std::string::npos) << r.status().ToString();
  std::istringstream missing("{\"s\":\"a\"}\n");
  r = JsonLinesToParquet(missing, schema, {}, path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("required column 'id'"), std::string::npos);
  std::istringstream range("{\"id\":4294967296}\n");
  EXPECT_FALSE(JsonLinesToParquet(range, schema, {}, path).ok());
  std::istringstream garbage("{\"id\":1\n");
  EXPECT_FALSE(JsonLinesToParquet(garbage, schema, {}, path).ok());
  std::istringstream bad_date("{\"d\":\"2026-02-29\"}\n");
  r = JsonLinesToParquet(bad_date, *Schema::Parse("d:date"), {}, path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("column 'd': date '2026-02-29' is not YYYY-MM-DD"), std::string::npos)
      << r.status().ToString();
  std::istringstream bad_decimal("{\"p\":\"1.5\"}\n{\"p\":123.4}\n");
  r = JsonLinesToParquet(bad_decimal, *Schema::Parse("p:decimal(4,2)"), {}, path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "line 2: column 'p': '123.4' does not fit decimal(4,2)");
  std::istringstream not_decimal("{\"p\":true}\n");
  r = JsonLinesToParquet(not_decimal, *Schema::Parse("p:decimal(4,2)"), {}, path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "line 1: column 'p': expected decimal(4,2), got boolean true");
}

// Decimals from JSON strings (exact), integers and numbers with a fraction, printed back
// as JSON numbers with every digit of the scale.
TEST(Render, Decimals) {
  std::string path = ::testing::TempDir() + "/tributary_render_decimal.parquet";
  std::istringstream in(
      "{\"price\":\"12.345\",\"big\":\"-12345678901234567890123456.789\"}\n"
      "{\"price\":-7,\"big\":18446744073709551615}\n"
      "{\"price\":0.1,\"big\":null}\n");
  auto stats = JsonLinesToParquet(in, *Schema::Parse("price:decimal(6,2),big:decimal(38,3)?"), {}, path);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  std::ostringstream cat;
  ASSERT_TRUE(Cat(path, -1, cat).ok());
  EXPECT_EQ(cat.str(),
            "{\"price\":12.35,\"big\":-12345678901234567890123456.789}\n"
            "{\"price\":-7.00,\"big\":18446744073709551615.000}\n"
            "{\"price\":0.10,\"big\":null}\n");
  std::ostringstream schema;
  ASSERT_TRUE(PrintSchema(path, schema).ok());
  EXPECT_NE(schema.str().find("price: decimal(6,2) required (INT32 DECIMAL(6,2))"), std::string::npos)
      << schema.str();
  EXPECT_NE(schema.str().find("big: decimal(38,3) optional (FIXED_LEN_BYTE_ARRAY DECIMAL(38,3))"),
            std::string::npos)
      << schema.str();
}

}  // namespace
}  // namespace tributary::parquet
