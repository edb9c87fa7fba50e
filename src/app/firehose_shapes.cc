#include "app/firehose_shapes.h"

#include <initializer_list>
#include <optional>
#include <string_view>

#include "app/firehose_fields.h"
#include "app/firehose_format_shapes.h"
#include "base/aws_arn.h"
#include "base/base64.h"

namespace tributary::app {
namespace {

using firehose::ApplyFormatConversion;
using firehose::BoolField;
using firehose::ExpectObject;
using firehose::FormatConversionJson;
using firehose::IntField;
using firehose::IsOneOf;
using firehose::StringField;
using nlohmann::json;
using streams::Compression;
using streams::StreamConfig;

constexpr std::string_view kBucketArnPrefix = ":s3:::";
constexpr char kNoEncryption[] = "NoEncryption";

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
  if (auto c = streams::CompressionOfFirehoseFormat(format)) return *c;
  return InvalidArgument(where + ": '" + format +
                         "' is not supported (UNCOMPRESSED, GZIP, ZIP, Snappy or HADOOP_SNAPPY)");
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
             {"CompressionFormat", std::string(streams::FirehoseCompressionFormat(c.compression))},
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
        {"CompressionFormat",
         std::string(streams::FirehoseCompressionFormat(c.backup.compression))},
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
