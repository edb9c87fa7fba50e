// Micro-benchmarks of the hot paths the broker runs for every message: decoding and
// encoding a typical telemetry PUBLISH, and matching topics against filters.
// Run: build/src/mqtt/mqtt_codec_bench (or `make bench`).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "mqtt/codec.h"
#include "mqtt/topic.h"

namespace tributary::mqtt {
namespace {

// A QoS 1 PUBLISH of exactly 250 bytes on the wire.
Publish TelemetryPublish(Version v) {
  Publish p;
  p.qos = QoS::kAtLeastOnce;
  p.packet_id = 4242;
  p.topic = "tributary/things/sensor-0042/telemetry";
  // The remaining length takes one byte below 128 and two from 128 on.
  size_t header_and_topic = EncodedSize(p, v) + 1;
  p.payload.assign(250 - header_and_topic, 'x');
  return p;
}

void BM_DecodePublish(benchmark::State& state, Version v) {
  std::string bytes;
  Encode(TelemetryPublish(v), v, &bytes);
  if (bytes.size() != 250) state.SkipWithError("PUBLISH is not 250 bytes");
  std::span<const uint8_t> in(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  for (auto _ : state) {
    FrameInfo f = FrameSize(in, 1 << 20);
    auto r = Decode(in.first(f.size), v);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK_CAPTURE(BM_DecodePublish, v311, Version::kV311);
BENCHMARK_CAPTURE(BM_DecodePublish, v5, Version::kV5);

void BM_EncodePublish(benchmark::State& state, Version v) {
  Packet p = TelemetryPublish(v);
  std::string out;
  for (auto _ : state) {
    out.clear();  // reuses the buffer, as a connection's write buffer does
    Encode(p, v, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK_CAPTURE(BM_EncodePublish, v311, Version::kV311);
BENCHMARK_CAPTURE(BM_EncodePublish, v5, Version::kV5);

void BM_EncodedSizePublish(benchmark::State& state) {
  Packet p = TelemetryPublish(Version::kV5);
  for (auto _ : state) benchmark::DoNotOptimize(EncodedSize(p, Version::kV5));
}
BENCHMARK(BM_EncodedSizePublish);

void BM_TopicMatches(benchmark::State& state) {
  const std::vector<std::string> filters = {"tributary/things/+/telemetry",
                                            "tributary/things/sensor-0042/#",
                                            "tributary/things/sensor-0042/telemetry",
                                            "tributary/#",
                                            "+/things/+/+",
                                            "tributary/things/sensor-0043/telemetry",
                                            "other/#",
                                            "#"};
  const std::string topic = "tributary/things/sensor-0042/telemetry";
  for (auto _ : state) {
    int matched = 0;
    for (const auto& f : filters) matched += TopicMatches(f, topic);
    benchmark::DoNotOptimize(matched);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * filters.size()));
}
BENCHMARK(BM_TopicMatches);

void BM_IsValidTopicName(benchmark::State& state) {
  const std::string topic = "tributary/things/sensor-0042/telemetry";
  for (auto _ : state) benchmark::DoNotOptimize(IsValidTopicName(topic));
}
BENCHMARK(BM_IsValidTopicName);

}  // namespace
}  // namespace tributary::mqtt

BENCHMARK_MAIN();
