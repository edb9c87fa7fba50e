// Writes one column of one row group: buffers values into pages (PLAIN or
// RLE_DICTIONARY, with definition levels for optional columns and repetition levels
// for the leaves of nested ones), compresses them and keeps the finished pages in
// memory until the row group is flushed. A nested column's writer shreds each row's
// JSON text (nested_shred.h) and writes one chunk per leaf.
// Internal to the writer; ParquetWriter (file_writer.h) is the public API.
//
// One virtual call per batch slice; the per-value loop is a template on the
// column's value type. Not thread-safe: one writer per column, used by one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "parquet/column_batch.h"
#include "parquet/format.h"
#include "parquet/nested_shred.h"
#include "parquet/schema.h"
#include "parquet/writer_options.h"

namespace tributary::parquet {

struct ChunkOutput {
  std::string bytes;    // dictionary page (if any) then data pages, headers included
  ColumnMetaData meta;  // offsets relative to the start of `bytes`
};

class ColumnChunkWriter {
 public:
  static std::unique_ptr<ColumnChunkWriter> Make(const Column& column,
                                                 const WriterOptions& options);
  virtual ~ColumnChunkWriter() = default;

  // Appends rows [begin, end) of `batch` (whose type matches the column).
  virtual Status Write(const ColumnBatch& batch, int64_t begin, int64_t end) = 0;
  // Bytes buffered for this chunk so far (pages written plus the open page).
  virtual int64_t BufferedBytes() const = 0;
  // Flushes the open page and appends the chunk (a nested column's: one per leaf) to
  // `out`; the writer is then empty and ready for the next row group.
  virtual Status Finish(std::vector<ChunkOutput>* out) = 0;
};

// The writer of one leaf of a nested column: entries with their levels.
class LeafChunkWriter {
 public:
  static std::unique_ptr<LeafChunkWriter> Make(const NestedLeaf& leaf,
                                               const WriterOptions& options);
  virtual ~LeafChunkWriter() = default;
  // Appends the entries of `leaf` (whole rows: the first entry's rep is 0).
  virtual Status WriteLeaf(const LeafValues& leaf) = 0;
  virtual int64_t BufferedBytes() const = 0;
  virtual Status Finish(ChunkOutput* out) = 0;
};

// Physical type and schema element for a column (shared with the file writer).
SchemaElement ToSchemaElement(const Column& column);
PhysicalType PhysicalTypeOf(const Column& column);

}  // namespace tributary::parquet
