#include "streams/stream_stats.h"

#include <nlohmann/json.hpp>

#include "base/clock.h"

namespace tributary::streams {

nlohmann::json ToJson(const StreamStats& s) {
  return {{"records_in", s.records_in},
          {"bytes_in", s.bytes_in},
          {"records_recovered", s.records_recovered},
          {"records_rejected", s.records_rejected},
          {"objects_delivered", s.objects_delivered},
          {"bytes_delivered", s.bytes_delivered},
          {"records_delivered", s.records_delivered},
          {"records_to_error_prefix", s.records_to_error_prefix},
          {"delivery_errors", s.delivery_errors},
          {"buffers_sealed_early", s.buffers_sealed_early},
          {"last_delivery_latency_ms", s.last_delivery_latency_ms},
          {"avg_delivery_latency_ms", s.avg_delivery_latency_ms},
          {"max_delivery_latency_ms", s.max_delivery_latency_ms},
          {"buffered_bytes", s.buffered_bytes},
          {"wal_bytes", s.wal_bytes},
          {"wal_commits", s.wal_commits},
          {"avg_wal_commit_us", s.avg_wal_commit_us},
          {"avg_records_per_commit", s.avg_records_per_commit},
          {"wal_records_lost", s.wal_records_lost},
          {"wal_checkpoint_saves", s.wal_checkpoint_saves},
          {"jetstream_publish_failures", s.jetstream_publish_failures},
          {"jetstream_pull_failures", s.jetstream_pull_failures},
          {"jetstream_ack_failures", s.jetstream_ack_failures},
          {"last_error", s.last_error},
          {"last_error_time", s.last_error_ms ? FormatIso8601Millis(s.last_error_ms) : ""}};
}

nlohmann::json ToJson(const StreamDescription& d) {
  return {{"config", ToJson(d.config)},
          {"status", d.status},
          {"created", FormatIso8601Millis(d.created_ms)},
          {"created_ms", d.created_ms},
          {"stats", ToJson(d.stats)}};
}

}  // namespace tributary::streams
