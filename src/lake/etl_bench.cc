// One ETL run end to end on one worker, over a local lake: get, parse, type, write
// snappy Parquet, commit. The records are bench/etl_gen.js's device readings; the jobs are
// scripts/bench-etl's "plain" (every field typed) and "reference" (plus derived date parts
// and dedupe by seq, partitioned by day). Bytes per second are of JSON input, per core.
//   build/src/lake/etl_bench [--benchmark_filter=Plain]   (perf record -g works on it)
#include <benchmark/benchmark.h>

#include <cstdio>

#include "base/testing/temp_dir.h"
#include "lake/crawler.h"
#include "lake/etl_run.h"
#include "lake/job_store.h"
#include "lake/record_conversion.h"
#include "objstore/local_object_store.h"

namespace tributary::lake {
namespace {

using nlohmann::json;

constexpr size_t kInputBytes = 64 << 20;

std::string Records() {
  std::string out;
  uint32_t seed = 42;
  auto rand = [&] { return (seed = seed * 1103515245u + 12345u) / 4294967296.0; };
  char line[512];
  for (int64_t seq = 0; out.size() < kInputBytes; ++seq) {
    int64_t secs = 1795824000 + seq / 50;  // 2026-11-28T00:00:00Z, 50 devices a second
    int64_t h = secs % 86400 / 3600, m = secs % 3600 / 60, s = secs % 60;
    int n = std::snprintf(
        line, sizeof line,
        "{\"device\":\"sensor-%d\",\"ozone\":%d,\"particulate_matter\":%d,\"carbon_monoxide\":%d,"
        "\"sulfur_dioxide\":%d,\"nitrogen_dioxide\":%d,\"temperature\":%.2f,\"longitude\":10.250786139881143,"
        "\"latitude\":56.20251117218925,\"timestamp\":\"2026-11-%02dT%02d:%02d:%02d.000Z\",\"seq\":%lld}\n",
        static_cast<int>(seq % 50), static_cast<int>(rand() * 100), static_cast<int>(rand() * 100),
        static_cast<int>(rand() * 100), static_cast<int>(rand() * 100), static_cast<int>(rand() * 100),
        rand() * 40, static_cast<int>(28 + (secs - 1795824000) / 86400), static_cast<int>(h), static_cast<int>(m),
        static_cast<int>(s), static_cast<long long>(seq));
    out.append(line, n);
  }
  return out;
}

json PlainJob() {
  json mapping = json::array();
  for (const char* f : {"ozone", "particulate_matter", "carbon_monoxide", "sulfur_dioxide", "nitrogen_dioxide", "seq"}) {
    mapping.push_back({f, "bigint", f, "bigint"});
  }
  for (const char* f : {"temperature", "longitude", "latitude"}) mapping.push_back({f, "double", f, "double"});
  mapping.push_back({"device", "string", "device", "string"});
  mapping.push_back({"timestamp", "string", "timestamp", "timestamp"});
  return {{"source", {{"database", "bench"}, {"table", "raw"}}},
          {"transforms", json::array({json{{"apply_mapping", mapping}}})},
          {"target", {{"path", "out/plain/"}, {"compression", "snappy"}, {"database", "bench"}, {"table", "plain"}}}};
}

json ReferenceJob() {
  json j = PlainJob();
  j["transforms"][0]["apply_mapping"].back()[2] = "ts";
  j["transforms"].push_back({{"derive", {{"hour", "hour(ts)"}, {"year", "year(ts)"}, {"month", "month(ts)"}, {"day", "day(ts)"}}}});
  j["transforms"].push_back({{"dedupe", json::array({"seq"})}});
  j["target"] = {{"path", "out/reference/"}, {"compression", "snappy"}, {"partition_keys", {"year", "month", "day"}},
                 {"database", "bench"}, {"table", "reference"}};
  return j;
}

void RunJobBench(benchmark::State& state, const json& doc) {
  testing_support::TempDir dir;
  auto db = metadata::Database::Open(dir.path() + "/metadata.db").value();
  auto catalog = Catalog::Open(db.get()).value();
  auto crawlers = CrawlerStore::Open(db.get()).value();
  auto jobs = JobStore::Open(db.get()).value();
  auto lake = objstore::LocalObjectStoreProvider::Open(dir.path() + "/lake").value();
  auto raw = lake->Bucket("raw").value();
  if (!raw->Put("2026/11/28/00/records-00000.json", Records()).ok()) return state.SkipWithError("put");
  CrawlerDefinition crawler;
  crawler.name = "raw";
  crawler.source = *LakePath::Parse("raw/");
  crawler.database = "bench";
  crawler.table = "raw";
  if (!crawlers->Create(crawler).ok()) return state.SkipWithError("crawler");
  CrawlRun crawl;
  crawl.crawler = "raw";
  crawl.id = 1;
  CrawlContext cctx{raw.get(), catalog.get(), crawlers.get(), nullptr, nullptr};
  if (RunCrawl(crawler, crawl, cctx).status != RunStatus::kSucceeded) return state.SkipWithError("crawl");
  if (!jobs->Create("bench", doc).ok()) return state.SkipWithError("job");
  JobDefinition job = jobs->Get("bench").value();
  JobRunContext ctx;
  ctx.lake = lake.get();
  ctx.catalog = catalog.get();
  ctx.store = jobs.get();
  ctx.scratch_root = dir.path() + "/scratch";
  ctx.workers = 1;
  int64_t bytes = 0;
  for (auto _ : state) {
    if (!jobs->ResetBookmark("bench").ok()) return state.SkipWithError("reset");
    JobRun run;
    run.job = "bench";
    run.id = jobs->InsertRun(run).value();
    JobRun out = RunJob(job, run, ctx);
    if (out.status != RunStatus::kSucceeded) return state.SkipWithError(out.message.c_str());
    bytes += out.bytes_read;
    state.counters["rows"] = static_cast<double>(out.rows_written);
    state.counters["parquet_MB"] = static_cast<double>(out.bytes_written) / 1e6;
  }
  state.SetBytesProcessed(bytes);
}

void BM_PlainJob(benchmark::State& state) { RunJobBench(state, PlainJob()); }
void BM_ReferenceJob(benchmark::State& state) { RunJobBench(state, ReferenceJob()); }
// A delivery stream's record format conversion: the same records, 5 MiB objects (the
// default buffer) of one record each line, into snappy Parquet with the plain job's types.
void RunConversionBench(benchmark::State& state, bool nested) {
  testing_support::TempDir dir;
  auto db = metadata::Database::Open(dir.path() + "/metadata.db").value();
  auto catalog = Catalog::Open(db.get()).value();
  if (!catalog->CreateDatabase("bench").ok()) return state.SkipWithError("database");
  TableInput in;
  const json job = PlainJob();
  for (const auto& m : job["transforms"][0]["apply_mapping"]) {
    in.columns.push_back({m[2].get<std::string>(), m[3].get<std::string>()});
  }
  if (nested) {
    in.columns.push_back({"pos", "struct<lat:double,lon:double,site:string>"});
    in.columns.push_back({"levels", "array<bigint>"});
  }
  in.location = *LakePath::Parse("raw/");
  in.updated_by = "bench";
  if (auto t = catalog->UpsertTable("bench", "plain", in); !t.ok()) {
    return state.SkipWithError(t.status().ToString().c_str());
  }
  streams::FormatConversion conversion;
  conversion.enabled = true;
  conversion.database = "bench";
  conversion.table = "plain";
  CatalogRecordConverter converter(catalog.get());
  std::string text = Records();
  if (nested) {  // each record gains a struct and an array
    std::string with;
    with.reserve(text.size() + text.size() / 3);
    for (size_t start = 0; start < text.size();) {
      size_t end = text.find('\n', start);
      with.append(text, start, end - 1 - start);
      with +=
          R"(,"pos":{"lat":56.20251117218925,"lon":10.250786139881143,"site":"aarhus-3"},"levels":[3,14,15,92]})";
      with += '\n';
      start = end + 1;
    }
    text = std::move(with);
  }
  std::vector<std::vector<std::string_view>> objects(1);
  size_t object_bytes = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start) + 1;
    objects.back().push_back(std::string_view(text).substr(start, end - start));
    object_bytes += end - start;
    start = end;
    if (object_bytes >= (5u << 20)) {
      objects.emplace_back();
      object_bytes = 0;
    }
  }
  int64_t bytes = 0, rows = 0;
  for (auto _ : state) {
    for (const auto& records : objects) {
      auto out = converter.Convert(conversion, records);
      if (!out.ok()) return state.SkipWithError(out.status().ToString().c_str());
      rows += out->rows;
    }
    bytes += static_cast<int64_t>(text.size());
  }
  state.SetBytesProcessed(bytes);
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
}

void BM_RecordConversion(benchmark::State& state) { RunConversionBench(state, false); }
// The same with a struct and an array column (nested Parquet columns) in every record.
void BM_RecordConversionNested(benchmark::State& state) { RunConversionBench(state, true); }

BENCHMARK(BM_PlainJob)->Unit(benchmark::kMillisecond)->MinTime(2)->UseRealTime();
BENCHMARK(BM_RecordConversion)->Unit(benchmark::kMillisecond)->MinTime(2)->UseRealTime();
BENCHMARK(BM_RecordConversionNested)->Unit(benchmark::kMillisecond)->MinTime(2)->UseRealTime();
BENCHMARK(BM_ReferenceJob)->Unit(benchmark::kMillisecond)->MinTime(2)->UseRealTime();

}  // namespace
}  // namespace tributary::lake

BENCHMARK_MAIN();
