// The logical schema Tributary works with: a list of typed, named columns (a nested one
// as JSON text, below), each required or optional. It maps onto Parquet physical/logical types:
//
//   ColumnType   physical     logical / converted                 DuckDB reads as
//   kBoolean     BOOLEAN      -                                   BOOLEAN
//   kInt32       INT32        -                                   INTEGER
//   kInt64       INT64        -                                   BIGINT
//   kFloat       FLOAT        -                                   FLOAT
//   kDouble      DOUBLE       -                                   DOUBLE
//   kString      BYTE_ARRAY   STRING / UTF8                       VARCHAR
//   kTimestamp   INT64        TIMESTAMP(UTC, MICROS) / TIMESTAMP_MICROS  TIMESTAMP WITH TIME ZONE
//   kDate        INT32        DATE / DATE (days since 1970-01-01)       DATE
//   kDecimal     INT32 (p<=9), INT64 (p<=18),                        DECIMAL(p,s)
//                FIXED_LEN_BYTE_ARRAY   DECIMAL(p,s) / DECIMAL
//
// Nested columns (structs, lists and maps; nested_type.h) are columns of JSON text in
// batches, and Parquet groups in files.
//
// Schema text form (used by the CLI and tests):
// "id:int64,name:string?,ts:timestamp,price:decimal(10,2),loc:struct<lat:double>?" where a
// trailing '?' marks an optional (nullable) column. Value types.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::parquet {

enum class ColumnType { kBoolean, kInt32, kInt64, kFloat, kDouble, kString, kTimestamp, kDate, kDecimal };

// "boolean", "int32", "int64", "float", "double", "string", "timestamp", "date", "decimal".
std::string_view ColumnTypeName(ColumnType t);

struct NestedType;  // nested_type.h

struct Column {
  std::string name;
  ColumnType type = ColumnType::kInt64;
  bool optional = false;
  int precision = 0;  // kDecimal: 1..38 digits
  int scale = 0;      // kDecimal: 0..precision digits after the point
  // Set for a nested column (type kString, each value its compact JSON text): the
  // struct, list or map the file holds it as (nested_type.h).
  std::shared_ptr<const NestedType> nested = nullptr;

  // "int64", "decimal(10,2)", "struct<lat:double,lon:double>".
  std::string TypeText() const;

  bool operator==(const Column& o) const;
};

struct Schema {
  std::vector<Column> columns;

  // Index of the column named `name`, or -1.
  int Find(std::string_view name) const;
  // Checks names are non-empty and unique and decimals' precision and scale.
  Status Validate() const;
  // "id:int64,name:string?"
  std::string ToString() const;
  static Result<Schema> Parse(std::string_view text);

  bool operator==(const Schema&) const = default;
};

}  // namespace tributary::parquet
