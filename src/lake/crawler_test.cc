#include "lake/crawler.h"

#include <gtest/gtest.h>

#include "base/testing/temp_dir.h"
#include "lake/crawler_manager.h"
#include "lake/glue_glob.h"
#include "lake/partition_detect.h"
#include "lake/table_reader.h"
#include "metadata/testing/test_database.h"
#include "objstore/local_object_store.h"
#include "parquet/file_writer.h"
#include "parquet/io.h"
#include "streams/gzip.h"
#include "streams/snappy_streams.h"
#include "streams/zip_archive.h"

namespace tributary::lake {
namespace {

class CrawlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    catalog_ = Catalog::Open(db_.get()).value();
    store_ = CrawlerStore::Open(db_.get()).value();
    auto provider = objstore::LocalObjectStoreProvider::Open(dir_.path() + "/lake");
    ASSERT_TRUE(provider.ok());
    provider_ = std::move(*provider);
    bucket_ = *provider_->Bucket("iot-data");
    crawler_.name = "raw";
    crawler_.source = *LakePath::Parse("iot-data/raw/");
    crawler_.database = "iot";
    ASSERT_TRUE(store_->Create(crawler_).ok());
  }

  void Put(const std::string& key, const std::string& data) {
    ASSERT_TRUE(bucket_->Put(key, data).ok());
  }

  CrawlRun Crawl() {
    CrawlRun run;
    run.crawler = crawler_.name;
    run.id = ++runs_;
    CrawlContext ctx{bucket_.get(), catalog_.get(), store_.get(), nullptr, nullptr};
    CrawlRun out = RunCrawl(crawler_, run, ctx);
    EXPECT_NE(out.status, RunStatus::kRunning);
    return out;
  }

  Table GetTable() {
    auto t = catalog_->GetTable("iot", "raw");
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : Table{};
  }

  std::string TypeOf(const Table& t, const std::string& name) {
    for (const auto& c : t.columns) {
      if (c.name == name) return c.type;
    }
    return "<absent>";
  }

  testing_support::TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<CrawlerStore> store_;
  std::unique_ptr<objstore::ObjectStoreProvider> provider_;
  std::shared_ptr<objstore::ObjectStore> bucket_;
  CrawlerDefinition crawler_;
  int64_t runs_ = 0;
};

constexpr const char* kReading =
    R"({"ozone":42,"particulate_matter":7,"longitude":10.250786139881143,"latitude":56.20251117218925,)"
    R"("timestamp":"2026-11-30T14:02:11.123Z","seq":0})";

// A gzipped object inflates at most to the limit: a small object of zeros that would
// take gigabytes is a bad object, named, not an allocation of everything it asks.
TEST(DecodeObjectTest, GzipInflatesNoFurtherThanTheLimit) {
  const std::string text(2 << 20, '0');
  std::string packed = streams::GzipCompress(text).value();
  ASSERT_LT(packed.size(), 64u << 10);
  auto bomb = DecodeObject("up/zeros.json.gz", packed, 1 << 20);
  ASSERT_FALSE(bomb.ok());
  EXPECT_EQ(bomb.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(bomb.status().message().find(
                "object up/zeros.json.gz: its gzip data inflates past 1048576 bytes"),
            std::string::npos)
      << bomb.status().message();
  auto whole = DecodeObject("up/zeros.json.gz", packed, 2 << 20);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(*whole, text);
}

// A stream's Snappy objects (.snappy): snappy-java's stream by its header (whatever the
// name), Hadoop's by the name; past the limit, or corrupt, a bad object, named.
TEST(DecodeObjectTest, SnappyObjectsOfBothKinds) {
  const std::string text = std::string(kReading) + "\n" + kReading + "\n";
  const std::string java = streams::XerialSnappyCompress(text);
  EXPECT_EQ(DecodeObject("raw/s-1-x.snappy", java).value(), text);
  EXPECT_EQ(DecodeObject("raw/renamed", java).value(), text);
  EXPECT_EQ(DecodeObject("raw/h-1-x.snappy", streams::HadoopSnappyCompress(text)).value(), text);
  auto cut = DecodeObject("raw/s-1-x.snappy", java.substr(0, java.size() - 3));
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("object raw/s-1-x.snappy: corrupt snappy-java data: "),
            std::string::npos)
      << cut.status().message();
  auto plain = DecodeObject("raw/s-1-x.snappy", text);
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.status().message().find("object raw/s-1-x.snappy: corrupt Hadoop Snappy data: "),
            std::string::npos)
      << plain.status().message();
  const std::string zeros(2 << 20, '0');
  auto bomb = DecodeObject("raw/zeros.snappy", streams::HadoopSnappyCompress(zeros), 1 << 20);
  ASSERT_FALSE(bomb.ok());
  EXPECT_NE(bomb.status().message().find("its Snappy data uncompresses past 1048576 bytes"),
            std::string::npos)
      << bomb.status().message();
}

TEST_F(CrawlerTest, FirstRunInfersColumnsPartitionsAndCounts) {
  Put("raw/2026/11/30/14/a", std::string(kReading) + "\n" + kReading + "\n");
  Put("raw/2026/11/30/14/b.gz",
      *streams::GzipCompress(std::string(kReading) + kReading + kReading));
  Put("raw/2026/11/30/15/c", std::string(kReading) + "," + kReading);
  Put("raw/_SUCCESS", "");
  CrawlRun run = Crawl();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_TRUE(run.errors.empty()) << run.errors[0];
  EXPECT_EQ(run.objects_listed, 3);
  EXPECT_EQ(run.objects_read, 3);
  EXPECT_EQ(run.records, 7);
  EXPECT_EQ(run.partitions_added, 2);
  EXPECT_EQ(run.table, "iot.raw");

  Table t = GetTable();
  EXPECT_EQ(TypeOf(t, "ozone"), "bigint");
  EXPECT_EQ(TypeOf(t, "latitude"), "double");
  EXPECT_EQ(TypeOf(t, "timestamp"), "timestamp");
  std::vector<Column> keys = {
      {"year", "string"}, {"month", "string"}, {"day", "string"}, {"hour", "string"}};
  EXPECT_EQ(t.partition_keys, keys);
  EXPECT_EQ(t.record_count, 7);
  EXPECT_EQ(t.compression, "gzip");
  EXPECT_EQ(t.version, 1);
  EXPECT_GT(t.last_crawl_ms, 0);
  auto parts = *catalog_->ListPartitions("iot", "raw");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].values, (std::vector<std::string>{"2026", "11", "30", "14"}));
  EXPECT_EQ(parts[0].record_count, 5);
  EXPECT_EQ(parts[0].location.ToUri(), "s3://iot-data/raw/2026/11/30/14/");
  EXPECT_EQ(parts[1].record_count, 2);
}

// A Parquet file (the bytes) of `rows` rows: device (string), ozone (int64), ts (timestamp),
// day (date).
// A .zip object (Firehose's ZIP: one entry; one put by hand may hold several, read in
// order), told by its name or its first local header; corrupt or past the limit, named.
TEST(DecodeObjectTest, ZipObjects) {
  const std::string text = std::string(kReading) + "\n" + kReading + "\n";
  const std::string zip = streams::ZipOneEntry(text, "u-u-i-d", 0).value();
  EXPECT_EQ(DecodeObject("raw/s-1-x.zip", zip).value(), text);
  EXPECT_EQ(DecodeObject("raw/renamed", zip).value(), text);
  auto cut = DecodeObject("raw/s-1-x.zip", zip.substr(0, zip.size() - 3));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(cut.status().message().find("object raw/s-1-x.zip: zip: no end of central directory"),
            std::string::npos)
      << cut.status().message();
  auto plain = DecodeObject("raw/s-1-x.zip", text);
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.status().message().find("object raw/s-1-x.zip: "), std::string::npos);
  const std::string zeros(2 << 20, '0');
  auto bomb = DecodeObject("raw/zeros.zip", streams::ZipOneEntry(zeros, "z", 0).value(), 1 << 20);
  ASSERT_FALSE(bomb.ok());
  EXPECT_NE(bomb.status().message().find("its ZIP entries inflate past 1048576 bytes"),
            std::string::npos)
      << bomb.status().message();
}

std::string ParquetObject(int rows, parquet::Codec codec = parquet::Codec::kSnappy) {
  parquet::Schema schema;
  schema.columns = {{"device", parquet::ColumnType::kString, true},
                    {"ozone", parquet::ColumnType::kInt64, true},
                    {"ts", parquet::ColumnType::kTimestamp, true},
                    {"day", parquet::ColumnType::kDate, true}};
  std::string bytes;
  parquet::WriterOptions options;
  options.codec = codec;
  auto writer = parquet::ParquetWriter::Open(parquet::MakeStringSink(&bytes), schema, options);
  EXPECT_TRUE(writer.ok());
  parquet::RecordBatch batch = parquet::RecordBatch::Empty(schema);
  for (int i = 0; i < rows; ++i) {
    batch.columns[0].AppendString("s" + std::to_string(i));
    batch.columns[1].AppendInt64(40 + i);
    batch.columns[2].AppendInt64(1796047331000000 + i);
    batch.columns[3].AppendInt32(20787 + i);
    ++batch.num_rows;
  }
  EXPECT_TRUE((*writer)->Write(batch).ok());
  EXPECT_TRUE((*writer)->Close().ok());
  return bytes;
}

// Nested Parquet columns (what record format conversion writes for struct, array and map
// columns, or another engine's structs and lists) get their Hive types, and read back as
// JSON objects and arrays.
// A table of a ZIP stream's objects says so, as one of gzip or Snappy objects does.
TEST_F(CrawlerTest, ZipObjectsMakeAZipTable) {
  Put("raw/2026/11/30/14/s-1-x.zip",
      streams::ZipOneEntry(std::string(kReading) + "\n" + kReading + "\n", "x", 0).value());
  CrawlRun run = Crawl();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_TRUE(run.errors.empty()) << run.errors[0];
  EXPECT_EQ(run.records, 2);
  Table t = GetTable();
  EXPECT_EQ(t.compression, "zip");
  EXPECT_EQ(t.parameters["compressionType"], "zip");
}

TEST_F(CrawlerTest, NestedParquetColumnsGetHiveTypesAndReadBackAsJson) {
  auto schema = parquet::Schema::Parse(
      "device:string?,pos:struct<lat:double,tags:list<string>>?,labels:map<string,int32>?");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  std::string bytes;
  auto writer = parquet::ParquetWriter::Open(parquet::MakeStringSink(&bytes), *schema);
  ASSERT_TRUE(writer.ok());
  parquet::RecordBatch batch = parquet::RecordBatch::Empty(*schema);
  batch.columns[0].AppendString("s1");
  batch.columns[1].AppendString(R"({"lat":1.5,"tags":["a"]})");
  batch.columns[2].AppendString(R"({"x":1})");
  batch.num_rows = 1;
  ASSERT_TRUE((*writer)->Write(batch).ok());
  ASSERT_TRUE((*writer)->Close().ok());
  Put("raw/2026/11/30/14/s-1-2026-11-30-14-02-11-a", bytes);
  CrawlRun run = Crawl();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  Table t = GetTable();
  EXPECT_EQ(t.columns, (std::vector<Column>{{"device", "string"},
                                            {"pos", "struct<lat:double,tags:array<string>>"},
                                            {"labels", "map<string,int>"}}));
  auto reader = TableReader::Open(t, provider_.get());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto objects = reader->List({});
  ASSERT_TRUE(objects.ok());
  ASSERT_EQ(objects->size(), 1u);
  std::vector<std::string> rows;
  simdjson::dom::parser parser;
  ASSERT_TRUE(reader
                  ->Read((*objects)[0], &parser,
                         [&](const TableRecord& r) {
                           rows.emplace_back(r.text);
                           return true;
                         },
                         [](const TableRecord&, const std::string&) { return true; })
                  .ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows[0].find(R"("pos":{"lat":1.5,"tags":["a"]},"labels":{"x":1})"), std::string::npos)
      << rows[0];
}

TEST_F(CrawlerTest, ParquetObjectsMakeAParquetTableReadBackWhole) {
  // What a stream with record format conversion writes: Parquet objects, no extension.
  Put("raw/2026/11/30/14/s-1-2026-11-30-14-02-11-a", ParquetObject(3));
  Put("raw/2026/11/30/15/s-1-2026-11-30-15-00-00-b", ParquetObject(2));
  CrawlRun run = Crawl();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_TRUE(run.errors.empty()) << run.errors[0];
  EXPECT_EQ(run.records, 5);
  Table t = GetTable();
  EXPECT_EQ(t.format, DataFormat::kParquet);
  EXPECT_EQ(t.compression, "snappy");
  EXPECT_EQ(t.parameters["classification"], "parquet");
  EXPECT_EQ(t.columns, (std::vector<Column>{
                           {"device", "string"}, {"ozone", "bigint"}, {"ts", "timestamp"}, {"day", "date"}}));
  EXPECT_EQ(t.record_count, 5);
  EXPECT_EQ(t.partition_keys.size(), 4u);

  // The table reads back as a Parquet table: every row, with its partition.
  auto reader = TableReader::Open(t, provider_.get());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto objects = reader->List({});
  ASSERT_TRUE(objects.ok());
  std::vector<std::string> rows;
  simdjson::dom::parser parser;
  for (const auto& o : *objects) {
    ASSERT_TRUE(reader->Read(o, &parser,
                             [&](const TableRecord& r) {
                               rows.emplace_back(r.text);
                               return true;
                             },
                             [](const TableRecord&, const std::string&) { return true; })
                    .ok());
  }
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_NE(rows[0].find(R"("device":"s0","ozone":40)"), std::string::npos) << rows[0];
  EXPECT_NE(rows[0].find(R"("day":"2026-11-30")"), std::string::npos) << rows[0];

  // A JSON object beside them is skipped and named: one format per table.
  Put("raw/2026/11/30/16/c", std::string(kReading) + "\n");
  Put("raw/2026/11/30/16/d", "PAR1 not really parquet PAR1");
  run = Crawl();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  ASSERT_EQ(run.errors.size(), 2u);
  EXPECT_NE(run.errors[0].find("raw/2026/11/30/16/c is json but the table's objects are parquet"),
            std::string::npos)
      << run.errors[0];
  EXPECT_NE(run.errors[1].find("raw/2026/11/30/16/d: not a readable Parquet file"), std::string::npos)
      << run.errors[1];
  EXPECT_EQ(GetTable().columns.size(), 4u);
}

TEST_F(CrawlerTest, ExcludedObjectsAreNeitherCrawledNorReadFromTheTable) {
  CrawlerDefinition c = crawler_;
  c.name = "raw-only";
  c.table = "raw";
  c.exclusions = {"deepar/**", "**.csv"};  // "*.csv" would leave out only top-level ones
  ASSERT_TRUE(store_->Create(c).ok());
  EXPECT_EQ(store_->Get("raw-only")->exclusions, c.exclusions);  // stored and read back
  Put("raw/2026/11/30/14/a", std::string(kReading) + "\n");
  Put("raw/deepar/train/train.json", R"({"start":"2026-11-30 14:00:00","target":[1,2]})" "\n");
  Put("raw/2026/11/30/14/export.csv", "a,b\n1,2\n");
  CrawlRun run = RunCrawl(c, CrawlRun{}, CrawlContext{bucket_.get(), catalog_.get(), store_.get(), nullptr, nullptr});
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.objects_listed, 1);
  EXPECT_TRUE(run.errors.empty()) << run.errors[0];
  Table t = GetTable();
  EXPECT_EQ(TableExclusions(t.parameters), c.exclusions);
  EXPECT_EQ(TypeOf(t, "target"), "<absent>");  // the channel's columns did not leak in

  // A reader of the table leaves the same objects out.
  auto reader = TableReader::Open(t, provider_.get(), {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto objects = reader->List({});
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  ASSERT_EQ(objects->size(), 1u);
  EXPECT_EQ((*objects)[0].id, "iot-data/raw/2026/11/30/14/a");

  EXPECT_TRUE(GlueGlobSet({"deepar/**"}).AnyMatches("deepar/train/train.json"));
  EXPECT_TRUE(GlueGlobSet({"*.csv"}).AnyMatches("a.csv"));
  EXPECT_FALSE(
      GlueGlobSet({"*.csv"}).AnyMatches("2026/a.csv"));  // '*' stays in one folder, as in Glue
  EXPECT_TRUE(GlueGlobSet({"**.csv"}).AnyMatches("2026/a.csv"));
  EXPECT_TRUE(GlueGlobSet({"x", "**.{csv,avro}"}).AnyMatches("2026/a.avro"));
  EXPECT_FALSE(GlueGlobSet({"*.csv", "deepar/*"}).AnyMatches("2026/a.json"));
  EXPECT_FALSE(GlueGlobSet({"[x"}).AnyMatches("[x"));  // stored before patterns were checked: inert
  EXPECT_TRUE(TableExclusions({{"exclusions", "not json"}}).empty());
}

TEST_F(CrawlerTest, ObjectsGoneFromTheLakeNoLongerCountAndEmptyPartitionsGo) {
  Put("raw/2026/11/30/14/a", std::string(kReading) + "\n" + kReading + "\n");
  Put("raw/2026/11/30/15/b", std::string(kReading) + "\n");
  Put("raw/2026/11/30/15/c", std::string(kReading) + "\n" + kReading + "\n" + kReading + "\n");
  ASSERT_EQ(Crawl().status, RunStatus::kSucceeded);
  EXPECT_EQ(GetTable().record_count, 6);

  // Hour 14's only object and one of hour 15's are deleted (a lifecycle rule, say).
  ASSERT_TRUE(bucket_->Delete("raw/2026/11/30/14/a").ok());
  ASSERT_TRUE(bucket_->Delete("raw/2026/11/30/15/b").ok());
  CrawlRun run = Crawl();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.objects_gone, 2);
  EXPECT_EQ(run.partitions_removed, 1);
  EXPECT_EQ(run.partitions_added, 0);
  EXPECT_EQ(run.objects_read, 0);
  EXPECT_EQ(run.records, -3);
  Table t = GetTable();
  EXPECT_EQ(t.record_count, 3);
  EXPECT_EQ(t.object_count, 1);
  EXPECT_EQ(t.version, 1);  // the schema stays
  auto partitions = catalog_->ListPartitions("iot", "raw");
  ASSERT_TRUE(partitions.ok());
  ASSERT_EQ(partitions->size(), 1u);
  EXPECT_EQ((*partitions)[0].values, (std::vector<std::string>{"2026", "11", "30", "15"}));
  EXPECT_EQ((*partitions)[0].record_count, 3);
  EXPECT_EQ((*partitions)[0].object_count, 1);

  // Forgotten: the next run has nothing to do; an object put back is read again.
  CrawlRun idle = Crawl();
  EXPECT_EQ(idle.objects_gone, 0);
  EXPECT_EQ(GetTable().record_count, 3);
  Put("raw/2026/11/30/14/a", std::string(kReading) + "\n");
  CrawlRun back = Crawl();
  EXPECT_EQ(back.objects_read, 1);
  EXPECT_EQ(back.partitions_added, 1);
  EXPECT_EQ(GetTable().record_count, 4);
}

TEST_F(CrawlerTest, UpdateBehaviorLogKeepsTheTablesSchemaAndNamesTheChanges) {
  Put("raw/2026/11/30/14/a", R"({"ozone":1,"site":"a"})"
                             "\n");
  ASSERT_EQ(Crawl().status, RunStatus::kSucceeded);
  crawler_.update_behavior = CrawlerDefinition::UpdateBehavior::kLog;
  ASSERT_TRUE(store_->Update(crawler_).ok());
  Put("raw/2026/11/30/15/b", R"({"ozone":1.5,"site":"b","humidity":30})"
                             "\n");
  CrawlRun run = Crawl();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.schema_changes_logged, (std::vector<std::string>{"column ozone: bigint -> double",
                                                                 "column added: humidity bigint"}));
  EXPECT_TRUE(run.columns_added.empty());
  EXPECT_FALSE(run.schema_changed);
  // The schema stays; new partitions and counts are added all the same.
  Table t = GetTable();
  EXPECT_EQ(t.version, 1);
  EXPECT_EQ(t.columns, (std::vector<Column>{{"ozone", "bigint"}, {"site", "string"}}));
  EXPECT_EQ(t.record_count, 2);
  EXPECT_EQ(run.partitions_added, 1);
  EXPECT_EQ(ToJson(run)["schema_changes_logged"].size(), 2u);

  // Back to UPDATE_IN_DATABASE: the next change is applied (what the seen objects held
  // was taken in the run that logged it).
  crawler_.update_behavior = CrawlerDefinition::UpdateBehavior::kUpdateInDatabase;
  ASSERT_TRUE(store_->Update(crawler_).ok());
  Put("raw/2026/11/30/16/c", R"({"ozone":2,"wind":"n"})"
                             "\n");
  run = Crawl();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_TRUE(run.schema_changes_logged.empty());
  EXPECT_EQ(TypeOf(GetTable(), "wind"), "string");
  EXPECT_EQ(GetTable().version, 2);
}

TEST_F(CrawlerTest, MergeNewColumnsAddsColumnsAndKeepsTheExistingTypes) {
  Put("raw/2026/11/30/14/a", R"({"ozone":1,"site":"a"})"
                             "\n");
  ASSERT_EQ(Crawl().status, RunStatus::kSucceeded);
  crawler_.update_behavior = CrawlerDefinition::UpdateBehavior::kMergeNewColumns;
  ASSERT_TRUE(store_->Update(crawler_).ok());
  EXPECT_EQ(store_->Get("raw").value().update_behavior,
            CrawlerDefinition::UpdateBehavior::kMergeNewColumns);
  Put("raw/2026/11/30/15/b", R"({"ozone":1.5,"humidity":30,"site":"b"})"
                             "\n");
  CrawlRun run = Crawl();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.columns_added, (std::vector<std::string>{"humidity"}));
  EXPECT_EQ(run.schema_changes_logged,
            (std::vector<std::string>{"column ozone: bigint -> double"}));
  Table t = GetTable();
  EXPECT_EQ(t.columns,
            (std::vector<Column>{{"ozone", "bigint"}, {"site", "string"}, {"humidity", "bigint"}}));
  EXPECT_EQ(t.version, 2);
  EXPECT_EQ(t.record_count, 2);
  EXPECT_EQ(ParseUpdateBehavior("merge").value(),
            CrawlerDefinition::UpdateBehavior::kMergeNewColumns);
}

TEST_F(CrawlerTest, DeleteBehaviorLogAndDeprecateKeepWhatIsGone) {
  Put("raw/2026/11/30/14/a", std::string(kReading) + "\n");
  Put("raw/2026/11/30/15/b", std::string(kReading) + "\n" + kReading + "\n");
  ASSERT_EQ(Crawl().status, RunStatus::kSucceeded);
  crawler_.delete_behavior = CrawlerDefinition::DeleteBehavior::kLog;
  ASSERT_TRUE(store_->Update(crawler_).ok());
  ASSERT_TRUE(bucket_->Delete("raw/2026/11/30/14/a").ok());
  for (int i = 0; i < 2; ++i) {  // logged at every run: the object stays seen
    CrawlRun run = Crawl();
    ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
    EXPECT_EQ(run.objects_gone, 1);
    EXPECT_TRUE(run.gone_kept);
    EXPECT_EQ(run.partitions_removed, 0);
    EXPECT_EQ(run.records, 0);
    Table t = GetTable();
    EXPECT_EQ(t.record_count, 3);
    EXPECT_EQ(t.object_count, 2);
    EXPECT_EQ(catalog_->ListPartitions("iot", "raw").value().size(), 2u);
    EXPECT_EQ(t.parameters.count("DEPRECATED_BY_CRAWLER"), 0u);
  }

  // DEPRECATE_IN_DATABASE: the same, and a table whose every object is gone is marked.
  crawler_.delete_behavior = CrawlerDefinition::DeleteBehavior::kDeprecateInDatabase;
  ASSERT_TRUE(store_->Update(crawler_).ok());
  ASSERT_EQ(Crawl().status, RunStatus::kSucceeded);
  EXPECT_EQ(GetTable().parameters.count("DEPRECATED_BY_CRAWLER"), 0u);  // b is still there
  ASSERT_TRUE(bucket_->Delete("raw/2026/11/30/15/b").ok());
  CrawlRun run = Crawl();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.objects_gone, 2);
  Table t = GetTable();
  ASSERT_EQ(t.parameters.count("DEPRECATED_BY_CRAWLER"), 1u);
  EXPECT_GT(std::stoll(t.parameters["DEPRECATED_BY_CRAWLER"]), 1700000000000);
  EXPECT_EQ(t.record_count, 3);
  EXPECT_EQ(catalog_->ListPartitions("iot", "raw").value().size(), 2u);
  // Objects back: the mark goes.
  Put("raw/2026/11/30/16/c", std::string(kReading) + "\n");
  ASSERT_EQ(Crawl().status, RunStatus::kSucceeded);
  t = GetTable();
  EXPECT_EQ(t.parameters.count("DEPRECATED_BY_CRAWLER"), 0u);
  EXPECT_EQ(t.record_count, 4);
}

TEST_F(CrawlerTest, SchemaChangePolicyIsStoredAndNamedAsGlueNamesIt) {
  CrawlerDefinition c = crawler_;
  c.name = "logging";
  c.update_behavior = CrawlerDefinition::UpdateBehavior::kLog;
  c.delete_behavior = CrawlerDefinition::DeleteBehavior::kDeprecateInDatabase;
  ASSERT_TRUE(store_->Create(c).ok());
  CrawlerDefinition back = store_->Get("logging").value();
  EXPECT_EQ(back.update_behavior, CrawlerDefinition::UpdateBehavior::kLog);
  EXPECT_EQ(back.delete_behavior, CrawlerDefinition::DeleteBehavior::kDeprecateInDatabase);
  EXPECT_EQ(ToJson(back)["update_behavior"], "LOG");
  EXPECT_EQ(ToJson(back)["delete_behavior"], "DEPRECATE_IN_DATABASE");
  EXPECT_EQ(ToJson(store_->Get("raw").value())["delete_behavior"], "DELETE_FROM_DATABASE");
  EXPECT_EQ(ParseDeleteBehavior("log").value(), CrawlerDefinition::DeleteBehavior::kLog);
  EXPECT_EQ(ParseDeleteBehavior("delete").value(),
            CrawlerDefinition::DeleteBehavior::kDeleteFromDatabase);
  EXPECT_EQ(ParseUpdateBehavior("Update_In_Database").value(),
            CrawlerDefinition::UpdateBehavior::kUpdateInDatabase);
  EXPECT_EQ(
      ParseDeleteBehavior("drop").status().message(),
      "delete behavior 'drop' is not one of DELETE_FROM_DATABASE, DEPRECATE_IN_DATABASE, LOG (or "
      "delete, deprecate, log)");
  EXPECT_EQ(ParseUpdateBehavior("mix").status().message(),
            "update behavior 'mix' is not one of UPDATE_IN_DATABASE, MERGE_NEW_COLUMNS, LOG (or "
            "update, merge, log)");
}

TEST_F(CrawlerTest, RerunReadsOnlyNewObjectsAndVersionsTheSchema) {
  Put("raw/2026/11/30/14/a", std::string(kReading) + "\n");
  ASSERT_EQ(Crawl().status, RunStatus::kSucceeded);

  CrawlRun idle = Crawl();
  EXPECT_EQ(idle.objects_read, 0);
  EXPECT_EQ(GetTable().version, 1);

  // A new hour and a new field.
  Put("raw/2026/11/30/15/b", R"({"ozone":1.5,"humidity":30})"
                             "\n");
  CrawlRun run = Crawl();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.objects_listed, 2);
  EXPECT_EQ(run.objects_read, 1);
  EXPECT_EQ(run.records, 1);
  EXPECT_EQ(run.partitions_added, 1);
  EXPECT_TRUE(run.schema_changed);
  EXPECT_EQ(run.columns_added, std::vector<std::string>{"humidity"});
  Table t = GetTable();
  EXPECT_EQ(t.version, 2);
  EXPECT_EQ(TypeOf(t, "ozone"), "double");
  EXPECT_EQ(TypeOf(t, "humidity"), "bigint");
  EXPECT_EQ(TypeOf(t, "latitude"), "double");  // kept from the first run
  EXPECT_EQ(t.record_count, 2);
  auto versions = *catalog_->ListVersions("iot", "raw");
  ASSERT_EQ(versions.size(), 2u);
  Table first;
  first.columns = versions[0].columns;
  EXPECT_EQ(TypeOf(first, "ozone"), "bigint");
  EXPECT_EQ(versions[1].created_by, "crawler:raw");
  EXPECT_EQ(catalog_->ListPartitions("iot", "raw")->size(), 2u);

  // Same schema again: no new version, counts still add up.
  Put("raw/2026/11/30/15/c", R"({"ozone":3,"humidity":31})"
                             "\n");
  CrawlRun third = Crawl();
  EXPECT_EQ(third.objects_read, 1);
  EXPECT_FALSE(third.schema_changed);
  EXPECT_EQ(GetTable().version, 2);
  EXPECT_EQ(GetTable().record_count, 3);
  EXPECT_EQ(catalog_->ListPartitions("iot", "raw")->at(1).record_count, 2);
}

TEST_F(CrawlerTest, ChangedObjectIsReadAgainAndRecounted) {
  Put("raw/2026/11/30/14/a", std::string(kReading) + "\n");
  ASSERT_EQ(Crawl().status, RunStatus::kSucceeded);
  Put("raw/2026/11/30/14/a", std::string(kReading) + "\n" + kReading + "\n" + kReading + "\n");
  CrawlRun run = Crawl();
  EXPECT_EQ(run.objects_read, 1);
  EXPECT_EQ(GetTable().record_count, 3);
  EXPECT_EQ(catalog_->ListPartitions("iot", "raw")->at(0).record_count, 3);
}

// A table deleted (alone, or with its database) is made again from every object, not
// from the ones that came after it was gone.
TEST_F(CrawlerTest, ATableDeletedIsCrawledAgainWhole) {
  Put("raw/2026/11/30/14/a", std::string(kReading) + "\n" + kReading + "\n");
  ASSERT_EQ(Crawl().status, RunStatus::kSucceeded);
  ASSERT_TRUE(catalog_->DeleteDatabase("iot", /*cascade=*/true).ok());
  CrawlRun again = Crawl();
  ASSERT_EQ(again.status, RunStatus::kSucceeded) << again.message;
  EXPECT_EQ(again.objects_read, 1);
  EXPECT_EQ(GetTable().record_count, 2);
  ASSERT_TRUE(catalog_->DeleteTable("iot", "raw").ok());
  EXPECT_EQ(Crawl().objects_read, 1);
  EXPECT_EQ(GetTable().record_count, 2);
  EXPECT_EQ(catalog_->ListPartitions("iot", "raw")->size(), 1u);
}

// Update replaces the definition; a new source forgets the seen set, the same source keeps it.
TEST_F(CrawlerTest, UpdateReplacesTheDefinitionAndANewSourceIsReadWhole) {
  Put("raw/2026/11/30/14/a", std::string(kReading) + "\n");
  ASSERT_EQ(Crawl().status, RunStatus::kSucceeded);
  ASSERT_EQ(store_->SeenObjects("raw")->size(), 1u);
  CrawlerDefinition c = *store_->Get("raw");
  const int64_t created = c.created_ms;
  c.created_ms = created + 5;  // not what Update changes
  c.exclusions = {"**/skip*"};
  ASSERT_TRUE(store_->Update(c).ok());
  EXPECT_EQ(store_->Get("raw")->exclusions, c.exclusions);
  EXPECT_EQ(store_->SeenObjects("raw")->size(), 1u) << "the same source keeps what was read";
  c.source = *LakePath::Parse("s3://lake/elsewhere/");
  c.database = "other";
  ASSERT_TRUE(store_->Update(c).ok());
  CrawlerDefinition back = *store_->Get("raw");
  EXPECT_EQ(back.source.ToUri(), "s3://lake/elsewhere/");
  EXPECT_EQ(back.database, "other");
  EXPECT_EQ(back.created_ms, created);
  EXPECT_TRUE(store_->SeenObjects("raw")->empty()) << "a new source is read whole";
  c.name = "ghost";
  EXPECT_EQ(store_->Update(c).code(), ErrorCode::kNotFound);
  c.name = "raw";
  c.database = "Bad Name";
  EXPECT_EQ(store_->Update(c).code(), ErrorCode::kInvalidArgument);
}

TEST_F(CrawlerTest, BadRecordsAndConflictsAreReportedWithKeyAndLine) {
  Put("raw/x/a.json", "{\"v\":1}\n{\"v\": nope}\n{\"v\":\"text\"}\n42\n");
  Put("raw/x/b.gz", "not gzip at all");
  CrawlRun run = Crawl();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.records, 2);
  EXPECT_EQ(run.records_bad, 2);
  ASSERT_EQ(run.errors.size(), 3u);
  EXPECT_NE(run.errors[0].find("raw/x/a.json line 2"), std::string::npos) << run.errors[0];
  EXPECT_NE(run.errors[1].find("raw/x/a.json line 4"), std::string::npos) << run.errors[1];
  EXPECT_NE(run.errors[2].find("raw/x/b.gz"), std::string::npos) << run.errors[2];
  ASSERT_EQ(run.conflicts.size(), 1u);
  EXPECT_EQ(run.conflicts[0].column, "v");
  EXPECT_EQ(run.conflicts[0].where, "raw/x/a.json line 3");
  Table t = GetTable();
  EXPECT_EQ(TypeOf(t, "v"), "string");
  EXPECT_EQ(t.partition_keys, (std::vector<Column>{{"partition_0", "string"}}));
}

TEST_F(CrawlerTest, NumbersSimdjsonCannotReadKeepTheirRecords) {
  // Valid JSON a device may send: an integer beyond 64 bits (the nearest double) and a
  // number beyond a double's range (null), in a record of JSON Lines and a nested one;
  // a malformed number (1.) is still a bad record.
  Put("raw/x/a.json",
      "{\"id\":1,\"t\":21.5}\n{\"id\":18446744073709551616,\"t\":49E851}\n"
      "{\"id\":2,\"t\":22,\"pos\":{\"lat\":1e400}}\n{\"id\":3,\"t\":1.}\n");
  CrawlRun run = Crawl();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.records, 3);
  EXPECT_EQ(run.records_bad, 1);
  ASSERT_EQ(run.errors.size(), 1u);
  EXPECT_NE(run.errors[0].find("raw/x/a.json line 4"), std::string::npos) << run.errors[0];
  Table t = GetTable();
  EXPECT_EQ(TypeOf(t, "t"), "double");
  EXPECT_EQ(TypeOf(t, "id"), "double");  // 1.8446744073709552e+19 is one

  auto reader = TableReader::Open(t, provider_.get());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto objects = reader->List({});
  ASSERT_TRUE(objects.ok());
  ASSERT_EQ(objects->size(), 1u);
  std::vector<std::string> read, bad;
  simdjson::dom::parser parser;
  ASSERT_TRUE(reader
                  ->Read((*objects)[0], &parser,
                         [&](const TableRecord& r) {
                           read.push_back(simdjson::minify(r.value));
                           return true;
                         },
                         [&](const TableRecord& r, const std::string& why) {
                           bad.push_back(std::to_string(r.line) + ": " + why);
                           return true;
                         })
                  .ok());
  EXPECT_EQ(read, (std::vector<std::string>{R"({"id":1,"t":21.5})",
                                            R"({"id":1.8446744073709552e+19,"t":null})",
                                            R"({"id":2,"t":22,"pos":{"lat":null}})"}));
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0], "4: not valid JSON: Problem while parsing a number");
}

TEST_F(CrawlerTest, ObjectsWithAnotherLayoutAreSkippedAndNamed) {
  Put("raw/2026/11/30/14/a", std::string(kReading) + "\n");
  Put("raw/stray.json", std::string(kReading) + "\n");
  CrawlRun run = Crawl();
  EXPECT_EQ(run.records, 1);
  ASSERT_EQ(run.errors.size(), 1u);
  EXPECT_NE(run.errors[0].find("raw/stray.json"), std::string::npos) << run.errors[0];
}

TEST_F(CrawlerTest, ManagerRunsOnAWorkerAndRecordsTheRun) {
  Put("raw/2026/11/30/14/a", std::string(kReading) + "\n");
  auto manager = CrawlerManager::Open(db_.get(), catalog_.get(), provider_.get());
  ASSERT_TRUE(manager.ok());
  auto id = (*manager)->Start("raw");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  (*manager)->WaitIdle();
  auto run = (*manager)->GetRun("raw", *id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kSucceeded) << run->message;
  EXPECT_EQ(run->records, 1);
  EXPECT_GT(run->finished_ms, 0);
  EXPECT_EQ((*manager)->ListRuns("raw")->size(), 1u);
  EXPECT_EQ((*manager)->Start("nope").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ((*manager)->Stop("raw").code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ((*manager)->Stop("nope").code(), ErrorCode::kNotFound);
}

TEST_F(CrawlerTest, CancelledRunWritesNothing) {
  Put("raw/2026/11/30/14/a", std::string(kReading) + "\n");
  std::atomic<bool> cancel{true};
  CrawlRun run;
  run.crawler = "raw";
  CrawlContext ctx{bucket_.get(), catalog_.get(), store_.get(), &cancel, nullptr};
  CrawlRun out = RunCrawl(crawler_, run, ctx);
  EXPECT_EQ(out.status, RunStatus::kCancelled);
  EXPECT_EQ(catalog_->GetTable("iot", "raw").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store_->SeenObjects("raw")->empty());
}

}  // namespace
}  // namespace tributary::lake
