// Compressing a stream's object: GzipCompress and ZipOneEntry (libdeflate, level 6) beside
// the peer, zlib's deflate at its default level 6 (what GzipCompress used before, and
// what most gzip writers use), on 5 MiB of JSON Lines readings as a stream buffers them.
// `ratio` is the compressed size over the input's. Run:
//   build/src/streams/streams_bench --benchmark_filter=Compress
// and reading back: --benchmark_filter=Decompress
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <string>

#include "streams/gzip.h"
#include "streams/zip_archive.h"

namespace tributary::streams {
namespace {

const std::string& Readings() {
  static const std::string data = [] {
    std::string d;
    for (int i = 0; d.size() < (5u << 20); ++i) {
      d += "{\"device\":\"pm-" + std::to_string(i % 97) +
           "\",\"pm25\":" + std::to_string((i * 37) % 500 / 10.0) +
           ",\"ts\":" + std::to_string(1'796'000'000'000LL + i * 1000LL) + "}\n";
    }
    return d;
  }();
  return data;
}

size_t ZlibGzip(const std::string& data, std::string* out) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  out->resize(deflateBound(&z, data.size()));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out->data());
  z.avail_out = static_cast<uInt>(out->size());
  deflate(&z, Z_FINISH);
  const size_t produced = z.total_out;
  deflateEnd(&z);
  return produced;
}

// bytes_per_second: of Readings(), the input compressed or the output decompressed.
void CountReadings(benchmark::State& state) {
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(Readings().size()));
}

void Report(benchmark::State& state, size_t compressed) {
  CountReadings(state);
  state.counters["ratio"] = double(compressed) / double(Readings().size());
}

void BM_CompressZlibGzip(benchmark::State& state) {
  std::string out;
  size_t size = 0;
  for (auto _ : state) benchmark::DoNotOptimize(size = ZlibGzip(Readings(), &out));
  Report(state, size);
}
BENCHMARK(BM_CompressZlibGzip)->Unit(benchmark::kMillisecond);

// Compresses Readings() with `compress` (a Result<std::string> of it) each iteration.
template <typename Compress>
void RunCompress(benchmark::State& state, Compress compress) {
  size_t size = 0;
  for (auto _ : state) {
    auto out = compress(Readings());
    if (!out.ok()) state.SkipWithError(out.status().ToString().c_str());
    size = out.ok() ? out->size() : 0;
    benchmark::DoNotOptimize(out);
  }
  Report(state, size);
}

void BM_CompressGzip(benchmark::State& state) {
  RunCompress(state, [](std::string_view d) { return GzipCompress(d); });
}
BENCHMARK(BM_CompressGzip)->Unit(benchmark::kMillisecond);

void BM_CompressZip(benchmark::State& state) {
  RunCompress(state, [](std::string_view d) {
    return ZipOneEntry(d, "0b7a4f4e-9b43-4a55-8d0e-3f4b1c2d5e6f", 0);
  });
}
BENCHMARK(BM_CompressZip)->Unit(benchmark::kMillisecond);

// Reading an object back: the crawler's, table reads' and ETL's GzipDecompress beside
// zlib a piece at a time (InflateOne, what GzipDecompress did before, and still does for
// several members). `bytes_per_second` counts the output.
void BM_DecompressZlibGzip(benchmark::State& state) {
  const std::string gz = GzipCompress(Readings()).value();
  for (auto _ : state) {
    std::string out;
    auto used = InflateOne(gz, 15 + 16, SIZE_MAX, &out, "gzip");
    if (!used.ok() || out.size() != Readings().size()) state.SkipWithError("inflate failed");
    benchmark::DoNotOptimize(out);
  }
  CountReadings(state);
}
BENCHMARK(BM_DecompressZlibGzip)->Unit(benchmark::kMillisecond);

// zlib in one call into the size the trailer gives, as GzipDecompress calls libdeflate:
// what is the library's and what is the piecewise path's.
void BM_DecompressZlibGzipOneCall(benchmark::State& state) {
  const std::string gz = GzipCompress(Readings()).value();
  for (auto _ : state) {
    std::string out(Readings().size(), '\0');
    z_stream z{};
    inflateInit2(&z, 15 + 16);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
    z.avail_in = static_cast<uInt>(gz.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    if (inflate(&z, Z_FINISH) != Z_STREAM_END) state.SkipWithError("inflate failed");
    inflateEnd(&z);
    benchmark::DoNotOptimize(out);
  }
  CountReadings(state);
}
BENCHMARK(BM_DecompressZlibGzipOneCall)->Unit(benchmark::kMillisecond);

void BM_DecompressGzip(benchmark::State& state) {
  const std::string gz = GzipCompress(Readings()).value();
  for (auto _ : state) {
    auto out = GzipDecompress(gz, size_t{1} << 30);
    if (!out.ok() || out->size() != Readings().size()) state.SkipWithError("decompress failed");
    benchmark::DoNotOptimize(out);
  }
  CountReadings(state);
}
BENCHMARK(BM_DecompressGzip)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tributary::streams
