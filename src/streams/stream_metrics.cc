#include "streams/stream_metrics.h"

namespace tributary::streams {
namespace {

MetricsRegistry* Pick(MetricsRegistry* given, std::unique_ptr<MetricsRegistry>* own) {
  if (given) return given;
  *own = std::make_unique<MetricsRegistry>();
  return own->get();
}

std::vector<double> FreshnessBuckets() {
  // Buffer intervals reach 900 s and retries add more: seconds from 10 ms to an hour.
  return {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600};
}

// Records per group commit: 1 (a lone device) to 64 Ki (a burst behind a slow disk).
std::vector<double> CommitSizeBuckets() {
  std::vector<double> b;
  for (double v = 1; v <= 65536; v *= 4) b.push_back(v);
  return b;
}

}  // namespace

StreamMetrics::StreamMetrics(MetricsRegistry* given, const std::string& stream_name, bool jetstream)
    : registry(Pick(given, &own_registry)), stream(stream_name) {
  MetricsRegistry* r = registry;
  Labels l{{"stream", stream}};
  records_in = r->NewCounter("tributary_stream_records_in_total",
                             "Records acknowledged by a delivery stream (durable in its WAL)", l);
  bytes_in = r->NewCounter("tributary_stream_bytes_in_total", "Record bytes acknowledged", l);
  records_recovered = r->NewCounter(
      "tributary_stream_records_recovered_total",
      "Records found undelivered in the stream's WAL when it opened (acknowledged before this "
      "process started): delivered, never counted in records_in",
      l);
  records_rejected = r->NewCounter("tributary_stream_records_rejected_total",
                                   "Records refused: buffer full, WAL error, stream stopping", l);
  objects_delivered = r->NewCounter("tributary_stream_objects_delivered_total",
                                    "Objects written to the lake (error prefix included)", l);
  bytes_delivered = r->NewCounter("tributary_stream_bytes_delivered_total",
                                  "Object bytes written to the lake, after compression", l);
  records_delivered = r->NewCounter("tributary_stream_records_delivered_total",
                                    "Records written to the lake (error prefix included)", l);
  records_to_error_prefix = r->NewCounter(
      "tributary_stream_records_to_error_prefix_total",
      "Records written under the error prefix (partitioning or delivery failed)", l);
  delivery_errors = r->NewCounter("tributary_stream_delivery_errors_total",
                                  "Failed object writes (each retry counts)", l);
  buffers_sealed_early = r->NewCounter(
      "tributary_stream_buffers_sealed_early_total",
      "Buffers delivered before their size or interval: records pending passed half the limit", l);
  wal_records_lost = r->NewCounter(
      "tributary_stream_wal_records_lost_total",
      "Acknowledged records lost to damage in the middle of a WAL segment (found at recovery)", l);
  wal_checkpoint_saves =
      r->NewCounter("tributary_stream_wal_checkpoint_saves_total",
                    "Saves of the WAL's checkpoint, what is delivered (at most one per "
                    "wal_checkpoint_interval_ms, and at each flush)",
                    l);
  delivery_latency = r->NewHistogram(
      "tributary_stream_delivery_latency_seconds",
      "Age of an object's oldest record when the object became visible (data freshness)",
      FreshnessBuckets(), l);
  last_latency_ms = r->NewGauge("tributary_stream_last_delivery_latency_ms",
                                "Data freshness of the last object delivered, ms", l);
  max_latency_ms = r->NewGauge("tributary_stream_max_delivery_latency_ms",
                               "Largest data freshness seen since start, ms", l);
  buffered_bytes = r->NewGauge("tributary_stream_buffered_bytes",
                               "Bytes acknowledged but not yet delivered", l);
  wal_bytes = r->NewGauge("tributary_stream_wal_bytes", "Bytes of records in the stream's WAL (frames; a preallocated segment takes more on disk)", l);
  wal_commit_seconds = r->NewHistogram(
      "tributary_stream_wal_commit_seconds",
      "Time a WAL group commit took to write its batch and sync it (per the fsync policy)",
      LatencyBuckets(), l);
  wal_commit_records = r->NewHistogram("tributary_stream_wal_commit_records",
                                       "Records per WAL group commit", CommitSizeBuckets(), l);
  if (jetstream) {
    jetstream_publish_failures = r->NewCounter(
        "tributary_stream_jetstream_publish_failures_total",
        "JetStream messages of records not taken: refused, unanswered, or not sent (NATS down, "
        "the JetStream stream gone or full); their records were refused",
        l);
    jetstream_pull_failures = r->NewCounter(
        "tributary_stream_jetstream_pull_failures_total",
        "Pulls from the JetStream consumer that failed (NATS down, the stream or consumer gone)",
        l);
    jetstream_ack_failures = r->NewCounter(
        "tributary_stream_jetstream_ack_failures_total",
        "Acknowledgements (+ACK, +WPI, -NAK) of pulled messages that could not be sent to "
        "JetStream (NATS down): those messages are delivered again",
        l);
  }
}

void StreamMetrics::Unregister() {
  if (!unregistered)
    unregistered = registry->RemoveSeries("tributary_stream_", {{"stream", stream}});
}

void StreamMetrics::MarkCreated() {
  since.records_in = records_in->Value();
  since.bytes_in = bytes_in->Value();
  since.records_recovered = records_recovered->Value();
  since.records_rejected = records_rejected->Value();
  since.objects_delivered = objects_delivered->Value();
  since.bytes_delivered = bytes_delivered->Value();
  since.records_delivered = records_delivered->Value();
  since.records_to_error_prefix = records_to_error_prefix->Value();
  since.delivery_errors = delivery_errors->Value();
  since.buffers_sealed_early = buffers_sealed_early->Value();
  since.wal_records_lost = wal_records_lost->Value();
  since.wal_checkpoint_saves = wal_checkpoint_saves->Value();
  since.latency_count = delivery_latency->Count();
  since.latency_sum = delivery_latency->Sum();
  since.commits = wal_commit_seconds->Count();
  since.commit_seconds_sum = wal_commit_seconds->Sum();
  since.commit_records_sum = wal_commit_records->Sum();
  if (jetstream_publish_failures) {
    since.jetstream_publish_failures = jetstream_publish_failures->Value();
    since.jetstream_pull_failures = jetstream_pull_failures->Value();
    since.jetstream_ack_failures = jetstream_ack_failures->Value();
  }
  last_latency_ms->Set(0);
  max_latency_ms->Set(0);
}

}  // namespace tributary::streams
