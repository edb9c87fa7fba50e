// Test-only: the fixture of the whole-run ETL tests (etl_run_test.cc,
// etl_run_sources_test.cc): a local lake whose buckets can fail writes or act before a
// ranged read, a catalog with the raw table crawled, a job store, and readers of what a
// run wrote (its Parquet rows, its error lines).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/testing/temp_dir.h"
#include "lake/crawler.h"
#include "lake/etl_run.h"
#include "lake/etl_test_job.h"
#include "lake/job_store.h"
#include "metadata/testing/test_database.h"
#include "objstore/local_object_store.h"
#include "objstore/testing/forwarding_store.h"
#include "parquet/file_reader.h"
#include "parquet/render.h"

namespace tributary::lake::etl_run_testing {

using nlohmann::json;
using BeforeRangedGet = std::function<void(const std::string& key, uint64_t offset)>;

// Fails writes of keys that contain `fail_on` (set it to inject a failed commit); calls
// `before_ranged_get` (when set) before each ranged read.
class FaultyBucket : public objstore::testing::ForwardingStore {
 public:
  FaultyBucket(std::shared_ptr<objstore::ObjectStore> inner, const std::string* fail_on,
               int* writes, const BeforeRangedGet* before_ranged_get)
      : ForwardingStore(std::move(inner)),
        fail_on_(fail_on),
        writes_(writes),
        before_ranged_get_(before_ranged_get) {}
  Result<std::string> Get(const std::string& key,
                          std::optional<objstore::ByteRange> range) override {
    if (range && *before_ranged_get_) (*before_ranged_get_)(key, range->offset);
    return ForwardingStore::Get(key, range);
  }
  Result<std::unique_ptr<objstore::ObjectWriter>> NewWriter(
      const std::string& key, const objstore::PutOptions& o) override {
    if (!fail_on_->empty() && key.find(*fail_on_) != std::string::npos)
      return Unavailable("injected failure writing " + key);
    ++*writes_;
    return ForwardingStore::NewWriter(key, o);
  }

 private:
  const std::string* fail_on_;
  int* writes_;
  const BeforeRangedGet* before_ranged_get_;
};

// The lake with every bucket a FaultyBucket sharing `fail_on` and `writes`.
struct FaultyProvider : objstore::testing::WrappingProvider {
  explicit FaultyProvider(objstore::ObjectStoreProvider* inner)
      : WrappingProvider(inner, [this](std::shared_ptr<objstore::ObjectStore> bucket) {
          return std::make_shared<FaultyBucket>(std::move(bucket), &fail_on, &writes,
                                                &before_ranged_get);
        }) {}
  std::string fail_on;
  int writes = 0;
  BeforeRangedGet before_ranged_get;
};

class EtlRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db").value();
    catalog_ = Catalog::Open(db_.get()).value();
    crawlers_ = CrawlerStore::Open(db_.get()).value();
    jobs_ = JobStore::Open(db_.get()).value();
    local_ = objstore::LocalObjectStoreProvider::Open(dir_.path() + "/lake").value();
    provider_ = std::make_unique<FaultyProvider>(local_.get());
    raw_ = *local_->Bucket("iot-data");
    crawler_.name = "raw";
    crawler_.source = *LakePath::Parse("iot-data/");
    crawler_.database = "iot";
    crawler_.table = "raw";
    ASSERT_TRUE(crawlers_->Create(crawler_).ok());
  }

  // One reading as the reference's device sends it.
  static std::string Reading(int id, int ozone, const std::string& ts = "2026-11-30T14:02:11Z") {
    return json{{"id", id}, {"ozone", ozone}, {"pos", {{"lat", 56.25}}}, {"timestamp", ts}}.dump() +
           "\n";
  }

  void Put(const std::string& key, const std::string& data) {
    ASSERT_TRUE(raw_->Put(key, data).ok());
  }

  void Crawl() {
    CrawlRun run;
    run.crawler = "raw";
    run.id = ++crawls_;
    CrawlContext ctx{raw_.get(), catalog_.get(), crawlers_.get(), nullptr, nullptr};
    CrawlRun out = RunCrawl(crawler_, run, ctx);
    ASSERT_EQ(out.status, RunStatus::kSucceeded) << out.message;
  }

  void CreateJob(const json& doc) {
    ASSERT_TRUE(jobs_->Create("curate", doc, /*replace=*/true).ok());
  }

  // What a run of this fixture's jobs needs: its lake, catalog and job store, and
  // run_workers_ workers (the context's count wins over the job's).
  JobRunContext Context() {
    JobRunContext ctx;
    ctx.lake = provider_.get();
    ctx.catalog = catalog_.get();
    ctx.store = jobs_.get();
    ctx.scratch_root = dir_.path() + "/scratch";
    ctx.workers = run_workers_;
    return ctx;
  }

  JobRun RunOnce() {
    JobRun run;
    run.job = "curate";
    run.started_ms = 1;
    run.id = jobs_->InsertRun(run).value();
    JobDefinition job = jobs_->Get("curate").value();
    JobRunContext ctx = Context();
    ctx.writer.max_open_files = 2;  // forces files to close and reopen
    ctx.writer.batch_rows = 3;
    JobRun out = RunJob(job, run, ctx);
    if (out.status != RunStatus::kSucceeded) {
      EXPECT_TRUE(jobs_->UpdateRun(out).ok());
    }
    return out;
  }

  // Every row of every Parquet file under the target, as "id:ozone:year/month" sorted.
  std::vector<std::string> TargetRows(std::vector<std::string>* keys = nullptr) {
    auto bucket = *local_->Bucket("curated");
    auto listing = bucket->List("pollution/").value();
    std::vector<std::string> rows;
    for (const auto& o : listing.objects) {
      if (keys) keys->push_back(o.key);
      if (!o.key.ends_with(".parquet")) continue;
      auto reader = parquet::ParquetReader::Open(dir_.path() + "/lake/curated/" + o.key).value();
      int id = reader->schema().Find("id"), ozone = reader->schema().Find("ozone");
      std::string part = o.key.substr(std::string("pollution/").size());
      part = part.substr(0, part.rfind('/'));
      EXPECT_EQ(reader->schema().Find("year"), -1)
          << "partition columns are in the path, not the file";
      for (int rg = 0; rg < reader->num_row_groups(); ++rg) {
        auto b = reader->ReadRowGroup(rg, {id, ozone}).value();
        for (int64_t r = 0; r < b.num_rows; ++r) {
          rows.push_back(std::to_string(b.columns[0].i64[r]) + ":" +
                         std::to_string(static_cast<int>(b.columns[1].f64[r])) + ":" + part);
        }
      }
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  // Every row of every Parquet file under the target as JSON, sorted; every file's
  // schema must be `schema`, and its key start with `key_prefix`.
  std::vector<std::string> TargetJsonRows(const std::string& schema,
                                          const std::string& key_prefix = "pollution/") {
    auto bucket = *local_->Bucket("curated");
    auto listing = bucket->List("pollution/").value();
    std::vector<std::string> rows;
    for (const auto& o : listing.objects) {
      if (!o.key.ends_with(".parquet")) continue;
      EXPECT_EQ(o.key.rfind(key_prefix, 0), 0u) << o.key;
      auto reader = parquet::ParquetReader::Open(dir_.path() + "/lake/curated/" + o.key).value();
      EXPECT_EQ(reader->schema().ToString(), schema) << o.key;
      for (int rg = 0; rg < reader->num_row_groups(); ++rg) {
        auto b = reader->ReadRowGroup(rg, *reader->Resolve({})).value();
        for (int64_t r = 0; r < b.num_rows; ++r) {
          std::string line;
          parquet::AppendJsonRow(b, r, &line);
          rows.push_back(line);
        }
      }
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  std::vector<std::string> ErrorLines() {
    auto bucket = *local_->Bucket("curated");
    std::vector<std::string> lines;
    auto listing = bucket->List("pollution_errors/").value();
    for (const auto& o : listing.objects) {
      std::string text = bucket->Get(o.key).value();
      size_t start = 0;
      while (start < text.size()) {
        size_t nl = text.find('\n', start);
        lines.push_back(text.substr(start, nl - start));
        start = nl + 1;
      }
    }
    return lines;
  }

  testing_support::TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<CrawlerStore> crawlers_;
  std::unique_ptr<JobStore> jobs_;
  std::unique_ptr<objstore::ObjectStoreProvider> local_;
  std::unique_ptr<FaultyProvider> provider_;
  std::shared_ptr<objstore::ObjectStore> raw_;
  CrawlerDefinition crawler_;
  int crawls_ = 0;
  int run_workers_ = 2;  // Context()'s
};

}  // namespace tributary::lake::etl_run_testing
