// mqtt_load: the broker load generator (BENCHMARKS.md). Two modes:
//
//   mqtt_load --port 1883 --publishers 100 --qos 1 --duration-s 10
//       throughput and end-to-end latency (load_run.h); prints one JSON line
//   mqtt_load --port 1883 --publishers 100 --subscribers 0 --qos 1 --lake-dir D/lake/B
//       the same, and also publish → lake latency of the records a rule and a
//       delivery stream wrote to the local lake bucket D/lake/B
//   mqtt_load --port 1883 --idle-connections 10000 --hold-s 30
//       opens and holds idle connections (idle_run.h); prints a JSON line when all
//       are connected and another at the end
//
// Exit status: 0 on a clean run, 1 when the run failed, lost messages at QoS 1 or
// (with --lake-dir) acknowledged messages never reached the lake, 2 on bad options.
#include <sys/resource.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "bench/idle_run.h"
#include "bench/load_run.h"

namespace {

using tributary::bench::IdleOptions;
using tributary::bench::IdleResult;
using tributary::bench::LoadOptions;

// Each connection is a file descriptor: take the hard limit.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      std::perror("mqtt_load: raising RLIMIT_NOFILE");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"MQTT broker load generator: throughput, latency and idle connections"};
  LoadOptions load;
  int version = 4;
  int idle_connections = 0;
  IdleOptions idle;
  app.add_option("--broker-label", load.broker_label, "name of the broker in the output")
      ->capture_default_str();
  app.add_option("--host", load.host, "broker address")->capture_default_str();
  app.add_option("--port", load.port, "broker MQTT port")->required();
  app.add_option("--subscriber-port", load.subscriber_port,
                 "subscribers connect here instead (another server, bridged over NATS)");
  app.add_option("--version", version, "MQTT protocol version: 4 (3.1.1) or 5")
      ->check(CLI::IsMember({4, 5}))
      ->capture_default_str();
  app.add_option("--publishers", load.publishers, "publishing clients")->capture_default_str();
  app.add_option("--subscribers", load.subscribers,
                 "subscribing clients (0, QoS 1 only: PUBACKs are measured)")
      ->capture_default_str();
  app.add_option("--qos", load.qos, "QoS of publications and subscriptions")
      ->check(CLI::IsMember({0, 1}))
      ->capture_default_str();
  app.add_option("--payload-bytes", load.payload_bytes, "payload size")->capture_default_str();
  app.add_option("--duration-s", load.duration_s, "measured seconds")->capture_default_str();
  app.add_option("--warmup-s", load.warmup_s, "seconds of load before measuring")
      ->capture_default_str();
  app.add_option("--drain-s", load.drain_s, "seconds to wait for late deliveries")
      ->capture_default_str();
  app.add_option("--topic-prefix", load.topic_prefix, "publisher i publishes to <prefix><i>")
      ->capture_default_str();
  app.add_option("--rate", load.rate,
                 "messages per second, all publishers together (0: as fast as acknowledged)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--inflight", load.inflight, "QoS 1: unacknowledged messages per publisher")
      ->capture_default_str();
  app.add_option("--window", load.window,
                 "messages sent but not yet delivered, per subscriber, over all publishers")
      ->capture_default_str();
  app.add_option("--lake-dir", load.lake_dir,
                 "also find every record in this local lake bucket directory (uncompressed "
                 "objects) and measure publish -> object latency");
  app.add_option("--idle-connections", idle_connections,
                 "idle mode: open and hold this many connections");
  app.add_option("--hold-s", idle.hold_s, "idle mode: seconds to hold them")->capture_default_str();
  app.add_option("--source-addresses", idle.source_addresses,
                 "idle mode: spread connections over 127.0.0.1..127.0.0.K")
      ->capture_default_str();
  app.add_option("--concurrency", idle.concurrency, "idle mode: connection attempts at once")
      ->capture_default_str();
  app.add_option("--keep-alive-s", load.keep_alive_s,
                 "CONNECT keep alive in seconds (0 off); clients ping every half period")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  RaiseFileLimit();
  auto mqtt_version =
      version == 5 ? tributary::mqtt::Version::kV5 : tributary::mqtt::Version::kV311;

  if (idle_connections > 0) {
    idle.broker_label = load.broker_label;
    idle.host = load.host;
    idle.port = load.port;
    idle.connections = idle_connections;
    idle.keep_alive_s = load.keep_alive_s;
    idle.version = mqtt_version;
    auto result = tributary::bench::RunIdle(idle, [](const IdleResult& r) {
      std::cout << r.ToJsonLine("all_connected") << std::endl;
    });
    if (!result.ok()) {
      std::cerr << "mqtt_load: " << result.status().ToString() << "\n";
      return 2;
    }
    std::cout << result->ToJsonLine("done") << std::endl;
    return result->error.empty() && result->connected == idle.connections ? 0 : 1;
  }

  load.version = mqtt_version;
  auto result = tributary::bench::RunLoad(load);
  if (!result.ok()) {
    std::cerr << "mqtt_load: " << result.status().ToString() << "\n";
    return result.status().code() == tributary::ErrorCode::kInvalidArgument ? 2 : 1;
  }
  std::cout << result->ToJsonLine() << std::endl;
  if (!result->error.empty()) {
    std::cerr << "mqtt_load: " << load.broker_label << ": " << result->error << "\n";
    return 1;
  }
  if (load.qos == 1 && result->lost > 0) {
    std::cerr << "mqtt_load: " << load.broker_label << ": " << result->lost
              << " acknowledged QoS 1 messages were never delivered\n";
    return 1;
  }
  if (!load.lake_dir.empty() && result->lake.missing > 0) {
    std::cerr << "mqtt_load: " << load.broker_label << ": " << result->lake.missing
              << " acknowledged messages were not in the lake " << load.lake_dir
              << " by the end of the drain (--drain-s " << load.drain_s << ")\n";
    return 1;
  }
  return 0;
}
