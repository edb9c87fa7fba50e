// Decodes one column chunk (dictionary page + data pages) into a ColumnBatch.
// Internal to ParquetReader. Stateless function; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "parquet/column_batch.h"
#include "parquet/file_reader.h"
#include "parquet/format.h"

namespace tributary::parquet {

// `chunk` holds the chunk's bytes, which start at file offset `chunk_offset`.
// `num_rows` is the row group's row count (a nested column's leaf: its entries); every
// value slot is filled. For a leaf, `def` and `rep` (if not null) receive each entry's
// levels (a slot has a value where def is the column's max_def).
Status DecodeColumnChunk(const FileColumn& column, const ColumnMetaData& meta,
                         const std::string& chunk, uint64_t chunk_offset, int64_t num_rows,
                         const ReaderLimits& limits, ColumnBatch* out,
                         std::vector<uint32_t>* def = nullptr,
                         std::vector<uint32_t>* rep = nullptr);

}  // namespace tributary::parquet
