#include "lake/hive_parquet.h"

#include "parquet/decimal.h"

namespace tributary::lake {
namespace {

using parquet::ColumnType;
using parquet::NestedType;

std::string HiveOfPrimitive(ColumnType type, const std::string& text) {
  switch (type) {
    case ColumnType::kBoolean:
      return "boolean";
    case ColumnType::kInt32:
      return "int";
    case ColumnType::kInt64:
      return "bigint";
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
      return text;
  }
  return "string";
}

// A struct field's name as Hive writes it: in backticks when it holds a delimiter.
std::string FieldName(const std::string& name) {
  if (name.find_first_of(":,<>` \t") == std::string::npos) return name;
  std::string out = "`";
  for (char c : name) {
    out += c;
    if (c == '`') out += '`';
  }
  return out + "`";
}

std::string HiveOfNested(const NestedType& t) {
  switch (t.kind) {
    case NestedType::Kind::kPrimitive:
      return HiveOfPrimitive(t.primitive, t.ToString());
    case NestedType::Kind::kList:
      return "array<" + HiveOfNested(t.children[0]) + ">";
    case NestedType::Kind::kMap:
      return "map<" + HiveOfNested(t.children[0]) + "," + HiveOfNested(t.children[1]) + ">";
    case NestedType::Kind::kStruct: {
      std::string out = "struct<";
      for (size_t i = 0; i < t.children.size(); ++i) {
        if (i > 0) out += ',';
        out += FieldName(t.names[i]) + ":" + HiveOfNested(t.children[i]);
      }
      return out + ">";
    }
  }
  return "string";
}

// "map<k,v>" split at its top-level comma.
Status SplitMap(const std::string& text, std::string* key, std::string* value) {
  if (text.size() < 6 || text.compare(0, 4, "map<") != 0 || text.back() != '>') {
    return InvalidArgument("'" + text + "' is not map<key,value>");
  }
  int depth = 0;
  for (size_t i = 4; i + 1 < text.size(); ++i) {
    char c = text[i];
    if (c == '<' || c == '(') ++depth;
    if (c == '>' || c == ')') --depth;
    if (c == ',' && depth == 0) {
      *key = text.substr(4, i - 4);
      *value = text.substr(i + 1, text.size() - i - 2);
      return Status::Ok();
    }
  }
  return InvalidArgument("'" + text + "' is not map<key,value>");
}

Result<NestedType> Convert(const HiveType& t, int depth) {
  if (depth > 64) return InvalidArgument("types nested deeper than 64 levels");
  switch (t.kind) {
    case HiveType::Kind::kNull:
    case HiveType::Kind::kString:
      return NestedType::Primitive(ColumnType::kString);
    case HiveType::Kind::kBoolean:
      return NestedType::Primitive(ColumnType::kBoolean);
    case HiveType::Kind::kBigint:
      return NestedType::Primitive(ColumnType::kInt64);
    case HiveType::Kind::kDouble:
      return NestedType::Primitive(ColumnType::kDouble);
    case HiveType::Kind::kTimestamp:
      return NestedType::Primitive(ColumnType::kTimestamp);
    case HiveType::Kind::kArray: {
      TRY_ASSIGN(NestedType element, Convert(t.element.at(0), depth + 1));
      return NestedType::List(std::move(element));
    }
    case HiveType::Kind::kStruct: {
      std::vector<std::string> names;
      std::vector<NestedType> fields;
      for (const HiveType::Field& f : t.fields) {
        names.push_back(f.name);
        TRY_ASSIGN(NestedType ft, Convert(f.type, depth + 1));
        fields.push_back(std::move(ft));
      }
      return NestedType::Struct(std::move(names), std::move(fields));
    }
    case HiveType::Kind::kOther: {
      const std::string& o = t.other;
      if (o == "int" || o == "smallint" || o == "tinyint") {
        return NestedType::Primitive(ColumnType::kInt32);
      }
      if (o == "float") return NestedType::Primitive(ColumnType::kFloat);
      if (o == "date") return NestedType::Primitive(ColumnType::kDate);
      if (parquet::IsDecimalType(o)) {
        NestedType d = NestedType::Primitive(ColumnType::kDecimal);
        TRY(parquet::ParseDecimalType(o, &d.precision, &d.scale));
        return d;
      }
      if (o.compare(0, 4, "map<") == 0) {
        std::string key_text, value_text;
        TRY(SplitMap(o, &key_text, &value_text));
        TRY_ASSIGN(HiveType key, ParseHiveType(key_text));
        TRY_ASSIGN(HiveType value, ParseHiveType(value_text));
        TRY_ASSIGN(NestedType k, Convert(key, depth + 1));
        TRY_ASSIGN(NestedType v, Convert(value, depth + 1));
        if (k.nested()) {
          return InvalidArgument("map key type " + key_text + " is not a primitive");
        }
        return NestedType::Map(std::move(k), std::move(v));
      }
      return NestedType::Primitive(ColumnType::kString);  // varchar(n), char(n), binary
    }
  }
  return NestedType::Primitive(ColumnType::kString);
}

}  // namespace

std::string HiveTypeOfNested(const parquet::NestedType& type) { return HiveOfNested(type); }

bool IsNestedHive(const HiveType& t) {
  return t.kind == HiveType::Kind::kStruct || t.kind == HiveType::Kind::kArray ||
         (t.kind == HiveType::Kind::kOther && t.other.rfind("map<", 0) == 0);
}

std::string HiveTypeOfParquet(const parquet::Column& column) {
  if (column.nested) return HiveOfNested(*column.nested);
  return HiveOfPrimitive(column.type, column.TypeText());
}

Result<NestedType> NestedTypeOfHive(const HiveType& type) {
  TRY_ASSIGN(NestedType t, Convert(type, 0));
  if (!IsNestedHive(type)) {
    return InvalidArgument(FormatHiveType(type) + " is not a struct, array or map");
  }
  TRY(t.Validate());
  return t;
}

}  // namespace tributary::lake
