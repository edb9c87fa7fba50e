// Writes one column of one row group: buffers values into pages (PLAIN or
// RLE_DICTIONARY, with definition levels for optional columns), compresses them
// and keeps the finished pages in memory until the row group is flushed.
// Internal to the writer; ParquetWriter (file_writer.h) is the public API.
//
// One virtual call per batch slice; the per-value loop is a template on the
// column's value type. Not thread-safe: one writer per column, used by one thread.
#pragma once

#include <memory>
#include <string>

#include "parquet/column_batch.h"
#include "parquet/format.h"
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
  // Flushes the open page and hands back the chunk; the writer is then empty and
  // ready for the next row group.
  virtual Status Finish(ChunkOutput* out) = 0;
};

// Physical type and schema element for a column (shared with the file writer).
SchemaElement ToSchemaElement(const Column& column);
PhysicalType PhysicalTypeOf(const Column& column);

}  // namespace tributary::parquet
