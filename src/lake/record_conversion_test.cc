#include "lake/record_conversion.h"

#include <gtest/gtest.h>

#include "base/testing/temp_dir.h"
#include "base/utf8.h"
#include "metadata/testing/test_database.h"
#include "parquet/file_reader.h"
#include "parquet/io.h"
#include "parquet/render.h"

namespace tributary::lake {
namespace {

using streams::ConvertedObject;
using streams::FormatConversion;

class RecordConversionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    auto catalog = Catalog::Open(db_.get());
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = std::move(*catalog);
    ASSERT_TRUE(catalog_->CreateDatabase("iot").ok());
    SetColumns({{"device", "string"},
                {"ts", "timestamp"},
                {"ozone", "bigint"},
                {"temp", "double"},
                {"level", "int"},
                {"ok", "boolean"},
                {"pos", "struct<lat:double,lon:double>"},
                {"labels", "map<string,string>"},
                {"site_name", "varchar(32)"}});
    conversion_.enabled = true;
    conversion_.database = "iot";
    conversion_.table = "readings";
  }

  void SetColumns(std::vector<Column> columns) {
    TableInput in;
    in.columns = std::move(columns);
    in.partition_keys = {{"year", "string"}};
    in.location = *LakePath::Parse("s3://iot-data/curated/");
    in.updated_by = "test";
    auto r = catalog_->UpsertTable("iot", "readings", in);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  Result<ConvertedObject> Convert(const std::vector<std::string>& records) {
    std::vector<std::string_view> views(records.begin(), records.end());
    return converter().Convert(conversion_, views);
  }

  // The Parquet file's rows as JSON lines, and its column names.
  static std::vector<std::string> Rows(const ConvertedObject& out,
                                       std::vector<std::string>* names = nullptr) {
    auto reader = parquet::ParquetReader::Open(parquet::MakeMemorySource(out.bytes));
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return {};
    if (names != nullptr) {
      for (const auto& c : (*reader)->schema().columns) names->push_back(c.name);
    }
    std::vector<std::string> rows;
    auto all = (*reader)->Resolve({});
    EXPECT_TRUE(all.ok());
    for (int rg = 0; rg < (*reader)->num_row_groups(); ++rg) {
      auto batch = (*reader)->ReadRowGroup(rg, *all);
      EXPECT_TRUE(batch.ok()) << batch.status().ToString();
      for (int64_t i = 0; i < batch->num_rows; ++i) {
        std::string line;
        parquet::AppendJsonRow(*batch, i, &line);
        rows.push_back(line);
      }
    }
    return rows;
  }

  CatalogRecordConverter& converter() {
    if (!converter_) converter_ = std::make_unique<CatalogRecordConverter>(catalog_.get());
    return *converter_;
  }

  testing_support::TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<CatalogRecordConverter> converter_;
  FormatConversion conversion_;
};

TEST_F(RecordConversionTest, RecordsBecomeRowsOfTheTablesColumns) {
  auto out = Convert({
      R"({"device":"s1","ts":"2026-12-04T10:00:00Z","ozone":41,"temp":21.5,"level":3,"ok":true,)"
      R"("pos":{"lat":1.5,"lon":2},"labels":{"room":"a"},"site_name":"north","extra":"dropped"})",
      // Keys in another case; missing columns are null; epoch milliseconds for a timestamp.
      R"({"DEVICE":"s2","Ts":1764842400000,"OZONE":"7"})" "\n",
  });
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->failed.empty());
  EXPECT_EQ(out->rows, 2);
  EXPECT_EQ(out->version_id, "1");
  std::vector<std::string> names;
  auto rows = Rows(*out, &names);
  // The data columns only, not the partition key.
  EXPECT_EQ(names, (std::vector<std::string>{"device", "ts", "ozone", "temp", "level", "ok", "pos",
                                             "labels", "site_name"}));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0],
            R"({"device":"s1","ts":"2026-12-04T10:00:00.000000Z","ozone":41,"temp":21.5,"level":3,)"
            R"("ok":true,"pos":{"lat":1.5,"lon":2},"labels":{"room":"a"},"site_name":"north"})");
  EXPECT_EQ(rows[1],
            R"({"device":"s2","ts":"2025-12-04T10:00:00.000000Z","ozone":7,"temp":null,"level":null,)"
            R"("ok":null,"pos":null,"labels":null,"site_name":null})");
}

// A struct, array or map column is a nested Parquet column (a group, LIST, MAP) of the
// catalog type's members; a value that does not fit them fails its record alone.
TEST_F(RecordConversionTest, StructArrayAndMapColumnsAreNestedParquetColumns) {
  SetColumns({{"device", "string"},
              {"pos", "struct<lat:double,lon:double,`floor no`:int>"},
              {"readings", "array<struct<at:timestamp,v:decimal(6,2)>>"},
              {"labels", "map<string,array<bigint>>"}});
  auto out = Convert({
      R"({"device":"a","pos":{"lat":1.5,"LON":-2,"floor no":3},"readings":[{"at":"2026-12-04T10:00:00Z","v":"12.345"},null],"labels":{"x":[1,2],"y":[]}})",
      R"({"device":"b","pos":{"lat":"north"}})",
      R"({"device":"c","readings":[{"v":1e9}]})",
      R"({"device":"d","labels":{"x":["one"]}})",
      R"({"device":"e","pos":null,"readings":[],"labels":{}})",
      // Two objects in one record, the second not fitting: neither is a row.
      R"({"device":"f","pos":{"lat":1},"labels":{"z":[9]}}{"device":"g","readings":[{"v":"x"}]})",
  });
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->failed.size(), 4u);
  EXPECT_EQ(out->failed[3].index, 5u);
  EXPECT_EQ(out->failed[0].index, 1u);
  EXPECT_EQ(out->failed[0].message,
            "column pos (struct<lat:double,lon:double,`floor no`:int>): field 'lat': expected "
            "double, got string \"north\"");
  EXPECT_EQ(out->failed[1].index, 2u);
  EXPECT_NE(out->failed[1].message.find("column readings"), std::string::npos)
      << out->failed[1].message;
  EXPECT_NE(out->failed[1].message.find("element 0: field 'v'"), std::string::npos)
      << out->failed[1].message;
  EXPECT_EQ(out->failed[2].index, 3u);
  EXPECT_NE(out->failed[2].message.find("key 'x': element 0: expected int64"), std::string::npos)
      << out->failed[2].message;
  auto reader = parquet::ParquetReader::Open(parquet::MakeMemorySource(out->bytes));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->schema().ToString(),
            "device:string?,pos:struct<lat:double,lon:double,floor no:int32>?,"
            "readings:list<struct<at:timestamp,v:decimal(6,2)>>?,labels:map<string,list<int64>>?");
  // One column chunk per leaf: device, lat, lon, floor no, at, v, key, element.
  EXPECT_EQ((*reader)->metadata().row_groups[0].columns.size(), 8u);
  EXPECT_EQ(
      Rows(*out),
      (std::vector<std::string>{
          R"({"device":"a","pos":{"lat":1.5,"lon":-2,"floor no":3},"readings":[{"at":"2026-12-04T10:00:00.000000Z","v":12.35},null],"labels":{"x":[1,2],"y":[]}})",
          R"({"device":"e","pos":null,"readings":[],"labels":{}})"}));
}

// An integer in a nested timestamp or date member is Unix milliseconds, as in a flat column.
TEST_F(RecordConversionTest, NestedTimestampsAndDatesReadIntegersAsTheFlatColumnsDo) {
  SetColumns({{"ts", "timestamp"}, {"pos", "struct<at:timestamp,day:date>"}});
  auto out = Convert({R"({"ts":1764842400000,"pos":{"at":1764842400000,"day":1764842400000}})"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_TRUE(out->failed.empty()) << out->failed[0].message;
  EXPECT_EQ(
      Rows(*out),
      (std::vector<std::string>{
          R"({"ts":"2025-12-04T10:00:00.000000Z","pos":{"at":"2025-12-04T10:00:00.000000Z","day":"2025-12-04"}})"}));
}

// A Hive date column is a Parquet DATE: from YYYY-MM-DD, a date-time (its UTC day) or epoch
// milliseconds; anything else fails the record with the reason.
TEST_F(RecordConversionTest, ADateColumnIsAParquetDate) {
  SetColumns({{"device", "string"}, {"day", "date"}});
  auto out = Convert({R"({"device":"a","day":"2026-12-04"})", R"({"device":"b","day":"2026-12-04T23:30:00-02:00"})",
                      R"({"device":"c","day":1764842400000})", R"({"device":"d","day":"2026-02-30"})"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->rows, 3);
  ASSERT_EQ(out->failed.size(), 1u);
  EXPECT_EQ(out->failed[0].index, 3u);
  EXPECT_NE(out->failed[0].message.find("day"), std::string::npos) << out->failed[0].message;
  EXPECT_NE(out->failed[0].message.find("not YYYY-MM-DD"), std::string::npos) << out->failed[0].message;
  auto reader = parquet::ParquetReader::Open(parquet::MakeMemorySource(out->bytes));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->schema().columns[1].type, parquet::ColumnType::kDate);
  EXPECT_EQ(Rows(*out), (std::vector<std::string>{R"({"device":"a","day":"2026-12-04"})",
                                                  R"({"device":"b","day":"2026-12-05"})",
                                                  R"({"device":"c","day":"2025-12-04"})"}));
}

TEST_F(RecordConversionTest, ADecimalColumnIsAParquetDecimal) {
  SetColumns({{"device", "string"}, {"price", "decimal(6,2)"}, {"total", "DECIMAL(38, 4)"}});
  auto out = Convert({R"({"device":"a","price":12.345,"total":"-12345678901234567890.12345"})",
                      R"({"device":"b","price":"7","total":18446744073709551615})",
                      R"({"device":"c","price":12345,"total":1})", R"({"device":"d","price":"cheap"})",
                      R"({"device":"e"})"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->rows, 3);
  ASSERT_EQ(out->failed.size(), 2u);
  EXPECT_EQ(out->failed[0].index, 2u);
  EXPECT_NE(out->failed[0].message.find("number 12345 does not fit decimal(6,2)"), std::string::npos)
      << out->failed[0].message;
  EXPECT_NE(out->failed[1].message.find("cannot convert string \"cheap\" to decimal(6,2)"), std::string::npos)
      << out->failed[1].message;
  auto reader = parquet::ParquetReader::Open(parquet::MakeMemorySource(out->bytes));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->schema().columns[1].TypeText(), "decimal(6,2)");
  EXPECT_EQ((*reader)->schema().columns[2].TypeText(), "decimal(38,4)");
  EXPECT_EQ(Rows(*out), (std::vector<std::string>{
                            R"({"device":"a","price":12.35,"total":-12345678901234567890.1235})",
                            R"({"device":"b","price":7.00,"total":18446744073709551615.0000})",
                            R"({"device":"e","price":null,"total":null})"}));
}

// A message quotes the start of the value that did not fit: never cut inside a UTF-8
// character (the error line that carries it is JSON, which must be UTF-8).
TEST_F(RecordConversionTest, AQuotedValueIsCutOnACharacterBoundary) {
  std::string accents;
  for (int i = 0; i < 40; ++i) accents += "\xC3\xA9";  // U+00E9, two bytes each
  auto out = Convert(
      {"\"" + accents + "\"", R"({"device":")" + accents + R"(","ozone":")" + accents + "\"}"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->failed.size(), 2u);
  for (const auto& f : out->failed) {
    for (size_t i = 0; i < f.message.size();) {
      size_t n = Utf8SequenceLength(f.message, i);
      ASSERT_GT(n, 0u) << "not UTF-8 at byte " << i << " of: " << f.message;
      i += n;
    }
    EXPECT_NE(f.message.find("\xC3\xA9\xC3\xA9"), std::string::npos) << f.message;
  }
}

TEST_F(RecordConversionTest, ARecordThatDoesNotFitFailsAloneAndSaysWhy) {
  auto out = Convert({
      R"({"device":"a","ozone":1})",
      R"({"device":"b","ozone":"high"})",
      R"(not json)",
      R"([1,2])",
      R"({"device":"c","pos":5})",
      R"({"device":"d","ozone":2}{"device":"e","temp":"x"})",  // the whole record fails
      "",
      R"({"device":"f","ozone":3})",
  });
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  auto rows = Rows(*out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[0].find(R"("device":"a")"), std::string::npos);
  EXPECT_NE(rows[1].find(R"("device":"f")"), std::string::npos);
  ASSERT_EQ(out->failed.size(), 6u);
  std::vector<size_t> indices;
  for (const auto& f : out->failed) {
    indices.push_back(f.index);
    EXPECT_EQ(f.code, "DataFormatConversion.MalformedData");
  }
  EXPECT_EQ(indices, (std::vector<size_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_NE(out->failed[0].message.find("column ozone (bigint)"), std::string::npos)
      << out->failed[0].message;
  EXPECT_NE(out->failed[0].message.find("high"), std::string::npos) << out->failed[0].message;
  EXPECT_NE(out->failed[1].message.find("not JSON"), std::string::npos) << out->failed[1].message;
  EXPECT_NE(out->failed[2].message.find("expected a JSON object"), std::string::npos)
      << out->failed[2].message;
  EXPECT_NE(out->failed[3].message.find("column pos (struct<lat:double,lon:double>)"),
            std::string::npos)
      << out->failed[3].message;
  EXPECT_NE(out->failed[4].message.find("column temp (double)"), std::string::npos)
      << out->failed[4].message;
  EXPECT_NE(out->failed[5].message.find("empty record"), std::string::npos) << out->failed[5].message;
}

// Numbers simdjson cannot read are read as the crawler and the ETL read them: 1e400 as
// null, an integer beyond 64 bits as the nearest double (2^64 here; a bigint column
// refuses it).
TEST_F(RecordConversionTest, NumbersSimdjsonCannotReadAreReadAsTheLakeReadsThem) {
  auto out = Convert({
      R"({"device":"g","temp":1e400,"ozone":5,"pos":{"lat":49E851,"lon":2}})",
      R"({"device":"h","ozone":18446744073709551616})",
      R"({"device":"i","temp":18446744073709551616,"level":7})",
      R"({"device":"j","temp":1.})",
  });
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  auto rows = Rows(*out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], R"({"device":"g","ts":null,"ozone":5,"temp":null,"level":null,"ok":null,)"
                     R"("pos":{"lat":null,"lon":2},"labels":null,"site_name":null})");
  EXPECT_EQ(rows[1],
            R"({"device":"i","ts":null,"ozone":null,"temp":18446744073709551616,"level":7,)"
            R"("ok":null,"pos":null,"labels":null,"site_name":null})");
  ASSERT_EQ(out->failed.size(), 2u);
  EXPECT_EQ(out->failed[0].index, 1u);
  EXPECT_NE(out->failed[0].message.find("column ozone (bigint)"), std::string::npos)
      << out->failed[0].message;
  EXPECT_EQ(out->failed[1].index, 3u);
  EXPECT_EQ(out->failed[1].message, "not JSON: Problem while parsing a number");
}

TEST_F(RecordConversionTest, SeveralObjectsInOneRecordAreSeveralRows) {
  auto out = Convert({R"({"device":"a"}{"device":"b"} {"device":"c"})"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->failed.empty());
  EXPECT_EQ(out->rows, 3);
  EXPECT_EQ(Rows(*out).size(), 3u);
}

TEST_F(RecordConversionTest, NoRowsNoFile) {
  auto out = Convert({"oops"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->bytes.empty());
  EXPECT_EQ(out->rows, 0);
  EXPECT_EQ(out->failed.size(), 1u);
}

TEST_F(RecordConversionTest, OpenXKeyMappingsDotsAndCase) {
  conversion_.column_to_json_key = {{"device", "thing-id"}};
  conversion_.convert_dots_to_underscores = true;
  SetColumns({{"device", "string"}, {"site_name", "string"}});
  auto out = Convert({R"({"thing-id":"t1","device":"ignored","site.name":"s"})"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  auto rows = Rows(*out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], R"({"device":"t1","site_name":"s"})");

  conversion_.column_to_json_key = {};
  conversion_.convert_dots_to_underscores = false;
  conversion_.case_insensitive = false;
  out = Convert({R"({"DEVICE":"x","device":"y","site.name":"s"})"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  rows = Rows(*out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], R"({"device":"y","site_name":null})");

  conversion_.column_to_json_key = {{"nope", "x"}};
  Status st = converter().Check(conversion_);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("has no column 'nope'"), std::string::npos) << st.message();
}

TEST_F(RecordConversionTest, HiveTimestampFormats) {
  conversion_.deserializer = streams::JsonDeserializer::kHive;
  conversion_.timestamp_formats = {"yyyy-MM-dd'T'HH:mm:ss.SSSZ", "dd/MM/yyyy HH:mm", "millis"};
  SetColumns({{"ts", "timestamp"}});
  auto out = Convert({R"({"ts":"2026-12-04T10:15:00.250+0100"})", R"({"ts":"04/12/2026 09:15"})",
                      R"({"ts":"1764843300000"})", R"({"ts":"yesterday"})"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  auto rows = Rows(*out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], R"({"ts":"2026-12-04T09:15:00.250000Z"})");
  EXPECT_EQ(rows[1], R"({"ts":"2026-12-04T09:15:00.000000Z"})");
  EXPECT_EQ(rows[2], R"({"ts":"2025-12-04T10:15:00.000000Z"})");
  ASSERT_EQ(out->failed.size(), 1u);
  EXPECT_NE(out->failed[0].message.find("matches none of the timestamp formats"), std::string::npos)
      << out->failed[0].message;

  conversion_.timestamp_formats = {"EEE, dd MMM"};
  Status st = converter().Check(conversion_);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("pattern letter 'E' at position 0"), std::string::npos) << st.message();
}

TEST_F(RecordConversionTest, LatestFollowsTheTableAndAVersionStays) {
  auto first = Convert({R"({"device":"a","ozone":1})"});
  ASSERT_TRUE(first.ok());
  SetColumns({{"device", "string"}, {"ozone", "double"}, {"humidity", "double"}});
  auto latest = Convert({R"({"device":"a","ozone":1.5,"humidity":40})"});
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->version_id, "2");
  EXPECT_EQ(Rows(*latest)[0], R"({"device":"a","ozone":1.5,"humidity":40})");

  conversion_.version_id = "1";
  auto pinned = Convert({R"({"device":"a","ozone":1,"humidity":40})"});
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();
  EXPECT_EQ(pinned->version_id, "1");
  std::vector<std::string> names;
  Rows(*pinned, &names);
  EXPECT_EQ(names.size(), 9u);

  conversion_.version_id = "9";
  EXPECT_EQ(Convert({"{}"}).status().code(), ErrorCode::kNotFound);
  conversion_.version_id = "LATEST";
  conversion_.table = "missing";
  EXPECT_EQ(Convert({"{}"}).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(converter().Check(conversion_).code(), ErrorCode::kNotFound);
}

TEST_F(RecordConversionTest, ParquetSettingsAreUsed) {
  conversion_.compression = streams::ParquetCompression::kGzip;
  conversion_.writer_v2 = true;
  auto out = Convert({R"({"device":"a","ozone":1})"});
  ASSERT_TRUE(out.ok());
  auto reader = parquet::ParquetReader::Open(parquet::MakeMemorySource(out->bytes));
  ASSERT_TRUE(reader.ok());
  const auto& chunk = (*reader)->metadata().row_groups.at(0).columns.at(0).meta_data;
  ASSERT_TRUE(chunk.has_value());
  EXPECT_EQ(chunk->codec, parquet::Codec::kGzip);
}

TEST_F(RecordConversionTest, AColumnTypeThatIsNotHiveIsRefusedByCheck) {
  SetColumns({{"device", "string"}});
  Status ok = converter().Check(conversion_);
  EXPECT_TRUE(ok.ok()) << ok.ToString();
  conversion_.version_id = "latest";
  EXPECT_EQ(converter().Check(conversion_).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace tributary::lake
