#include "lake/table_reader.h"

#include <gtest/gtest.h>

#include "base/testing/temp_dir.h"
#include "objstore/local_object_store.h"
#include "parquet/file_writer.h"
#include "streams/gzip.h"

namespace tributary::lake {
namespace {

struct Seen {
  std::vector<std::string> rows;  // "<object key>:<line>:<record text>"
  std::vector<std::string> bad;   // "<object key>:<line>:<reason>"
};

class TableReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto provider = objstore::LocalObjectStoreProvider::Open(dir_.path() + "/lake");
    ASSERT_TRUE(provider.ok());
    provider_ = std::move(*provider);
    bucket_ = *provider_->Bucket("iot-data");
    json_.database = "iot";
    json_.name = "raw";
    json_.columns = {{"device", "string"}, {"temp", "double"}, {"ts", "timestamp"}};
    json_.partition_keys = {{"year", "string"}, {"month", "string"}};
    json_.location = *LakePath::Parse("iot-data/raw/");
    parquet_ = json_;
    parquet_.name = "curated";
    parquet_.format = DataFormat::kParquet;
    parquet_.location = *LakePath::Parse("iot-data/curated/");
    parquet_.partition_keys = {{"day", "string"}};
  }

  void Put(const std::string& key, const std::string& data) { ASSERT_TRUE(bucket_->Put(key, data).ok()); }

  // A Parquet file of rows (device, temp, ts micros).
  std::string ParquetBytes(const std::vector<std::tuple<std::string, double, int64_t>>& rows) {
    parquet::Schema schema = *parquet::Schema::Parse("device:string,temp:double?,ts:timestamp");
    auto batch = parquet::RecordBatch::Empty(schema);
    for (const auto& [d, t, ts] : rows) {
      batch.columns[0].AppendString(d);
      batch.columns[1].AppendDouble(t);
      batch.columns[2].AppendInt64(ts);
      ++batch.num_rows;
    }
    std::string out;
    auto w = parquet::ParquetWriter::Open(parquet::MakeStringSink(&out), schema, {});
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_TRUE((*w)->Write(batch).ok());
    EXPECT_TRUE((*w)->Close().ok());
    return out;
  }

  Seen ReadAll(const TableReader& reader, const std::vector<TableObject>& objects) {
    Seen seen;
    simdjson::dom::parser parser;
    for (const auto& o : objects) {
      Status st = reader.Read(
          o, &parser,
          [&](const TableRecord& r) {
            std::string partition;
            for (const auto& [k, v] : o.partition) partition += k + "=" + v + ";";
            seen.rows.push_back(o.info.key + ":" + std::to_string(r.line) + ":" + partition + std::string(r.text));
            return true;
          },
          [&](const TableRecord& r, const std::string& reason) {
            seen.bad.push_back(o.info.key + ":" + std::to_string(r.line) + ":" + reason);
            return true;
          });
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    return seen;
  }

  testing_support::TempDir dir_;
  std::unique_ptr<objstore::LocalObjectStoreProvider> provider_;
  std::shared_ptr<objstore::ObjectStore> bucket_;
  Table json_, parquet_;
};

TEST_F(TableReaderTest, JsonObjectsInEveryFramingGzipOrNotWithPartitions) {
  Put("raw/2026/11/a.json", "{\"device\":\"d1\",\"temp\":1}\n{\"device\":\"d2\",\"temp\":2}\n");
  Put("raw/2026/11/b", "{\"device\":\"d3\"}{\"device\":\"d4\"},[{\"device\":\"d5\"},{\"device\":\"d6\"}]");
  Put("raw/2026/12/c.json.gz", *streams::GzipCompress("{\"device\":\"d7\"}\n"));
  Put("raw/_SUCCESS", "");
  Put("raw/.tmp/x", "{}");
  auto reader = TableReader::Open(json_, provider_.get());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto objects = reader->List({});
  ASSERT_TRUE(objects.ok());
  ASSERT_EQ(objects->size(), 3u);
  EXPECT_EQ((*objects)[0].id, "iot-data/raw/2026/11/a.json");
  Seen seen = ReadAll(*reader, *objects);
  EXPECT_EQ(seen.rows, (std::vector<std::string>{
                           "raw/2026/11/a.json:1:year=2026;month=11;{\"device\":\"d1\",\"temp\":1}",
                           "raw/2026/11/a.json:2:year=2026;month=11;{\"device\":\"d2\",\"temp\":2}",
                           "raw/2026/11/b:1:year=2026;month=11;{\"device\":\"d3\"}",
                           "raw/2026/11/b:1:year=2026;month=11;{\"device\":\"d4\"}",
                           "raw/2026/11/b:1:year=2026;month=11;[{\"device\":\"d5\"},{\"device\":\"d6\"}]",
                           "raw/2026/11/b:1:year=2026;month=11;[{\"device\":\"d5\"},{\"device\":\"d6\"}]",
                           "raw/2026/12/c.json.gz:1:year=2026;month=12;{\"device\":\"d7\"}",
                       }));
  EXPECT_TRUE(seen.bad.empty());
}

TEST_F(TableReaderTest, BadRecordsAreReportedWithTheirLineAndTheRestIsRead) {
  Put("raw/2026/11/a.json", "{\"device\":\"d1\"}\n{\"device\":}\n[1]\n{\"device\":\"d2\"}\n{\"device\":\"d3\"");
  auto reader = TableReader::Open(json_, provider_.get());
  ASSERT_TRUE(reader.ok());
  Seen seen = ReadAll(*reader, *reader->List({}));
  ASSERT_EQ(seen.rows.size(), 2u);
  EXPECT_NE(seen.rows[1].find("d2"), std::string::npos);
  ASSERT_EQ(seen.bad.size(), 3u) << ::testing::PrintToString(seen.bad);
  EXPECT_EQ(seen.bad[0].rfind("raw/2026/11/a.json:2:not valid JSON", 0), 0u) << seen.bad[0];
  EXPECT_NE(seen.bad[1].find("a record must be a JSON object"), std::string::npos) << seen.bad[1];
  EXPECT_NE(seen.bad[2].find("line 5"), std::string::npos) << seen.bad[2];
}

TEST_F(TableReaderTest, CorruptGzipIsDataLossNamingTheObject) {
  Put("raw/2026/11/a.json.gz", "\x1f\x8b not gzip");
  auto reader = TableReader::Open(json_, provider_.get());
  simdjson::dom::parser parser;
  auto objects = *reader->List({});
  Status st = reader->Read(objects[0], &parser, [](const TableRecord&) { return true; },
                           [](const TableRecord&, const std::string&) { return true; });
  EXPECT_EQ(st.code(), ErrorCode::kDataLoss);
  EXPECT_NE(st.message().find("raw/2026/11/a.json.gz"), std::string::npos) << st.ToString();
}

TEST_F(TableReaderTest, ListFiltersByPartitionBookmarkTimeAndExclusions) {
  Put("raw/2026/11/a.json", "{}");
  Put("raw/2026/12/b.json", "{}");
  Put("raw/2026/12/c.json", "{}");
  Put("raw/errors/x.json", "{}");
  auto reader = TableReader::Open(json_, provider_.get());
  auto keys = [&](const TableScanOptions& o) {
    std::vector<std::string> out;
    auto objects = reader->List(o);
    EXPECT_TRUE(objects.ok()) << objects.status().ToString();
    for (const auto& t : *objects) out.push_back(t.info.key);
    return out;
  };
  TableScanOptions only_december;
  only_december.partitions = {{"2026", "12"}};
  only_december.exclude = {*LakePath::Parse("iot-data/raw/errors/")};
  EXPECT_EQ(keys(only_december), (std::vector<std::string>{"raw/2026/12/b.json", "raw/2026/12/c.json"}));

  auto all = *reader->List({});
  std::map<std::string, BookmarkEntry> bookmark;
  for (const auto& t : all) bookmark[t.id] = {t.info.key, t.info.etag, static_cast<int64_t>(t.info.size)};
  TableScanOptions since;
  since.bookmark = &bookmark;
  EXPECT_TRUE(keys(since).empty());
  Put("raw/2026/12/c.json", "{\"a\":1}");  // rewritten: size changes
  Put("raw/2026/12/d.json", "{}");
  EXPECT_EQ(keys(since), (std::vector<std::string>{"raw/2026/12/c.json", "raw/2026/12/d.json"}));

  TableScanOptions newer;
  newer.modified_after_ms = all.back().info.modified_ms + 3600 * 1000;
  EXPECT_TRUE(keys(newer).empty());
}

TEST(FitsTableLayoutTest, ACrawledTableTakesTheKeysItsCrawlerDetected) {
  Table t;
  t.partition_keys = {
      {"year", "string"}, {"month", "string"}, {"day", "string"}, {"partition_3", "string"}};
  t.parameters["partition_pattern"] =
      "year,month,day,hour";  // "hour" renamed: a field of the records
  EXPECT_TRUE(FitsTableLayout(t, "2026/11/30/14/pollution-1"));
  EXPECT_FALSE(FitsTableLayout(t, "big/export.bin"));
  EXPECT_FALSE(FitsTableLayout(t, "capture/forecaster/2026/11/30/14/a.jsonl"));
  EXPECT_FALSE(FitsTableLayout(t, "2026/11/30/a.json"));
  EXPECT_FALSE(FitsTableLayout(t, "a.json"));
  t.parameters["partition_pattern"] = "";  // crawled objects sat at the top
  EXPECT_TRUE(FitsTableLayout(t, "a.json"));
  EXPECT_FALSE(FitsTableLayout(t, "2026/a.json"));
}

TEST(FitsTableLayoutTest, OtherTablesTakeAFolderPerKeyNamedOrNotAndWhatIsBelow) {
  Table t;
  EXPECT_TRUE(FitsTableLayout(t, "a/b/c.json"));  // no partition keys: everything
  t.partition_keys = {{"device", "string"}, {"day", "string"}};
  EXPECT_TRUE(FitsTableLayout(t, "device=a/day=01/part-0.parquet"));
  EXPECT_TRUE(FitsTableLayout(t, "a/01/part-0.parquet"));
  EXPECT_FALSE(FitsTableLayout(t, "day=01/device=a/part-0.parquet"));
  EXPECT_FALSE(FitsTableLayout(t, "device=a/part-0.parquet"));
  // Folders below the keys' are read, as Hive and Athena read them (an hour under a day).
  EXPECT_TRUE(FitsTableLayout(t, "device=a/day=01/x/part-0.parquet"));
  EXPECT_TRUE(FitsTableLayout(t, "a/01/14/part-0.parquet"));
  EXPECT_FALSE(FitsTableLayout(t, "part-0.parquet"));
}

TEST_F(TableReaderTest, ListLeavesOutAndCountsObjectsOffTheTablesLayout) {
  json_.parameters["partition_pattern"] = "year,month";
  Put("raw/2026/11/a.json", "{\"device\":\"d1\"}\n");
  Put("raw/big/export.bin", "\x01\x02 not json");
  Put("raw/capture/forecaster/x.jsonl", "{\"device\":\"d2\"}\n");
  Put("raw/b.json", "{\"device\":\"d3\"}\n");
  auto reader = TableReader::Open(json_, provider_.get());
  ASSERT_TRUE(reader.ok());
  OffLayoutObjects off;
  TableScanOptions options;
  options.off_layout = &off;
  auto objects = reader->List(options);
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  ASSERT_EQ(objects->size(), 1u);
  EXPECT_EQ((*objects)[0].id, "iot-data/raw/2026/11/a.json");
  EXPECT_EQ(off.count, 3);
  EXPECT_EQ(off.listed,
            (std::vector<std::string>{"iot-data/raw/b.json", "iot-data/raw/big/export.bin",
                                      "iot-data/raw/capture/forecaster/x.jsonl"}));
  Seen seen = ReadAll(*reader, *objects);
  EXPECT_EQ(seen.rows.size(), 1u);
  EXPECT_TRUE(seen.bad.empty());
}

TEST_F(TableReaderTest, ParquetObjectsWithProjectionAndHivePartitions) {
  Put("curated/day=01/part-0.parquet", ParquetBytes({{"d1", 1.5, 1764511200000000}, {"d2", 2.5, 1764514800000000}}));
  Put("curated/day=02/part-0.parquet", ParquetBytes({{"d3", 3.5, 1764597600000000}}));
  auto reader = TableReader::Open(parquet_, provider_.get(), {"temp", "device", "day"});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Seen seen = ReadAll(*reader, *reader->List({}));
  EXPECT_EQ(seen.rows, (std::vector<std::string>{
                           "curated/day=01/part-0.parquet:1:day=01;{\"temp\":1.5,\"device\":\"d1\"}",
                           "curated/day=01/part-0.parquet:2:day=01;{\"temp\":2.5,\"device\":\"d2\"}",
                           "curated/day=02/part-0.parquet:1:day=02;{\"temp\":3.5,\"device\":\"d3\"}",  // in projection order
                       }));
  auto all_columns = TableReader::Open(parquet_, provider_.get());
  Seen whole = ReadAll(*all_columns, *all_columns->List({}));
  ASSERT_EQ(whole.rows.size(), 3u);
  EXPECT_NE(whole.rows[0].find("\"ts\":\"2025-11-30T14:00:00"), std::string::npos) << whole.rows[0];
}

TEST_F(TableReaderTest, UnknownColumnAndCorruptParquetAreNamed) {
  auto missing = TableReader::Open(parquet_, provider_.get(), {"humidity"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("iot.curated has no column 'humidity' (its columns: device, temp, ts, day (partition key))"),
            std::string::npos)
      << missing.status().ToString();
  Put("curated/day=01/part-0.parquet", "PAR1 not really");
  auto reader = TableReader::Open(parquet_, provider_.get());
  simdjson::dom::parser parser;
  Status st = reader->Read((*reader->List({}))[0], &parser, [](const TableRecord&) { return true; },
                           [](const TableRecord&, const std::string&) { return true; });
  EXPECT_EQ(st.code(), ErrorCode::kDataLoss);
  EXPECT_NE(st.message().find("iot-data/curated/day=01/part-0.parquet of table iot.curated"), std::string::npos)
      << st.ToString();
}

}  // namespace
}  // namespace tributary::lake
