// Column writing throughput: an INT64 and a STRING column, each codec.
//   ninja -C build parquet_bench && build/src/parquet/parquet_bench
#include <benchmark/benchmark.h>

#include <random>

#include "parquet/file_writer.h"

namespace tributary::parquet {
namespace {

constexpr int64_t kRows = 100000;

RecordBatch MakeBatch(ColumnType type) {
  Schema schema;
  schema.columns.push_back({"c", type, true});
  RecordBatch b = RecordBatch::Empty(schema);
  std::mt19937_64 rng(1);
  int64_t ts = 1700000000000000;
  for (int64_t i = 0; i < kRows; ++i) {
    if (i % 50 == 0) {
      b.columns[0].AppendNull();
    } else if (type == ColumnType::kInt64) {
      ts += 1000000 + static_cast<int64_t>(rng() % 1000);  // sensor-like timestamps
      b.columns[0].AppendInt64(ts);
    } else {
      b.columns[0].AppendString("device-" + std::to_string(rng() % 500) + "/temperature");
    }
  }
  b.num_rows = kRows;
  return b;
}

void BM_WriteColumn(benchmark::State& state, ColumnType type, Codec codec) {
  RecordBatch batch = MakeBatch(type);
  WriterOptions o;
  o.codec = codec;
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out;
    auto w = ParquetWriter::Open(MakeStringSink(&out), batch.schema, o);
    if (!w.ok() || !(*w)->Write(batch).ok() || !(*w)->Close().ok()) {
      state.SkipWithError("write failed");
      return;
    }
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kRows);
  state.counters["file_bytes"] = static_cast<double>(bytes);
}

BENCHMARK_CAPTURE(BM_WriteColumn, int64_uncompressed, ColumnType::kInt64, Codec::kUncompressed);
BENCHMARK_CAPTURE(BM_WriteColumn, int64_snappy, ColumnType::kInt64, Codec::kSnappy);
BENCHMARK_CAPTURE(BM_WriteColumn, int64_gzip, ColumnType::kInt64, Codec::kGzip);
BENCHMARK_CAPTURE(BM_WriteColumn, int64_zstd, ColumnType::kInt64, Codec::kZstd);
BENCHMARK_CAPTURE(BM_WriteColumn, string_uncompressed, ColumnType::kString, Codec::kUncompressed);
BENCHMARK_CAPTURE(BM_WriteColumn, string_snappy, ColumnType::kString, Codec::kSnappy);
BENCHMARK_CAPTURE(BM_WriteColumn, string_gzip, ColumnType::kString, Codec::kGzip);
BENCHMARK_CAPTURE(BM_WriteColumn, string_zstd, ColumnType::kString, Codec::kZstd);

}  // namespace
}  // namespace tributary::parquet

BENCHMARK_MAIN();
