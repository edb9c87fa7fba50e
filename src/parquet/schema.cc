#include "parquet/schema.h"

#include <set>

namespace tributary::parquet {

std::string_view ColumnTypeName(ColumnType t) {
  switch (t) {
    case ColumnType::kBoolean:
      return "boolean";
    case ColumnType::kInt32:
      return "int32";
    case ColumnType::kInt64:
      return "int64";
    case ColumnType::kFloat:
      return "float";
    case ColumnType::kDouble:
      return "double";
    case ColumnType::kString:
      return "string";
    case ColumnType::kTimestamp:
      return "timestamp";
    case ColumnType::kDate:
      return "date";
  }
  return "unknown";
}

Result<ColumnType> ParseColumnType(std::string_view name) {
  for (ColumnType t :
       {ColumnType::kBoolean, ColumnType::kInt32, ColumnType::kInt64, ColumnType::kFloat,
        ColumnType::kDouble, ColumnType::kString, ColumnType::kTimestamp, ColumnType::kDate}) {
    if (name == ColumnTypeName(t)) return t;
  }
  return InvalidArgument("unknown column type '" + std::string(name) +
                         "' (expected boolean, int32, int64, float, double, string, timestamp or date)");
}

int Schema::Find(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Status Schema::Validate() const {
  if (columns.empty()) return InvalidArgument("schema has no columns");
  std::set<std::string> seen;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name.empty()) {
      return InvalidArgument("schema column " + std::to_string(i) + " has an empty name");
    }
    if (!seen.insert(columns[i].name).second) {
      return InvalidArgument("schema names column '" + columns[i].name + "' twice");
    }
  }
  return Status::Ok();
}

std::string Schema::ToString() const {
  std::string out;
  for (const Column& c : columns) {
    if (!out.empty()) out += ',';
    out += c.name;
    out += ':';
    out += ColumnTypeName(c.type);
    if (c.optional) out += '?';
  }
  return out;
}

Result<Schema> Schema::Parse(std::string_view text) {
  Schema schema;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(start, end - start);
    size_t colon = item.rfind(':');
    if (colon == std::string_view::npos) {
      return InvalidArgument("schema item '" + std::string(item) + "' is not name:type");
    }
    Column c;
    c.name = std::string(item.substr(0, colon));
    std::string_view type = item.substr(colon + 1);
    if (!type.empty() && type.back() == '?') {
      c.optional = true;
      type.remove_suffix(1);
    }
    TRY_ASSIGN(c.type, ParseColumnType(type));
    schema.columns.push_back(std::move(c));
    start = end + 1;
  }
  TRY(schema.Validate());
  return schema;
}

}  // namespace tributary::parquet
