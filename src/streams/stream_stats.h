// What Describe reports about a stream: its configuration and counters since the server
// started (the WAL and buffered figures are current values). Plain values.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "streams/stream_config.h"

namespace tributary::streams {

struct StreamStats {
  uint64_t records_in = 0;          // records acknowledged (durable in the WAL)
  uint64_t bytes_in = 0;
  // Records the WAL held undelivered when the stream opened (acknowledged before the
  // server started): delivered like the others, not counted in records_in. What delivery
  // owes is records_in + records_recovered.
  uint64_t records_recovered = 0;
  uint64_t records_rejected = 0;    // Puts refused: backpressure, WAL errors, stream stopping
  uint64_t objects_delivered = 0;   // objects Put to the bucket (including the error prefix)
  uint64_t bytes_delivered = 0;     // object bytes, after compression
  uint64_t records_delivered = 0;
  uint64_t records_to_error_prefix = 0;  // unpartitionable records and expired batches
  uint64_t delivery_errors = 0;     // failed Put attempts (each retry counts)
  uint64_t buffers_sealed_early = 0;  // delivered under pressure, before their hints
  // Data freshness: age of the oldest record of an object when the object became visible.
  int64_t last_delivery_latency_ms = 0;
  int64_t avg_delivery_latency_ms = 0;
  int64_t max_delivery_latency_ms = 0;
  // Acknowledged, not yet delivered: the records' bytes. (The pending limit counts each
  // record also with its WAL frame header and delimiter: DeliveryStream::RecordOverhead.)
  uint64_t buffered_bytes = 0;
  uint64_t wal_bytes = 0;           // size of the stream's WAL segments on disk
  uint64_t wal_commits = 0;         // group commits that succeeded
  int64_t avg_wal_commit_us = 0;    // their write and sync, on average
  double avg_records_per_commit = 0;
  // Acknowledged records lost to damage in the middle of a WAL segment, found at recovery
  // (last_error says where; the segment as found is kept as <segment>.corrupt).
  uint64_t wal_records_lost = 0;
  uint64_t wal_checkpoint_saves = 0;  // the local WAL's checkpoint written
  // Records kept in JetStream: its messages not taken, pulls and acknowledgements that
  // failed (tributary_stream_jetstream_*_failures_total); 0 on a local WAL.
  uint64_t jetstream_publish_failures = 0;
  uint64_t jetstream_pull_failures = 0;
  uint64_t jetstream_ack_failures = 0;
  std::string last_error;           // "" if none since start
  int64_t last_error_ms = 0;        // Unix ms of last_error, 0 if none
};

struct StreamDescription {
  StreamConfig config;
  // "active", "deleting" (no longer accepting records), "stopped", or "failed" (not
  // running: its row does not read or it did not start; stats.last_error says why)
  std::string status;
  int64_t created_ms = 0; // Unix ms
  StreamStats stats;
};

// {"config":{...}, "status":"active", "created":"2026-...Z", "created_ms":..., "stats":{...}}
nlohmann::json ToJson(const StreamStats& stats);
nlohmann::json ToJson(const StreamDescription& description);

}  // namespace tributary::streams
