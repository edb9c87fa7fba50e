// WAL append throughput with group commit: `inflight` appends are outstanding at once (as
// many concurrent publishers would be), under each fsync policy. Run:
//   build/src/streams/streams_bench --benchmark_filter=WalAppend
#include <benchmark/benchmark.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "base/testing/temp_dir.h"
#include "streams/wal.h"

namespace tributary::streams {
namespace {

void BM_WalAppend(benchmark::State& state) {
  const char* policies[] = {"always", "interval:100", "never"};
  const char* policy = policies[state.range(0)];
  const int inflight = static_cast<int>(state.range(1));
  const std::string record(256, 'r');
  testing_support::TempDir dir;
  WalOptions o;
  o.dir = dir.path();
  o.fsync = *FsyncPolicy::Parse(policy);
  o.on_durable = [](const std::vector<WalFrame>&) {};
  std::vector<WalRecord> recovered;
  auto wal = Wal::Open(std::move(o), &recovered);
  if (!wal.ok()) {
    state.SkipWithError(wal.status().ToString().c_str());
    return;
  }
  std::mutex mu;
  std::condition_variable cv;
  for (auto _ : state) {
    int left = inflight;
    for (int i = 0; i < inflight; ++i) {
      (*wal)->Append(record, 0, [&](const Status&, uint64_t) {
        std::lock_guard<std::mutex> lock(mu);
        if (--left == 0) cv.notify_one();
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return left == 0; });
  }
  state.SetLabel(policy);
  state.SetItemsProcessed(state.iterations() * inflight);
  state.SetBytesProcessed(state.iterations() * inflight * int64_t(record.size()));
}
BENCHMARK(BM_WalAppend)
    ->ArgsProduct({{0, 1, 2}, {1, 16, 256}})
    ->ArgNames({"policy", "inflight"})
    ->UseRealTime();

}  // namespace
}  // namespace tributary::streams

BENCHMARK_MAIN();
