// KeyTemplate: the Firehose S3 prefix language, parsed once per stream and rendered for
// every object. Supported expressions (anything else is an error naming its position,
// 0-based, in the template):
//
//   template                                      rendered (oldest record 2026-11-30 14:02:11Z)
//   ""  (prefix)                                  2026/11/30/14/
//   "raw/"  (no expression: default appended)     raw/2026/11/30/14/
//   "raw/!{timestamp:yyyy-MM-dd}/"                raw/2026-11-30/
//   "d=!{partitionKeyFromQuery:device}/!{timestamp:HH}/"  with {"device":"s1"}  d=s1/14/
//   "errors/!{firehose:error-output-type}/"       errors/partitioning-failed/
//   "raw/!{firehose:random-string}/"              raw/3f9c0a1b27e/ (11 random hex digits,
//                                                 new for every object)
//
// Timestamp patterns are Java DateTimeFormatter-like: yyyy MM dd HH mm ss, in the stream's
// time zone (UTC unless the stream names another, as Firehose's CustomTimeZone); any other
// letter is an error, other characters are copied. partitionKeyFromQuery takes a top-level
// field name of the JSON record ([A-Za-z0-9_-]+). firehose:error-output-type is only valid
// in an error prefix; partitionKeyFromQuery only in a prefix (as in Firehose);
// firehose:random-string in either.
//
// Thread-safety: immutable after Parse; Render may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time_zone.h"
#include "streams/stream_config.h"

namespace tributary::streams {

// How many characters !{firehose:random-string} renders.
inline constexpr size_t kRandomStringLength = 11;

// The "<error-output-type>" values this build writes.
inline constexpr std::string_view kPartitioningFailed = "partitioning-failed";
inline constexpr std::string_view kDeliveryFailed = "delivery-failed";

struct KeyContext {
  int64_t time_ms = 0;  // Unix ms: arrival time of the object's oldest record
  const TimeZone* zone = nullptr;  // where time_ms is read; null: UTC
  // One value per KeyTemplate::partition_fields(), in that order.
  std::vector<std::string> partition_values;
  std::string_view error_output_type;
};

class KeyTemplate {
 public:
  // A source-record backup's prefix (kBackupPrefix) takes neither partitionKeyFromQuery
  // nor firehose:error-output-type.
  enum class Use { kPrefix, kErrorPrefix, kBackupPrefix };

  // `what` names the template in errors ("prefix", "error_prefix"):
  // "prefix: unknown expression 'foo' at position 4".
  static Result<KeyTemplate> Parse(std::string_view text, Use use, std::string_view what);

  const std::vector<std::string>& partition_fields() const { return fields_; }
  std::string Render(const KeyContext& context) const;

 private:
  struct Part {
    enum class Kind { kLiteral, kTime, kPartition, kErrorType, kRandom } kind;
    std::string text;          // literal text, or the timestamp pattern
    size_t field_index = 0;    // kPartition
  };
  std::vector<Part> parts_;
  std::vector<std::string> fields_;
};

// Formats Unix ms with a checked pattern of yyyy MM dd HH mm ss, as the wall clock of
// `zone` reads (null: UTC).
std::string FormatTime(int64_t unix_ms, std::string_view pattern, const TimeZone* zone = nullptr);

// Firehose's object name: "<stream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid>" and the file
// extension: `extension` when given (the stream's file_extension), else ".gz" for gzip and
// none otherwise; the time as `zone` reads it (null: UTC), as the prefix's.
std::string ObjectName(std::string_view stream, int64_t time_ms, std::string_view uuid,
                       Compression compression, const TimeZone* zone = nullptr,
                       std::string_view extension = {});

}  // namespace tributary::streams
