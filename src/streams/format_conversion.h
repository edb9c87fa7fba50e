// FormatConversion: a delivery stream's record format conversion, as Firehose's
// DataFormatConversionConfiguration: the JSON records of each object are written as one
// Parquet file whose columns are a catalog table's (the lake's Glue Data Catalog).
//
//   FormatConversion f;
//   f.enabled = true;
//   f.database = "iot";
//   f.table = "pollution";          // its columns, at delivery time (version_id "LATEST")
//   TRY(f.Validate());              // InvalidArgument naming the field
//
// The conversion itself is a RecordConverter's (the lake's, lake/record_conversion.h): the
// streams stage knows only this interface, so the delivery thread does not depend on the
// catalog or the Parquet writer. A record that cannot be converted (not JSON, a value that
// does not fit its column) goes to the error prefix as a JSON line under
// "format-conversion-failed"; the others make the Parquet object.
//
// Plain values; the converter is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"

namespace tributary::streams {

enum class JsonDeserializer { kOpenX, kHive };
enum class ParquetCompression { kSnappy, kGzip, kUncompressed };

std::string_view JsonDeserializerName(JsonDeserializer d);       // "openx", "hive"
std::string_view ParquetCompressionName(ParquetCompression c);   // "snappy", "gzip", "none"
// Also Firehose's spellings (SNAPPY, GZIP, UNCOMPRESSED).
Result<ParquetCompression> ParseParquetCompression(std::string_view text);

// The `!{firehose:error-output-type}` of records that could not be converted.
inline constexpr std::string_view kFormatConversionFailed = "format-conversion-failed";

struct FormatConversion {
  bool enabled = false;  // false: kept as configured, records delivered as they are
  // The table whose columns the Parquet file has (SchemaConfiguration).
  std::string database;
  std::string table;
  std::string version_id = "LATEST";  // or one of the table's versions ("3")
  // Kept as given, for describing the stream back (AWS's; not used on one machine).
  std::string catalog_id;
  std::string region;
  std::string role_arn;

  // How records are read (InputFormatConfiguration's deserializer). Both match a record's
  // keys to the columns without regard to case (the catalog's names are lower case).
  JsonDeserializer deserializer = JsonDeserializer::kOpenX;
  bool convert_dots_to_underscores = false;  // OpenX: "a.b" fills column a_b
  bool case_insensitive = true;              // OpenX
  std::map<std::string, std::string> column_to_json_key;  // OpenX: column -> record key
  // Hive: how strings in timestamp columns are read: "millis" (epoch milliseconds) or a
  // Joda-style pattern ("yyyy-MM-dd'T'HH:mm:ss.SSSZ"); empty: ISO 8601 and
  // "yyyy-MM-dd HH:mm:ss[.f]".
  std::vector<std::string> timestamp_formats;

  // The Parquet file (OutputFormatConfiguration's ParquetSerDe).
  ParquetCompression compression = ParquetCompression::kSnappy;
  bool dictionary = true;
  int64_t page_size_bytes = 1 << 20;      // >= 64 KiB
  int64_t block_size_bytes = 256 << 20;   // a row group's size, >= 64 MiB
  int64_t max_padding_bytes = 0;          // kept as given (HDFS padding)
  bool writer_v2 = false;                 // WriterVersion V2: data page v2

  // Configured at all (a table named), enabled or not.
  bool configured() const { return !database.empty() || !table.empty(); }
  // InvalidArgument naming the field ("format_conversion.table: required").
  Status Validate() const;
};

// {"enabled":true,"database":"iot","table":"pollution","version_id":"LATEST",
//  "deserializer":"openx","compression":"snappy",...}: every field, by its name above.
nlohmann::json ToJson(const FormatConversion& f);
// Missing keys take the defaults; unknown keys and wrong types are InvalidArgument naming
// the key under `at`. Does not call Validate().
Result<FormatConversion> FormatConversionFromJson(const nlohmann::json& json,
                                                  const std::string& at = "format_conversion");

// One record that could not be converted: its index in the object's records, Firehose's
// error code and what was wrong ("column temp (double): string \"hot\" is not a number").
struct ConversionFailure {
  size_t index = 0;
  std::string code;
  std::string message;
};

// One object's records, converted.
struct ConvertedObject {
  std::string bytes;     // the Parquet file; empty when no record converted
  int64_t rows = 0;
  std::vector<ConversionFailure> failed;  // in record order
  std::string version_id;                 // the table version read ("3")
};

class RecordConverter {
 public:
  virtual ~RecordConverter() = default;
  // Whether `conversion` can be applied now: the table exists, its column types can be
  // written, the timestamp formats parse. InvalidArgument or NotFound saying why.
  virtual Status Check(const FormatConversion& conversion) = 0;
  // Converts `records`. An error is the whole object's (the table cannot be read): the
  // stream retries it; one record's problem is a ConversionFailure.
  virtual Result<ConvertedObject> Convert(const FormatConversion& conversion,
                                          const std::vector<std::string_view>& records) = 0;
};

}  // namespace tributary::streams
