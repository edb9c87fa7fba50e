// Hive types (the catalog's) and Parquet columns (the lake's files), each way:
//
//   Hive                               Parquet
//   boolean                            BOOLEAN
//   tinyint, smallint, int             INT32
//   bigint                             INT64
//   float, double                      FLOAT, DOUBLE
//   decimal(p,s)                       DECIMAL(p,s)
//   string, varchar(n), char(n),       STRING
//   binary
//   timestamp, date                    TIMESTAMP (UTC, micros), DATE
//   struct<...>, array<...>,           a nested column (parquet/nested_type.h): group,
//   map<k,v>                           LIST, MAP, their members typed as above
//
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "base/status.h"
#include "lake/hive_type.h"
#include "parquet/nested_type.h"
#include "parquet/schema.h"

namespace tributary::lake {

// The Hive type a Parquet column is read as ("bigint", "struct<lat:double>").
std::string HiveTypeOfParquet(const parquet::Column& column);
// The Hive type of a nested column's type ("array<bigint>").
std::string HiveTypeOfNested(const parquet::NestedType& type);

// A struct, array or map (what NestedTypeOfHive takes).
bool IsNestedHive(const HiveType& type);

// The nested Parquet type of a struct, array or map Hive type; InvalidArgument naming
// what has no Parquet form (a map key that is not a primitive).
Result<parquet::NestedType> NestedTypeOfHive(const HiveType& type);

}  // namespace tributary::lake
