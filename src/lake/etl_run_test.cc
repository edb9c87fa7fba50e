// Whole ETL runs over a local lake: Hive partitions, rejects in the error prefix, the
// catalog, bookmarks, dedupe history, a failed commit leaving nothing visible, recovery
// after a crash while committing, explode and mappings. What the runs read (exclusions,
// Parquet sources, objects larger than a read) is etl_run_sources_test.cc.
#include "lake/etl_run.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "base/fault_points.h"
#include "base/testing/temp_dir.h"
#include "lake/crawler.h"
#include "lake/etl_job.h"
#include "lake/etl_pipeline.h"
#include "lake/etl_run_fixture.h"
#include "lake/etl_test_job.h"
#include "lake/job_manager.h"
#include "lake/job_store.h"
#include "lake/table_reader.h"
#include "metadata/testing/test_database.h"
#include "objstore/local_object_store.h"
#include "parquet/file_reader.h"
#include "parquet/render.h"
#include "streams/gzip.h"

namespace tributary::lake {
namespace {

using etl_run_testing::EtlRunTest;
using nlohmann::json;
using testing::BaseJob;

TEST_F(EtlRunTest, WritesHivePartitionsRejectsToTheErrorPrefixAndRegistersTheTable) {
  Put("2026/11/30/14/a.json", Reading(1, 10) + Reading(2, 20) + Reading(2, 20) + Reading(3, -4) +
                                  "{\"id\": 4, \"ozone\": 5, \"pos\": {\"lat\": \"x\"}}\n");
  Put("2026/12/01/00/b.json.gz",
      streams::GzipCompress(Reading(5, 50) + "{not json}\n" + Reading(6, 60)).value());
  Crawl();
  CreateJob(BaseJob());
  JobRun run = RunOnce();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.objects_read, 2);
  EXPECT_EQ(run.rows_read, 8);
  EXPECT_EQ(run.rows_written, 4);
  EXPECT_EQ(run.rows_duplicate, 1);
  EXPECT_EQ(run.rows_filtered, 1);
  EXPECT_EQ(run.rows_rejected, 2);
  EXPECT_EQ(run.partitions, 2);
  EXPECT_GT(run.bytes_written, 0);
  EXPECT_EQ(TargetRows(),
            (std::vector<std::string>{"1:10:year=2026/month=11", "2:20:year=2026/month=11",
                                      "5:50:year=2026/month=12", "6:60:year=2026/month=12"}));
  std::vector<std::string> errors = ErrorLines();
  ASSERT_EQ(errors.size(), 2u);
  std::string all = errors[0] + errors[1];
  EXPECT_NE(all.find("pos.lat: cannot convert string \\\"x\\\" to double"), std::string::npos)
      << all;
  EXPECT_NE(all.find("not valid JSON"), std::string::npos) << all;
  EXPECT_NE(all.find("\"object\":\"2026/12/01/00/b.json.gz\""), std::string::npos) << all;
  EXPECT_EQ(run.error_prefix, "curated/pollution_errors/run=" + std::to_string(run.id) + "/");

  Table t = catalog_->GetTable("iot", "pollution").value();
  EXPECT_EQ(t.format, DataFormat::kParquet);
  EXPECT_EQ(t.location.ToString(), "curated/pollution/");
  EXPECT_EQ(t.record_count, 4);
  std::vector<std::string> cols;
  for (const auto& c : t.columns) cols.push_back(c.name + " " + c.type);
  EXPECT_EQ(cols, (std::vector<std::string>{"id bigint", "ozone double", "lat double",
                                            "ts timestamp", "hour bigint"}));
  ASSERT_EQ(t.partition_keys.size(), 2u);
  EXPECT_EQ(t.partition_keys[1].name, "month");
  auto parts = catalog_->ListPartitions("iot", "pollution").value();
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].values, (std::vector<std::string>{"2026", "11"}));
  EXPECT_EQ(parts[0].record_count, 2);
  EXPECT_EQ(parts[1].location.ToString(), "curated/pollution/year=2026/month=12/");
  EXPECT_EQ(jobs_->ListRuns("curate").value()[0].status, RunStatus::kSucceeded);
}

// A worker thread the system refuses (the server at its limit of threads) leaves fewer
// workers, not a failed run: the run's own thread takes every object.
TEST_F(EtlRunTest, WorkersTheSystemRefusesLeaveTheRunToTheOthers) {
  for (int i = 0; i < 4; ++i) Put("2026/11/1" + std::to_string(i) + "/00/o.json", Reading(i, i));
  Crawl();
  CreateJob(BaseJob());
  run_workers_ = 3;
  testing_support::ArmFault("thread.start:etl-worker-1", EAGAIN);
  JobRun run = RunOnce();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.objects_read, 4);
  EXPECT_EQ(run.rows_written, 4);
  EXPECT_EQ(TargetRows().size(), 4u);
}

TEST_F(EtlRunTest, ADecimalTargetIsAParquetDecimalAndCatalogedWithItsDigits) {
  Put("2026/11/30/14/a.json", Reading(1, 10) + Reading(2, 12345) + Reading(3, 20));
  Crawl();
  json job = BaseJob();
  job["transforms"][0]["apply_mapping"][1][3] = "DECIMAL(6,2)";  // at most 9999.99
  job["transforms"][0]["apply_mapping"][2][3] = "decimal(38,10)";
  job["transforms"][2]["derive"]["half"] = json{{"expression", "ozone / 3.0"}, {"type", "decimal(5,1)"}};
  job["transforms"][2]["derive"]["same"] = "ozone";  // a decimal named alone keeps its digits
  CreateJob(job);
  JobRun run = RunOnce();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.rows_written, 2);
  EXPECT_EQ(run.rows_rejected, 1);
  std::vector<std::string> errors = ErrorLines();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("number 12345 does not fit decimal(6,2)"), std::string::npos) << errors[0];

  std::vector<std::string> rows;
  auto bucket = *local_->Bucket("curated");
  auto listing = bucket->List("pollution/").value();
  for (const auto& o : listing.objects) {
    if (!o.key.ends_with(".parquet")) continue;
    auto reader = parquet::ParquetReader::Open(dir_.path() + "/lake/curated/" + o.key).value();
    const parquet::Schema& schema = reader->schema();
    const parquet::Column& ozone = schema.columns[schema.Find("ozone")];
    EXPECT_EQ(ozone.TypeText(), "decimal(6,2)");
    EXPECT_EQ(reader->metadata().schema[schema.Find("ozone") + 1].type, parquet::PhysicalType::kInt32);
    EXPECT_EQ(schema.columns[schema.Find("lat")].TypeText(), "decimal(38,10)");
    EXPECT_EQ(schema.columns[schema.Find("same")].TypeText(), "decimal(6,2)");
    for (int rg = 0; rg < reader->num_row_groups(); ++rg) {
      auto b = reader->ReadRowGroup(rg, {schema.Find("id"), schema.Find("ozone"), schema.Find("lat"),
                                         schema.Find("half"), schema.Find("same")})
                   .value();
      for (int64_t r = 0; r < b.num_rows; ++r) {
        std::string line;
        parquet::AppendJsonRow(b, r, &line);
        rows.push_back(line);
      }
    }
  }
  std::sort(rows.begin(), rows.end());
  EXPECT_EQ(rows, (std::vector<std::string>{
                      R"({"id":1,"ozone":10.00,"lat":56.2500000000,"half":3.3,"same":10.00})",
                      R"({"id":3,"ozone":20.00,"lat":56.2500000000,"half":6.7,"same":20.00})"}));
  Table t = catalog_->GetTable("iot", "pollution").value();
  std::vector<std::string> cols;
  for (const auto& c : t.columns) cols.push_back(c.name + " " + c.type);
  EXPECT_EQ(cols, (std::vector<std::string>{"id bigint", "ozone decimal(6,2)", "lat decimal(38,10)",
                                            "ts timestamp", "half decimal(5,1)", "hour bigint",
                                            "same decimal(6,2)"}));
}

// A struct, array or map target is a nested Parquet column, cataloged with its Hive type:
// "struct" alone takes the source's type, a full type is checked value by value (a value
// that does not fit is rejected with the member named), and expressions reach into it.
TEST_F(EtlRunTest, StructArrayAndMapTargetsAreNestedParquetColumns) {
  auto reading = [](int id, const json& tags, const json& pos) {
    return json{{"id", id}, {"pos", pos}, {"tags", tags}, {"timestamp", "2026-11-30T14:02:11Z"}}
               .dump() +
           "\n";
  };
  Put("2026/11/30/14/a.json", reading(1, {3, 4}, {{"lat", 56.25}, {"lon", 2.5}}) +
                                  reading(2, {"x"}, {{"lat", 57.0}, {"lon", 1.0}}) +
                                  reading(3, json::array(), {{"lat", 10.0}, {"lon", 0.0}}) +
                                  reading(4, nullptr, {{"lat", 58.5}}));
  Crawl();
  json job = json::parse(R"json({
    "source": {"database": "iot", "table": "raw"},
    "transforms": [
      {"apply_mapping": [["id", "bigint", "id", "bigint"],
                         ["pos", "struct", "pos", "struct"],
                         ["tags", "array", "tags", "array<bigint>"],
                         ["pos", "struct", "where", "map<string,double>"]]},
      {"filter": "pos.lat > 50"}],
    "target": {"path": "curated/pollution/", "database": "iot", "table": "pollution"}})json");
  CreateJob(job);
  JobRun run = RunOnce();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.rows_written, 2);   // 1 and 4; 3 is filtered out by pos.lat
  EXPECT_EQ(run.rows_rejected, 1);  // 2: a tag that is not a bigint
  std::vector<std::string> errors = ErrorLines();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("tags: element 0: expected int64, got string"), std::string::npos)
      << errors[0];

  std::vector<std::string> rows = TargetJsonRows(
      "id:int64?,pos:struct<lat:double,lon:double>?,tags:list<int64>?,where:map<string,double>?");
  EXPECT_EQ(
      rows,
      (std::vector<std::string>{
          R"({"id":1,"pos":{"lat":56.25,"lon":2.5},"tags":[3,4],"where":{"lat":56.25,"lon":2.5}})",
          R"({"id":4,"pos":{"lat":58.5,"lon":null},"tags":null,"where":{"lat":58.5}})"}));
  Table t = catalog_->GetTable("iot", "pollution").value();
  std::vector<std::string> cols;
  for (const auto& c : t.columns) cols.push_back(c.name + " " + c.type);
  EXPECT_EQ(cols, (std::vector<std::string>{"id bigint", "pos struct<lat:double,lon:double>",
                                            "tags array<bigint>", "where map<string,double>"}));

  // "struct" alone for what is not a struct is refused when the job runs, naming it.
  job["transforms"][0]["apply_mapping"][2] = json::array({"tags", "array", "tags", "struct"});
  CreateJob(job);
  JobRun refused = RunOnce();
  EXPECT_EQ(refused.status, RunStatus::kFailed);
  EXPECT_NE(refused.message.find("apply_mapping[2][3]: target type 'struct', but tags is array<"),
            std::string::npos)
      << refused.message;
}

// Glue Studio's order Filter -> Derived column -> Change Schema: an apply_mapping after
// other transforms renames and casts the columns so far, reads into a derived struct, and
// its columns are what is written, partitioned and cataloged.
TEST_F(EtlRunTest, AnApplyMappingAfterAFilterAndADeriveShapesTheOutput) {
  Put("2026/11/30/14/a.json",
      "{\"id\": 1, \"ozone\": 30, \"timestamp\": \"2026-11-30T14:02:11Z\"}\n"
      "{\"id\": 2, \"ozone\": -1, \"timestamp\": \"2026-11-30T14:03:00Z\"}\n"
      "{\"id\": 3, \"ozone\": 45, \"timestamp\": \"2026-11-30T15:00:00Z\"}\n");
  Crawl();
  json job = json::parse(R"json({
    "source": {"database": "iot", "table": "raw"},
    "transforms": [
      {"filter": "ozone >= 0"},
      {"derive": {"reading": "{'level': ozone / 10, 'at': timestamp}"}},
      {"apply_mapping": [["id", "bigint", "device", "string"],
                         ["ozone", "bigint", "ozone", "double"],
                         ["reading.level", "double", "level", "int"],
                         ["reading.at", "timestamp", "day", "date"],
                         ["reading", "struct", "reading", "struct"]]}],
    "target": {"path": "curated/pollution/", "partition_keys": ["day"], "database": "iot",
               "table": "pollution"}})json");
  CreateJob(job);
  JobRun run = RunOnce();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.rows_written, 2);
  EXPECT_EQ(run.rows_rejected, 0);

  std::vector<std::string> rows = TargetJsonRows(
      "device:string?,ozone:double?,level:int32?,reading:struct<level:double,at:timestamp>?",
      "pollution/day=2026-11-30/");
  EXPECT_EQ(
      rows,
      (std::vector<std::string>{
          R"({"device":"1","ozone":30,"level":3,"reading":{"level":3,"at":"2026-11-30T14:02:11.000000Z"}})",
          R"({"device":"3","ozone":45,"level":4,"reading":{"level":4,"at":"2026-11-30T15:00:00.000000Z"}})"}));
  Table t = catalog_->GetTable("iot", "pollution").value();
  std::vector<std::string> cols;
  for (const auto& c : t.columns) cols.push_back(c.name + " " + c.type);
  EXPECT_EQ(cols, (std::vector<std::string>{"device string", "ozone double", "level int",
                                            "reading struct<level:double,at:timestamp>"}));
  ASSERT_EQ(t.partition_keys.size(), 1u);
  EXPECT_EQ(t.partition_keys[0].name, "day");
}

TEST_F(EtlRunTest, BookmarksProcessOnlyNewObjects) {
  Put("2026/11/30/14/a.json", Reading(1, 10));
  Crawl();
  CreateJob(BaseJob());
  ASSERT_EQ(RunOnce().rows_written, 1);
  JobRun again = RunOnce();
  EXPECT_EQ(again.status, RunStatus::kSucceeded);
  EXPECT_EQ(again.objects_total, 0);
  EXPECT_EQ(again.rows_read, 0);
  Put("2026/11/30/15/b.json", Reading(2, 20));
  JobRun third = RunOnce();
  EXPECT_EQ(third.objects_read, 1);
  EXPECT_EQ(third.rows_written, 1);
  EXPECT_EQ(TargetRows(),
            (std::vector<std::string>{"1:10:year=2026/month=11", "2:20:year=2026/month=11"}));
  EXPECT_EQ(catalog_->GetTable("iot", "pollution").value().record_count, 2);
  EXPECT_EQ(catalog_->GetPartition("iot", "pollution", {"2026", "11"}).value().record_count, 2);
  // An object rewritten in place is processed again.
  Put("2026/11/30/15/b.json", Reading(3, 30) + Reading(4, 40));
  EXPECT_EQ(RunOnce().rows_written, 2);
}

TEST_F(EtlRunTest, AFailedCommitLeavesNoOutputAndTheBookmarkUnchanged) {
  for (int i = 0; i < 6; ++i)
    Put("2026/11/" + std::to_string(10 + i) + "/00/o.json", Reading(i, i));
  Put("2026/11/20/00/bad.json", "{\"id\": 99, \"ozone\": \"high\"}\n");
  Crawl();
  json doc = BaseJob();
  doc["transforms"].push_back(json{{"derive", {{"day", "day(ts)"}}}});
  doc["target"]["partition_keys"] = json::array({"year", "month", "day"});
  // One worker: its files are uploaded in the order of the objects (days 10 to 15), so
  // the failing day comes after others went in. With several, a worker whose first file
  // is day 15 may be uploaded first, and the failure would come before any write.
  run_workers_ = 1;
  CreateJob(doc);
  for (int i = 0; i < 6; ++i)
    Put("2026/11/" + std::to_string(10 + i) + "/00/o.json",
        Reading(i, i, "2026-11-" + std::to_string(10 + i) + "T00:00:00Z"));
  provider_->fail_on = "day=15";  // the upload of one partition fails after others went in
  JobRun failed = RunOnce();
  EXPECT_GT(provider_->writes, 0)
      << "nothing was uploaded before the failure: the test proves less than it says";
  ASSERT_EQ(failed.status, RunStatus::kFailed);
  EXPECT_NE(failed.message.find("injected failure writing pollution/year=2026/month=11/day=15/"),
            std::string::npos)
      << failed.message;
  std::vector<std::string> keys;
  EXPECT_TRUE(TargetRows(&keys).empty());
  EXPECT_TRUE(keys.empty()) << keys[0];
  EXPECT_TRUE(ErrorLines().empty());
  EXPECT_FALSE(catalog_->GetTable("iot", "pollution").ok());
  EXPECT_TRUE(jobs_->Bookmark("curate").value().empty());
  EXPECT_EQ(jobs_->ListRuns("curate").value()[0].status, RunStatus::kFailed);

  provider_->fail_on = "";
  JobRun ok = RunOnce();
  ASSERT_EQ(ok.status, RunStatus::kSucceeded) << ok.message;
  EXPECT_EQ(ok.objects_read, 7);
  EXPECT_EQ(ok.rows_written, 6);
  EXPECT_EQ(ok.rows_rejected, 1);
  EXPECT_EQ(TargetRows().size(), 6u);
  EXPECT_EQ(ErrorLines().size(), 1u);
  EXPECT_EQ(jobs_->Bookmark("curate").value().size(), 7u);
}

TEST_F(EtlRunTest, DedupeKeysLastAcrossRunsAndOnlyASucceededRunAddsThem) {
  Put("2026/11/30/14/a.json", Reading(1, 10) + Reading(2, 20));
  Crawl();
  CreateJob(BaseJob());
  JobRun first = RunOnce();
  ASSERT_EQ(first.status, RunStatus::kSucceeded) << first.message;
  EXPECT_EQ(first.rows_written, 2);
  EXPECT_EQ(jobs_->DedupeHistory("curate").value().size(), 2u);

  // Record 2 is re-sent after a crash; this run fails at commit: no key of it is kept.
  Put("2026/11/30/15/b.json", Reading(2, 20) + Reading(3, 30));
  provider_->fail_on = "pollution/";
  JobRun failed = RunOnce();
  ASSERT_EQ(failed.status, RunStatus::kFailed);
  EXPECT_EQ(failed.rows_duplicate, 1);
  EXPECT_EQ(failed.rows_written, 1);
  std::vector<uint64_t> history = jobs_->DedupeHistory("curate").value();
  EXPECT_EQ(history.size(), 2u);

  provider_->fail_on = "";
  Put("2026/11/30/16/c.json", Reading(1, 10) + Reading(3, 30) + Reading(4, 40));
  JobRun second = RunOnce();
  ASSERT_EQ(second.status, RunStatus::kSucceeded) << second.message;
  EXPECT_EQ(second.objects_read, 2);
  EXPECT_EQ(second.rows_read, 5);
  EXPECT_EQ(second.rows_written, 2) << "only 3 and 4 are new";
  EXPECT_EQ(second.rows_duplicate, 3) << "1 and 2 from the first run, 3 twice in this one";
  EXPECT_EQ(TargetRows(), (std::vector<std::string>{"1:10:year=2026/month=11", "2:20:year=2026/month=11",
                                                    "3:30:year=2026/month=11", "4:40:year=2026/month=11"}));
  EXPECT_EQ(jobs_->DedupeHistory("curate").value().size(), 4u);

  // Resetting the bookmark forgets the keys too: everything is read and written again.
  ASSERT_TRUE(jobs_->ResetBookmark("curate").ok());
  EXPECT_TRUE(jobs_->DedupeHistory("curate").value().empty());
  EXPECT_EQ(RunOnce().rows_written, 4);
}

TEST_F(EtlRunTest, DedupeHistoryKeepsTheNewestRunsWithinItsBound) {
  CreateJob(BaseJob());
  auto commit = [&](int64_t id, std::vector<uint64_t> keys) {
    JobRun run;
    run.id = id;
    run.job = "curate";
    run.status = RunStatus::kSucceeded;
    ASSERT_TRUE(jobs_->CommitRun(run, {}, keys, /*history_keys=*/4).ok());
  };
  auto sorted = [&] {
    std::vector<uint64_t> h = jobs_->DedupeHistory("curate").value();
    std::sort(h.begin(), h.end());
    return h;
  };
  commit(1, {1, 2, 3});
  commit(2, {4});
  EXPECT_EQ(sorted(), (std::vector<uint64_t>{1, 2, 3, 4}));
  commit(3, {5, 6});  // 2 + 1 + 3 > 4: run 1's keys go
  EXPECT_EQ(sorted(), (std::vector<uint64_t>{4, 5, 6}));
  commit(4, {7, 8, 9, 10, 11});  // alone over the bound: it stays, the rest goes
  EXPECT_EQ(sorted(), (std::vector<uint64_t>{7, 8, 9, 10, 11}));
  commit(5, {});  // a run without keys changes nothing
  EXPECT_EQ(sorted().size(), 5u);
  ASSERT_TRUE(jobs_->Delete("curate").ok());
  EXPECT_TRUE(jobs_->DedupeHistory("curate").value().empty());
}

TEST_F(EtlRunTest, ACrashWhileCommittingIsRolledBackAtTheNextStart) {
  ASSERT_TRUE((*local_->Bucket("curated"))
                  ->Put("pollution/year=2026/month=11/part-00001-0-0.parquet", "PAR1")
                  .ok());
  JobRun run;
  run.job = "curate";
  run.phase = "committing";
  run.committing = {"curated/pollution/year=2026/month=11/part-00001-0-0.parquet"};
  CreateJob(BaseJob());
  run.id = jobs_->InsertRun(run).value();
  ASSERT_TRUE(RecoverAbandonedRuns(jobs_.get(), local_.get()).ok());
  std::vector<std::string> keys;
  TargetRows(&keys);
  EXPECT_TRUE(keys.empty());
  JobRun after = jobs_->GetRun("curate", run.id).value();
  EXPECT_EQ(after.status, RunStatus::kFailed);
  EXPECT_NE(after.message.find("1 partly committed objects were removed"), std::string::npos)
      << after.message;
}

TEST_F(EtlRunTest, DropNullFieldsRemovesColumnsThatStayedNull) {
  Put("2026/11/30/14/a.json", "{\"id\": 1, \"ozone\": 3}\n{\"id\": 2, \"ozone\": 4}\n");
  Crawl();
  json doc = BaseJob();
  doc["transforms"].push_back("drop_null_fields");
  CreateJob(doc);
  JobRun run = RunOnce();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.dropped_columns, (std::vector<std::string>{"hour", "lat", "ts"}));
  EXPECT_EQ(TargetRows().size(), 2u);
  auto bucket = *local_->Bucket("curated");
  auto listing = bucket->List("pollution/").value();
  ASSERT_FALSE(listing.objects.empty());
  auto reader =
      parquet::ParquetReader::Open(dir_.path() + "/lake/curated/" + listing.objects[0].key).value();
  EXPECT_EQ(reader->schema().ToString(), "id:int64?,ozone:double?");
  Table t = catalog_->GetTable("iot", "pollution").value();
  EXPECT_EQ(t.columns.size(), 2u);
}

TEST_F(EtlRunTest, ExplodeMakesARowOfEachElementOfABatchedReading) {
  // A device that batches its readings: one message, several readings.
  Put("2026/11/30/14/a.json",
      R"({"device": "s1", "readings": [{"id": 1, "ozone": 3}, {"id": 2, "ozone": -1}, {"id": 3, "ozone": 5}]})" "\n"
      R"({"device": "s2", "readings": []})" "\n"
      R"({"device": "s3"})" "\n"
      R"({"device": "s4", "readings": [{"id": 4, "ozone": "high"}]})" "\n");
  Crawl();
  json doc = BaseJob();
  doc["transforms"] = json::parse(R"([
      {"explode": {"field": "readings", "as": "r"}},
      {"apply_mapping": [["r.id", "bigint", "id", "bigint"], ["r.ozone", "bigint", "ozone", "double"],
                         ["device", "string", "device", "string"],
                         ["year", "string", "year", "string"], ["month", "string", "month", "string"]]},
      {"filter": "ozone >= 0"}])");
  CreateJob(doc);
  JobRun run = RunOnce();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(TargetRows(), (std::vector<std::string>{"1:3:year=2026/month=11", "3:5:year=2026/month=11"}));
  EXPECT_EQ(run.rows_read, 4);
  EXPECT_EQ(run.rows_written, 2);
  // -1 by the filter, the empty and the missing array each: filtered; "high": rejected.
  EXPECT_EQ(run.rows_filtered, 3);
  EXPECT_EQ(run.rows_rejected, 1);
  ASSERT_EQ(ErrorLines().size(), 1u);
  EXPECT_NE(ErrorLines()[0].find("ozone"), std::string::npos) << ErrorLines()[0];

  // A column that is not an array is refused by name.
  doc["transforms"] = json::parse(R"([{"explode": "device"}])");
  CreateJob(doc);
  run = RunOnce();
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_NE(run.message.find("$.transforms[0].explode: column 'device' is string, not an array"), std::string::npos)
      << run.message;
}

TEST_F(EtlRunTest, ExplodeWithoutAMappingGivesTheElementColumnTheElementsType) {
  Put("2026/11/30/14/a.json", R"({"device": "s1", "readings": [{"id": 1}, {"id": 2}], "levels": [1.5, 2.5]})" "\n");
  Crawl();
  json doc = BaseJob();
  // The element is the column `as` names (here the array's own name), typed as the
  // array's elements (a struct here, a nested column); other arrays stay arrays.
  doc["transforms"] = json::parse(R"([{"explode": "readings"}])");
  doc["target"]["path"] = "curated/exploded/";
  doc["target"]["table"] = "exploded";
  doc["target"]["partition_keys"] = json::array();
  CreateJob(doc);
  JobRun run = RunOnce();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.rows_written, 2);
  Table t = catalog_->GetTable("iot", "exploded").value();
  std::vector<std::string> names;
  for (const Column& c : t.columns) names.push_back(c.name + ":" + c.type);
  EXPECT_NE(std::find(names.begin(), names.end(), "readings:struct<id:bigint>"), names.end())
      << ::testing::PrintToString(names);
  EXPECT_NE(std::find(names.begin(), names.end(), "device:string"), names.end()) << ::testing::PrintToString(names);
  EXPECT_NE(std::find(names.begin(), names.end(), "levels:array<double>"), names.end())
      << ::testing::PrintToString(names);
}

TEST_F(EtlRunTest, ExplodeReachesIntoStructsAndMapsAndKeepsEmptyRecordsWithIncludeNulls) {
  Put("2026/11/30/14/a.json",
      R"({"device": "s1", "batch": {"seq": 1, "readings": [{"id": 1, "ozone": 3}, {"id": 2, "ozone": 4}]},)"
      R"( "sensors": {"a": 1.5, "b": 2.5}})"
      "\n"
      R"({"device": "s2", "batch": {"seq": 2, "readings": []}, "sensors": {}})"
      "\n"
      R"({"device": "s3"})"
      "\n");
  Crawl();
  // Every row of the target table, as the lake's readers see it.
  auto target_rows = [&](const std::string& name) {
    Table t = catalog_->GetTable("iot", name).value();
    auto reader = TableReader::Open(t, provider_.get()).value();
    std::vector<std::string> rows;
    simdjson::dom::parser parser;
    std::vector<TableObject> objects = reader.List({}).value();
    for (const TableObject& o : objects) {
      EXPECT_TRUE(reader
                      .Read(
                          o, &parser,
                          [&](const TableRecord& r) {
                            rows.emplace_back(r.text);
                            return true;
                          },
                          [](const TableRecord&, const std::string&) { return false; })
                      .ok());
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  };
  json doc = BaseJob();
  doc["transforms"] = json::parse(
      R"([{"explode": {"field": "batch.readings", "as": "r", "include_nulls": true}}])");
  doc["target"]["path"] = "curated/readings/";
  doc["target"]["table"] = "readings";
  doc["target"]["partition_keys"] = json::array();
  CreateJob(doc);
  JobRun run = RunOnce();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.rows_read, 3);
  EXPECT_EQ(run.rows_written, 4);
  EXPECT_EQ(run.rows_filtered, 0);
  Table t = catalog_->GetTable("iot", "readings").value();
  std::vector<std::string> columns;
  for (const Column& c : t.columns) columns.push_back(c.name + ":" + c.type);
  EXPECT_EQ(columns, (std::vector<std::string>{"device:string", "batch:struct<seq:bigint>",
                                               "sensors:struct<a:double,b:double>",
                                               "r:struct<id:bigint,ozone:bigint>", "year:string",
                                               "month:string", "day:string", "hour:string"}));
  std::vector<std::string> rows = target_rows("readings");
  ASSERT_EQ(rows.size(), 4u) << ::testing::PrintToString(rows);
  EXPECT_NE(rows[0].find(R"("device":"s1","batch":{"seq":1},)"), std::string::npos) << rows[0];
  EXPECT_NE(rows[0].find(R"("r":{"id":1,"ozone":3})"), std::string::npos) << rows[0];
  EXPECT_NE(rows[1].find(R"("r":{"id":2,"ozone":4})"), std::string::npos) << rows[1];
  EXPECT_NE(rows[2].find(R"("device":"s2","batch":{"seq":2},)"), std::string::npos) << rows[2];
  EXPECT_NE(rows[2].find(R"("r":null)"), std::string::npos) << rows[2];
  EXPECT_NE(rows[3].find(R"("device":"s3","batch":null,)"), std::string::npos) << rows[3];
  EXPECT_NE(rows[3].find(R"("r":null)"), std::string::npos) << rows[3];

  // A map column (declared so in the catalog): a row per entry, its key and value.
  Table raw = catalog_->GetTable("iot", "raw").value();
  TableInput in;
  in.columns = raw.columns;
  for (Column& c : in.columns) {
    if (c.name == "sensors") c.type = "map<string,double>";
  }
  in.partition_keys = raw.partition_keys;
  in.location = raw.location;
  in.format = raw.format;
  in.parameters = raw.parameters;
  ASSERT_TRUE(catalog_->UpsertTable("iot", "raw", in).ok());
  doc["transforms"] = json::parse(R"([{"explode": {"field": "sensors", "as": "s"}},
      {"apply_mapping": [["device", "string", "device", "string"], ["s.key", "string", "sensor", "string"],
                         ["s.value", "double", "value", "double"]]},
      {"derive": {"entry": "{'k': sensor, 'v': [value, value * 2]}"}}])");
  doc["target"]["path"] = "curated/sensors/";
  doc["target"]["table"] = "sensors";
  CreateJob(doc);
  ASSERT_TRUE(jobs_->ResetBookmark("curate").ok());
  run = RunOnce();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.rows_written, 2);
  EXPECT_EQ(run.rows_filtered, 2);  // s2's empty map, s3 without one
  EXPECT_EQ(target_rows("sensors"),
            (std::vector<std::string>{
                R"({"device":"s1","sensor":"a","value":1.5,"entry":{"k":"a","v":[1.5,3]}})",
                R"({"device":"s1","sensor":"b","value":2.5,"entry":{"k":"b","v":[2.5,5]}})"}));
  // A derived struct is a nested column, cataloged with its type.
  EXPECT_EQ(catalog_->GetTable("iot", "sensors").value().columns.back().type,
            "struct<k:string,v:array<double>>");
}

TEST_F(EtlRunTest, ManagerRunsOnAWorkerAndRecordsRuns) {
  Put("2026/11/30/14/a.json", Reading(1, 10));
  Crawl();
  auto manager =
      JobManager::Open(db_.get(), catalog_.get(), local_.get(), dir_.path() + "/scratch-m").value();
  ASSERT_TRUE(manager->Create("curate", BaseJob()).ok());
  EXPECT_EQ(manager->Create("curate", BaseJob()).code(), ErrorCode::kAlreadyExists);
  int64_t id = manager->Start("curate").value();
  manager->WaitIdle();
  JobRun run = manager->GetRun("curate", id).value();
  EXPECT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.rows_written, 1);
  EXPECT_EQ(manager->ListRuns("curate").value().size(), 1u);
  EXPECT_EQ(manager->Start("nope").status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(manager->Delete("curate").ok());
  EXPECT_EQ(manager->Get("curate").status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace tributary::lake
