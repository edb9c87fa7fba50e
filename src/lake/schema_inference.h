// Schema inference for JSON records, as Glue's JSON classifier does it: each value
// gets a Hive type, and the types seen for one column are merged:
//
//   seen              merged      reported?
//   bigint + double   double      no   (an int column that meets a double widens)
//   timestamp+string  string      no   (timestamp = ISO 8601 text, see LooksLikeTimestamp)
//   null + T          T           no   (a column only ever null is "string")
//   struct + struct   struct with the union of the fields, merged field by field
//   array + array     array of the merged element types ([] adds nothing)
//   anything else     string      yes: a TypeConflict naming the column path
//                                 ("pos.lat", "tags[]"), the types and where first seen
//
// Columns keep the order in which they were first seen. Not thread-safe: one builder
// per crawl.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "lake/catalog.h"
#include "lake/hive_type.h"

namespace tributary::lake {

struct TypeConflict {
  std::string column;  // "ozone", "pos.lat", "tags[]"
  std::string types;   // "bigint, string"
  std::string where;   // "2026/11/30/14/obj.json line 3" where first seen
  int64_t count = 0;   // how many values conflicted
};

// True for "2026-11-30T14:02:11.123Z", "2026-11-30 14:02:11", "2026-11-30T14:02+01:00"
// and the like: a date, 'T' or ' ', hh:mm[:ss[.fraction]], then Z, ±hh[:mm] or nothing.
bool LooksLikeTimestamp(std::string_view text);

// The type of one JSON value.
HiveType InferType(simdjson::dom::element value);

class SchemaBuilder {
 public:
  SchemaBuilder() : root_(HiveType::Of(HiveType::Kind::kStruct)) {}
  // Starts from the columns a table already has (an incremental crawl); kInvalidArgument
  // if one of their types does not parse.
  static Result<SchemaBuilder> FromColumns(const std::vector<Column>& columns);

  // Merges the fields of one record; `where` ("key line 3") goes into conflict reports.
  void AddRecord(simdjson::dom::object record, const std::string& where);
  // Merges columns whose types are known (a Parquet object's schema) as a record's fields;
  // kInvalidArgument naming the column if a type does not parse.
  Status AddColumns(const std::vector<Column>& columns, const std::string& where);

  std::vector<Column> Columns() const;
  const std::vector<TypeConflict>& conflicts() const { return conflicts_; }
  bool empty() const { return root_.fields.empty(); }

 private:
  friend HiveType InferType(simdjson::dom::element value);
  HiveType Infer(simdjson::dom::element value, const std::string& path, const std::string& where);
  void MergeField(std::string name, HiveType type, const std::string& where);
  HiveType Merge(const HiveType& a, const HiveType& b, const std::string& path,
                 const std::string& where);
  void Report(const std::string& path, const HiveType& a, const HiveType& b,
              const std::string& where);

  HiveType root_;
  std::vector<TypeConflict> conflicts_;
};

}  // namespace tributary::lake
