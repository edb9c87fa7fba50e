// StreamConfig: what a delivery stream is (the Firehose CreateDeliveryStream settings that
// matter on one machine) and how it is checked. Plain values; thread-compatible.
//
//   StreamConfig c;
//   c.name = "pollution";
//   c.bucket = "iot-data";
//   c.prefix = "raw/!{partitionKeyFromQuery:device}/!{timestamp:yyyy/MM/dd/HH}/";
//   TRY(c.Validate());   // InvalidArgument naming the field: "buffer_size_mib: 0 is not in 1..128"
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "streams/format_conversion.h"

namespace tributary::objstore {
class ObjectStore;
}

namespace tributary::streams {

// How a stream's objects are compressed: not, gzip, a ZIP archive of one entry
// (zip_archive.h), or one of Firehose's two Snappy streams (snappy_streams.h):
// snappy-java's ("Snappy") or Hadoop's ("HADOOP_SNAPPY").
enum class Compression { kNone, kGzip, kZip, kSnappy, kHadoopSnappy };

// "none", "gzip", "zip", "snappy", "hadoop_snappy"
std::string_view CompressionName(Compression c);
// "none"/"UNCOMPRESSED", "gzip"/"GZIP", "zip"/"ZIP", "snappy"/"Snappy" or
// "hadoop_snappy"/"HADOOP_SNAPPY"; else InvalidArgument naming `field`
// ("backup.compression: 'lz4' is not one of none, gzip, zip, snappy, hadoop_snappy").
Result<Compression> ParseCompression(std::string_view text, std::string_view field = "compression");
// Firehose's CompressionFormat for a compression ("UNCOMPRESSED", "GZIP", "ZIP", "Snappy",
// "HADOOP_SNAPPY"), and the compression a CompressionFormat names (nullopt for others).
std::string_view FirehoseCompressionFormat(Compression c);
std::optional<Compression> CompressionOfFirehoseFormat(std::string_view format);
// The Content-Encoding a compressed object is written with, as Firehose writes it: "gzip",
// "zip", "snappy-java", "hadoop-snappy"; "" for none. S3 clients that decode what they
// fetch (browsers, curl --compressed) then hand over gzip objects' records.
std::string_view ContentEncodingOf(Compression c);

// The default error prefix, as Firehose behaves when none is given: failed records land
// under "<error-output-type>/YYYY/MM/dd/HH/".
inline constexpr std::string_view kDefaultErrorPrefix =
    "!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/";

// A prefix's length, as Firehose's Prefix and ErrorOutputPrefix (1024 characters; counted
// here in bytes, which an object key is counted in).
inline constexpr size_t kMaxPrefixBytes = 1024;
// An object key's length: S3's limit, which the lake keeps (objstore::ValidateKey). The
// rendered prefix and the object name share it.
inline constexpr size_t kMaxKeyBytes = 1024;

// A copy of every record as it was put, besides what the stream delivers (the Parquet of a
// converting stream, say), as Firehose's S3BackupMode "Enabled" with its
// S3BackupConfiguration: objects in `bucket` under `prefix` (key_template.h: timestamps
// and firehose:random-string; "" for YYYY/MM/dd/HH/), compressed as `compression`. Off
// when `bucket` is empty.
struct SourceBackup {
  std::string bucket;
  std::string prefix;
  Compression compression = Compression::kNone;
  bool enabled() const { return !bucket.empty(); }
};

// Records put as several (Firehose's RecordDeAggregation processor): JSON objects one
// after another ({"a":1}{"a":2}, or one a line), or pieces between a delimiter. Each piece
// is then a record of its own (record_split.h). Off by default.
struct Deaggregation {
  enum class Kind { kNone, kJson, kDelimited };
  Kind kind = Kind::kNone;
  std::string delimiter;  // kDelimited: 1..64 bytes
  bool enabled() const { return kind != Kind::kNone; }
};

struct StreamConfig {
  std::string name;          // [A-Za-z0-9_.-]{1,64}
  std::string bucket;        // a bucket of the lake (objstore::ValidateBucketName)
  // Key prefix template (key_template.h). Empty: "YYYY/MM/dd/HH/" of the oldest record's
  // arrival time (UTC). A prefix without any !{...} expression gets that default
  // appended, as Firehose does. At most kMaxPrefixBytes, and rendered it must leave the
  // object name room in a key of kMaxKeyBytes.
  std::string prefix;
  // Where records that cannot be delivered go (key_template.h). Empty: kDefaultErrorPrefix.
  // May use !{timestamp:...} and !{firehose:error-output-type}, not partitionKeyFromQuery.
  // Limits as the prefix's.
  std::string error_prefix;
  int buffer_size_mib = 5;       // 1..128: deliver once a buffer holds this much
  int buffer_interval_s = 300;   // 0..900: or once its oldest record is this old
  Compression compression = Compression::kNone;
  // The clock object keys are written in (the default prefix, !{timestamp:...} and the
  // object name), as Firehose's CustomTimeZone: an IANA name ("Asia/Tokyo"), "UTC" or a
  // fixed offset ("+05:30"; base/time_zone.h).
  std::string time_zone = "UTC";
  // The object name's ending, as Firehose's FileExtension: "" for the default (".gz" with
  // gzip, none without), else '.' then [0-9a-z!_.*'()-], at most 128 characters
  // (".jsonl", ".json.gz").
  std::string file_extension;
  // Where the prefix's !{partitionKeyFromQuery:<name>} values are, as Firehose's
  // MetadataExtractionQuery ("{device: .device.id}"; partition_query.h). Empty: each name
  // is a top-level field of the record.
  std::string partition_query;
  // Bytes written after every record in the objects, as Firehose's AppendDelimiterToRecord
  // processor ("\n"), for producers that put records without one; "" (the default): records
  // are stored as they were put. At most 16 bytes.
  std::string record_delimiter;
  // Parquet objects instead of the records as they were put (format_conversion.h), as
  // Firehose's DataFormatConversionConfiguration. When enabled, compression is none and
  // record_delimiter empty (the Parquet file compresses its pages; records become rows).
  FormatConversion format_conversion;
  SourceBackup backup;
  Deaggregation deaggregation;

  // InvalidArgument naming the first bad field and why.
  Status Validate() const;
  // Validate, and first what a configuration given now (a create or an update) must also
  // pass, though one stored before the check existed need not, so that it still starts:
  // every key of partition_query is used by the prefix (CheckQueryKeysUsed).
  Status ValidateChange() const;
  // After Validate: InvalidArgument naming the field if a prefix makes sample keys the
  // bucket itself refuses (ObjectStore::CheckKey: the local lake's own rules, such as a
  // segment over 255 bytes or a key under .tributary-tmp/). `bucket_store` is `bucket`
  // opened, `backup_store` the backup's (or null).
  Status CheckKeysIn(const objstore::ObjectStore& bucket_store,
                     const objstore::ObjectStore* backup_store) const;

  uint64_t buffer_size_bytes() const { return uint64_t(buffer_size_mib) << 20; }
  // error_prefix, or kDefaultErrorPrefix when empty.
  std::string effective_error_prefix() const;
};

// {"name":..., "bucket":..., "prefix":..., "error_prefix":..., "buffer_size_mib":5,
//  "buffer_interval_s":300, "compression":"none", "time_zone":"UTC", "file_extension":"",
//  "partition_query":"", "record_delimiter":""}, "format_conversion":{...} when one is
// configured (format_conversion.h), "backup":{"bucket":..., "prefix":...,
// "compression":"none"} when the records are backed up, and "deaggregation":{"type":
// "json"|"delimited", "delimiter":...} when records are split
nlohmann::json ToJson(const StreamConfig& config);
// Missing keys take the defaults above; unknown keys and wrong types are InvalidArgument
// naming the key. Does not call Validate().
Result<StreamConfig> StreamConfigFromJson(const nlohmann::json& json);

// Checks a file extension alone (StreamConfig::file_extension).
Status ValidateFileExtension(std::string_view extension);

// Checks a stream name alone: [A-Za-z0-9_.-], 1..64 characters.
Status ValidateStreamName(std::string_view name);

}  // namespace tributary::streams
