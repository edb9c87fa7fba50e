#include "streams/stream_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/time_zone.h"
#include "objstore/object_store.h"
#include "streams/key_template.h"
#include "streams/partition_query.h"

namespace tributary::streams {

namespace {

// Each compression by its name here, by Firehose's CompressionFormat, and as the
// Content-Encoding Firehose gives its objects.
struct CompressionNames {
  Compression compression;
  std::string_view name;
  std::string_view firehose;
  std::string_view content_encoding;
};
constexpr CompressionNames kCompressions[] = {
    {Compression::kNone, "none", "UNCOMPRESSED", ""},
    {Compression::kGzip, "gzip", "GZIP", "gzip"},
    {Compression::kZip, "zip", "ZIP", "zip"},
    {Compression::kSnappy, "snappy", "Snappy", "snappy-java"},
    {Compression::kHadoopSnappy, "hadoop_snappy", "HADOOP_SNAPPY", "hadoop-snappy"},
};

const CompressionNames& NamesOf(Compression c) {
  for (const CompressionNames& n : kCompressions) {
    if (n.compression == c) return n;
  }
  return kCompressions[0];
}

}  // namespace

std::string_view CompressionName(Compression c) { return NamesOf(c).name; }
std::string_view FirehoseCompressionFormat(Compression c) { return NamesOf(c).firehose; }
std::string_view ContentEncodingOf(Compression c) { return NamesOf(c).content_encoding; }

std::optional<Compression> CompressionOfFirehoseFormat(std::string_view format) {
  for (const CompressionNames& n : kCompressions) {
    if (n.firehose == format) return n.compression;
  }
  return std::nullopt;
}

Result<Compression> ParseCompression(std::string_view text, std::string_view field) {
  for (const CompressionNames& n : kCompressions) {
    if (n.name == text || n.firehose == text) return n.compression;
  }
  return InvalidArgument(
      fmt::format("{}: '{}' is not one of none, gzip, zip, snappy, hadoop_snappy", field, text));
}

Status ValidateStreamName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return InvalidArgument(fmt::format("name: '{}' must be 1..64 characters, is {}", name,
                                       name.size()));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) {
      return InvalidArgument(fmt::format(
          "name: character '{}' at position {} of '{}' is not one of [A-Za-z0-9_.-]", c, i, name));
    }
  }
  if (name == "." || name == "..") {
    return InvalidArgument(fmt::format("name: '{}' is reserved", name));
  }
  return Status::Ok();
}

Status ValidateFileExtension(std::string_view ext) {
  if (ext.empty()) return Status::Ok();
  if (ext.size() > 128) {
    return InvalidArgument(fmt::format("file_extension: {} characters, over 128", ext.size()));
  }
  if (ext[0] != '.') {
    return InvalidArgument(fmt::format("file_extension: '{}' must start with '.'", ext));
  }
  static constexpr std::string_view kAllowed = "!_.*'()-";
  for (size_t i = 1; i < ext.size(); ++i) {
    char c = ext[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              kAllowed.find(c) != std::string_view::npos;
    if (!ok) {
      return InvalidArgument(fmt::format(
          "file_extension: character '{}' at position {} of '{}' is not one of [0-9a-z!_.*'()-]",
          c, i, ext));
    }
  }
  return Status::Ok();
}

namespace {

// The longest error output type the stream can write under its error prefix: its sample
// keys are made with it, so that the longest key the error prefix makes is checked.
std::string_view LongestErrorOutputType(const StreamConfig& c) {
  if (c.format_conversion.enabled) return kFormatConversionFailed;
  if (c.prefix.find("!{partitionKeyFromQuery:") != std::string::npos) return kPartitioningFailed;
  return kDeliveryFailed;
}

// A sample of the keys a prefix makes, checked before any record waits on them: a prefix
// whose own text gives keys the lake refuses (a leading '/', a '.' or '..' segment, an
// empty segment, which the local lake cannot store) would have every object of the stream
// refused at delivery, retried, and finally moved to the error prefix. Rendered with a
// sample time and partition value (the values themselves are made safe at delivery).
struct SampleKeyParts {
  std::string prefix;       // rendered
  std::string object_name;  // ObjectName()
  std::string key() const { return prefix + object_name; }
};

SampleKeyParts SampleKey(const KeyTemplate& t, const StreamConfig& c) {
  KeyContext sample;
  sample.time_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  sample.partition_values.assign(t.partition_fields().size(), "value");
  sample.error_output_type = LongestErrorOutputType(c);
  return {t.Render(sample),
          ObjectName(c.name, sample.time_ms, "00000000-0000-0000-0000-000000000000", c.compression,
                     nullptr, c.file_extension)};
}

Status CheckPrefixLength(std::string_view what, std::string_view text) {
  if (text.size() <= kMaxPrefixBytes) return Status::Ok();
  return InvalidArgument(fmt::format("{}: {} bytes long; a prefix is at most {} (Firehose's limit)",
                                     what, text.size(), kMaxPrefixBytes));
}

// A prefix within Firehose's 1024 characters can still leave the object name no room in
// a key of 1024 bytes: every object would be refused. Checked apart from the lake's other
// key rules so that the message names this limit and how long the prefix may be.
Status CheckRoomForObjectName(const SampleKeyParts& sample, std::string_view what) {
  const size_t total = sample.prefix.size() + sample.object_name.size();
  if (total <= kMaxKeyBytes) return Status::Ok();
  const size_t room = kMaxKeyBytes - std::min(kMaxKeyBytes, sample.object_name.size());
  return InvalidArgument(fmt::format(
      "{}: leaves no room for the object name: rendered it is {} bytes, and with an object "
      "name such as '{}' ({} bytes) a key would be {} bytes, over the {} an object key may "
      "have (S3's limit); the prefix may render to at most {} bytes here",
      what, sample.prefix.size(), sample.object_name, sample.object_name.size(), total,
      kMaxKeyBytes, room));
}

Status CheckKeys(const KeyTemplate& t, std::string_view what, std::string_view text,
                 const StreamConfig& c) {
  const SampleKeyParts sample = SampleKey(t, c);
  TRY(CheckRoomForObjectName(sample, what));
  const std::string key = sample.key();
  Status s = objstore::ValidateKey(key);
  if (s.ok() && key.find("//") != std::string::npos) {
    s = InvalidArgument("object key '" + key +
                        "' has an empty segment ('//'), which the local lake cannot store");
  }
  if (s.ok()) return s;
  return InvalidArgument(
      fmt::format("{}: '{}' makes keys the lake refuses: {}", what, text, s.message()));
}

}  // namespace

Status StreamConfig::CheckKeysIn(const objstore::ObjectStore& bucket_store,
                                 const objstore::ObjectStore* backup_store) const {
  // The bucket by its name: its place on the server's disk is not the client's business.
  auto check = [&](const objstore::ObjectStore& store, const std::string& name,
                   const std::string& text, KeyTemplate::Use use, std::string_view what) -> Status {
    TRY_ASSIGN(KeyTemplate t, KeyTemplate::Parse(text, use, what));
    Status s = store.CheckKey(SampleKey(t, *this).key());
    if (s.ok()) return s;
    return InvalidArgument(fmt::format("{}: '{}' makes keys the bucket '{}' refuses: {}", what,
                                       text, name, s.message()));
  };
  TRY(check(bucket_store, bucket, prefix, KeyTemplate::Use::kPrefix, "prefix"));
  TRY(check(bucket_store, bucket, effective_error_prefix(), KeyTemplate::Use::kErrorPrefix,
            "error_prefix"));
  if (backup.enabled() && backup_store != nullptr) {
    TRY(check(*backup_store, backup.bucket, backup.prefix, KeyTemplate::Use::kBackupPrefix,
              "backup.prefix"));
    // A backup that fails goes to the stream's error prefix, in the backup bucket.
    TRY(check(*backup_store, backup.bucket, effective_error_prefix(),
              KeyTemplate::Use::kErrorPrefix, "error_prefix"));
  }
  return Status::Ok();
}

std::string StreamConfig::effective_error_prefix() const {
  return error_prefix.empty() ? std::string(kDefaultErrorPrefix) : error_prefix;
}

Status StreamConfig::ValidateChange() const {
  // Before Validate: a query whose keys and the prefix's names differ both ways (an update
  // giving a new query for the prefix there) is refused naming the query's unused keys.
  if (auto parsed = KeyTemplate::Parse(prefix, KeyTemplate::Use::kPrefix, "prefix"); parsed.ok())
    TRY(CheckQueryKeysUsed(partition_query, parsed->partition_fields()));
  return Validate();
}

Status StreamConfig::Validate() const {
  TRY(ValidateStreamName(name));
  if (Status s = objstore::ValidateBucketName(bucket); !s.ok()) return s.WithContext("bucket");
  TRY(CheckPrefixLength("prefix", prefix));
  TRY(CheckPrefixLength("error_prefix", error_prefix));
  TRY_ASSIGN(KeyTemplate parsed, KeyTemplate::Parse(prefix, KeyTemplate::Use::kPrefix, "prefix"));
  TRY(ResolvePartitionKeys(partition_query, parsed.partition_fields()).status());
  TRY(CheckKeys(parsed, "prefix", prefix, *this));
  TRY_ASSIGN(
      KeyTemplate parsed_error,
      KeyTemplate::Parse(effective_error_prefix(), KeyTemplate::Use::kErrorPrefix, "error_prefix"));
  TRY(CheckKeys(parsed_error, "error_prefix", effective_error_prefix(), *this));
  if (backup.enabled()) {
    if (Status s = objstore::ValidateBucketName(backup.bucket); !s.ok())
      return s.WithContext("backup.bucket");
    TRY(CheckPrefixLength("backup.prefix", backup.prefix));
    TRY_ASSIGN(KeyTemplate parsed_backup,
               KeyTemplate::Parse(backup.prefix, KeyTemplate::Use::kBackupPrefix, "backup.prefix"));
    TRY(CheckKeys(parsed_backup, "backup.prefix", backup.prefix, *this));
  } else if (!backup.prefix.empty()) {
    return InvalidArgument("backup.prefix: given without backup.bucket");
  }
  if (deaggregation.kind == Deaggregation::Kind::kDelimited &&
      (deaggregation.delimiter.empty() || deaggregation.delimiter.size() > 64)) {
    return InvalidArgument(fmt::format("deaggregation.delimiter: {} bytes; a delimiter is 1..64",
                                       deaggregation.delimiter.size()));
  }
  if (deaggregation.kind != Deaggregation::Kind::kDelimited && !deaggregation.delimiter.empty()) {
    return InvalidArgument("deaggregation.delimiter: only with type delimited");
  }
  if (buffer_size_mib < 1 || buffer_size_mib > 128) {
    return InvalidArgument(
        fmt::format("buffer_size_mib: {} is not in 1..128", buffer_size_mib));
  }
  if (buffer_interval_s < 0 || buffer_interval_s > 900) {
    return InvalidArgument(
        fmt::format("buffer_interval_s: {} is not in 0..900", buffer_interval_s));
  }
  if (Status s = TimeZone::Find(time_zone).status(); !s.ok()) {
    return InvalidArgument("time_zone: " + s.message());
  }
  TRY(ValidateFileExtension(file_extension));
  if (record_delimiter.size() > 16) {
    return InvalidArgument(fmt::format("record_delimiter: {} bytes, over 16", record_delimiter.size()));
  }
  TRY(format_conversion.Validate());
  if (format_conversion.enabled) {
    if (compression != Compression::kNone) {
      return InvalidArgument(
          "compression: must be none (UNCOMPRESSED) with format conversion: the Parquet file "
          "compresses its own pages");
    }
    if (!record_delimiter.empty()) {
      return InvalidArgument(
          "record_delimiter: not with format conversion (each record becomes a Parquet row)");
    }
  }
  return Status::Ok();
}

nlohmann::json ToJson(const StreamConfig& c) {
  nlohmann::json out = {{"name", c.name},
          {"bucket", c.bucket},
          {"prefix", c.prefix},
          {"error_prefix", c.error_prefix},
          {"buffer_size_mib", c.buffer_size_mib},
          {"buffer_interval_s", c.buffer_interval_s},
          {"compression", std::string(CompressionName(c.compression))},
          {"time_zone", c.time_zone},
          {"file_extension", c.file_extension},
          {"partition_query", c.partition_query},
          {"record_delimiter", c.record_delimiter}};
  if (c.format_conversion.configured()) out["format_conversion"] = ToJson(c.format_conversion);
  if (c.deaggregation.enabled()) {
    out["deaggregation"] = {
        {"type", c.deaggregation.kind == Deaggregation::Kind::kJson ? "json" : "delimited"}};
    if (!c.deaggregation.delimiter.empty()) out["deaggregation"]["delimiter"] = c.deaggregation.delimiter;
  }
  if (c.backup.enabled()) {
    out["backup"] = {{"bucket", c.backup.bucket},
                     {"prefix", c.backup.prefix},
                     {"compression", std::string(CompressionName(c.backup.compression))}};
  }
  return out;
}

namespace {

// The keys that hold plain strings, and the int ones, by name.
constexpr std::pair<std::string_view, std::string StreamConfig::*> kStringKeys[] = {
    {"name", &StreamConfig::name},
    {"bucket", &StreamConfig::bucket},
    {"prefix", &StreamConfig::prefix},
    {"error_prefix", &StreamConfig::error_prefix},
    {"time_zone", &StreamConfig::time_zone},
    {"file_extension", &StreamConfig::file_extension},
    {"partition_query", &StreamConfig::partition_query},
    {"record_delimiter", &StreamConfig::record_delimiter},
};
constexpr std::pair<std::string_view, int StreamConfig::*> kIntKeys[] = {
    {"buffer_size_mib", &StreamConfig::buffer_size_mib},
    {"buffer_interval_s", &StreamConfig::buffer_interval_s},
};

// {"bucket": ..., "prefix": ..., "compression": ...}; null or {} for none.
Result<SourceBackup> SourceBackupFromJson(const nlohmann::json& json) {
  SourceBackup b;
  if (json.is_null()) return b;
  if (!json.is_object())
    return InvalidArgument("backup: expected an object {bucket, prefix, compression}");
  for (const auto& [key, value] : json.items()) {
    if (key != "bucket" && key != "prefix" && key != "compression") {
      return InvalidArgument(
          fmt::format("backup.{}: unknown key (known: bucket, prefix, compression)", key));
    }
    if (!value.is_string())
      return InvalidArgument(fmt::format("backup.{}: expected a string", key));
    const std::string text = value.get<std::string>();
    if (key == "bucket") b.bucket = text;
    if (key == "prefix") b.prefix = text;
    if (key == "compression") {
      TRY_ASSIGN(b.compression, ParseCompression(text, "backup.compression"));
    }
  }
  return b;
}

// {"type": "json" | "delimited" | "none", "delimiter": ...}; null for none.
Result<Deaggregation> DeaggregationFromJson(const nlohmann::json& json) {
  Deaggregation d;
  if (json.is_null()) return d;
  if (!json.is_object()) return InvalidArgument("deaggregation: expected an object {type, delimiter}");
  for (const auto& [key, value] : json.items()) {
    if (key != "type" && key != "delimiter") {
      return InvalidArgument(fmt::format("deaggregation.{}: unknown key (known: type, delimiter)", key));
    }
    if (!value.is_string()) return InvalidArgument(fmt::format("deaggregation.{}: expected a string", key));
    const std::string text = value.get<std::string>();
    if (key == "delimiter") d.delimiter = text;
    if (key == "type") {
      if (text == "json") {
        d.kind = Deaggregation::Kind::kJson;
      } else if (text == "delimited") {
        d.kind = Deaggregation::Kind::kDelimited;
      } else if (text != "none") {
        return InvalidArgument("deaggregation.type: '" + text + "' is not one of json, delimited, none");
      }
    }
  }
  return d;
}

}  // namespace

Result<StreamConfig> StreamConfigFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return InvalidArgument("stream config: expected a JSON object");
  StreamConfig c;
  for (const auto& [key, value] : json.items()) {
    auto want_string = [&](std::string* out) -> Status {
      if (!value.is_string()) return InvalidArgument(fmt::format("{}: expected a string", key));
      *out = value.get<std::string>();
      return Status::Ok();
    };
    auto want_int = [&](int* out) -> Status {
      if (!value.is_number_integer()) {
        return InvalidArgument(fmt::format("{}: expected an integer", key));
      }
      int64_t v = value.get<int64_t>();
      if (v < -1'000'000 || v > 1'000'000) {
        return InvalidArgument(fmt::format("{}: {} is out of range", key, v));
      }
      *out = static_cast<int>(v);
      return Status::Ok();
    };
    bool known = false;
    for (const auto& [name, member] : kStringKeys) {
      if (key == name) {
        TRY(want_string(&(c.*member)));
        known = true;
      }
    }
    for (const auto& [name, member] : kIntKeys) {
      if (key == name) {
        TRY(want_int(&(c.*member)));
        known = true;
      }
    }
    if (key == "compression") {
      std::string text;
      TRY(want_string(&text));
      TRY_ASSIGN(c.compression, ParseCompression(text));
      known = true;
    }
    if (key == "format_conversion") {
      TRY_ASSIGN(c.format_conversion, FormatConversionFromJson(value));
      known = true;
    }
    if (key == "backup") {
      TRY_ASSIGN(c.backup, SourceBackupFromJson(value));
      known = true;
    }
    if (key == "deaggregation") {
      TRY_ASSIGN(c.deaggregation, DeaggregationFromJson(value));
      known = true;
    }
    if (!known) {
      return InvalidArgument(
          fmt::format("{}: unknown stream config key (known: name, bucket, prefix, error_prefix, "
                      "buffer_size_mib, buffer_interval_s, compression, time_zone, file_extension, "
                      "partition_query, record_delimiter, format_conversion, backup, deaggregation)",
                      key));
    }
  }
  return c;
}

}  // namespace tributary::streams
