#include "streams/format_conversion.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace tributary::streams {

std::string_view JsonDeserializerName(JsonDeserializer d) {
  return d == JsonDeserializer::kHive ? "hive" : "openx";
}

std::string_view ParquetCompressionName(ParquetCompression c) {
  switch (c) {
    case ParquetCompression::kSnappy: return "snappy";
    case ParquetCompression::kGzip: return "gzip";
    case ParquetCompression::kUncompressed: return "none";
  }
  return "snappy";
}

Result<ParquetCompression> ParseParquetCompression(std::string_view text) {
  if (text == "snappy" || text == "SNAPPY") return ParquetCompression::kSnappy;
  if (text == "gzip" || text == "GZIP") return ParquetCompression::kGzip;
  if (text == "none" || text == "UNCOMPRESSED") return ParquetCompression::kUncompressed;
  return InvalidArgument(fmt::format("'{}' is not one of snappy, gzip, none", text));
}

Status FormatConversion::Validate() const {
  if (!configured()) {
    if (enabled) return InvalidArgument("format_conversion.table: required to convert records");
    return Status::Ok();
  }
  if (database.empty()) return InvalidArgument("format_conversion.database: required");
  if (table.empty()) return InvalidArgument("format_conversion.table: required");
  if (version_id != "LATEST") {
    bool digits = !version_id.empty() && version_id.size() <= 18;
    for (char c : version_id) digits = digits && c >= '0' && c <= '9';
    if (!digits) {
      return InvalidArgument(fmt::format(
          "format_conversion.version_id: '{}' is neither LATEST nor a table version number",
          version_id));
    }
  }
  if (page_size_bytes < (64 << 10)) {
    return InvalidArgument(fmt::format(
        "format_conversion.page_size_bytes: {} is under the minimum of 65536", page_size_bytes));
  }
  if (block_size_bytes < (64 << 20)) {
    return InvalidArgument(fmt::format(
        "format_conversion.block_size_bytes: {} is under the minimum of 67108864",
        block_size_bytes));
  }
  if (max_padding_bytes < 0) {
    return InvalidArgument("format_conversion.max_padding_bytes: must not be negative");
  }
  for (const std::string& f : timestamp_formats) {
    if (f.empty() || f.size() > 1024) {
      return InvalidArgument("format_conversion.timestamp_formats: each must be 1..1024 characters");
    }
  }
  if (deserializer == JsonDeserializer::kHive &&
      (!column_to_json_key.empty() || convert_dots_to_underscores)) {
    return InvalidArgument(
        "format_conversion: column_to_json_key and convert_dots_to_underscores are the OpenX "
        "deserializer's, not the Hive one's");
  }
  if (deserializer == JsonDeserializer::kOpenX && !timestamp_formats.empty()) {
    return InvalidArgument(
        "format_conversion.timestamp_formats: the Hive deserializer's, not the OpenX one's");
  }
  return Status::Ok();
}

nlohmann::json ToJson(const FormatConversion& f) {
  return {{"enabled", f.enabled},
          {"database", f.database},
          {"table", f.table},
          {"version_id", f.version_id},
          {"catalog_id", f.catalog_id},
          {"region", f.region},
          {"role_arn", f.role_arn},
          {"deserializer", std::string(JsonDeserializerName(f.deserializer))},
          {"convert_dots_to_underscores", f.convert_dots_to_underscores},
          {"case_insensitive", f.case_insensitive},
          {"column_to_json_key", f.column_to_json_key},
          {"timestamp_formats", f.timestamp_formats},
          {"compression", std::string(ParquetCompressionName(f.compression))},
          {"dictionary", f.dictionary},
          {"page_size_bytes", f.page_size_bytes},
          {"block_size_bytes", f.block_size_bytes},
          {"max_padding_bytes", f.max_padding_bytes},
          {"writer_version", f.writer_v2 ? "V2" : "V1"}};
}

namespace {

constexpr std::pair<std::string_view, std::string FormatConversion::*> kStrings[] = {
    {"database", &FormatConversion::database},     {"table", &FormatConversion::table},
    {"version_id", &FormatConversion::version_id}, {"catalog_id", &FormatConversion::catalog_id},
    {"region", &FormatConversion::region},         {"role_arn", &FormatConversion::role_arn},
};
constexpr std::pair<std::string_view, bool FormatConversion::*> kBools[] = {
    {"enabled", &FormatConversion::enabled},
    {"convert_dots_to_underscores", &FormatConversion::convert_dots_to_underscores},
    {"case_insensitive", &FormatConversion::case_insensitive},
    {"dictionary", &FormatConversion::dictionary},
};
constexpr std::pair<std::string_view, int64_t FormatConversion::*> kInts[] = {
    {"page_size_bytes", &FormatConversion::page_size_bytes},
    {"block_size_bytes", &FormatConversion::block_size_bytes},
    {"max_padding_bytes", &FormatConversion::max_padding_bytes},
};

}  // namespace

Result<FormatConversion> FormatConversionFromJson(const nlohmann::json& json,
                                                  const std::string& at) {
  if (!json.is_object()) return InvalidArgument(at + ": expected a JSON object");
  FormatConversion f;
  for (const auto& [key, value] : json.items()) {
    const std::string where = at + "." + key;
    auto wrong = [&](std::string_view what) {
      return InvalidArgument(fmt::format("{}: expected {}", where, what));
    };
    bool known = false;
    for (const auto& [name, member] : kStrings) {
      if (key != name) continue;
      if (!value.is_string()) return wrong("a string");
      f.*member = value.get<std::string>();
      known = true;
    }
    for (const auto& [name, member] : kBools) {
      if (key != name) continue;
      if (!value.is_boolean()) return wrong("true or false");
      f.*member = value.get<bool>();
      known = true;
    }
    for (const auto& [name, member] : kInts) {
      if (key != name) continue;
      if (!value.is_number_integer()) return wrong("an integer");
      f.*member = value.get<int64_t>();
      known = true;
    }
    if (known) continue;
    if (key == "deserializer") {
      if (!value.is_string()) return wrong("a string");
      std::string d = value.get<std::string>();
      if (d == "openx") {
        f.deserializer = JsonDeserializer::kOpenX;
      } else if (d == "hive") {
        f.deserializer = JsonDeserializer::kHive;
      } else {
        return InvalidArgument(fmt::format("{}: '{}' is not one of openx, hive", where, d));
      }
    } else if (key == "compression") {
      if (!value.is_string()) return wrong("a string");
      auto c = ParseParquetCompression(value.get<std::string>());
      if (!c.ok()) return InvalidArgument(where + ": " + c.status().message());
      f.compression = *c;
    } else if (key == "writer_version") {
      if (!value.is_string() || (value != "V1" && value != "V2")) return wrong("\"V1\" or \"V2\"");
      f.writer_v2 = value == "V2";
    } else if (key == "column_to_json_key") {
      if (!value.is_object()) return wrong("an object of column names to record keys");
      for (const auto& [column, record_key] : value.items()) {
        if (!record_key.is_string()) {
          return InvalidArgument(fmt::format("{}.{}: expected a string", where, column));
        }
        f.column_to_json_key[column] = record_key.get<std::string>();
      }
    } else if (key == "timestamp_formats") {
      if (!value.is_array()) return wrong("an array of strings");
      for (const auto& item : value) {
        if (!item.is_string()) return wrong("an array of strings");
        f.timestamp_formats.push_back(item.get<std::string>());
      }
    } else {
      return InvalidArgument(where + ": unknown format conversion key");
    }
  }
  return f;
}

}  // namespace tributary::streams
