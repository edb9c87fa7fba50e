// AssembleNested: a nested column's rows back from its leaves (the reader's side of
// nested_shred.h): each row's value as compact JSON text, in the form `cat` prints
// values (render.h), null where the column is null.
//
// Corrupt levels (an entry past a leaf's end, a row that does not start at repetition
// level 0, entries left over) give DataLoss naming the column, never a crash.
// Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "parquet/column_batch.h"
#include "parquet/nested_schema.h"

namespace tributary::parquet {

// One leaf's column chunk, decoded: one slot per entry (validity: has a value).
struct LeafEntries {
  ColumnBatch values;
  std::vector<uint32_t> def;
  std::vector<uint32_t> rep;
};

// Fills `out` (a string batch) with `rows` rows of column `name`.
Status AssembleNested(const std::string& name, const NestedLayout& layout,
                      const std::vector<LeafEntries>& leaves, int64_t rows, ColumnBatch* out);

}  // namespace tributary::parquet
