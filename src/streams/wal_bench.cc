// WAL append throughput with group commit: `inflight` appends are outstanding at once (as
// many concurrent publishers would be), under each fsync policy. `cpu_ns/record` is the
// process's CPU time (writer and spare-preparing threads included) per record. Run:
//   build/src/streams/streams_bench --benchmark_filter=WalAppend
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "base/testing/temp_dir.h"
#include "streams/wal.h"

namespace tributary::streams {
namespace {

const char* const kPolicies[] = {"always", "interval:100", "never"};

int64_t ProcessCpuNanos() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto ns = [](const timeval& t) { return int64_t(t.tv_sec) * 1'000'000'000 + t.tv_usec * 1000; };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

void AppendAndWait(Wal& wal, const std::string& record, int count) {
  std::mutex mu;
  std::condition_variable cv;
  int left = count;
  for (int i = 0; i < count; ++i) {
    wal.Append(record, 0, [&](const Status&, uint64_t) {
      std::lock_guard<std::mutex> lock(mu);
      if (--left == 0) cv.notify_one();
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return left == 0; });
}

// Appends `inflight` records per iteration to a WAL opened on `o`; with `skip_first`,
// first fills the first segment (which is never preallocated: a spare is asked for once a
// segment is half full) so the timed appends go to the next one.
void RunAppends(benchmark::State& state, WalOptions o, int inflight, bool skip_first) {
  const std::string record(256, 'r');
  testing_support::TempDir dir;
  o.dir = dir.path();
  o.on_durable = [](const std::vector<WalFrame>&) {};
  std::vector<WalRecord> recovered;
  auto opened = Wal::Open(o, &recovered);
  if (!opened.ok()) {
    state.SkipWithError(opened.status().ToString().c_str());
    return;
  }
  Wal& wal = **opened;
  if (skip_first) {
    AppendAndWait(wal, std::string(o.segment_bytes / 2 + 1, 'f'), 1);
    // The spare (made under `always`, except on tmpfs).
    for (int i = 0; i < 2000 && o.fsync.mode == FsyncPolicy::Mode::kAlways &&
                    !std::filesystem::exists(dir.path() + "/spare.wal");
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    AppendAndWait(wal, std::string(o.segment_bytes / 2, 'f'), 1);
    AppendAndWait(wal, record, 1);  // switches segments
  }
  int64_t cpu_start = ProcessCpuNanos();
  for (auto _ : state) AppendAndWait(wal, record, inflight);
  int64_t records = state.iterations() * inflight;
  state.counters["cpu_ns/record"] = double(ProcessCpuNanos() - cpu_start) / double(records);
  state.SetItemsProcessed(records);
  state.SetBytesProcessed(records * int64_t(record.size()));
}

// From a fresh WAL: the first segment.
void BM_WalAppend(benchmark::State& state) {
  WalOptions o;
  o.fsync = *FsyncPolicy::Parse(kPolicies[state.range(0)]);
  RunAppends(state, o, static_cast<int>(state.range(1)), /*skip_first=*/false);
  state.SetLabel(kPolicies[state.range(0)]);
}
BENCHMARK(BM_WalAppend)
    ->ArgsProduct({{0, 1, 2}, {1, 16, 256}})
    ->ArgNames({"policy", "inflight"})
    ->UseRealTime();

// Past the first 16 MiB segment: the steady state of a busy stream, in preallocated
// segments under `always` (while the next spare is being zero-filled, too).
void BM_WalAppendLaterSegment(benchmark::State& state) {
  WalOptions o;
  o.fsync = *FsyncPolicy::Parse(kPolicies[state.range(0)]);
  o.segment_bytes = 16 << 20;
  RunAppends(state, o, static_cast<int>(state.range(1)), /*skip_first=*/true);
  state.SetLabel(kPolicies[state.range(0)]);
}
BENCHMARK(BM_WalAppendLaterSegment)
    ->ArgsProduct({{0, 1}, {1, 16, 256}})
    ->ArgNames({"policy", "inflight"})
    ->UseRealTime();

// Delivery under dynamic partitioning: `partitions` devices send 10 records each, round
// robin, and their objects are marked delivered in an order unrelated to sequence order,
// so the checkpoint holds up to partitions * 5 ranges. One iteration is one object's
// MarkDelivered (a fresh WAL each `partitions` objects, outside the timing).
void BM_WalMarkDeliveredFragmented(benchmark::State& state) {
  const int partitions = static_cast<int>(state.range(0));
  constexpr int kPer = 10;
  std::unique_ptr<testing_support::TempDir> dir;
  std::unique_ptr<Wal> wal;
  int next = partitions;
  auto fresh = [&]() -> bool {
    wal.reset();
    dir = std::make_unique<testing_support::TempDir>();
    WalOptions o;
    o.dir = dir->path();
    o.fsync = *FsyncPolicy::Parse("never");
    o.on_durable = [](const std::vector<WalFrame>&) {};
    std::vector<WalRecord> recovered;
    auto opened = Wal::Open(o, &recovered);
    if (!opened.ok()) {
      state.SkipWithError(opened.status().ToString().c_str());
      return false;
    }
    wal = std::move(opened).value();
    AppendAndWait(*wal, "{\"device\":1}", partitions * kPer);
    next = 0;
    return true;
  };
  std::vector<uint64_t> seqs;
  for (auto _ : state) {
    if (next == partitions) {
      state.PauseTiming();
      bool ok = fresh();
      state.ResumeTiming();
      if (!ok) return;
    }
    const int p = static_cast<int>((int64_t(next++) * 7919) % partitions);
    seqs.clear();
    for (int k = 0; k < kPer; ++k) seqs.push_back(uint64_t(p + 1 + k * partitions));
    if (!wal->MarkDelivered(seqs).ok()) {
      state.SkipWithError("MarkDelivered failed");
      return;
    }
  }
  wal.reset();  // the final save, after the timed loop
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WalMarkDeliveredFragmented)
    ->Arg(300)
    ->Arg(2000)
    ->ArgName("partitions")
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace tributary::streams

BENCHMARK_MAIN();
