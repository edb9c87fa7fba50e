// StreamMetrics: one stream's counters, both for Describe and, with labels {stream="name"},
// for /metrics (tributary_stream_*). When the manager has no registry they live in a
// private one. Updates are relaxed atomics: safe from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "base/metrics.h"

namespace tributary::streams {

struct StreamMetrics {
  // Registers the series in `registry`, or in a private registry when it is null; the
  // jetstream_* ones only for a stream whose records are kept in JetStream (`jetstream`).
  StreamMetrics(MetricsRegistry* registry, const std::string& stream, bool jetstream = false);
  // The stream is deleted: its series leave the registry (and /metrics). The pointers
  // below stay valid, and updating them harmless, as long as this object lives.
  void Unregister();

  std::unique_ptr<MetricsRegistry> own_registry;  // set when no registry was given
  MetricsRegistry* registry;                      // where the series are
  const std::string stream;
  std::shared_ptr<void> unregistered;  // the series Unregister took out of the registry
  Counter* records_in;                 // acknowledged by this process
  Counter* bytes_in;
  // Found undelivered in the WAL when the stream opened (acknowledged by an earlier
  // process, or before the stream failed): they will count as delivered without having
  // counted in, so records_in + records_recovered is what delivery owes.
  Counter* records_recovered;
  // Set by the first open of the stream's WAL under these counters: a WAL opened again in
  // the same process (after a stop that failed) holds only records counted already, in
  // records_in or at that first open, and adds none.
  std::atomic<bool> recovery_counted{false};
  Counter* records_rejected;
  Counter* objects_delivered;
  Counter* bytes_delivered;
  Counter* records_delivered;
  Counter* records_to_error_prefix;
  Counter* delivery_errors;
  Counter* buffers_sealed_early;  // under pressure, before their size or interval
  Counter* wal_records_lost;      // to damage in the middle of a WAL segment, found at recovery
  Counter* wal_checkpoint_saves;  // the local WAL's checkpoint written (WalOptions::on_saved)
  Histogram* delivery_latency;  // seconds: age of an object's oldest record when it landed
  Gauge* last_latency_ms;
  Gauge* max_latency_ms;
  Gauge* buffered_bytes;
  Gauge* wal_bytes;
  Histogram* wal_commit_seconds;  // a group commit's write and sync
  Histogram* wal_commit_records;  // records per group commit
  // The stream's talk with JetStream that failed (LogFailure); null without JetStream.
  Counter* jetstream_publish_failures = nullptr;
  Counter* jetstream_pull_failures = nullptr;
  Counter* jetstream_ack_failures = nullptr;

  // The counters when the stream of this name was last created: Describe subtracts them.
  // (A deleted stream's series leave the registry with it, so a stream created again
  // under the name starts new ones from zero anyway.)
  struct Since {
    uint64_t records_in = 0, bytes_in = 0, records_recovered = 0, records_rejected = 0,
             objects_delivered = 0, bytes_delivered = 0, records_delivered = 0,
             records_to_error_prefix = 0, delivery_errors = 0, buffers_sealed_early = 0,
             wal_records_lost = 0, wal_checkpoint_saves = 0, latency_count = 0, commits = 0,
             jetstream_publish_failures = 0, jetstream_pull_failures = 0,
             jetstream_ack_failures = 0;
    double latency_sum = 0, commit_seconds_sum = 0, commit_records_sum = 0;
  };
  Since since;
  // A new stream of this name: counts start again (Since), its freshness gauges at 0.
  void MarkCreated();
};

}  // namespace tributary::streams
