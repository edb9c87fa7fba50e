#include "forecast/prepare.h"

#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/testing/temp_dir.h"
#include "forecast/frequency.h"
#include "forecast/series.h"
#include "objstore/local_object_store.h"
#include "metadata/testing/test_database.h"

namespace tributary::forecast {
namespace {

class PrepareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    catalog_ = lake::Catalog::Open(db_.get()).value();
    auto provider = objstore::LocalObjectStoreProvider::Open(dir_.path() + "/lake");
    ASSERT_TRUE(provider.ok());
    provider_ = std::move(*provider);
    ASSERT_TRUE(catalog_->CreateDatabase("iot").ok());
    lake::TableInput in;
    in.columns = {{"device", "string"}, {"temp", "double"}, {"hum", "double"}, {"timestamp", "timestamp"}};
    in.partition_keys = {{"year", "string"}};
    in.location = *lake::LakePath::Parse("iot-data/raw/");
    ASSERT_TRUE(catalog_->UpsertTable("iot", "raw", in).ok());
    bucket_ = *provider_->Bucket("iot-data");
  }

  PrepareRequest Request() {
    PrepareRequest r;
    r.table = "raw";
    r.target = "temp";
    r.prediction_length = 1;
    r.out = dir_.path() + "/out";
    return r;
  }

  testing_support::TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<lake::Catalog> catalog_;
  std::unique_ptr<objstore::LocalObjectStoreProvider> provider_;
  std::shared_ptr<objstore::ObjectStore> bucket_;
};

TEST_F(PrepareTest, WritesTrainTestAndTheSeriesMapFromAJsonTable) {
  ASSERT_TRUE(bucket_->Put("raw/2026/a.json",
                           "{\"device\":\"b\",\"temp\":4,\"hum\":1,\"timestamp\":\"2026-03-01T02:10:00Z\"}\n"
                           "{\"device\":\"a\",\"temp\":1,\"hum\":2,\"timestamp\":\"2026-03-01T00:05:00Z\"}\n"
                           "{\"device\":\"a\",\"temp\":3,\"hum\":4,\"timestamp\":1772327400000}\n"  // 01:10 as Unix ms
                           "{\"device\":\"a\",\"temp\":null,\"timestamp\":\"2026-03-01T02:00:00Z\"}\n"
                           "{\"temp\":9,\"timestamp\":\"2026-03-01T02:00:00Z\"}\n"
                           "{\"device\":\"a\",\"temp\":9}\n")
                  .ok());
  PrepareRequest r = Request();
  r.cat = true;
  r.dynamic_feat = {"hum"};
  auto s = PrepareFromTable(r, catalog_.get(), provider_.get());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->table, "iot.raw");
  EXPECT_EQ(s->timestamp_column, "timestamp");
  EXPECT_EQ(s->rows, 6);
  EXPECT_EQ(s->rows_without_group, 1);
  EXPECT_EQ(s->rows_without_timestamp, 1);
  EXPECT_EQ(s->series, 1);
  EXPECT_EQ(s->skipped, (std::vector<std::string>{"b"}));  // only inside the test window
  EXPECT_EQ(s->split, "2026-03-01 02:00:00");
  auto train = ReadSeriesFile(r.out + "/train/train.json");
  auto test = ReadSeriesFile(r.out + "/test/test.json");
  ASSERT_TRUE(train.ok() && test.ok()) << train.status().ToString() << test.status().ToString();
  ASSERT_EQ(train->size(), 1u);
  EXPECT_EQ(FormatTimestamp((*train)[0].start), "2026-03-01 00:00:00");
  EXPECT_EQ((*train)[0].target, (std::vector<float>{1, 3}));
  EXPECT_EQ((*train)[0].cat, (std::vector<int64_t>{0}));
  ASSERT_EQ((*test)[0].target.size(), 3u);
  EXPECT_TRUE(std::isnan((*test)[0].target[2]));
  EXPECT_EQ((*test)[0].dynamic_feat, (std::vector<std::vector<float>>{{2, 4, 4}}));
  auto mapping = nlohmann::json::parse(*ReadFile(r.out + "/series.json"));
  EXPECT_EQ(mapping["series"][0]["group"], "a");
  EXPECT_EQ(mapping["series"][0]["cat"], 0);

  auto again = PrepareFromTable(r, catalog_.get(), provider_.get());
  EXPECT_EQ(again.status().code(), ErrorCode::kAlreadyExists) << again.status().ToString();
  r.overwrite = true;
  EXPECT_TRUE(PrepareFromTable(r, catalog_.get(), provider_.get()).ok());
}

TEST_F(PrepareTest, ErrorsNameTableColumnObjectAndRow) {
  ASSERT_TRUE(bucket_->Put("raw/2026/a.json",
                           "{\"device\":\"a\",\"temp\":1,\"timestamp\":\"2026-03-01T00:05:00Z\"}\n"
                           "{\"device\":\"a\",\"temp\":\"hot\",\"timestamp\":\"2026-03-01T01:05:00Z\"}\n")
                  .ok());
  auto message = [&](const PrepareRequest& r) { return PrepareFromTable(r, catalog_.get(), provider_.get()).status().message(); };
  PrepareRequest r = Request();
  EXPECT_EQ(message(r), "table iot.raw, object iot-data/raw/2026/a.json, line 2, column 'temp': expected a number, \"NaN\" or null, got \"hot\"");
  r.target = "pressure";
  EXPECT_NE(message(r).find("table iot.raw has no column 'pressure' for --target (its columns: device string, temp double"), std::string::npos)
      << message(r);
  r = Request();
  r.group_by = "site";
  EXPECT_NE(message(r).find("no column 'site' for --group-by"), std::string::npos) << message(r);
  r = Request();
  r.table = "nope";
  EXPECT_NE(message(r).find("no database holds a table 'nope'"), std::string::npos) << message(r);
  r = Request();
  r.out = "relative/dir";
  EXPECT_EQ(message(r).rfind("out: 'relative/dir' must be an absolute directory or a lake path", 0),
            0u)
      << message(r);
  r = Request();
  r.start = "yesterday";
  EXPECT_EQ(message(r).rfind("start: 'yesterday' is not an ISO 8601", 0), 0u) << message(r);
  r = Request();
  r.freq = "fortnight";
  EXPECT_NE(message(r).find("time_freq 'fortnight'"), std::string::npos) << message(r);
  EXPECT_FALSE(PrepareRequest::FromJson(nlohmann::json{{"table", "raw"}}).ok());
  auto parsed = PrepareRequest::FromJson(
      nlohmann::json{{"table", "raw"}, {"target", "temp"}, {"out", "/x"}, {"prediction_length", 3}, {"group_by", nullptr}});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_FALSE(parsed->group_by.has_value());
}

TEST_F(PrepareTest, WritesToALakePrefix) {
  ASSERT_TRUE(bucket_->Put("raw/2026/a.json",
                           "{\"device\":\"a\",\"temp\":1,\"timestamp\":\"2026-03-01T00:05:00Z\"}\n"
                           "{\"device\":\"a\",\"temp\":2,\"timestamp\":\"2026-03-01T01:05:00Z\"}\n")
                  .ok());
  PrepareRequest r = Request();
  r.out = "s3://models/forecast/input/";
  auto s = PrepareFromTable(r, catalog_.get(), provider_.get());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->files[0], "s3://models/forecast/input/train/train.json");
  auto models = *provider_->Bucket("models");
  auto text = models->Get("forecast/input/test/test.json");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "{\"start\":\"2026-03-01 00:00:00\",\"target\":[1.0,2.0]}\n");
}

TEST_F(PrepareTest, ObjectsTheCrawlerSkippedAreSkippedAndCountedNotBadRecords) {
  lake::TableInput in;
  in.columns = {{"device", "string"}, {"temp", "double"}, {"timestamp", "timestamp"}};
  in.partition_keys = {{"year", "string"}};
  in.location = *lake::LakePath::Parse("iot-data/raw/");
  in.parameters["partition_pattern"] = "year";
  ASSERT_TRUE(catalog_->UpsertTable("iot", "raw", in).ok());
  ASSERT_TRUE(bucket_
                  ->Put("raw/2026/a.json",
                        "{\"device\":\"a\",\"temp\":1,\"timestamp\":\"2026-03-01T00:05:00Z\"}\n"
                        "{\"device\":\"a\",\"temp\":2,\"timestamp\":\"2026-03-01T01:05:00Z\"}\n")
                  .ok());
  ASSERT_TRUE(
      bucket_->Put("raw/big/export.bin", std::string("\x8f\x00\x13 random bytes\n{{{\n", 20)).ok());
  ASSERT_TRUE(bucket_
                  ->Put("raw/capture/forecaster/2026/c.jsonl",
                        "{\"device\":\"z\",\"temp\":9,\"timestamp\":\"2026-03-01T00:05:00Z\"}\n")
                  .ok());
  auto s = PrepareFromTable(Request(), catalog_.get(), provider_.get());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->objects, 1);
  EXPECT_EQ(s->rows, 2);
  EXPECT_EQ(s->bad_records, 0);
  EXPECT_EQ(s->series, 1);
  EXPECT_EQ(s->objects_skipped, 2);
  EXPECT_EQ(s->skipped_objects,
            (std::vector<std::string>{"iot-data/raw/big/export.bin",
                                      "iot-data/raw/capture/forecaster/2026/c.jsonl"}));
  EXPECT_EQ(s->ToJson()["objects_skipped"], 2);
}

TEST_F(PrepareTest, WritesToABucketsRoot) {
  ASSERT_TRUE(bucket_
                  ->Put("raw/2026/a.json",
                        "{\"device\":\"a\",\"temp\":1,\"timestamp\":\"2026-03-01T00:05:00Z\"}\n"
                        "{\"device\":\"a\",\"temp\":2,\"timestamp\":\"2026-03-01T01:05:00Z\"}\n")
                  .ok());
  PrepareRequest r = Request();
  r.out = "s3://deepar/";
  auto s = PrepareFromTable(r, catalog_.get(), provider_.get());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->out, "s3://deepar/");
  EXPECT_EQ(s->files[0], "s3://deepar/train/train.json");
  EXPECT_EQ(s->files[1], "s3://deepar/test/test.json");
  auto deepar = *provider_->Bucket("deepar");
  EXPECT_TRUE(deepar->Get("train/train.json").ok());
  EXPECT_TRUE(deepar->Get("test/test.json").ok());
  EXPECT_TRUE(deepar->Get("series.json").ok());
}

}  // namespace
}  // namespace tributary::forecast
