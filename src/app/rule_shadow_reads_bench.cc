// The per-message cost of a rule's get_thing_shadow(): the shadow read from the metadata
// database (SQLite) every time, as before reads were kept, against a kept read.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "app/rule_shadow_reads.h"
#include "base/testing/temp_dir.h"
#include "metadata/testing/test_database.h"

namespace tributary::app {
namespace {

struct Shadows {
  Shadows() {
    db = metadata::testing::OpenTestDatabase(dir.path() + "/metadata.db").value();
    store = devices::ShadowStore::Open(db.get()).value();
    devices::ShadowDocument d;
    d.state = nlohmann::json::parse(R"({"reported":{"on":true,"rate_s":5,"firmware":"1.4.2"}})");
    d.version = 1;
    d.exists = true;
    (void)store->Put("sensor-0042", "", d, 0);
  }
  testing_support::TempDir dir;
  std::unique_ptr<metadata::Database> db;
  std::unique_ptr<devices::ShadowStore> store;
};

void BM_ShadowReadFromTheDatabase(benchmark::State& state) {
  Shadows s;
  RuleShadowReads reads(s.store.get(), /*max_age_ms=*/0);  // nothing kept: every read asks
  for (auto _ : state) benchmark::DoNotOptimize(reads.ThingShadow("sensor-0042", ""));
}
BENCHMARK(BM_ShadowReadFromTheDatabase);

void BM_ShadowReadKept(benchmark::State& state) {
  Shadows s;
  RuleShadowReads reads(s.store.get());
  for (auto _ : state) benchmark::DoNotOptimize(reads.ThingShadow("sensor-0042", ""));
}
BENCHMARK(BM_ShadowReadKept);

}  // namespace
}  // namespace tributary::app

BENCHMARK_MAIN();
