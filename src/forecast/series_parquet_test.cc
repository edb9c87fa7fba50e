// Series from Parquet in the long layout (series.h), written with our writer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>

#include "forecast/frequency.h"
#include "forecast/series.h"
#include "parquet/file_writer.h"

namespace tributary::forecast {
namespace {

using parquet::ColumnBatch;
using parquet::RecordBatch;
using parquet::Schema;

class ParquetSeriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("forecast_parquet_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `batch` (schema in text form) to dir_/name with row groups of `group_rows`.
  std::string WriteParquet(const std::string& name, const RecordBatch& batch,
                           int64_t group_rows = 1 << 20) {
    std::string path = (dir_ / name).string();
    parquet::WriterOptions options;
    options.row_group_rows = group_rows;
    auto w = parquet::ParquetWriter::Open(path, batch.schema, options);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    Status s = (*w)->Write(batch);
    EXPECT_TRUE(s.ok()) << s.ToString();
    s = (*w)->Close();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return path;
  }
  static RecordBatch Empty(const std::string& schema) {
    auto parsed = Schema::Parse(schema);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    return RecordBatch::Empty(*parsed);
  }
  std::filesystem::path dir_;
};

// Rows: (item, start, target or null, cat_0, dynamic_feat_0).
struct Row {
  const char* item;
  const char* start;
  std::optional<double> target;
  int64_t cat;
  double dyn;
};

RecordBatch StringLayout(const std::vector<Row>& rows) {
  auto schema =
      Schema::Parse("item_id:string,start:string,target:double?,cat_0:int64,dynamic_feat_0:double");
  RecordBatch b = RecordBatch::Empty(*schema);
  b.columns[2].validity.clear();
  for (const Row& r : rows) {
    b.columns[0].AppendString(r.item);
    b.columns[1].AppendString(r.start);
    if (r.target) {
      b.columns[2].AppendDouble(*r.target);
    } else {
      b.columns[2].AppendNull();
    }
    b.columns[3].AppendInt64(r.cat);
    b.columns[4].AppendDouble(r.dyn);
    ++b.num_rows;
  }
  return b;
}

TEST_F(ParquetSeriesTest, GroupsInterleavedRowsByItemInOrderOfFirstAppearance) {
  std::string path =
      WriteParquet("in.parquet", StringLayout({{"b", "2021-01-01 00:00:00", 1, 3, 0.5},
                                               {"a", "2021-02-01 12:00:00", 10, 1, 1.5},
                                               {"b", "2021-01-01 00:00:00", std::nullopt, 3, 0.25},
                                               {"b", "2021-01-01 00:00:00", 3, 3, 0.75},
                                               {"a", "2021-02-01 12:00:00", 20, 1, 2.5}}));
  auto series = ReadSeriesFile(path);
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_EQ(series->size(), 2u);
  const TimeSeries& b = (*series)[0];
  EXPECT_EQ(b.start, *ParseTimestamp("2021-01-01 00:00:00"));
  ASSERT_EQ(b.target.size(), 3u);
  EXPECT_EQ(b.target[0], 1.0f);
  EXPECT_TRUE(std::isnan(b.target[1]));
  EXPECT_EQ(b.target[2], 3.0f);
  EXPECT_EQ(b.cat, std::vector<int64_t>{3});
  ASSERT_EQ(b.dynamic_feat.size(), 1u);
  EXPECT_EQ(b.dynamic_feat[0], (std::vector<float>{0.5f, 0.25f, 0.75f}));
  EXPECT_EQ(b.origin, path + ":row 1");
  const TimeSeries& a = (*series)[1];
  EXPECT_EQ(a.start, *ParseTimestamp("2021-02-01 12:00:00"));
  EXPECT_EQ(a.target, (std::vector<float>{10, 20}));
  EXPECT_EQ(a.cat, std::vector<int64_t>{1});
  EXPECT_EQ(a.origin, path + ":row 2");
}

TEST_F(ParquetSeriesTest, TimestampStartIntegerIdsAndSeriesAcrossRowGroups) {
  RecordBatch b = Empty("item_id:int32,start:timestamp,target:float");
  const int64_t start_us = int64_t{1612483200} * 1000000;  // 2021-02-05 00:00:00 UTC
  for (int i = 0; i < 10; ++i) {
    b.columns[0].AppendInt32(i % 2 == 0 ? 7 : 8);
    b.columns[1].AppendInt64(start_us);
    b.columns[2].AppendFloat(static_cast<float>(i));
    ++b.num_rows;
  }
  auto series = ReadSeriesFile(WriteParquet("ts.parquet", b, /*group_rows=*/3));
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_EQ(series->size(), 2u);
  EXPECT_EQ((*series)[0].start, 1612483200);
  EXPECT_EQ((*series)[0].target, (std::vector<float>{0, 2, 4, 6, 8}));
  EXPECT_EQ((*series)[1].target, (std::vector<float>{1, 3, 5, 7, 9}));
  EXPECT_TRUE((*series)[0].cat.empty());
  EXPECT_TRUE((*series)[0].dynamic_feat.empty());
}

// A daily series whose start is a Parquet DATE (an ETL job's date column): midnight UTC.
TEST_F(ParquetSeriesTest, DateStartIsMidnightUtc) {
  RecordBatch b = Empty("item_id:string,start:date,target:double");
  for (int i = 0; i < 3; ++i) {
    b.columns[0].AppendString("meter");
    b.columns[1].AppendInt32(18663);  // 2021-02-05
    b.columns[2].AppendDouble(i);
    ++b.num_rows;
  }
  auto series = ReadSeriesFile(WriteParquet("day.parquet", b));
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_EQ(series->size(), 1u);
  EXPECT_EQ((*series)[0].start, 1612483200);
  EXPECT_EQ((*series)[0].target, (std::vector<float>{0, 1, 2}));
}

// Decimal targets and features (an ETL job's decimal(p,s) columns) read as their values.
TEST_F(ParquetSeriesTest, DecimalTargetsAndFeaturesAreNumbers) {
  RecordBatch b = Empty("item_id:string,start:string,target:decimal(6,2)?,dynamic_feat_0:decimal(38,10)");
  const parquet::Int128 targets[] = {1250, -5, 0};
  for (int i = 0; i < 3; ++i) {
    b.columns[0].AppendString("meter");
    b.columns[1].AppendString("2021-02-05");
    if (i == 2) {
      b.columns[2].AppendNull();
    } else {
      b.columns[2].AppendDecimal(targets[i]);
    }
    b.columns[3].AppendDecimal(parquet::Pow10(10) * (i + 1) / 4);  // 0.25, 0.5, 0.75
    ++b.num_rows;
  }
  auto series = ReadSeriesFile(WriteParquet("decimal.parquet", b));
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_EQ(series->size(), 1u);
  const TimeSeries& s = (*series)[0];
  ASSERT_EQ(s.target.size(), 3u);
  EXPECT_EQ(s.target[0], 12.5f);
  EXPECT_EQ(s.target[1], -0.05f);
  EXPECT_TRUE(std::isnan(s.target[2]));  // a null target is a missing value
  EXPECT_EQ(s.dynamic_feat[0], (std::vector<float>{0.25f, 0.5f, 0.75f}));
}

TEST_F(ParquetSeriesTest, WithoutItemIdTheFileIsOneSeries) {
  RecordBatch b = Empty("start:string,target:int64");
  for (int i = 0; i < 4; ++i) {
    b.columns[0].AppendString("2020-01-01");
    b.columns[1].AppendInt64(i * 10);
    ++b.num_rows;
  }
  auto series = ReadSeriesFile(WriteParquet("one.parquet", b));
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_EQ(series->size(), 1u);
  EXPECT_EQ((*series)[0].target, (std::vector<float>{0, 10, 20, 30}));
}

TEST_F(ParquetSeriesTest, AChannelDirectoryMixesParquetAndJsonLines) {
  WriteParquet("a.parquet",
               StringLayout({{"x", "2021-01-01", 1, 0, 0}, {"x", "2021-01-01", 2, 0, 0}}));
  std::ofstream(dir_ / "b.json") << R"({"start": "2021-01-01", "target": [5, 6, 7], "cat": [1],)"
                                 << R"( "dynamic_feat": [[1, 2, 3]]})"
                                 << "\n";
  auto series = ReadChannel(dir_.string());
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_EQ(series->size(), 2u);
  EXPECT_EQ((*series)[0].target.size(), 2u);
  EXPECT_EQ((*series)[1].target.size(), 3u);
}

TEST_F(ParquetSeriesTest, ErrorsNameFileRowAndColumn) {
  struct Case {
    std::vector<Row> rows;
    std::string expected;  // substring of the message after the path
  };
  const std::vector<Case> cases = {
      {{{"a", "2021-01-01", 1, 0, 0}, {"a", "2021-01-02", 2, 0, 0}},
       ":row 2: column 'start': differs from the series' first row"},
      {{{"a", "2021-01-01", 1, 0, 0}, {"a", "2021-01-01", 2, 4, 0}},
       ":row 2: column 'cat_0': differs from the series' first row"},
      {{{"a", "2021-01-01", 1, 0, 0}, {"a", "2021-01-01", 2, 0, NAN}},
       ":row 2: column 'dynamic_feat_0': missing values are not allowed"},
      {{{"a", "yesterday", 1, 0, 0}}, ":row 1: column 'start': "},
      {{{"a", "2021-01-01", 1, -1, 0}}, ":row 1: column 'cat_0': expected a non-negative integer"},
      // Past what the model's floats hold (series.h, kMaxSeriesValue).
      {{{"a", "2021-01-01", 1, 0, 0}, {"a", "2021-01-01", 3e38, 0, 0}},
       ":row 2: column 'target': 3e+38 is out of range; values must be at most 1e30 in magnitude"},
      {{{"a", "2021-01-01", 1, 0, -1e39}},
       ":row 1: column 'dynamic_feat_0': -1e+39 is out of range"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string path =
        WriteParquet("bad" + std::to_string(i) + ".parquet", StringLayout(cases[i].rows));
    auto series = ReadSeriesFile(path);
    ASSERT_FALSE(series.ok()) << i;
    EXPECT_EQ(series.status().code(), ErrorCode::kInvalidArgument) << i;
    EXPECT_EQ(series.status().message().rfind(path, 0), 0u) << series.status().message();
    EXPECT_NE(series.status().message().find(cases[i].expected), std::string::npos)
        << i << ": " << series.status().message();
  }
}

TEST_F(ParquetSeriesTest, MissingOrMistypedColumnsAreNamed) {
  RecordBatch no_target = Empty("item_id:string,start:string,value:double");
  auto r = ReadSeriesFile(WriteParquet("nt.parquet", no_target));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no column 'target'"), std::string::npos)
      << r.status().message();

  RecordBatch bad_start = Empty("start:double,target:double");
  r = ReadSeriesFile(WriteParquet("bs.parquet", bad_start));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("column 'start': must be a string, timestamp or date"),
            std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace tributary::forecast

namespace tributary::forecast {
namespace {

// SageMaker's Parquet layout: a row a series, `target` a list; each row reads as the JSON
// line of its fields would.
TEST_F(ParquetSeriesTest, SageMakersLayoutIsARowASeriesWithListColumns) {
  RecordBatch b = Empty(
      "start:string,target:list<double>,cat:list<int64>?,"
      "dynamic_feat:list<list<double>>?,note:string?");
  auto add = [&](const char* start, const char* target, const char* cat, const char* feat) {
    b.columns[0].AppendString(start);
    b.columns[1].AppendString(target);
    b.columns[2].AppendString(cat);
    b.columns[3].AppendString(feat);
    b.columns[4].AppendString("ignored");
    ++b.num_rows;
  };
  add("2021-02-05 00:00:00", R"([1.0,"NaN",null,4])", "[0,2]", "[[0.1,0.2,0.3,0.4]]");
  add("2021-02-06", "[5,6]", "[3,1]", "[[1,2]]");
  add("2021-02-07 01:00:00", "[7]", "[1,0]", "[[9]]");
  std::string path = WriteParquet("wide.parquet", b, /*group_rows=*/2);
  auto series = ReadSeriesFile(path);
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_EQ(series->size(), 3u);
  const TimeSeries& first = (*series)[0];
  EXPECT_EQ(FormatTimestamp(first.start), "2021-02-05 00:00:00");
  ASSERT_EQ(first.target.size(), 4u);
  EXPECT_EQ(first.target[0], 1.0f);
  EXPECT_TRUE(std::isnan(first.target[1]));
  EXPECT_TRUE(std::isnan(first.target[2]));
  EXPECT_EQ(first.target[3], 4.0f);
  EXPECT_EQ(first.cat, (std::vector<int64_t>{0, 2}));
  ASSERT_EQ(first.dynamic_feat.size(), 1u);
  EXPECT_EQ(first.dynamic_feat[0], (std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f}));
  EXPECT_EQ(FormatTimestamp((*series)[1].start), "2021-02-06 00:00:00");
  EXPECT_EQ((*series)[1].target, (std::vector<float>{5, 6}));
  EXPECT_EQ((*series)[1].cat, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ((*series)[2].cat, (std::vector<int64_t>{1, 0}));  // in the second row group
  EXPECT_EQ((*series)[2].dynamic_feat, (std::vector<std::vector<float>>{{9}}));

  // A timestamp start; an error names the file, the row and the field.
  RecordBatch t = Empty("start:timestamp,target:list<double>?");
  t.columns[0].AppendInt64(1612483200000000);  // 2021-02-05 00:00:00 UTC
  t.columns[1].AppendString("[1,2]");
  t.columns[0].AppendInt64(1612483200000000);
  t.columns[1].AppendNull();
  t.num_rows = 2;
  path = WriteParquet("wide_ts.parquet", t);
  series = ReadSeriesFile(path);
  ASSERT_FALSE(series.ok());
  EXPECT_NE(series.status().message().find(path + ":row 2"), std::string::npos)
      << series.status().message();
  EXPECT_NE(series.status().message().find("target"), std::string::npos)
      << series.status().message();
}

}  // namespace
}  // namespace tributary::forecast
