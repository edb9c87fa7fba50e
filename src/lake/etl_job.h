// ETL job definitions (a Glue Studio job): a source table from the catalog, an ordered
// list of transforms and a Parquet target. A job is written as JSON (or as YAML, which
// job_document.h turns into the same JSON value):
//
//   {"source": {"database": "iot", "table": "raw"},
//    "transforms": [
//      {"apply_mapping": [["ozone", "bigint", "ozone", "double"],
//                         ["pos.lat", "double", "lat", "double"],
//                         ["timestamp", "string", "ts", "timestamp"]]},
//      {"filter": "ozone >= 0"},
//      {"derive": {"hour": "hour(ts)", "day": {"expression": "day(ts)", "type": "int"}}},
//      {"dedupe": ["record_id"]},
//      {"drop_null_fields": true}],
//    "target": {"path": "curated/pollution/", "format": "parquet", "compression": "snappy",
//               "partition_keys": ["year", "month", "day"], "database": "iot",
//               "table": "pollution", "error_path": "curated/pollution_errors/"},
//    "workers": 0}
//
// transform          does
//   explode          an array or map field, top-level or a dotted path through structs (a
//                    name, or {"field": ..., "as": ..., "include_nulls": bool}): one record
//                    per element (a map's entry: {"key": k, "value": v}), the element in
//                    the top-level field `as` (default: the field's last name), the array
//                    taken out, the record's other fields kept (Glue Studio's "Explode
//                    Array Or Map Into Rows"; etl_explode.h). A record whose field is
//                    missing, null, of another kind or empty gives no row (counted as
//                    filtered), or with include_nulls one whose element is null. Must
//                    come first; an apply_mapping right after it reads the element's
//                    fields ("reading.t").
//   apply_mapping    Glue ApplyMapping tuples [source path, source type, target name,
//                    target type]: the only columns after it; fields not listed are dropped.
//                    A path is dotted ("pos.lat"). First (or after explode) it reads the
//                    source record, and a name that is one of the source's partition keys
//                    (year, month, ...) reads the object's partition value; without a first
//                    one the columns are the source table's and its partition keys
//                    (strings). After other transforms it reads the columns so far: a
//                    column's name, or a path into a struct or map column, its value cast
//                    to the target type as a record's would be (timestamps, dates and
//                    decimals through their text).
//   filter           an expression of the rules language (expr/); a record is kept when
//                    it yields true (false, null or undefined drop it)
//   derive           name -> expression (or {"expression", "type"}): a new column; the
//                    type is inferred from the expression when not given. It may be a
//                    struct, array or map ("{'lat': lat, 'lon': lon}", "[a, b]", a nested
//                    column by name; or the type given in full, "struct<lat:double>"),
//                    written as a nested column
//   dedupe           key columns: a record whose key was seen before, in this run or an
//                    earlier successful run of the job (dedupe_keys.h), is dropped
//   drop_null_fields true (all columns) or a list: columns null in every record of the run
//                    are left out of the output (Glue's DropNullFields)
//
// Column types (Hive names): boolean, int, bigint (or long), float, double, string,
// timestamp, date (a Parquet DATE), decimal(p,s) (a Parquet DECIMAL; 1 <= p <= 38,
// 0 <= s <= p). Source types in a mapping may also be struct<...>/array<...>.
// Conversions, value -> target type (anything else rejects the record with the reason):
//   bigint/int   JSON integers, whole doubles, numeric strings; in range
//   double/float JSON numbers, numeric strings
//   string       strings; numbers, booleans, objects and arrays as their JSON text
//   boolean      true/false, the strings "true"/"false"
//   timestamp    ISO 8601 strings (expr::ParseIso8601Micros); numbers are Unix milliseconds
//   date         YYYY-MM-DD, or what timestamp takes (its UTC day)
//   decimal(p,s) JSON numbers and numeric strings, rounded half away from zero to s
//                digits; more than p - s integer digits rejects the record. A string is
//                read digit for digit; a JSON number with a fraction or an exponent is
//                read as a double first (exact to about 15 significant digits).
// A missing field or JSON null is null, never a rejection.
//
// Parsing is a pure function; every error names the JSON path of the problem
// ("$.transforms[1].filter: column 5: ..."). Value types; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "lake/catalog.h"
#include "lake/hive_type.h"

namespace tributary::lake {

enum class EtlType { kBoolean, kInt, kBigint, kFloat, kDouble, kString, kTimestamp, kDate, kDecimal };
// The digits of a decimal column: decimal(precision, scale). Hive's bare `decimal` is
// decimal(10,0).
struct DecimalSpec {
  int precision = 10;
  int scale = 0;
  bool operator==(const DecimalSpec&) const = default;
};
// "boolean", "int", "bigint", "float", "double", "string", "timestamp", "date", "decimal".
std::string_view EtlTypeName(EtlType type);
// The name, or for a decimal "decimal(p,s)": the type as the catalog writes it.
std::string EtlTypeText(EtlType type, DecimalSpec decimal);
// The names above, plus "long" (bigint), "integer" (int), "bool", "varchar"/"text"
// (string), and "decimal(p,s)", "decimal(p)", "decimal" (whose digits go to `decimal`);
// in any case ("BIGINT", "DECIMAL(10,2)").
std::optional<EtlType> ParseEtlType(std::string_view name, DecimalSpec* decimal = nullptr);

struct FieldMapping {
  std::string source_path;         // "pos.lat"
  std::vector<std::string> path;   // {"pos", "lat"}
  std::string source_type;         // as written (a Hive type)
  std::string target_name;
  EtlType target_type = EtlType::kString;
  DecimalSpec target_decimal;  // target_type kDecimal
  // A struct, array or map target (target_type kString: the value's JSON, written as a
  // nested Parquet column): its Hive type ("struct<lat:double>"), or "struct", "array",
  // "map" alone for the source's own type.
  std::string target_nested;
};

struct DerivedColumn {
  std::string name;
  std::string expression;
  std::optional<EtlType> type;  // nullopt: inferred
  DecimalSpec decimal;          // type kDecimal
  // A struct, array or map type given in full (type kString): its Hive type, lowered
  // ("struct<lat:double,lon:double>").
  std::string nested;
};

struct TransformSpec {
  enum class Kind { kExplode, kApplyMapping, kFilter, kDerive, kDedupe, kDropNullFields };
  Kind kind = Kind::kFilter;
  std::string explode_field;           // kExplode: the array's or map's field ("batch.readings")
  std::string explode_as;              // kExplode: the element's top-level field
  bool explode_include_nulls = false;  // kExplode: a record without elements keeps one row
  std::vector<FieldMapping> mappings;  // kApplyMapping
  std::string condition;               // kFilter
  std::vector<DerivedColumn> derived;  // kDerive
  std::vector<std::string> columns;    // kDedupe keys; kDropNullFields (empty = all)
  std::string where;                   // "$.transforms[2]"
};

struct TargetSpec {
  LakePath path;
  std::string compression = "snappy";  // snappy, zstd, gzip, none
  std::vector<std::string> partition_keys;
  std::string database;
  std::string table;
  LakePath error_path;  // default: <path without its last '/'>_errors/
};

struct JobSpec {
  std::string source_database;
  std::string source_table;
  std::vector<TransformSpec> transforms;
  TargetSpec target;
  int workers = 0;  // 0: one per core
};

// Parses and checks a job document (see above). Errors name the JSON path.
Result<JobSpec> ParseJobSpec(const nlohmann::json& doc);
// The same, from text (a JSON parse error names the byte offset).
Result<JobSpec> ParseJobSpecText(std::string_view text);

}  // namespace tributary::lake
