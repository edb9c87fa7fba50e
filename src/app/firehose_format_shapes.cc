#include "app/firehose_format_shapes.h"

#include <initializer_list>
#include <string_view>
#include <utility>

#include "app/firehose_fields.h"

namespace tributary::app::firehose {

using nlohmann::json;
using streams::StreamConfig;

namespace {

Status ApplySchemaConfiguration(const json& value, const std::string& where,
                                streams::FormatConversion* f) {
  static constexpr std::pair<std::string_view, std::string streams::FormatConversion::*> kFields[] =
      {{"CatalogId", &streams::FormatConversion::catalog_id},
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
        if (!x.is_array())
          return InvalidArgument(serde_at + ".TimestampFormats: expected an array");
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
          TRY_ASSIGN(f->column_to_json_key[column],
                     StringField(record_key, field_at + "." + column));
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
          return InvalidArgument(field_at + ": '" + text +
                                 "' is not one of UNCOMPRESSED, GZIP, SNAPPY");
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

}  // namespace

Status ApplyFormatConversion(const json& value, const std::string& where, StreamConfig* c) {
  TRY(ExpectObject(value, where));
  streams::FormatConversion f = c->format_conversion;
  const streams::FormatConversion defaults;
  f.enabled = true;                 // Firehose's default
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
      return InvalidArgument(where +
                             ": SchemaConfiguration, InputFormatConfiguration and "
                             "OutputFormatConfiguration are required when Enabled");
    }
    if (f.database.empty())
      return InvalidArgument(where + ".SchemaConfiguration.DatabaseName is required");
    if (f.table.empty())
      return InvalidArgument(where + ".SchemaConfiguration.TableName is required");
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

}  // namespace tributary::app::firehose
