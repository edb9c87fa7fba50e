// The run tables of crawlers and ETL jobs (RunTable) through the two stores that keep them.
#include "lake/run_table.h"

#include <gtest/gtest.h>

#include "base/testing/temp_dir.h"
#include "lake/crawler_store.h"
#include "lake/job_store.h"
#include "metadata/testing/test_database.h"

namespace tributary::lake {
namespace {

class RunTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    crawlers_ = CrawlerStore::Open(db_.get()).value();
    jobs_ = JobStore::Open(db_.get()).value();
    for (const char* name : {"raw", "other"}) {
      CrawlerDefinition c;
      c.name = name;
      c.source = *LakePath::Parse("iot-data/raw/");
      c.database = "iot";
      ASSERT_TRUE(crawlers_->Create(c).ok());
    }
  }

  int64_t Crawl(const std::string& crawler, int64_t started_ms) {
    CrawlRun run;
    run.crawler = crawler;
    run.started_ms = started_ms;
    run.objects_listed = started_ms / 10;
    return crawlers_->InsertRun(run).value();
  }

  testing_support::TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<CrawlerStore> crawlers_;
  std::unique_ptr<JobStore> jobs_;
};

TEST_F(RunTableTest, ARunIsKeptWithItsIdAndUpdated) {
  int64_t id = Crawl("raw", 100);
  auto run = crawlers_->GetRun("raw", id);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->id, id);  // the JSON stored at the insert already has the id
  EXPECT_EQ(run->status, RunStatus::kRunning);
  EXPECT_EQ(run->objects_listed, 10);
  run->status = RunStatus::kSucceeded;
  run->records = 7;
  ASSERT_TRUE(crawlers_->UpdateRun(*run).ok());
  auto again = crawlers_->GetRun("raw", id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, RunStatus::kSucceeded);
  EXPECT_EQ(again->records, 7);
}

TEST_F(RunTableTest, ARunIsFoundOnlyUnderItsOwner) {
  int64_t id = Crawl("raw", 100);
  auto other = crawlers_->GetRun("other", id);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(other.status().message(), "crawler 'other' has no run " + std::to_string(id));
  auto job = jobs_->GetRun("curate", 99);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().message(), "job 'curate' has no run 99");
}

TEST_F(RunTableTest, RunsAreListedNewestFirstUpToTheLimit) {
  for (int64_t t : {100, 200, 300}) Crawl("raw", t);
  Crawl("other", 400);
  auto runs = crawlers_->ListRuns("raw", 2);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].started_ms, 300);
  EXPECT_EQ((*runs)[1].started_ms, 200);
  EXPECT_EQ(crawlers_->ListRuns("raw")->size(), 3u);
}

TEST_F(RunTableTest, RunsLeftRunningFailAtStartAndOthersStay) {
  int64_t left = Crawl("raw", 100);
  int64_t done = Crawl("other", 200);
  auto finished = crawlers_->GetRun("other", done).value();
  finished.status = RunStatus::kSucceeded;
  ASSERT_TRUE(crawlers_->UpdateRun(finished).ok());
  ASSERT_TRUE(crawlers_->FailAbandonedRuns().ok());
  auto failed = crawlers_->GetRun("raw", left).value();
  EXPECT_EQ(failed.status, RunStatus::kFailed);
  EXPECT_GT(failed.finished_ms, 0);
  EXPECT_NE(failed.message.find("run the crawler again"), std::string::npos) << failed.message;
  EXPECT_EQ(crawlers_->GetRun("other", done)->status, RunStatus::kSucceeded);
  // Jobs keep theirs apart: what they left running is listed oldest first.
  JobRun a, b;
  a.job = b.job = "curate";
  a.started_ms = 1;
  b.started_ms = 2;
  int64_t first = jobs_->InsertRun(a).value();
  int64_t second = jobs_->InsertRun(b).value();
  auto abandoned = jobs_->AbandonedRuns();
  ASSERT_TRUE(abandoned.ok());
  ASSERT_EQ(abandoned->size(), 2u);
  EXPECT_EQ((*abandoned)[0].id, first);
  EXPECT_EQ((*abandoned)[1].id, second);
}

TEST_F(RunTableTest, DeletingTheOwnerDeletesItsRunsOnly) {
  int64_t gone = Crawl("raw", 100);
  int64_t kept = Crawl("other", 200);
  ASSERT_TRUE(crawlers_->Delete("raw").ok());
  EXPECT_EQ(crawlers_->GetRun("raw", gone).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(crawlers_->GetRun("other", kept).ok());
}

TEST(RunStatusTest, NamesReadBack) {
  for (RunStatus s :
       {RunStatus::kRunning, RunStatus::kSucceeded, RunStatus::kFailed, RunStatus::kCancelled}) {
    EXPECT_EQ(ParseRunStatus(RunStatusName(s)), s) << RunStatusName(s);
  }
  EXPECT_EQ(ParseRunStatus("paused"), RunStatus::kRunning);
}

}  // namespace
}  // namespace tributary::lake
