// Reads small files DuckDB wrote (checked in as fuzz seeds) without needing
// Node: one per codec, with dictionary-encoded strings (PLAIN_DICTIONARY),
// nulls, timestamps with time zone and every numeric type; "v2" is DuckDB's
// PARQUET_VERSION V2 (data page V2, DELTA_BINARY_PACKED, BYTE_STREAM_SPLIT).
#include <gtest/gtest.h>

#include "parquet/decimal.h"
#include "parquet/file_reader.h"

namespace tributary::parquet {
namespace {

// Every row group of the file, all columns.
Result<std::vector<RecordBatch>> ScanAll(ParquetReader& r) {
  std::vector<RecordBatch> groups;
  TRY(r.Scan({}, [&](const RecordBatch& b) {
    groups.push_back(b);
    return Status::Ok();
  }));
  return groups;
}

class DuckDbFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(DuckDbFixture, ValuesMatchWhatDuckDbWrote) {
  std::string path = std::string(TRIBUTARY_PARQUET_CORPUS) + "/duckdb_" + GetParam() + ".parquet";
  auto r = ParquetReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->schema().ToString(),
            "id:int64?,s:string?,d:double?,b:boolean?,n:int32?,ts:timestamp?,f:float?");
  EXPECT_EQ((*r)->num_rows(), 20);
  auto groups = ScanAll(**r);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 1u);
  const RecordBatch& b = (*groups)[0];
  ASSERT_EQ(b.num_rows, 20);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(b.columns[0].i64[i], i);
    if (i % 3 == 0) {
      EXPECT_FALSE(b.columns[1].IsValid(i)) << i;
    } else {
      EXPECT_EQ(b.columns[1].StringAt(i), "s" + std::to_string(i % 4)) << i;
    }
    EXPECT_EQ(b.columns[2].f64[i], static_cast<double>(i) / 3) << i;
    EXPECT_EQ(b.columns[3].bools[i], i % 2 == 0) << i;
    EXPECT_EQ(b.columns[4].i32[i], i);
    EXPECT_EQ(b.columns[5].i64[i], int64_t{i} * 1000000);
    EXPECT_EQ(b.columns[6].f32[i], static_cast<float>(i));
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, DuckDbFixture,
                         ::testing::Values("uncompressed", "snappy", "gzip", "zstd", "v2"));

// DuckDB's decimals, one per physical type: INT32 (4 digits), INT64 (12), and
// FIXED_LEN_BYTE_ARRAY (30), from a file DuckDB wrote (also a fuzzing seed).
TEST(DuckDbDecimalFixture, ValuesReadDigitForDigit) {
  auto r = ParquetReader::Open(std::string(TRIBUTARY_PARQUET_CORPUS) + "/duckdb_decimal.parquet");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->schema().ToString(), "id:int64?,d4:decimal(4,2)?,d12:decimal(12,3)?,d30:decimal(30,2)?");
  auto groups = ScanAll(**r);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 1u);
  const RecordBatch& b = (*groups)[0];
  ASSERT_EQ(b.num_rows, 20);
  for (int i = 0; i < 20; ++i) {
    if (i % 5 == 0) {
      EXPECT_FALSE(b.columns[1].IsValid(i)) << i;
    } else {
      EXPECT_EQ(FormatDecimal(b.columns[1].i128[i], 2), FormatDecimal(i * 125 - 1000, 2)) << i;
    }
    EXPECT_EQ(FormatDecimal(b.columns[2].i128[i], 3), FormatDecimal(Int128{i - 10} * 123456789, 3)) << i;
    const std::string d30 = (i == 0 ? "" : std::to_string(i)) + "12345678901234567890.12";  // '-0123...' is -123...
    EXPECT_EQ(FormatDecimal(b.columns[3].i128[i], 2), "-" + d30) << i;
  }
}

}  // namespace
}  // namespace tributary::parquet
