// Human- and machine-readable renderings of Parquet files, for
// `tributary parquet schema FILE` and `tributary parquet cat FILE [--limit N]`.
//
// Cat prints one JSON object per row (JSON Lines), keys in schema order:
//   {"id":1,"name":"caf\u00e9","temp":21.5,"ok":true,"ts":"2024-05-01T12:00:00.000001Z","x":null}
// Numbers use the shortest text that reads back to the same value (floats as
// float); NaN and infinities, which JSON lacks, are the strings "NaN",
// "Infinity", "-Infinity"; timestamps are RFC 3339 UTC with microseconds; dates YYYY-MM-DD;
// strings are JSON-escaped UTF-8 (invalid bytes become U+FFFD).
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "base/status.h"
#include "parquet/column_batch.h"
#include "parquet/predicate.h"

namespace tributary::parquet {

// Appends row `row` of `batch` as one JSON object (no newline). A nested column's value
// is its JSON text as it is (an object or array, not a string).
void AppendJsonRow(const RecordBatch& batch, int64_t row, std::string* out);
// One value of `b` (column `column`) as JSON, as AppendJsonRow writes it.
void AppendValueAsJson(const Column& column, const ColumnBatch& b, int64_t row, std::string* out);
// `s` as a JSON string (invalid UTF-8 bytes become U+FFFD).
void AppendJsonString(std::string_view s, std::string* out);
// "2024-05-01T12:00:00.000001Z" for microseconds since the epoch.
std::string FormatTimestampMicros(int64_t micros);
// Parses the form above (the fraction and 'Z' are optional; "+00:00" accepted).
Result<int64_t> ParseTimestampMicros(std::string_view text);
// "2024-05-01" for days since 1970-01-01, and back (exactly that form).
std::string FormatDate(int64_t days);
Result<int32_t> ParseDate(std::string_view text);
// Whether a timestamp (microseconds) or date (days) lies in the years 0000-9999, which the
// text forms above hold (and read back).
bool TimestampInTextRange(int64_t micros);
bool DateInTextRange(int64_t days);

Status PrintSchema(const std::string& path, std::ostream& os);
// Prints up to `limit` rows (all if limit < 0) of the given columns (all if
// empty), skipping row groups excluded by `predicate` (rows of row groups that
// are read are all printed).
Status Cat(const std::string& path, int64_t limit, std::ostream& os);
Status Cat(const std::string& path, int64_t limit, const std::vector<std::string>& columns,
           const std::optional<Predicate>& predicate, std::ostream& os);

}  // namespace tributary::parquet
