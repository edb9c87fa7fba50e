// Whole ETL runs over a local lake, on what they read: objects the table's exclusions
// leave out, objects off the table's partition layout, a Parquet table as the source, objects
// larger than one read, an object replaced while it is read in pieces.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "lake/etl_run_fixture.h"

namespace tributary::lake {
namespace {

using etl_run_testing::EtlRunTest;
using nlohmann::json;
using testing::BaseJob;

TEST_F(EtlRunTest, TheTablesExclusionsAreLeftOutAsTheCrawlerLeftThemOut) {
  crawler_.exclusions = {"deepar/**"};
  Put("2026/11/30/14/a.json", Reading(1, 10));
  Put("deepar/train/series.json", Reading(9, 90));
  Crawl();
  ASSERT_EQ(catalog_->GetTable("iot", "raw").value().record_count, 1);
  CreateJob(BaseJob());
  JobRun run = RunOnce();
  EXPECT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.objects_listed, 1);
  EXPECT_EQ(run.rows_read, 1);
  EXPECT_EQ(TargetRows(), (std::vector<std::string>{"1:10:year=2026/month=11"}));
}

TEST_F(EtlRunTest, ObjectsWhoseFoldersDoNotFitThePartitionKeysAreSkippedAsTheCrawlerSkippedThem) {
  Put("2026/11/30/14/a.json", Reading(1, 10));
  Put("big/export.bin", std::string("\x8f\x00 random bytes {{{\n", 22));
  Put("capture/forecaster/b.jsonl", Reading(9, 90));
  Crawl();
  ASSERT_EQ(catalog_->GetTable("iot", "raw").value().record_count, 1);
  CreateJob(BaseJob());
  JobRun run = RunOnce();
  EXPECT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.objects_listed, 3);
  EXPECT_EQ(run.objects_skipped, 2);
  EXPECT_EQ(run.rows_read, 1);
  EXPECT_EQ(run.rows_rejected, 0);
  EXPECT_EQ(ToJson(run)["objects_skipped"], 2);
  EXPECT_EQ(TargetRows(), (std::vector<std::string>{"1:10:year=2026/month=11"}));
}

// An object replaced while it is read in pieces is read as one version: the pieces name
// the ETag the first had, and when it no longer holds the object is read again whole.
TEST_F(EtlRunTest, AnObjectReplacedWhileReadInPiecesIsReadAsOneVersion) {
  auto version = [](int first_id, size_t bytes) {
    const std::string note(2000, 'n');
    std::string text;
    for (int id = first_id; text.size() < bytes; ++id) {
      text += json{{"id", id}, {"ozone", 1}, {"note", note}, {"timestamp", "2026-11-30T14:02:11Z"}}
                  .dump() +
              "\n";
    }
    return text;
  };
  const std::string key = "2026/11/30/14/replaced.json";
  Put(key, version(1, 17u << 20));
  Crawl();
  CreateJob(BaseJob());
  // The second piece's read finds the object replaced: a newer version, of other ids and
  // another length, so that mixing the two would cut a line.
  const std::string newer = version(1000000, (17u << 20) + 777);
  bool replaced = false;
  provider_->before_ranged_get = [&](const std::string& k, uint64_t offset) {
    if (k == key && offset > 0 && !replaced) {
      replaced = true;
      ASSERT_TRUE(raw_->Put(key, newer).ok());
    }
  };
  JobRun run = RunOnce();
  ASSERT_TRUE(replaced);
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.rows_rejected, 0);
  const int64_t newer_lines = std::count(newer.begin(), newer.end(), '\n');
  EXPECT_EQ(run.rows_written, newer_lines);
  std::vector<std::string> rows = TargetRows();
  ASSERT_FALSE(rows.empty());
  for (const std::string& r : rows) ASSERT_GE(std::stoi(r.substr(0, r.find(':'))), 1000000) << r;
}

// A job whose source is another job's Parquet table (issue 4): curated -> daily.
TEST_F(EtlRunTest, AParquetSourceTableIsReadWithItsPartitionsAndBookmarked) {
  Put("2026/11/30/14/a.json", Reading(1, 10) + Reading(2, 20));
  Put("2026/12/01/01/b.json", Reading(3, 30, "2026-12-01T01:00:00Z"));
  Crawl();
  CreateJob(BaseJob());
  ASSERT_EQ(RunOnce().rows_written, 3);
  json second = json::parse(R"json({
    "source": {"database": "iot", "table": "pollution"},
    "transforms": [
      {"apply_mapping": [["id", "bigint", "id", "bigint"],
                         ["ozone", "double", "ozone", "double"],
                         ["ts", "timestamp", "ts", "timestamp"],
                         ["month", "string", "month", "string"]]},
      {"filter": "ozone > 10"},
      {"derive": {"day": "day(ts)"}}],
    "target": {"path": "curated/high/", "compression": "zstd",
               "partition_keys": ["month"], "database": "iot", "table": "high"}})json");
  ASSERT_TRUE(jobs_->Create("high", second, /*replace=*/true).ok());
  auto run = [&] {
    JobRun r;
    r.job = "high";
    r.started_ms = 1;
    r.id = jobs_->InsertRun(r).value();
    return RunJob(jobs_->Get("high").value(), r, Context());
  };
  JobRun first = run();
  ASSERT_EQ(first.status, RunStatus::kSucceeded)
      << first.message << ::testing::PrintToString(first.errors);
  EXPECT_EQ(first.rows_read, 3);
  EXPECT_EQ(first.rows_written, 2);
  EXPECT_EQ(first.rows_filtered, 1);
  Table high = catalog_->GetTable("iot", "high").value();
  EXPECT_EQ(high.format, DataFormat::kParquet);
  EXPECT_EQ(high.record_count, 2);
  auto parts = catalog_->ListPartitions("iot", "high").value();
  ASSERT_EQ(parts.size(), 2u);  // month 11 and 12, from the source's key folders
  EXPECT_EQ(parts[0].values, (std::vector<std::string>{"11"}));
  EXPECT_EQ(parts[1].values, (std::vector<std::string>{"12"}));
  JobRun again = run();  // the bookmark holds the Parquet objects read
  EXPECT_EQ(again.status, RunStatus::kSucceeded);
  EXPECT_EQ(again.objects_total, 0);
  // A corrupt Parquet object is rejected by name and the run goes on.
  auto curated = *local_->Bucket("curated");
  ASSERT_TRUE(curated->Put("pollution/year=2026/month=12/part-bad.parquet", "PAR1 nonsense").ok());
  JobRun third = run();
  EXPECT_EQ(third.status, RunStatus::kSucceeded) << third.message;
  EXPECT_EQ(third.rows_rejected, 1);
  ASSERT_FALSE(third.errors.empty());
  EXPECT_NE(third.errors[0].find("curated/pollution/year=2026/month=12/part-bad.parquet"),
            std::string::npos)
      << third.errors[0];
}

TEST_F(EtlRunTest, ObjectsLargerThanAReadChunkAreReadWholeAndRejectsKeepTheirLines) {
  // Two objects of about 17 MB (the run reads in ranged gets of 16 MB), one per worker.
  const std::string note(2000, 'n');
  for (int object = 0; object < 2; ++object) {
    std::string text;
    int line = 0;
    while (text.size() < (17u << 20)) {
      ++line;
      int id = object * 100000 + line;
      if (object == 1 && line == 8000) {
        text += "{\"id\": " + std::to_string(id) + ", \"ozone\": }\n";
        continue;
      }
      text += json{{"id", id}, {"ozone", 1}, {"note", note}, {"timestamp", "2026-11-30T14:02:11Z"}}
                  .dump() +
              "\n";
    }
    Put("2026/11/30/14/big-" + std::to_string(object) + ".json", text);
  }
  Crawl();
  CreateJob(BaseJob());
  JobRun run = RunOnce();
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.message;
  EXPECT_EQ(run.rows_rejected, 1);
  EXPECT_EQ(run.rows_written, run.rows_read - 1);
  EXPECT_GT(run.rows_written, 17000);
  std::vector<std::string> errors = ErrorLines();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(
      errors[0].find(
          "\"object\":\"2026/11/30/14/big-1.json\",\"line\":8000,\"reason\":\"not valid JSON"),
      std::string::npos)
      << errors[0];
}

}  // namespace
}  // namespace tributary::lake
