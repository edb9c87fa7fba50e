// DeliveryStream's objects (delivery_stream.h): what one sealed buffer becomes in the lake.
// The records as put (compressed if asked) under the prefix, or as Parquet by a catalog table
// with the records that do not fit as error lines; its error lines under the error prefix
// when partitioning failed; a copy of the records in the backup bucket; each object
// retried with backoff, then written to the error prefix, at once for one the store
// refuses. Runs on the delivery thread only.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "base/base64.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "streams/delivery_stream.h"
#include "streams/gzip.h"
#include "streams/snappy_streams.h"
#include "streams/zip_archive.h"

namespace tributary::streams {
namespace {

// `raw` as `*compression` asks, in `storage` when compressed; a ZIP archive's one entry is
// named `uuid` (the object's) and dated `now_ms`. Only a zlib failure (out of memory)
// leaves it raw, with `*compression` set to none: raw records beat losing them.
std::string_view Compressed(std::string_view raw, Compression* compression, std::string* storage,
                            const std::string& stream, std::string_view uuid, int64_t now_ms) {
  if (*compression == Compression::kSnappy || *compression == Compression::kHadoopSnappy) {
    *storage = *compression == Compression::kSnappy ? XerialSnappyCompress(raw)
                                                    : HadoopSnappyCompress(raw);
    return *storage;
  }
  if (*compression != Compression::kGzip && *compression != Compression::kZip) return raw;
  auto packed =
      *compression == Compression::kGzip ? GzipCompress(raw) : ZipOneEntry(raw, uuid, now_ms);
  if (!packed.ok()) {
    Logger("streams")->error("stream={} {} failed, writing the object uncompressed: {}", stream,
                             CompressionName(*compression), packed.status().ToString());
    *compression = Compression::kNone;
    return raw;
  }
  *storage = std::move(packed).value();
  return *storage;
}

int64_t SteadyMillis() { return SteadyNanos() / 1'000'000; }

// kDefaultErrorPrefix, parsed: where records go when the stream's own error prefix makes
// keys the store refuses.
const KeyTemplate& DefaultErrorPrefix() {
  static const KeyTemplate t = KeyTemplate::Parse(std::string(kDefaultErrorPrefix),
                                                  KeyTemplate::Use::kErrorPrefix, "error_prefix")
                                   .value();
  return t;
}

}  // namespace

bool DeliveryStream::Deliver(Buffer& b) {
  StreamMetrics& m = *options_.metrics;
  const Destination& dest = *b.destination;
  const StreamConfig& config = dest.config;
  auto log = Logger("streams");

  std::string raw = std::move(b.bytes);
  KeyContext context;
  context.time_ms = b.oldest_arrival_ms;
  context.zone = dest.zone.get();
  context.partition_values = b.partition_values;
  if (!b.partitioning_failed && config.format_conversion.enabled) {
    if (!DeliverConverted(b, raw, context)) return false;
  } else {
    std::string compressed;
    Compression compression = config.compression;
    const std::string uuid = NewUuid();
    std::string_view body =
        Compressed(raw, &compression, &compressed, config.name, uuid, options_.clock());
    // The stream's file extension names what it configured: not a gzip fallen back to raw,
    // nor the JSON error lines of a stream that writes Parquet.
    std::string_view extension =
        compression == config.compression && !config.format_conversion.enabled
            ? std::string_view(config.file_extension)
            : "";
    std::string object_name =
        ObjectName(config.name, b.oldest_arrival_ms, uuid, compression, context.zone, extension);
    objstore::PutOptions put;
    put.content_encoding = ContentEncodingOf(compression);
    put.metadata["first-record-id"] = RecordId(b.epoch, b.seqs.front());
    put.metadata["last-record-id"] = RecordId(b.epoch, b.seqs.back());
    put.metadata["record-count"] = std::to_string(b.seqs.size());
    std::string_view error_type = b.partitioning_failed ? kPartitioningFailed : "";
    if (!WriteObject(dest, context, object_name, body, std::move(put), error_type,
                     b.seqs.size())) {
      return false;
    }
  }
  if (config.backup.enabled() &&
      !DeliverBackup(b, b.partitioning_failed ? std::string_view(b.source) : std::string_view(raw),
                     context)) {
    return false;
  }

  int64_t latency_ms = std::max<int64_t>(0, options_.clock() - b.oldest_arrival_ms);
  m.delivery_latency->Observe(double(latency_ms) / 1000.0);
  m.last_latency_ms->Set(latency_ms);
  if (latency_ms > m.max_latency_ms->Value()) m.max_latency_ms->Set(latency_ms);
  m.records_delivered->Add(b.seqs.size());

  // Before the checkpoint, so whoever sees the checkpoint cover these records (Flush) also
  // sees them gone from the backpressure count.
  pending_bytes_ -= b.raw_bytes;
  pending_records_ -= b.seqs.size();
  if (log_external_) {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = undelivered_by_epoch_.find(b.epoch); it != undelivered_by_epoch_.end()) {
      it->second -= std::min<uint64_t>(it->second, b.seqs.size());
      if (it->second == 0) undelivered_by_epoch_.erase(it);
    }
    if (b.epoch != epoch_) progress_cv_.notify_all();  // a Flush may wait for it
  }
  m.buffered_bytes->Set(static_cast<int64_t>(pending_bytes_.load()));
  if (Status st = log_->MarkDelivered(b.epoch, b.seqs); !st.ok()) {
    // The object is in the lake; only a restart could deliver these records a second time.
    NoteError(st.ToString());
    log->error("stream={} checkpoint not saved, records may be delivered again after a "
               "restart: {}", config.name, st.ToString());
  }
  m.wal_bytes->Set(static_cast<int64_t>(log_->size_bytes()));
  KeepSpare(std::move(raw), std::move(b.seqs));
  return true;
}

bool DeliveryStream::DeliverConverted(Buffer& b, std::string_view raw, KeyContext context) {
  StreamMetrics& m = *options_.metrics;
  const Destination& dest = *b.destination;
  const StreamConfig& config = dest.config;
  const FormatConversion& conversion = config.format_conversion;
  auto log = Logger("streams");

  std::vector<std::string_view> records;
  records.reserve(b.ends.size());
  size_t start = 0;
  for (uint32_t end : b.ends) {
    records.push_back(raw.substr(start, end - start));
    start = end;
  }
  // The table cannot be read (deleted, a version that is not there): retried like a failing
  // bucket, then every record goes to the error prefix with the reason.
  Result<ConvertedObject> converted = Unavailable("not converted");
  int64_t started = SteadyMillis();
  int64_t backoff = options_.retry_initial_backoff_ms;
  while (true) {
    converted = options_.converter
                    ? options_.converter->Convert(conversion, records)
                    : Result<ConvertedObject>(FailedPrecondition(
                          "this server has no catalog to convert records with"));
    if (converted.ok()) break;
    m.delivery_errors->Add();
    NoteError(fmt::format("converting records with table {}.{}: {}", conversion.database,
                          conversion.table, converted.status().ToString()));
    log->warn("stream={} format conversion failed table={}.{} error=\"{}\" retry_in_ms={}",
              config.name, conversion.database, conversion.table, converted.status().ToString(),
              backoff);
    if (SteadyMillis() - started >= options_.retry_window_ms) break;
    if (!SleepUnlessAbandoned(backoff)) return false;
    backoff = std::min(backoff * 2, options_.retry_max_backoff_ms);
  }
  ConvertedObject out;
  if (converted.ok()) {
    out = std::move(converted).value();
  } else {
    std::string code = converted.status().code() == ErrorCode::kNotFound
                           ? "DataFormatConversion.EntityNotFound"
                           : "DataFormatConversion.InvalidSchema";
    for (size_t i = 0; i < records.size(); ++i) {
      out.failed.push_back({i, code, converted.status().message()});
    }
  }

  std::vector<uint8_t> failed(records.size(), 0);
  for (const ConversionFailure& f : out.failed) failed[f.index] = 1;
  auto ids = [&](bool of_failed, objstore::PutOptions* put, uint64_t count) {
    size_t first = 0, last = 0;
    bool any = false;
    for (size_t i = 0; i < records.size(); ++i) {
      if ((failed[i] != 0) != of_failed) continue;
      if (!any) first = i;
      last = i;
      any = true;
    }
    put->metadata["first-record-id"] = RecordId(b.epoch, b.seqs[first]);
    put->metadata["last-record-id"] = RecordId(b.epoch, b.seqs[last]);
    put->metadata["record-count"] = std::to_string(count);
  };

  if (!out.bytes.empty()) {
    std::string object_name = ObjectName(config.name, b.oldest_arrival_ms, NewUuid(),
                                         Compression::kNone, context.zone, config.file_extension);
    objstore::PutOptions put;
    ids(false, &put, records.size() - out.failed.size());
    put.metadata["schema-version"] = out.version_id;
    if (!WriteObject(dest, context, object_name, out.bytes, std::move(put), "",
                     records.size() - out.failed.size())) {
      return false;
    }
  }
  if (!out.failed.empty()) {
    const int64_t now = options_.clock();
    std::string lines;
    for (const ConversionFailure& f : out.failed) {
      nlohmann::json line = {
          {"attemptsMade", 1},
          {"arrivalTimestamp", b.arrivals[f.index]},
          {"ErrorCode", f.code},
          {"ErrorMessage", f.message},
          {"attemptEndingTimestamp", now},
          {"rawData", Base64Encode(records[f.index])},
          {"sequenceNumber", std::to_string(b.seqs[f.index])},
          {"subSequenceNumber", 0},
          {"recordId", RecordId(b.epoch, b.seqs[f.index])},
          {"dataCatalogTable",
           {{"catalogId", conversion.catalog_id},
            {"databaseName", conversion.database},
            {"tableName", conversion.table},
            {"region", conversion.region},
            {"versionId", out.version_id.empty() ? conversion.version_id : out.version_id}}}};
      // Replacing what is not UTF-8: a message quoting a record must not throw here.
      lines += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      lines += '\n';
    }
    std::string object_name = ObjectName(config.name, b.oldest_arrival_ms, NewUuid(),
                                         Compression::kNone, context.zone);
    objstore::PutOptions put;
    ids(true, &put, out.failed.size());
    if (!WriteObject(dest, context, object_name, lines, std::move(put), kFormatConversionFailed,
                     out.failed.size())) {
      return false;
    }
  }
  return true;
}

bool DeliveryStream::DeliverBackup(const Buffer& b, std::string_view raw, KeyContext context) {
  const Destination& dest = *b.destination;
  std::string compressed;
  Compression compression = dest.config.backup.compression;
  const std::string uuid = NewUuid();
  std::string_view body =
      Compressed(raw, &compression, &compressed, dest.config.name, uuid, options_.clock());
  std::string object_name =
      ObjectName(dest.config.name, b.oldest_arrival_ms, uuid, compression, context.zone);
  objstore::PutOptions put;
  put.content_encoding = ContentEncodingOf(compression);
  put.metadata["first-record-id"] = RecordId(b.epoch, b.seqs.front());
  put.metadata["last-record-id"] = RecordId(b.epoch, b.seqs.back());
  put.metadata["record-count"] = std::to_string(b.seqs.size());
  put.metadata["backup"] = "source-records";
  return WriteObject(dest, context, object_name, body, std::move(put), "", b.seqs.size(),
                     /*backup=*/true);
}

bool DeliveryStream::WriteObject(const Destination& dest, KeyContext context,
                                 const std::string& object_name, std::string_view body,
                                 objstore::PutOptions put, std::string_view error_output_type,
                                 uint64_t records, bool backup) {
  StreamMetrics& m = *options_.metrics;
  const StreamConfig& config = dest.config;
  auto log = Logger("streams");
  bool to_error = !error_output_type.empty();
  // Set once the error prefix's own key was refused: the built-in one is used from then.
  bool default_error_prefix = false;
  // The destination an error-prefix write follows: the buffer's, then, on a retry, the
  // stream's current one (an update may have mended its error prefix meanwhile).
  std::shared_ptr<const Destination> current;
  const Destination* error_dest = &dest;
  auto error_key = [&] {
    const KeyTemplate& t = default_error_prefix ? DefaultErrorPrefix() : error_dest->error_prefix;
    return t.Render(context) + object_name;
  };
  std::string key;
  if (to_error) {
    context.error_output_type = error_output_type;
    put.metadata["error-output-type"] = std::string(error_output_type);
    key = error_key();
  } else {
    key = (backup ? dest.backup_prefix : dest.prefix).Render(context) + object_name;
  }
  objstore::ObjectStore* bucket = backup ? dest.backup_bucket.get() : dest.bucket.get();

  int64_t started = SteadyMillis();
  int64_t backoff = options_.retry_initial_backoff_ms;
  while (true) {
    Status st = bucket->Put(key, body, put);
    if (st.ok()) break;
    m.delivery_errors->Add();
    NoteError(fmt::format("writing {} to {}: {}", key, bucket->Describe(), st.ToString()));
    log->warn("stream={} delivery failed key={} error=\"{}\" retry_in_ms={}", config.name, key,
              st.ToString(), backoff);
    // A request the store refuses as such (a key it cannot hold: a partition value too
    // long for a segment of the local lake, or one that is an object already where the
    // key needs a prefix) will not be taken on a retry either: to the error prefix at
    // once, so that one device's records do not hold the stream's delivery for the whole
    // retry window.
    const bool refused = bucket->IsPermanentRefusal(st);
    if (!to_error && (refused || SteadyMillis() - started >= options_.retry_window_ms)) {
      to_error = true;
      context.error_output_type = kDeliveryFailed;
      put.metadata["error-output-type"] = std::string(kDeliveryFailed);
      put.metadata["error-message"] = st.message().substr(0, 1024);
      std::string to_key = error_key();
      log->error("stream={} {}, writing {} records to the error prefix key={} last_error=\"{}\"",
                 config.name,
                 refused ? std::string("destination refused the object")
                         : fmt::format("destination failing for {} ms", options_.retry_window_ms),
                 records, to_key, st.ToString());
      key = std::move(to_key);
      continue;  // try the error prefix at once
    }
    if (to_error && refused && !default_error_prefix) {
      // The error prefix makes keys the store will never take: retrying them would hold
      // the stream (and its Stop, and its Delete) for good. The built-in error prefix
      // makes keys every store takes.
      default_error_prefix = true;
      std::string to_key = error_key();
      std::string why = fmt::format(
          "the error prefix's key {} was refused by {} ({}); writing {} records under the "
          "built-in error prefix instead, key={}",
          key, bucket->Describe(), st.ToString(), records, to_key);
      log->error("stream={} {}", config.name, why);
      NoteError(std::move(why));
      key = std::move(to_key);
      continue;
    }
    if (!SleepUnlessAbandoned(backoff)) return false;
    backoff = std::min(backoff * 2, options_.retry_max_backoff_ms);
    if (to_error) {
      // The retry goes where the stream's error prefix is now.
      std::shared_ptr<const Destination> now;
      {
        std::lock_guard<std::mutex> lock(mu_);
        now = destination_;
      }
      if (now.get() != error_dest) {
        current = std::move(now);
        error_dest = current.get();
        if (!backup) {
          bucket = current->bucket.get();
        } else if (current->backup_bucket) {
          bucket = current->backup_bucket.get();
        }
        key = error_key();
      }
    }
  }
  log->debug("stream={} delivered key={} records={} bytes={}", config.name, key, records,
             body.size());
  m.objects_delivered->Add();
  m.bytes_delivered->Add(body.size());
  // A backup's records were delivered (or will be) by the stream's own object: a backup
  // under the error prefix is a failed copy, counted in delivery_errors, not more records.
  if (to_error && !backup) m.records_to_error_prefix->Add(records);
  return true;
}

}  // namespace tributary::streams
