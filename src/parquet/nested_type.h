// NestedType: the type of a nested column (a struct, list or map whose members are
// primitives or nested again), as Hive's struct<...>, array<...> and map<...> and
// Parquet's groups describe it.
//
//   TRY_ASSIGN(NestedType t, NestedType::Parse("struct<lat:double,tags:list<string>>"));
//   t.ToString();  // the same text back
//
// A nested column is a Column of type kString whose `nested` is set: batches carry each
// row's value as its compact JSON text (the lake's own form for such values), and the
// file holds it in Parquet's nested layout (nested_schema.h), which other engines read
// as STRUCT, LIST and MAP. Text form, as in schema text: primitives by ColumnTypeName
// ("int64", "decimal(10,2)"), "struct<name:type,...>", "list<type>",
// "map<primitive,type>". Value type.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "parquet/schema.h"

namespace tributary::parquet {

struct NestedType {
  enum class Kind { kPrimitive, kStruct, kList, kMap };
  Kind kind = Kind::kPrimitive;
  ColumnType primitive = ColumnType::kString;  // kPrimitive
  int precision = 0;                           // kPrimitive kDecimal
  int scale = 0;
  std::vector<std::string> names;    // kStruct: the fields' names
  std::vector<NestedType> children;  // kStruct: fields; kList: the element; kMap: key, value

  static NestedType Primitive(ColumnType t, int precision = 0, int scale = 0);
  static NestedType List(NestedType element);
  static NestedType Map(NestedType key, NestedType value);
  static NestedType Struct(std::vector<std::string> names, std::vector<NestedType> fields);

  bool nested() const { return kind != Kind::kPrimitive; }
  // The primitive as a column named `name` (decimal precision and scale included).
  Column PrimitiveColumn(std::string name, bool optional) const;

  // "struct<a:int64,b:list<string>>"; InvalidArgument naming the offset of the problem.
  static Result<NestedType> Parse(std::string_view text);
  std::string ToString() const;
  // Struct field names non-empty and unique, map keys primitive, decimals valid.
  Status Validate() const;

  bool operator==(const NestedType&) const = default;
};

}  // namespace tributary::parquet
