// Hive type strings ("bigint", "struct<a:bigint,b:array<double>>") as the catalog stores
// column types, parsed into a tree and printed back. Struct field names that hold one
// of ":,<>`" or whitespace are written in backticks (`my field`), as Hive does.
//
//   "bigint"                         -> kBigint
//   "array<double>"                  -> kArray{kDouble}
//   "struct<lat:double,lon:double>"  -> kStruct{lat: kDouble, lon: kDouble}
//   "decimal(10,2)", "int", "date", "varchar(32)", "map<string,bigint>"
//                                    -> kOther with `other` holding the text
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::lake {

struct HiveType {
  enum class Kind {
    kNull,  // only JSON nulls seen so far (inference only); printed as "string"
    kBoolean,
    kBigint,
    kDouble,
    kString,
    kTimestamp,
    kStruct,
    kArray,
    kOther,  // another Hive scalar: int, smallint, tinyint, float, date, binary, decimal(p,s),
             // varchar(n), char(n); and map<k,v> (its text)
  };
  struct Field;

  Kind kind = Kind::kNull;
  std::string other;              // kOther: the type's text, e.g. "decimal(10,2)"
  std::vector<Field> fields;      // kStruct, in order
  std::vector<HiveType> element;  // kArray: exactly one

  static HiveType Of(Kind kind);
  static HiveType ArrayOf(HiveType element);
  bool operator==(const HiveType& o) const;
  const HiveType* FindField(std::string_view name) const;  // nullptr when absent
};

struct HiveType::Field {
  std::string name;
  HiveType type;
  bool operator==(const Field& o) const { return name == o.name && type == o.type; }
};

// After Field is complete: clang with libstdc++ needs it to build a HiveType.
inline HiveType HiveType::Of(Kind kind) {
  HiveType t;
  t.kind = kind;
  return t;
}

// kInvalidArgument naming the offset of the problem: "struct<a:bigint" -> "expected
// ',' or '>' at offset 15".
Result<HiveType> ParseHiveType(std::string_view text);
std::string FormatHiveType(const HiveType& type);

}  // namespace tributary::lake
