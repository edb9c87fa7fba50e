#include "lake/catalog.h"

#include <gtest/gtest.h>

#include "base/testing/temp_dir.h"
#include "metadata/testing/test_database.h"

namespace tributary::lake {
namespace {

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    catalog_.reset();
    db_.reset();
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    auto catalog = Catalog::Open(db_.get());
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = std::move(*catalog);
  }
  TableInput Input(std::vector<Column> columns) {
    TableInput in;
    in.columns = std::move(columns);
    in.partition_keys = {{"year", "string"}, {"month", "string"}};
    in.location = *LakePath::Parse("s3://iot-data/raw/");
    in.record_count = 10;
    in.updated_by = "test";
    return in;
  }

  testing_support::TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<Catalog> catalog_;
};

TEST(LakePath, Parse) {
  struct Case {
    const char* text;
    const char* bucket;
    const char* prefix;
  } cases[] = {
      {"iot-data", "iot-data", ""},
      {"iot-data/", "iot-data", ""},
      {"iot-data/raw/pollution", "iot-data", "raw/pollution/"},
      {"iot-data/raw/pollution/", "iot-data", "raw/pollution/"},
      {"s3://iot-data/raw/", "iot-data", "raw/"},
      {"s3a://iot-data", "iot-data", ""},
  };
  for (const auto& c : cases) {
    auto p = LakePath::Parse(c.text);
    ASSERT_TRUE(p.ok()) << c.text << ": " << p.status().ToString();
    EXPECT_EQ(p->bucket, c.bucket) << c.text;
    EXPECT_EQ(p->prefix, c.prefix) << c.text;
  }
  for (const char* bad :
       {"", "http://iot-data/", "Bad_Bucket/x", "iot-data//x", "iot-data/../x", "/iot-data"}) {
    auto p = LakePath::Parse(bad);
    EXPECT_FALSE(p.ok()) << bad;
    if (!p.ok()) {
      EXPECT_NE(p.status().message().find("lake path"), std::string::npos);
    }
  }
  auto p = *LakePath::Parse("iot-data/raw");
  EXPECT_EQ(p.ToString(), "iot-data/raw/");
  EXPECT_EQ(p.ToUri(), "s3://iot-data/raw/");
  EXPECT_EQ(p.Child("year=2026/month=11").prefix, "raw/year=2026/month=11/");
}

TEST(Catalog, Names) {
  EXPECT_TRUE(ValidateCatalogName("table", "raw_pollution_2").ok());
  EXPECT_FALSE(ValidateCatalogName("table", "Raw").ok());
  EXPECT_FALSE(ValidateCatalogName("table", "").ok());
  EXPECT_EQ(SanitizeName("Raw-Pollution.v2"), "raw_pollution_v2");
}

TEST_F(CatalogTest, Databases) {
  ASSERT_TRUE(catalog_->CreateDatabase("iot", "readings").ok());
  EXPECT_EQ(catalog_->CreateDatabase("iot").status().code(), ErrorCode::kAlreadyExists);
  auto again = catalog_->CreateDatabase("iot", "", true);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->description, "readings");
  ASSERT_TRUE(catalog_->CreateDatabase("alpha").ok());
  auto list = catalog_->ListDatabases();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "alpha");
  EXPECT_EQ(catalog_->GetDatabase("nope").status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(catalog_->SetDatabaseDescription("iot", "the fleet").ok());
  EXPECT_EQ(catalog_->GetDatabase("iot")->description, "the fleet");
  EXPECT_EQ(catalog_->GetDatabase("alpha")->description, "");
  EXPECT_EQ(catalog_->SetDatabaseDescription("nope", "x").code(), ErrorCode::kNotFound);
}

TEST_F(CatalogTest, PartitionIndexesNameTheTablesPartitionKeys) {
  ASSERT_TRUE(catalog_->CreateDatabase("iot").ok());
  ASSERT_TRUE(catalog_->UpsertTable("iot", "raw", Input({{"a", "bigint"}})).ok());
  EXPECT_TRUE(catalog_->CreatePartitionIndex("iot", "raw", {"by_year", {"year"}}).ok());
  EXPECT_TRUE(catalog_->CreatePartitionIndex("iot", "raw", {"by_month", {"month", "year"}}).ok());
  auto indexes = catalog_->ListPartitionIndexes("iot", "raw");
  ASSERT_TRUE(indexes.ok()) << indexes.status().ToString();
  ASSERT_EQ(indexes->size(), 2u);
  EXPECT_EQ((*indexes)[0].name, "by_month");  // by name
  EXPECT_EQ((*indexes)[0].keys, (std::vector<std::string>{"month", "year"}));
  EXPECT_GT((*indexes)[0].created_ms, 0);

  // Refused, naming why.
  auto taken = catalog_->CreatePartitionIndex("iot", "raw", {"by_year", {"month"}});
  EXPECT_EQ(taken.code(), ErrorCode::kAlreadyExists);
  auto not_a_key = catalog_->CreatePartitionIndex("iot", "raw", {"by_a", {"a"}});
  EXPECT_EQ(not_a_key.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(not_a_key.message().find("'a' is not a partition key of table 'iot.raw' (year, month)"),
            std::string::npos)
      << not_a_key.message();
  EXPECT_EQ(catalog_->CreatePartitionIndex("iot", "raw", {"twice", {"year", "year"}}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(catalog_->CreatePartitionIndex("iot", "raw", {"none", {}}).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(catalog_->CreatePartitionIndex("iot", "nope", {"x", {"year"}}).code(),
            ErrorCode::kNotFound);
  ASSERT_TRUE(catalog_->CreatePartitionIndex("iot", "raw", {"third", {"month"}}).ok());
  EXPECT_EQ(catalog_->CreatePartitionIndex("iot", "raw", {"fourth", {"year"}}).code(),
            ErrorCode::kResourceExhausted);

  // Deleted one by one; a table's go with it; kept across a restart.
  EXPECT_TRUE(catalog_->DeletePartitionIndex("iot", "raw", "third").ok());
  EXPECT_EQ(catalog_->DeletePartitionIndex("iot", "raw", "third").code(), ErrorCode::kNotFound);
  Reopen();
  EXPECT_EQ(catalog_->ListPartitionIndexes("iot", "raw")->size(), 2u);
  ASSERT_TRUE(catalog_->DeleteTable("iot", "raw").ok());
  ASSERT_TRUE(catalog_->UpsertTable("iot", "raw", Input({{"a", "bigint"}})).ok());
  EXPECT_TRUE(catalog_->ListPartitionIndexes("iot", "raw")->empty());
  ASSERT_TRUE(catalog_->CreatePartitionIndex("iot", "raw", {"by_year", {"year"}}).ok());
  ASSERT_TRUE(catalog_->DeleteDatabase("iot", /*cascade=*/true).ok());
  ASSERT_TRUE(catalog_->CreateDatabase("iot").ok());
  ASSERT_TRUE(catalog_->UpsertTable("iot", "raw", Input({{"a", "bigint"}})).ok());
  EXPECT_TRUE(catalog_->ListPartitionIndexes("iot", "raw")->empty());
}

TEST_F(CatalogTest, UpsertMakesVersionsOnlyWhenTheSchemaChanges) {
  EXPECT_EQ(catalog_->UpsertTable("iot", "raw", Input({{"a", "bigint"}})).status().code(),
            ErrorCode::kNotFound);
  ASSERT_TRUE(catalog_->CreateDatabase("iot").ok());
  auto r1 = catalog_->UpsertTable("iot", "raw", Input({{"a", "bigint"}}));
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_TRUE(r1->created);
  EXPECT_EQ(r1->table.version, 1);

  TableInput same = Input({{"a", "bigint"}});
  same.record_count = 20;
  auto r2 = catalog_->UpsertTable("iot", "raw", same);
  ASSERT_TRUE(r2.ok());
  EXPECT_FALSE(r2->new_version);
  EXPECT_EQ(r2->table.version, 1);
  EXPECT_EQ(r2->table.record_count, 20);

  auto r3 = catalog_->UpsertTable("iot", "raw", Input({{"a", "double"}, {"b", "string"}}));
  ASSERT_TRUE(r3.ok());
  EXPECT_TRUE(r3->new_version);
  EXPECT_EQ(r3->table.version, 2);
  auto versions = catalog_->ListVersions("iot", "raw");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].columns, (std::vector<Column>{{"a", "bigint"}}));
  EXPECT_EQ((*versions)[1].columns.size(), 2u);
  EXPECT_EQ((*versions)[1].created_by, "test");
  EXPECT_EQ(catalog_->GetVersion("iot", "raw", 3).status().code(), ErrorCode::kNotFound);
}

TEST_F(CatalogTest, UpsertRejectsBadTablesNamingTheProblem) {
  ASSERT_TRUE(catalog_->CreateDatabase("iot").ok());
  auto bad_type = catalog_->UpsertTable("iot", "raw", Input({{"a", "varchar2"}}));
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.status().message().find("'a'"), std::string::npos)
      << bad_type.status().message();
  auto dup = catalog_->UpsertTable("iot", "raw", Input({{"year", "bigint"}}));
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("year"), std::string::npos);
  EXPECT_FALSE(catalog_->UpsertTable("iot", "raw", Input({})).ok());
  EXPECT_FALSE(catalog_->UpsertTable("iot", "Raw", Input({{"a", "bigint"}})).ok());
}

TEST_F(CatalogTest, PartitionsMergeAndSurviveReopen) {
  ASSERT_TRUE(catalog_->CreateDatabase("iot").ok());
  TableInput in = Input({{"ozone", "bigint"}, {"pos", "struct<lat:double,lon:double>"}});
  in.parameters = {{"classification", "json"}};
  in.compression = "gzip";
  ASSERT_TRUE(catalog_->UpsertTable("iot", "raw", in).ok());
  LakePath base = *LakePath::Parse("iot-data/raw/");
  ASSERT_TRUE(catalog_
                  ->AddPartitions("iot", "raw",
                                  {{{"2026", "11"}, base.Child("2026/11"), 5, 1, 100},
                                   {{"2026", "10"}, base.Child("2026/10"), 7, 1, 100}})
                  .ok());
  ASSERT_TRUE(catalog_
                  ->AddPartitions("iot", "raw", {{{"2026", "11"}, {}, 3, 1, 50}},
                                  PartitionMerge::kAddCounts)
                  .ok());
  auto wrong = catalog_->AddPartitions("iot", "raw", {{{"2026"}, {}, 1, 1, 1}});
  EXPECT_EQ(wrong.code(), ErrorCode::kInvalidArgument);

  Reopen();
  auto table = catalog_->GetTable("iot", "raw");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->columns[1].type, "struct<lat:double,lon:double>");
  EXPECT_EQ(table->partition_keys.size(), 2u);
  EXPECT_EQ(table->location.ToUri(), "s3://iot-data/raw/");
  EXPECT_EQ(table->compression, "gzip");
  EXPECT_EQ(table->parameters.at("classification"), "json");
  EXPECT_EQ(table->record_count, 10);
  auto parts = catalog_->ListPartitions("iot", "raw");
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].values, (std::vector<std::string>{"2026", "10"}));
  EXPECT_EQ((*parts)[1].record_count, 8);
  EXPECT_EQ((*parts)[1].object_count, 2);
  EXPECT_EQ((*parts)[1].location.prefix, "raw/2026/11/");
  auto tables = catalog_->ListTables();
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(tables->size(), 1u);

  EXPECT_EQ(catalog_->DeleteDatabase("iot").code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(catalog_->DeletePartition("iot", "raw", {"2026", "10"}).ok());
  ASSERT_TRUE(catalog_->DeleteTable("iot", "raw").ok());
  EXPECT_EQ(catalog_->GetTable("iot", "raw").status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(catalog_->DeleteDatabase("iot").ok());
}

}  // namespace
}  // namespace tributary::lake
