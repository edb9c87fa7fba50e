// ParquetWriter: writes a Schema (nested columns included) to a Parquet file, batch by batch.
//
//   TRY_ASSIGN(auto w, ParquetWriter::Open("/lake/t/part-0.parquet", schema, options));
//   RecordBatch b = RecordBatch::Empty(schema);
//   ... fill b.columns[i] and b.num_rows ...
//   TRY(w->Write(b));
//   TRY(w->Close());   // writes the footer; the file appears only now
//
// Batches are cut into row groups of options.row_group_rows rows (or earlier,
// once the buffered row group reaches options.row_group_bytes). A writer is used
// by one thread at a time; an abandoned writer (no Close) leaves no file behind.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "parquet/column_batch.h"
#include "parquet/column_writer.h"
#include "parquet/io.h"
#include "parquet/schema.h"
#include "parquet/writer_options.h"

namespace tributary::parquet {

class ParquetWriter {
 public:
  static Result<std::unique_ptr<ParquetWriter>> Open(const std::string& path, Schema schema,
                                                     WriterOptions options = {});
  static Result<std::unique_ptr<ParquetWriter>> Open(std::unique_ptr<Sink> sink, Schema schema,
                                                     WriterOptions options = {});

  // Appends all rows of `batch`, whose schema must equal the writer's.
  Status Write(const RecordBatch& batch);
  // Appends rows column by column: columns[i] is the data of schema column i,
  // all of the same length.
  Status WriteColumns(const std::vector<ColumnBatch>& columns);
  // Flushes the open row group, writes the footer and closes the sink.
  Status Close();

  const Schema& schema() const { return schema_; }
  int64_t rows_written() const { return rows_written_; }

 private:
  ParquetWriter(std::unique_ptr<Sink> sink, Schema schema, WriterOptions options);
  Status FlushRowGroup();

  std::unique_ptr<Sink> sink_;
  Schema schema_;
  WriterOptions options_;
  std::vector<std::unique_ptr<ColumnChunkWriter>> columns_;
  FileMetaData meta_;
  int64_t group_rows_ = 0;
  int64_t rows_written_ = 0;
  bool closed_ = false;
  Status failed_;  // once a write fails the writer refuses further use
};

}  // namespace tributary::parquet
