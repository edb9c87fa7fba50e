// StreamMetrics: one stream's counters, both for Describe and, with labels {stream="name"},
// for /metrics (tributary_stream_*). When the manager has no registry they live in a
// private one. Updates are relaxed atomics: safe from any thread.
#pragma once

#include <memory>
#include <string>

#include "base/metrics.h"

namespace tributary::streams {

struct StreamMetrics {
  // Registers the series in `registry`, or in a private registry when it is null.
  StreamMetrics(MetricsRegistry* registry, const std::string& stream);

  std::unique_ptr<MetricsRegistry> own_registry;  // set when no registry was given
  Counter* records_in;
  Counter* bytes_in;
  Counter* records_rejected;
  Counter* objects_delivered;
  Counter* bytes_delivered;
  Counter* records_delivered;
  Counter* records_to_error_prefix;
  Counter* delivery_errors;
  Counter* buffers_sealed_early;  // under pressure, before their size or interval
  Histogram* delivery_latency;  // seconds: age of an object's oldest record when it landed
  Gauge* last_latency_ms;
  Gauge* max_latency_ms;
  Gauge* buffered_bytes;
  Gauge* wal_bytes;
  Histogram* wal_commit_seconds;  // a group commit's write and sync
  Histogram* wal_commit_records;  // records per group commit
};

}  // namespace tributary::streams
