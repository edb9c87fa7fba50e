// What data capture costs per invocation: formatting one line of a DeepAR-sized exchange
// (a 2.5 KB request, a 25 KB answer of numbers) kept as JSON text or as base64.
// Run: build/src/serving/serving_capture_bench (BENCHMARKS.md, "Model serving").
#include <benchmark/benchmark.h>

#include <string>

#include "serving/capture_writer.h"

namespace tributary::serving {
namespace {

std::string Numbers(size_t bytes) {
  std::string s = "{\"predictions\": [{\"mean\": [";
  for (int i = 0; s.size() < bytes; ++i) s += std::to_string(10.0 + (i % 97) * 0.123456) + ", ";
  return s + "0]}]}";
}

void BM_FormatCaptureLine(benchmark::State& state) {
  DataCaptureConfig c;
  c.capture_input = c.capture_output = true;
  if (state.range(0) == 1) c.json_content_types = {"application/json"};
  CapturedEvent e;
  e.endpoint = "forecaster";
  e.variant = "v1";
  e.time_ms = 1796206830456;
  e.input_content_type = e.output_content_type = "application/json";
  e.input = Numbers(2500);
  e.output = Numbers(25000);
  size_t line_bytes = 0;
  for (auto _ : state) {
    std::string line = FormatCaptureLine(c, e, "1b4e28ba-2fa1-4d2b-883f-0016d3cca427");
    line_bytes = line.size();
    benchmark::DoNotOptimize(line);
  }
  state.counters["line_bytes"] = static_cast<double>(line_bytes);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(e.input.size() + e.output.size()));
  state.SetLabel(state.range(0) == 1 ? "JSON text" : "base64");
}
BENCHMARK(BM_FormatCaptureLine)->Arg(1)->Arg(0);

}  // namespace
}  // namespace tributary::serving

BENCHMARK_MAIN();
