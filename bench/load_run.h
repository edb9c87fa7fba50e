// The throughput and latency scenario of the load generator: P publishers and S
// subscribers on one broker, measured end to end.
//
// Publisher i publishes to "<prefix><i>"; every subscriber subscribes to "<prefix>0"
// when there is one publisher and to the wildcard "<prefix>#" otherwise, at the
// scenario's QoS, and receives every message. The run goes through:
//
//   connect  subscribers connect and subscribe (SUBACK checked), then publishers connect
//   warm-up  publishers send; deliveries are not counted
//   measure  deliveries and their latency (receive time - payload send time) are counted
//   drain    publishers stop; the run waits until every message sent was delivered, or
//            until the drain timeout, then counts what never arrived
//
// Flow control, so that the figures are rates the broker sustains rather than queue
// growth: at most `window` messages per subscriber may be sent and not yet delivered,
// over all publishers (blocked publishers take turns as deliveries free room), and at
// QoS 1 each publisher also keeps at most `inflight` PUBLISH packets unacknowledged.
//
// With `subscribers` 0 (QoS 1 only) nobody subscribes: the window does not apply,
// publishers send as fast as `inflight` allows, and the measured figures are PUBACKs
// (msgs/s) and publish → PUBACK latency.
//
// With `lake_dir` (the bucket of a delivery stream that a rule feeds from the
// publishers' topics) a LakeWatcher (lake_watcher.h) also finds every record in the
// lake: the drain then waits for the lake too, and the result adds publish → object
// latency for the messages sent in the measuring window, and the acknowledged messages
// that never reached the lake.
//
// Everything runs on one thread (plus the lake watcher's); RunLoad blocks until the
// run is over.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "mqtt/packet.h"

namespace tributary::bench {

struct LoadOptions {
  std::string broker_label = "broker";
  std::string host = "127.0.0.1";
  uint16_t port = 1883;
  // Where the subscribers connect, if not to `port` (another server, bridged to the
  // publishers' over NATS: the messages cross between them); 0: `port`.
  uint16_t subscriber_port = 0;
  int publishers = 1;
  int subscribers = 1;
  int qos = 0;  // 0 or 1
  size_t payload_bytes = 250;
  double duration_s = 10;
  double warmup_s = 2;
  double drain_s = 5;
  double connect_timeout_s = 20;
  std::string topic_prefix = "bench/";
  mqtt::Version version = mqtt::Version::kV311;
  int inflight = 32;   // QoS 1: unacknowledged PUBLISH per publisher
  uint16_t keep_alive_s = 0;  // CONNECT keep alive; clients ping every half period
  int window = 100;    // sent and not yet delivered, per subscriber, all publishers together
  // Messages per second, all publishers together, spread evenly; 0: as fast as the
  // acknowledgements (and the window) allow.
  double rate = 0;
  std::string lake_dir;  // empty: no lake watching
};

// Records found in the lake (LoadOptions::lake_dir).
struct LakeFigures {
  uint64_t records = 0;         // distinct records of this run in the lake
  uint64_t objects = 0;         // objects read
  uint64_t window_records = 0;  // of those, sent in the measuring window
  double p50_us = 0;            // publish → object seen, for the window's records
  double p99_us = 0;
  double max_us = 0;
  uint64_t missing = 0;         // acknowledged (QoS 1) or sent (QoS 0), not in the lake
  uint64_t duplicates = 0;
  uint64_t foreign = 0;         // lines that are not one of this run's payloads
  std::string error;
};

struct LoadResult {
  LoadOptions options;
  uint64_t messages = 0;     // deliveries counted in the measuring window (all subscribers);
                             // PUBACKs with no subscribers
  double seconds = 0;        // length of the measuring window
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
  uint64_t sent = 0;         // PUBLISH packets sent by all publishers, whole run
  uint64_t acked = 0;        // of those, acknowledged (QoS 1)
  uint64_t delivered = 0;    // distinct messages delivered, summed over subscribers
  uint64_t duplicates = 0;   // deliveries of a message the subscriber already had
  uint64_t lost = 0;         // acknowledged (QoS 1) or sent (QoS 0) and never delivered
  bool drained = false;      // every message sent was delivered (and in the lake) before
                             // the drain timeout
  LakeFigures lake;
  std::string error;         // set when a client failed; the figures are then partial

  double msgs_per_s() const { return seconds > 0 ? static_cast<double>(messages) / seconds : 0; }
  double lake_records_per_s() const {
    return seconds > 0 ? static_cast<double>(lake.window_records) / seconds : 0;
  }
  // One JSON object on one line.
  std::string ToJsonLine() const;
};

// Runs the scenario. An error Status means the run could not start (bad options,
// broker unreachable, subscription refused); a failure during the run is reported in
// LoadResult::error with the figures measured so far.
Result<LoadResult> RunLoad(const LoadOptions& options);

}  // namespace tributary::bench
