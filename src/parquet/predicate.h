// A simple row-group filter: `column op literal`, evaluated against column-chunk
// statistics to skip row groups that cannot hold a matching row. It never
// filters rows inside a row group that is read; callers filter those.
//
//   text form            literal type
//   temp > 20.5          number (int or double, compared numerically)
//   name = 'berlin'      string in single quotes (unsigned byte order)
//   ok != true           boolean
//   ts >= 1700000000000000   timestamp as microseconds since the epoch
//   day >= 20000             date as days since 1970-01-01
//
// Value types; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/status.h"
#include "parquet/format.h"
#include "parquet/schema.h"

namespace tributary::parquet {

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

using Literal = std::variant<bool, int64_t, double, std::string>;

struct Predicate {
  std::string column;
  CompareOp op = CompareOp::kEq;
  Literal value;

  // Parses "name op literal" with op one of = == != < <= > >=.
  static Result<Predicate> Parse(std::string_view text);
};

// Whether a row group whose chunk for `type` has statistics `stats` and
// `num_values` rows may contain a row satisfying `p`. Missing or unusable
// statistics answer true. A literal of the wrong kind for the column is an error.
Result<bool> MayMatch(const Predicate& p, ColumnType type, const std::optional<Statistics>& stats,
                      int64_t num_values);

}  // namespace tributary::parquet
