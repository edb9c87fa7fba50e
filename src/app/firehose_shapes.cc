#include "app/firehose_shapes.h"

#include <initializer_list>
#include <optional>
#include <string_view>

#include "base/aws_arn.h"
#include "base/base64.h"

namespace tributary::app {
namespace {

using nlohmann::json;
using streams::Compression;
using streams::StreamConfig;

constexpr std::string_view kBucketArnPrefix = ":s3:::";
constexpr char kNoEncryption[] = "NoEncryption";

bool IsOneOf(std::string_view key, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (key == name) return true;
  }
  return false;
}

Status ExpectObject(const json& value, const std::string& where) {
  if (!value.is_object()) return InvalidArgument(where + ": expected an object");
  return Status::Ok();
}

Result<std::string> StringField(const json& value, const std::string& where) {
  if (!value.is_string()) return InvalidArgument(where + ": expected a string");
  return value.get<std::string>();
}

Result<int> IntField(const json& value, const std::string& where) {
  if (!value.is_number_integer()) return InvalidArgument(where + ": expected an integer");
  int64_t v = value.get<int64_t>();
  if (v < -1'000'000 || v > 1'000'000) {
    return InvalidArgument(where + ": " + std::to_string(v) + " is out of range");
  }
  return static_cast<int>(v);
}

Result<bool> BoolField(const json& value, const std::string& where) {
  if (!value.is_boolean()) return InvalidArgument(where + ": expected true or false");
  return value.get<bool>();
}

// "arn:aws:s3:::iot-data" -> "iot-data" (any partition).
Result<std::string> BucketFromArn(const std::string& arn, const std::string& where) {
  size_t at = arn.find(kBucketArnPrefix);
  if (arn.rfind("arn:", 0) != 0 || at == std::string::npos ||
      arn.find(':', 4) != at || at + kBucketArnPrefix.size() == arn.size()) {
    return InvalidArgument(where + ": '" + arn + "' is not a bucket ARN (arn:aws:s3:::<bucket>)");
  }
  return arn.substr(at + kBucketArnPrefix.size());
}

Status ApplyBufferingHints(const json& hints, const std::string& where, StreamConfig* c) {
  TRY(ExpectObject(hints, where));
  for (const auto& [key, value] : hints.items()) {
    if (key == "SizeInMBs") {
      TRY_ASSIGN(c->buffer_size_mib, IntField(value, where + ".SizeInMBs"));
    } else if (key == "IntervalInSeconds") {
      TRY_ASSIGN(c->buffer_interval_s, IntField(value, where + ".IntervalInSeconds"));
    } else {
      return InvalidArgument(where + "." + key + ": unknown field (SizeInMBs, IntervalInSeconds)");
    }
  }
  return Status::Ok();
}

// A CompressionFormat: the stream's, or its backup's.
Result<Compression> CompressionFormatOf(const json& value, const std::string& where) {
  TRY_ASSIGN(std::string format, StringField(value, where));
  if (format == "UNCOMPRESSED") return Compression::kNone;
  if (format == "GZIP") return Compression::kGzip;
  return InvalidArgument(where + ": '" + format +
                         "' is not supported (UNCOMPRESSED or GZIP; ZIP and Snappy are not)");
}

Status CheckEncryption(const json& value, const std::string& where) {
  TRY(ExpectObject(value, where));
  for (const auto& [key, v] : value.items()) {
    if (key == "NoEncryptionConfig" && v == kNoEncryption) continue;
    return InvalidArgument(where + "." + key +
                           ": not supported (objects are written as they are: NoEncryptionConfig "
                           "\"NoEncryption\" only)");
  }
  return Status::Ok();
}

// A processor's Parameters ([{ParameterName, ParameterValue}]) in order, each given to
// `take(name, value, where)`.
template <typename Take>
Status ForEachParameter(const json& parameters, const std::string& where, Take take) {
  if (!parameters.is_array()) return InvalidArgument(where + ": expected an array");
  for (size_t i = 0; i < parameters.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    TRY(ExpectObject(parameters[i], at));
    if (!parameters[i].contains("ParameterName") || !parameters[i].contains("ParameterValue")) {
      return InvalidArgument(at + ": needs ParameterName and ParameterValue");
    }
    TRY_ASSIGN(std::string name, StringField(parameters[i]["ParameterName"], at + ".ParameterName"));
    TRY_ASSIGN(std::string value, StringField(parameters[i]["ParameterValue"], at + ".ParameterValue"));
    TRY(take(name, value, at));
  }
  return Status::Ok();
}

// A MetadataExtraction processor's parameters -> partition_query.
Status ApplyMetadataExtraction(const json& parameters, const std::string& where, StreamConfig* c) {
  bool have_query = false;
  Status st = ForEachParameter(parameters, where, [&](const std::string& name, const std::string& value, const std::string& at) {
    if (name == "MetadataExtractionQuery") {
      c->partition_query = value;
      have_query = true;
    } else if (name == "JsonParsingEngine") {
      if (value != "JQ-1.6") {
        return InvalidArgument(at + ".ParameterValue: JsonParsingEngine '" + value + "' is not supported (JQ-1.6)");
      }
    } else {
      return InvalidArgument(at + ".ParameterName: '" + name +
                             "' is not a MetadataExtraction parameter (MetadataExtractionQuery, "
                             "JsonParsingEngine)");
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (!have_query) return InvalidArgument(where + ": no MetadataExtractionQuery");
  return Status::Ok();
}

// An AppendDelimiterToRecord processor's parameters (none, or Delimiter) ->
// record_delimiter ("\n" unless Delimiter says otherwise).
Status ApplyAppendDelimiter(const json& parameters, const std::string& where, StreamConfig* c) {
  c->record_delimiter = "\n";
  return ForEachParameter(parameters, where, [&](const std::string& name, const std::string& value, const std::string& at) {
    if (name != "Delimiter") {
      return InvalidArgument(at + ".ParameterName: '" + name + "' is not an AppendDelimiterToRecord parameter (Delimiter)");
    }
    if (value.empty() || value.size() > 16) {
      return InvalidArgument(at + ".ParameterValue: a Delimiter of 1..16 bytes, got " + std::to_string(value.size()));
    }
    c->record_delimiter = value;
    return Status::Ok();
  });
}

// RecordDeAggregation's SubRecordType (JSON or DELIMITED) and, for DELIMITED, its Delimiter
// in base64 as Firehose takes it.
Status ApplyDeaggregation(const json& parameters, const std::string& where, StreamConfig* c) {
  streams::Deaggregation d;
  std::string delimiter_at;
  TRY(ForEachParameter(parameters, where, [&](const std::string& name, const std::string& value, const std::string& at) {
    if (name == "SubRecordType") {
      if (value == "JSON") {
        d.kind = streams::Deaggregation::Kind::kJson;
      } else if (value == "DELIMITED") {
        d.kind = streams::Deaggregation::Kind::kDelimited;
      } else {
        return InvalidArgument(at + ".ParameterValue: SubRecordType '" + value +
                               "' is not supported (JSON or DELIMITED; KPL aggregation is not)");
      }
      return Status::Ok();
    }
    if (name == "Delimiter") {
      auto decoded = Base64Decode(value);
      if (!decoded.ok() || decoded->empty()) {
        return InvalidArgument(at + ".ParameterValue: the Delimiter must be base64 (\"##\" is \"IyM=\")");
      }
      d.delimiter = *decoded;
      delimiter_at = at;
      return Status::Ok();
    }
    return InvalidArgument(at + ".ParameterName: '" + name +
                           "' is not a RecordDeAggregation parameter (SubRecordType, Delimiter)");
  }));
  if (d.kind == streams::Deaggregation::Kind::kNone) return InvalidArgument(where + ": needs a SubRecordType");
  if (d.kind == streams::Deaggregation::Kind::kDelimited && d.delimiter.empty()) {
    return InvalidArgument(where + ": SubRecordType DELIMITED needs a Delimiter");
  }
  if (d.kind == streams::Deaggregation::Kind::kJson && !d.delimiter.empty()) {
    return InvalidArgument(delimiter_at + ": a Delimiter is for SubRecordType DELIMITED");
  }
  c->deaggregation = d;
  return Status::Ok();
}

Status ApplyProcessing(const json& processing, const std::string& where, StreamConfig* c) {
  TRY(ExpectObject(processing, where));
  bool enabled = false;
  if (processing.contains("Enabled")) {
    TRY_ASSIGN(enabled, BoolField(processing["Enabled"], where + ".Enabled"));
  }
  for (const auto& [key, value] : processing.items()) {
    if (key != "Enabled" && key != "Processors") {
      return InvalidArgument(where + "." + key + ": unknown field (Enabled, Processors)");
    }
  }
  c->partition_query.clear();
  c->record_delimiter.clear();
  c->deaggregation = {};
  if (!enabled) return Status::Ok();
  const json processors = processing.value("Processors", json::array());
  if (!processors.is_array()) return InvalidArgument(where + ".Processors: expected an array");
  for (size_t i = 0; i < processors.size(); ++i) {
    const std::string at = where + ".Processors[" + std::to_string(i) + "]";
    TRY(ExpectObject(processors[i], at));
    if (!processors[i].contains("Type")) return InvalidArgument(at + ": needs a Type");
    TRY_ASSIGN(std::string type, StringField(processors[i]["Type"], at + ".Type"));
    if (type == "AppendDelimiterToRecord") {
      TRY(ApplyAppendDelimiter(processors[i].value("Parameters", json::array()), at + ".Parameters", c));
      continue;
    }
    if (type == "RecordDeAggregation") {
      TRY(ApplyDeaggregation(processors[i].value("Parameters", json::array()), at + ".Parameters", c));
      continue;
    }
    if (type != "MetadataExtraction") {
      return InvalidArgument(at + ".Type: '" + type +
                             "' is not supported (RecordDeAggregation, MetadataExtraction and "
                             "AppendDelimiterToRecord; records are stored as they are put)");
    }
    TRY(ApplyMetadataExtraction(processors[i].value("Parameters", json::array()), at + ".Parameters", c));
  }
  return Status::Ok();
}

Result<int64_t> Int64Field(const json& value, const std::string& where, int64_t min) {
  if (!value.is_number_integer()) return InvalidArgument(where + ": expected an integer");
  int64_t v = value.get<int64_t>();
  if (v < min) {
    return InvalidArgument(where + ": " + std::to_string(v) + " is under the minimum of " +
                           std::to_string(min));
  }
  return v;
}

// The one member of a union shape ({"OpenXJsonSerDe": {...}}) and its name.
Result<std::pair<std::string, const json*>> OneOf(const json& value, const std::string& where,
                                                  std::initializer_list<std::string_view> names) {
  TRY(ExpectObject(value, where));
  if (value.size() != 1 || !IsOneOf(value.begin().key(), names)) {
    std::string known;
    for (std::string_view n : names) known += (known.empty() ? "" : ", ") + std::string(n);
    return InvalidArgument(where + ": name exactly one of " + known);
  }
  TRY(ExpectObject(value.begin().value(), where + "." + value.begin().key()));
  return std::make_pair(value.begin().key(), &value.begin().value());
}

Status ApplySchemaConfiguration(const json& value, const std::string& where,
                                streams::FormatConversion* f) {
  static constexpr std::pair<std::string_view, std::string streams::FormatConversion::*>
      kFields[] = {{"CatalogId", &streams::FormatConversion::catalog_id},
                   {"DatabaseName", &streams::FormatConversion::database},
                   {"TableName", &streams::FormatConversion::table},
                   {"Region", &streams::FormatConversion::region},
                   {"RoleARN", &streams::FormatConversion::role_arn},
                   {"VersionId", &streams::FormatConversion::version_id}};
  TRY(ExpectObject(value, where));
  for (const auto& [key, v] : value.items()) {
    bool known = false;
    for (const auto& [name, member] : kFields) {
      if (key != name) continue;
      TRY_ASSIGN(f->*member, StringField(v, where + "." + key));
      known = true;
    }
    if (!known) return InvalidArgument(where + "." + key + ": not a SchemaConfiguration field");
  }
  return Status::Ok();
}

Status ApplyDeserializer(const json& value, const std::string& where,
                         streams::FormatConversion* f) {
  TRY(ExpectObject(value, where));
  for (const auto& [key, v] : value.items()) {
    if (key != "Deserializer") return InvalidArgument(where + "." + key + ": not supported");
    const std::string at = where + ".Deserializer";
    TRY_ASSIGN(auto serde, OneOf(v, at, {"OpenXJsonSerDe", "HiveJsonSerDe"}));
    const std::string serde_at = at + "." + serde.first;
    if (serde.first == "HiveJsonSerDe") {
      f->deserializer = streams::JsonDeserializer::kHive;
      for (const auto& [field, x] : serde.second->items()) {
        if (field != "TimestampFormats") {
          return InvalidArgument(serde_at + "." + field + ": not a HiveJsonSerDe field");
        }
        if (!x.is_array()) return InvalidArgument(serde_at + ".TimestampFormats: expected an array");
        for (const json& format : x) {
          TRY_ASSIGN(std::string text, StringField(format, serde_at + ".TimestampFormats[]"));
          f->timestamp_formats.push_back(std::move(text));
        }
      }
      continue;
    }
    f->deserializer = streams::JsonDeserializer::kOpenX;
    for (const auto& [field, x] : serde.second->items()) {
      const std::string field_at = serde_at + "." + field;
      if (field == "ConvertDotsInJsonKeysToUnderscores") {
        TRY_ASSIGN(f->convert_dots_to_underscores, BoolField(x, field_at));
      } else if (field == "CaseInsensitive") {
        TRY_ASSIGN(f->case_insensitive, BoolField(x, field_at));
      } else if (field == "ColumnToJsonKeyMappings") {
        TRY(ExpectObject(x, field_at));
        for (const auto& [column, record_key] : x.items()) {
          TRY_ASSIGN(f->column_to_json_key[column], StringField(record_key, field_at + "." + column));
        }
      } else {
        return InvalidArgument(field_at + ": not an OpenXJsonSerDe field");
      }
    }
  }
  return Status::Ok();
}

Status ApplySerializer(const json& value, const std::string& where, streams::FormatConversion* f) {
  TRY(ExpectObject(value, where));
  for (const auto& [key, v] : value.items()) {
    if (key != "Serializer") return InvalidArgument(where + "." + key + ": not supported");
    const std::string at = where + ".Serializer";
    TRY_ASSIGN(auto serde, OneOf(v, at, {"ParquetSerDe", "OrcSerDe"}));
    if (serde.first == "OrcSerDe") {
      return InvalidArgument(at + ".OrcSerDe: ORC is not supported (ParquetSerDe: Parquet files)");
    }
    const std::string serde_at = at + ".ParquetSerDe";
    for (const auto& [field, x] : serde.second->items()) {
      const std::string field_at = serde_at + "." + field;
      if (field == "BlockSizeBytes") {
        TRY_ASSIGN(f->block_size_bytes, Int64Field(x, field_at, 64 << 20));
      } else if (field == "PageSizeBytes") {
        TRY_ASSIGN(f->page_size_bytes, Int64Field(x, field_at, 64 << 10));
      } else if (field == "MaxPaddingBytes") {
        TRY_ASSIGN(f->max_padding_bytes, Int64Field(x, field_at, 0));
      } else if (field == "EnableDictionaryCompression") {
        TRY_ASSIGN(f->dictionary, BoolField(x, field_at));
      } else if (field == "Compression") {
        TRY_ASSIGN(std::string text, StringField(x, field_at));
        if (!IsOneOf(text, {"UNCOMPRESSED", "GZIP", "SNAPPY"})) {
          return InvalidArgument(field_at + ": '" + text + "' is not one of UNCOMPRESSED, GZIP, SNAPPY");
        }
        f->compression = *streams::ParseParquetCompression(text);
      } else if (field == "WriterVersion") {
        TRY_ASSIGN(std::string text, StringField(x, field_at));
        if (!IsOneOf(text, {"V1", "V2"})) {
          return InvalidArgument(field_at + ": '" + text + "' is not one of V1, V2");
        }
        f->writer_v2 = text == "V2";
      } else {
        return InvalidArgument(field_at + ": not a ParquetSerDe field");
      }
    }
  }
  return Status::Ok();
}

// DataFormatConversionConfiguration onto the stream's: each part given (SchemaConfiguration,
// InputFormatConfiguration, OutputFormatConfiguration) replaces that part, a part not
// given stays as the stream has it, so an update of {"Enabled": false} alone turns
// conversion off and keeps its settings (as Firehose describes Enabled). Enabled, the
// three must be there in the end.
Status ApplyFormatConversion(const json& value, const std::string& where, StreamConfig* c) {
  TRY(ExpectObject(value, where));
  streams::FormatConversion f = c->format_conversion;
  const streams::FormatConversion defaults;
  f.enabled = true;  // Firehose's default
  const bool had = f.configured();  // a stream's configuration has all three parts
  bool schema = had, input = had, output = had;
  for (const auto& [key, v] : value.items()) {
    const std::string at = where + "." + key;
    if (key == "Enabled") {
      TRY_ASSIGN(f.enabled, BoolField(v, at));
    } else if (key == "SchemaConfiguration") {
      f.database = f.table = f.catalog_id = f.region = f.role_arn = "";
      f.version_id = defaults.version_id;
      TRY(ApplySchemaConfiguration(v, at, &f));
      schema = true;
    } else if (key == "InputFormatConfiguration") {
      f.deserializer = defaults.deserializer;
      f.convert_dots_to_underscores = defaults.convert_dots_to_underscores;
      f.case_insensitive = defaults.case_insensitive;
      f.column_to_json_key.clear();
      f.timestamp_formats.clear();
      TRY(ApplyDeserializer(v, at, &f));
      input = true;
    } else if (key == "OutputFormatConfiguration") {
      f.compression = defaults.compression;
      f.dictionary = defaults.dictionary;
      f.page_size_bytes = defaults.page_size_bytes;
      f.block_size_bytes = defaults.block_size_bytes;
      f.max_padding_bytes = defaults.max_padding_bytes;
      f.writer_v2 = defaults.writer_v2;
      TRY(ApplySerializer(v, at, &f));
      output = true;
    } else {
      return InvalidArgument(at + ": not a DataFormatConversionConfiguration field");
    }
  }
  if (f.enabled) {
    if (!schema || !input || !output) {
      return InvalidArgument(where + ": SchemaConfiguration, InputFormatConfiguration and "
                             "OutputFormatConfiguration are required when Enabled");
    }
    if (f.database.empty()) return InvalidArgument(where + ".SchemaConfiguration.DatabaseName is required");
    if (f.table.empty()) return InvalidArgument(where + ".SchemaConfiguration.TableName is required");
  }
  c->format_conversion = std::move(f);
  return Status::Ok();
}

json FormatConversionJson(const streams::FormatConversion& f) {
  json schema = {{"DatabaseName", f.database}, {"TableName", f.table}, {"VersionId", f.version_id}};
  if (!f.catalog_id.empty()) schema["CatalogId"] = f.catalog_id;
  if (!f.region.empty()) schema["Region"] = f.region;
  if (!f.role_arn.empty()) schema["RoleARN"] = f.role_arn;
  json deserializer;
  if (f.deserializer == streams::JsonDeserializer::kHive) {
    deserializer["HiveJsonSerDe"] = json::object();
    if (!f.timestamp_formats.empty()) {
      deserializer["HiveJsonSerDe"]["TimestampFormats"] = f.timestamp_formats;
    }
  } else {
    deserializer["OpenXJsonSerDe"] = {
        {"ConvertDotsInJsonKeysToUnderscores", f.convert_dots_to_underscores},
        {"CaseInsensitive", f.case_insensitive}};
    if (!f.column_to_json_key.empty()) {
      deserializer["OpenXJsonSerDe"]["ColumnToJsonKeyMappings"] = f.column_to_json_key;
    }
  }
  std::string compression = f.compression == streams::ParquetCompression::kGzip ? "GZIP"
                            : f.compression == streams::ParquetCompression::kUncompressed
                                ? "UNCOMPRESSED"
                                : "SNAPPY";
  json parquet = {{"BlockSizeBytes", f.block_size_bytes},
                  {"PageSizeBytes", f.page_size_bytes},
                  {"Compression", compression},
                  {"EnableDictionaryCompression", f.dictionary},
                  {"MaxPaddingBytes", f.max_padding_bytes},
                  {"WriterVersion", f.writer_v2 ? "V2" : "V1"}};
  return {{"Enabled", f.enabled},
          {"SchemaConfiguration", schema},
          {"InputFormatConfiguration", {{"Deserializer", deserializer}}},
          {"OutputFormatConfiguration", {{"Serializer", {{"ParquetSerDe", parquet}}}}}};
}

// The destination's fields that are a stream's strings as they are; null for another key.
std::string StreamConfig::*StringMember(std::string_view key) {
  static constexpr std::pair<std::string_view, std::string StreamConfig::*> kStrings[] = {
      {"Prefix", &StreamConfig::prefix},
      {"ErrorOutputPrefix", &StreamConfig::error_prefix},
      {"CustomTimeZone", &StreamConfig::time_zone},
      {"FileExtension", &StreamConfig::file_extension},
  };
  for (const auto& [name, member] : kStrings) {
    if (key == name) return member;
  }
  return nullptr;
}

// S3BackupConfiguration (or S3BackupUpdate) onto `backup`: the bucket, prefix and
// compression; the backup rides the stream's own buffering, so its BufferingHints are
// taken and unused, and it has no error prefix of its own (a failing backup's records go
// under the stream's, in the backup bucket).
Status ApplyS3Backup(const json& config, const std::string& where, streams::SourceBackup* backup) {
  TRY(ExpectObject(config, where));
  for (const auto& [key, value] : config.items()) {
    const std::string at = where + "." + key;
    if (key == "BucketARN") {
      TRY_ASSIGN(std::string arn, StringField(value, at));
      TRY_ASSIGN(backup->bucket, BucketFromArn(arn, at));
    } else if (key == "Prefix") {
      TRY_ASSIGN(backup->prefix, StringField(value, at));
    } else if (key == "CompressionFormat") {
      TRY_ASSIGN(backup->compression, CompressionFormatOf(value, at));
    } else if (key == "EncryptionConfiguration") {
      TRY(CheckEncryption(value, at));
    } else if (IsOneOf(key, {"RoleARN", "CloudWatchLoggingOptions", "BufferingHints"})) {
      continue;
    } else if (key == "ErrorOutputPrefix" && value.is_string() &&
               value.get<std::string>().empty()) {
      continue;
    } else {
      return InvalidArgument(at +
                             ": not supported by Tributary's source record backup "
                             "(BucketARN, Prefix, CompressionFormat)");
    }
  }
  return Status::Ok();
}

// The fields of an S3 destination's configuration or update onto `c`.
Status ApplyS3Destination(const json& dest, const std::string& where, StreamConfig* c) {
  TRY(ExpectObject(dest, where));
  // S3BackupMode and its configuration, applied together after the other fields.
  std::optional<std::string> backup_mode;
  const json* backup_config = nullptr;
  std::string backup_at;
  for (const auto& [key, value] : dest.items()) {
    const std::string at = where + "." + key;
    if (key == "BucketARN") {
      TRY_ASSIGN(std::string arn, StringField(value, at));
      TRY_ASSIGN(c->bucket, BucketFromArn(arn, at));
    } else if (std::string StreamConfig::*member = StringMember(key)) {
      TRY_ASSIGN(c->*member, StringField(value, at));
    } else if (key == "BufferingHints") {
      TRY(ApplyBufferingHints(value, at, c));
    } else if (key == "CompressionFormat") {
      TRY_ASSIGN(c->compression, CompressionFormatOf(value, at));
    } else if (key == "ProcessingConfiguration") {
      TRY(ApplyProcessing(value, at, c));
    } else if (key == "EncryptionConfiguration") {
      TRY(CheckEncryption(value, at));
    } else if (key == "S3BackupMode") {
      TRY_ASSIGN(std::string mode, StringField(value, at));
      if (mode != "Disabled" && mode != "Enabled") {
        return InvalidArgument(at + ": '" + mode + "' is not Enabled or Disabled");
      }
      backup_mode = mode;
    } else if (key == "S3BackupConfiguration" || key == "S3BackupUpdate") {
      backup_config = &value;
      backup_at = at;
    } else if (key == "DataFormatConversionConfiguration") {
      TRY(ApplyFormatConversion(value, at, c));
    } else if (IsOneOf(key, {"RoleARN", "CloudWatchLoggingOptions",
                             "DynamicPartitioningConfiguration"})) {
      continue;  // describes AWS only; the prefix shows dynamic partitioning
    } else {
      return InvalidArgument(at + ": not supported by Tributary's delivery streams");
    }
  }
  // As Firehose: the configuration counts while the mode is Enabled (given now, or before).
  const bool enabled = backup_mode ? *backup_mode == "Enabled" : c->backup.enabled();
  if (!enabled) {
    c->backup = {};
    return Status::Ok();
  }
  if (backup_config != nullptr) TRY(ApplyS3Backup(*backup_config, backup_at, &c->backup));
  if (!c->backup.enabled()) {
    return InvalidArgument(where + ".S3BackupMode: Enabled needs S3BackupConfiguration.BucketARN");
  }
  return Status::Ok();
}

// The one destination a request names (`kinds`' first member found); InvalidArgument if it
// names none, or another kind.
Result<const json*> S3DestinationOf(const json& request, std::initializer_list<std::string_view> kinds,
                                    std::string_view other_suffix) {
  const json* found = nullptr;
  for (std::string_view kind : kinds) {
    auto it = request.find(std::string(kind));
    if (it != request.end()) {
      if (found != nullptr) {
        return InvalidArgument("name one destination, not both " + std::string(*kinds.begin()) +
                               " and " + std::string(kind));
      }
      found = &*it;
    }
  }
  for (const auto& [key, value] : request.items()) {
    if (key.size() > other_suffix.size() &&
        key.compare(key.size() - other_suffix.size(), other_suffix.size(), other_suffix) == 0 &&
        !IsOneOf(key, kinds)) {
      return InvalidArgument(key + ": only S3 destinations are supported (the lake's buckets)");
    }
  }
  if (found == nullptr) {
    return InvalidArgument("no destination: " + std::string(*kinds.begin()) + " is required");
  }
  return found;
}

json ProcessingJson(const StreamConfig& c) {
  json processors = json::array();
  if (c.deaggregation.enabled()) {
    const bool json_type = c.deaggregation.kind == streams::Deaggregation::Kind::kJson;
    json parameters = {{{"ParameterName", "SubRecordType"}, {"ParameterValue", json_type ? "JSON" : "DELIMITED"}}};
    if (!json_type) {
      parameters.push_back({{"ParameterName", "Delimiter"}, {"ParameterValue", Base64Encode(c.deaggregation.delimiter)}});
    }
    processors.push_back({{"Type", "RecordDeAggregation"}, {"Parameters", parameters}});
  }
  if (!c.partition_query.empty()) {
    processors.push_back(
        {{"Type", "MetadataExtraction"},
         {"Parameters",
          {{{"ParameterName", "MetadataExtractionQuery"}, {"ParameterValue", c.partition_query}},
           {{"ParameterName", "JsonParsingEngine"}, {"ParameterValue", "JQ-1.6"}}}}});
  }
  if (!c.record_delimiter.empty()) {
    json parameters = json::array();
    if (c.record_delimiter != "\n") {
      parameters.push_back({{"ParameterName", "Delimiter"}, {"ParameterValue", c.record_delimiter}});
    }
    processors.push_back({{"Type", "AppendDelimiterToRecord"}, {"Parameters", parameters}});
  }
  return {{"Enabled", !processors.empty()}, {"Processors", processors}};
}

}  // namespace

std::string DeliveryStreamArn(const std::string& name) {
  return LocalArn("firehose", "deliverystream/" + name);
}

Result<StreamConfig> StreamConfigFromCreateRequest(const json& request) {
  if (!request.is_object()) return InvalidArgument("expected a JSON object");
  StreamConfig c;
  if (!request.contains("DeliveryStreamName")) return InvalidArgument("DeliveryStreamName is required");
  TRY_ASSIGN(c.name, StringField(request["DeliveryStreamName"], "DeliveryStreamName"));
  if (request.contains("DeliveryStreamType")) {
    TRY_ASSIGN(std::string type, StringField(request["DeliveryStreamType"], "DeliveryStreamType"));
    if (type != "DirectPut") {
      return InvalidArgument("DeliveryStreamType: '" + type +
                             "' is not supported (DirectPut: records come from rules and PutRecord)");
    }
  }
  if (request.contains("DeliveryStreamEncryptionConfigurationInput")) {
    return InvalidArgument("DeliveryStreamEncryptionConfigurationInput: not supported (no "
                           "server-side encryption)");
  }
  TRY_ASSIGN(const json* dest,
             S3DestinationOf(request, {"ExtendedS3DestinationConfiguration", "S3DestinationConfiguration"},
                             "DestinationConfiguration"));
  const std::string where(DestinationKey(request));
  if (!dest->is_object() || !dest->contains("BucketARN")) {
    return InvalidArgument(where + ".BucketARN is required");
  }
  TRY(ApplyS3Destination(*dest, where, &c));
  for (const auto& [key, value] : request.items()) {
    if (!IsOneOf(key, {"DeliveryStreamName", "DeliveryStreamType", "Tags",
                       "ExtendedS3DestinationConfiguration", "S3DestinationConfiguration"})) {
      return InvalidArgument(key + ": not supported by Tributary's delivery streams");
    }
  }
  return c;
}

Status ApplyDestinationUpdate(const json& request, StreamConfig* config) {
  if (!request.is_object()) return InvalidArgument("expected a JSON object");
  TRY_ASSIGN(const json* update,
             S3DestinationOf(request, {"ExtendedS3DestinationUpdate", "S3DestinationUpdate"},
                             "DestinationUpdate"));
  const std::string where(DestinationKey(request));
  return ApplyS3Destination(*update, where, config);
}

std::string_view DestinationKey(const json& request) {
  for (std::string_view key : {"ExtendedS3DestinationConfiguration", "S3DestinationConfiguration",
                               "ExtendedS3DestinationUpdate", "S3DestinationUpdate"}) {
    if (request.is_object() && request.contains(std::string(key))) return key;
  }
  return "ExtendedS3DestinationConfiguration";
}

Status ValidateAsFirehose(const StreamConfig& config, std::string_view destination) {
  return WithFirehoseFields(config.ValidateChange(), destination);
}

Status WithFirehoseFields(const Status& st, std::string_view destination) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"name", "DeliveryStreamName"},
      {"bucket", "BucketARN"},
      {"prefix", "Prefix"},
      {"error_prefix", "ErrorOutputPrefix"},
      {"buffer_size_mib", "BufferingHints.SizeInMBs"},
      {"buffer_interval_s", "BufferingHints.IntervalInSeconds"},
      {"time_zone", "CustomTimeZone"},
      {"file_extension", "FileExtension"},
      {"partition_query", "MetadataExtractionQuery"},
      {"compression", "CompressionFormat"},
      {"record_delimiter", "ProcessingConfiguration"},
      {"format_conversion", "DataFormatConversionConfiguration"},
      {"backup.bucket", "S3BackupConfiguration.BucketARN"},
      {"backup.prefix", "S3BackupConfiguration.Prefix"},
  };
  if (st.ok()) return st;
  // Another field the message mentions, in backquotes (`prefix`): Firehose's name, as bare.
  std::string renamed = st.message();
  for (const auto& [ours, theirs] : kNames) {
    const std::string quoted = "`" + std::string(ours) + "`";
    for (size_t at = renamed.find(quoted); at != std::string::npos;
         at = renamed.find(quoted, at + theirs.size() + 2)) {
      renamed.replace(at, quoted.size(), "`" + std::string(theirs) + "`");
    }
  }
  std::string_view message = renamed;
  for (const auto& [ours, theirs] : kNames) {
    if (message.size() > ours.size() && message.substr(0, ours.size()) == ours &&
        (message[ours.size()] == ':' ||
         (ours == "format_conversion" && message[ours.size()] == '.'))) {
      std::string field(theirs);
      if (ours != "name") field = std::string(destination) + "." + field;
      return Status(st.code(), field + std::string(message.substr(ours.size())));
    }
  }
  return Status(st.code(), renamed);
}

// The RoleARN a destination description must carry (the SDKs' shapes require it): there
// are no IAM roles here, the server writes its own lake, so one role stands for it.
std::string DeliveryRoleArn() {
  return "arn:aws:iam::" + std::string(kAwsAccountId) + ":role/tributary";
}

json DescribeDeliveryStreamJson(const streams::StreamDescription& d) {
  const StreamConfig& c = d.config;
  json s3 = {{"RoleARN", DeliveryRoleArn()},
             {"BucketARN", "arn:aws:s3:::" + c.bucket},
             {"Prefix", c.prefix},
             {"BufferingHints",
              {{"SizeInMBs", c.buffer_size_mib}, {"IntervalInSeconds", c.buffer_interval_s}}},
             {"CompressionFormat", c.compression == Compression::kGzip ? "GZIP" : "UNCOMPRESSED"},
             {"EncryptionConfiguration", {{"NoEncryptionConfig", kNoEncryption}}},
             {"S3BackupMode", c.backup.enabled() ? "Enabled" : "Disabled"},
             {"CustomTimeZone", c.time_zone},
             {"FileExtension", c.file_extension},
             {"DynamicPartitioningConfiguration",
              {{"Enabled", c.prefix.find("!{partitionKeyFromQuery:") != std::string::npos}}},
             {"ProcessingConfiguration", ProcessingJson(c)}};
  if (!c.error_prefix.empty()) s3["ErrorOutputPrefix"] = c.error_prefix;
  if (c.backup.enabled()) {
    s3["S3BackupDescription"] = {
        {"RoleARN", DeliveryRoleArn()},
        {"BucketARN", "arn:aws:s3:::" + c.backup.bucket},
        {"Prefix", c.backup.prefix},
        {"BufferingHints",
         {{"SizeInMBs", c.buffer_size_mib}, {"IntervalInSeconds", c.buffer_interval_s}}},
        {"CompressionFormat", c.backup.compression == Compression::kGzip ? "GZIP" : "UNCOMPRESSED"},
        {"EncryptionConfiguration", {{"NoEncryptionConfig", kNoEncryption}}}};
  }
  if (c.format_conversion.configured()) {
    s3["DataFormatConversionConfiguration"] = FormatConversionJson(c.format_conversion);
  }
  // A stream that did not start (streams/README.md) is Firehose's CREATING_FAILED, its
  // reason the FailureDescription's details.
  const bool failed = d.status == "failed";
  json out = {{"DeliveryStreamName", c.name},
              {"DeliveryStreamARN", DeliveryStreamArn(c.name)},
              {"DeliveryStreamStatus", failed                 ? "CREATING_FAILED"
                                       : d.status == "active" ? "ACTIVE"
                                                              : "DELETING"},
              {"DeliveryStreamEncryptionConfiguration", {{"Status", "DISABLED"}}},
              {"DeliveryStreamType", "DirectPut"},
              {"VersionId", "1"},
              {"CreateTimestamp", static_cast<double>(d.created_ms) / 1000.0},
              {"Destinations",
               {{{"DestinationId", "destinationId-000000000001"},
                 {"ExtendedS3DestinationDescription", s3}}}},
              {"HasMoreDestinations", false}};
  if (failed)
    out["FailureDescription"] = {{"Type", "UNKNOWN_ERROR"}, {"Details", d.stats.last_error}};
  return out;
}

}  // namespace tributary::app
