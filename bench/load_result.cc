#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <cmath>

#include "bench/load_run.h"

namespace tributary::bench {

namespace {
double Round1(double v) { return std::round(v * 10) / 10; }

// CPU seconds (user + system) this process has used so far, every thread included.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}
}  // namespace

std::string LoadResult::ToJsonLine() const {
  nlohmann::ordered_json j;
  j["broker_label"] = options.broker_label;
  j["version"] = options.version == mqtt::Version::kV5 ? 5 : 4;
  j["publishers"] = options.publishers;
  j["subscribers"] = options.subscribers;
  j["qos"] = options.qos;
  j["payload_bytes"] = options.payload_bytes;
  j["inflight"] = options.inflight;
  j["window"] = options.window;
  j["rate"] = options.rate;
  j["messages"] = messages;
  j["seconds"] = std::round(seconds * 1000) / 1000;
  j["msgs_per_s"] = std::round(msgs_per_s());
  j["p50_us"] = Round1(p50_us);
  j["p99_us"] = Round1(p99_us);
  j["max_us"] = Round1(max_us);
  j["sent"] = sent;
  j["acked"] = acked;
  j["delivered"] = delivered;
  j["duplicates"] = duplicates;
  j["lost"] = lost;
  j["drained"] = drained;
  if (!options.lake_dir.empty()) {
    j["lake_records"] = lake.records;
    j["lake_objects"] = lake.objects;
    j["lake_window_records"] = lake.window_records;
    j["lake_records_per_s"] = std::round(lake_records_per_s());
    j["lake_p50_us"] = Round1(lake.p50_us);
    j["lake_p99_us"] = Round1(lake.p99_us);
    j["lake_max_us"] = Round1(lake.max_us);
    j["lake_missing"] = lake.missing;
    j["lake_duplicates"] = lake.duplicates;
    j["lake_foreign"] = lake.foreign;
    if (!lake.error.empty()) j["lake_error"] = lake.error;
  }
  // The load generator's own CPU (the lake watcher's included): on a machine it shares
  // with the server, what it uses the server cannot.
  j["load_cpu_s"] = std::round(ProcessCpuSeconds() * 1000) / 1000;
  if (!error.empty()) j["error"] = error;
  return j.dump();
}

}  // namespace tributary::bench
