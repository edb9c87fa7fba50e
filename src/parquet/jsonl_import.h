// Converts JSON Lines to Parquet with a given flat schema: the `from-jsonl`
// subcommand and a convenient way for tests to produce files.
//
// Each line is an object; a missing key or null is a null (an error for a
// required column). Values by column type:
//   boolean   true/false             int32/int64  JSON integers in range
//   float/double  numbers, or "NaN", "Infinity", "-Infinity"
//   string    JSON strings           timestamp  integer microseconds since the epoch,
//                                               or "YYYY-MM-DDTHH:MM:SS[.ffffff]Z"
//   date      "YYYY-MM-DD" or integer days since the epoch
// Timestamps and dates are within the years 0000-9999 (the text forms' range).
// A nested column (struct, list, map) takes any JSON value. Unknown keys are ignored. Errors name
// the line and column. Thread-compatible.
#pragma once

#include <istream>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "base/status.h"
#include "parquet/file_writer.h"

namespace tributary::parquet {

struct JsonLinesStats {
  int64_t rows = 0;
};

// Appends `v` to `b` as column `col` reads it (above; a nested column takes its compact
// JSON text); InvalidArgument naming the column and the value otherwise. For
// nlohmann::json and nlohmann::ordered_json.
template <typename Json>
Status AppendJsonValue(const Column& col, const Json& v, ColumnBatch* b);

Result<JsonLinesStats> JsonLinesToParquet(std::istream& in, const Schema& schema,
                                          const WriterOptions& options, const std::string& out_path,
                                          int64_t batch_rows = 8192);

}  // namespace tributary::parquet
