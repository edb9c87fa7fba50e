#include "parquet/schema.h"

#include <set>

#include "parquet/decimal.h"
#include "parquet/nested_type.h"

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
    case ColumnType::kDecimal:
      return "decimal";
  }
  return "unknown";
}

namespace {

// `text` is a type as Column::TypeText writes it.
Status ParseColumnType(std::string_view text, Column* c) {
  if (text.find('<') != std::string_view::npos) {
    TRY_ASSIGN(NestedType t, NestedType::Parse(text));
    if (!t.nested()) return InvalidArgument("type '" + std::string(text) + "' is not nested");
    c->type = ColumnType::kString;
    c->nested = std::make_shared<const NestedType>(std::move(t));
    return Status::Ok();
  }
  if (IsDecimalType(text)) {
    c->type = ColumnType::kDecimal;
    return ParseDecimalType(text, &c->precision, &c->scale);
  }
  for (ColumnType t :
       {ColumnType::kBoolean, ColumnType::kInt32, ColumnType::kInt64, ColumnType::kFloat,
        ColumnType::kDouble, ColumnType::kString, ColumnType::kTimestamp, ColumnType::kDate}) {
    if (text == ColumnTypeName(t)) {
      c->type = t;
      return Status::Ok();
    }
  }
  return InvalidArgument("unknown column type '" + std::string(text) +
                         "' (expected boolean, int32, int64, float, double, string, timestamp, "
                         "date or decimal(precision,scale))");
}

}  // namespace

bool Column::operator==(const Column& o) const {
  if (name != o.name || type != o.type || optional != o.optional || precision != o.precision ||
      scale != o.scale || (nested == nullptr) != (o.nested == nullptr)) {
    return false;
  }
  return nested == nullptr || *nested == *o.nested;
}

std::string Column::TypeText() const {
  if (nested) return nested->ToString();
  if (type == ColumnType::kDecimal) {
    return "decimal(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
  }
  return std::string(ColumnTypeName(type));
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
    if (columns[i].type == ColumnType::kDecimal) {
      Status st = ValidateDecimal(columns[i].precision, columns[i].scale);
      if (!st.ok()) return st.WithContext("column '" + columns[i].name + "'");
    }
    if (columns[i].nested) {
      Status st = columns[i].nested->nested() && columns[i].type == ColumnType::kString
                      ? columns[i].nested->Validate()
                      : InvalidArgument("a nested column is a struct, list or map held as string");
      if (!st.ok()) return st.WithContext("column '" + columns[i].name + "'");
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
    out += c.TypeText();
    if (c.optional) out += '?';
  }
  return out;
}

Result<Schema> Schema::Parse(std::string_view text) {
  Schema schema;
  size_t start = 0;
  while (start <= text.size()) {
    // A comma inside decimal(p,s) or struct<...> does not end the item.
    size_t end = start;
    int depth = 0;
    for (; end < text.size(); ++end) {
      char ch = text[end];
      if (ch == '(' || ch == '<') ++depth;
      if (ch == ')' || ch == '>') --depth;
      if (ch == ',' && depth <= 0) break;
    }
    std::string_view item = text.substr(start, end - start);
    // A nested type has colons of its own: the name ends at the first.
    size_t colon = item.find('<') == std::string_view::npos ? item.rfind(':') : item.find(':');
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
    TRY(ParseColumnType(type, &c));
    schema.columns.push_back(std::move(c));
    start = end + 1;
  }
  TRY(schema.Validate());
  return schema;
}

}  // namespace tributary::parquet
