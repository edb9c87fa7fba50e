// The idle-connections scenario of the load generator: opens N MQTT connections to
// one broker (CONNECT/CONNACK completed, keepalive off by default), announces when all
// are connected, holds them idle, and reports how many the broker dropped meanwhile.
// A script reads the broker's resident memory before the run and during the hold to
// get the memory each idle connection costs.
//
// Connections are opened `concurrency` at a time. With `source_addresses` K > 1,
// connection i binds to 127.0.0.(1 + i mod K), so that more connections fit than one
// source address has ephemeral ports (loopback brokers only).
//
// Everything runs on one thread; RunIdle blocks until the hold is over or the process
// gets SIGINT or SIGTERM.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "mqtt/packet.h"

namespace tributary::bench {

struct IdleOptions {
  std::string broker_label = "broker";
  std::string host = "127.0.0.1";
  uint16_t port = 1883;
  int connections = 10000;
  double hold_s = 30;
  int source_addresses = 1;
  int concurrency = 200;
  uint16_t keep_alive_s = 0;
  double connect_timeout_s = 120;
  mqtt::Version version = mqtt::Version::kV311;
};

struct IdleResult {
  IdleOptions options;
  int connected = 0;          // CONNACK received
  int dropped = 0;            // closed by the broker after connecting
  double connect_seconds = 0; // from the first connect to the last CONNACK
  double held_seconds = 0;
  std::string error;          // first failure, if any

  // {"event": "all_connected" or "done", ...} on one line.
  std::string ToJsonLine(const std::string& event) const;
};

// `on_all_connected` is called once, when every connection has its CONNACK.
Result<IdleResult> RunIdle(const IdleOptions& options,
                           std::function<void(const IdleResult&)> on_all_connected);

}  // namespace tributary::bench
