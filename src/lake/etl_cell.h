// A row's values in an ETL job (Cell) and the conversions into them: a JSON value, an
// expression's value or a text to a column type (etl_job.h lists what converts to what),
// and back out as JSON, text or a Hive partition value. Pure functions; thread-safe.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "expr/value.h"
#include "lake/etl_job.h"
#include "parquet/decimal.h"

namespace tributary::lake {

// One value of a row. Strings own their bytes; kTimestamp is microseconds (UTC).
struct Cell {
  enum class Kind : uint8_t { kNull, kBool, kInt, kDouble, kString, kTimestamp, kDate, kDecimal };
  Kind kind = Kind::kNull;
  uint8_t scale = 0;  // kDecimal: digits after the point
  int64_t i = 0;      // kBool (0/1), kInt, kTimestamp (microseconds), kDate (days since 1970-01-01)
  double d = 0;       // kDouble
  parquet::Int128 dec = 0;  // kDecimal: the unscaled value
  std::string s;            // kString

  bool is_null() const { return kind == Kind::kNull; }
};
using Row = std::vector<Cell>;

// Conversions (exposed for tests): a JSON value or an expression value to a column
// type; false with `reason` set when it cannot be converted. Null and missing give kNull.
// `decimal` gives a kDecimal type's digits.
bool ConvertJson(simdjson::dom::element value, EtlType type, Cell* out, std::string* reason,
                 DecimalSpec decimal = {});
bool ConvertValue(const expr::Value& value, EtlType type, Cell* out, std::string* reason,
                  DecimalSpec decimal = {});
// The same for a text (a partition value, a string field): numbers, booleans, dates and
// timestamps parsed from it.
bool ConvertString(std::string_view text, EtlType type, Cell* out, std::string* reason,
                   DecimalSpec decimal = {});
// The same for a cell of a row (an apply_mapping after other transforms): numbers and
// booleans as ConvertValue takes them, strings as ConvertString, timestamps, dates and
// decimals as their text (CellText; kept as they are into their own type).
bool ConvertCell(const Cell& cell, EtlType type, Cell* out, std::string* reason,
                 DecimalSpec decimal = {});
// A timestamp as "2026-11-30T14:02:11.123456Z" (fraction only when non-zero).
std::string FormatTimestampMicros(int64_t micros);
// The compact JSON of a cell (timestamps as ISO 8601 strings).
void AppendCellJson(const Cell& cell, std::string* out);
// A cell as text: "" for null, numbers as JSON writes them, timestamps as above.
std::string CellText(const Cell& cell);
// A cell as a Hive partition value: "2026", "sensor%2F1", "__HIVE_DEFAULT_PARTITION__".
std::string PartitionValueText(const Cell& cell);

}  // namespace tributary::lake
