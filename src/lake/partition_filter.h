// PartitionFilter: Glue's GetPartitions Expression, the SQL WHERE-clause predicate over a
// table's partition keys that query engines push down so that they list only the
// partitions they will read:
//
//   year = '2026' AND month IN ('11', '12')
//   dt BETWEEN '2026-11-01' AND '2026-11-30'
//   site LIKE 'north%' OR NOT (year >= 2025) OR hour IS NULL
//
//   predicate := or
//   or        := and { OR and }
//   and       := not { AND not }
//   not       := NOT not | '(' predicate ')' | operand test
//   test      := cmp operand | [NOT] IN '(' operand { ',' operand } ')'
//              | [NOT] BETWEEN operand AND operand | [NOT] LIKE operand | IS [NOT] NULL
//   cmp       := = | <> | != | < | <= | > | >=
//   operand   := key | 'text' ('' inside is a quote) | number
//
// Keywords in any case; a key is a bare name, or any text in backquotes or double quotes.
// Values compare by the key's type: as numbers when a key in the comparison is typed
// tinyint, smallint, int, bigint, float, double or decimal; as text otherwise, byte by byte
// (so dates 'YYYY-MM-DD' and timestamps in one format order in time). A value of
// __HIVE_DEFAULT_PARTITION__, or one a numeric key cannot read as a number, is NULL: IS NULL
// holds of it and a comparison with it is unknown. SQL's three-valued logic: a partition
// matches when the predicate is true of it (not when it is false or unknown). LIKE takes %
// (any run) and _ (one character), case-sensitive.
//
// Parse errors name the column (1-based) and what was expected. Value type; Matches is
// const and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "lake/catalog.h"

namespace tributary::lake {

class PartitionFilter {
 public:
  struct Node;

  // `keys`: the table's partition keys in order (a partition's values follow them).
  static Result<PartitionFilter> Parse(std::string_view text, const std::vector<Column>& keys);

  // Whether the predicate is true of a partition with these values (one per key).
  bool Matches(const std::vector<std::string>& values) const;

 private:
  explicit PartitionFilter(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;
};

}  // namespace tributary::lake
