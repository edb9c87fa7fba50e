// The Parquet side of an ETL run: one worker's output rows, split into Hive partitions
// (year=2026/month=11/) and written as Parquet files in a local scratch directory. The
// run uploads those files to the target when it commits (etl_run.h), so nothing of a
// run is visible in the lake before it succeeds.
//
// Memory stays bounded: rows are buffered per open partition up to `batch_rows`, the
// Parquet writer holds at most one row group (`row_group_bytes`), and at most
// `max_open_files` partitions are open at once; the least recently used one is closed
// when another is needed (its later rows go to a new file).
//
// Not thread-safe: one PartitionedWriter per worker thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "lake/etl_pipeline.h"
#include "parquet/file_writer.h"

namespace tributary::lake {

struct EtlWriterOptions {
  parquet::WriterOptions parquet;  // codec, row-group size, ...
  int max_open_files = 16;
  int64_t batch_rows = 8192;
};

// A finished file in the scratch directory and where it goes in the target.
struct StagedFile {
  std::string local_path;
  std::string relative_key;                   // "year=2026/month=11/part-00007-1-0.parquet"
  std::string partition_path;                 // "year=2026/month=11/" ("" when unpartitioned)
  std::vector<std::string> partition_values;  // {"2026", "11"} (unescaped)
  int64_t rows = 0;
  int64_t bytes = 0;
};

// Parquet column type of an ETL column type.
parquet::ColumnType ParquetTypeOf(EtlType type);
// An optional Parquet column of that type (a decimal with its precision and scale).
parquet::Column ParquetColumnOf(const std::string& name, EtlType type, DecimalSpec decimal);
// An output column's Parquet column (a nested one with its type).
parquet::Column ParquetColumnOf(const OutputColumn& column);
// Appends `cell` (null, or of the column's ETL type) to a column of ParquetTypeOf that type.
void AppendCell(const Cell& cell, parquet::ColumnBatch* column);

class PartitionedWriter {
 public:
  // Files are named <scratch_dir>/<file_prefix>-<n>.parquet locally and
  // <partition path><file_prefix>-<n>.parquet in the target.
  PartitionedWriter(const Pipeline& pipeline, std::string scratch_dir, std::string file_prefix,
                    EtlWriterOptions options);
  ~PartitionedWriter();

  Status Append(const Row& row);
  // Closes every open file; files() is then complete.
  Status Finish();
  // Discards every file (the run failed).
  void Abort();

  const std::vector<StagedFile>& files() const { return files_; }
  // Per output column: whether any appended row had a value in it.
  const std::vector<uint8_t>& has_value() const { return has_value_; }

 private:
  struct OpenFile;
  Status Close(std::map<std::string, std::unique_ptr<OpenFile>>::iterator it);
  Status Flush(OpenFile* f);
  // The open file of partition path_, opened (and the least recently used one closed)
  // if needed.
  Result<OpenFile*> FileFor(const Row& row);

  const Pipeline& pipeline_;
  std::string scratch_dir_;
  std::string file_prefix_;
  EtlWriterOptions options_;
  parquet::Schema schema_;
  std::vector<int> data_columns_;  // output column index of each Parquet column
  std::map<std::string, std::unique_ptr<OpenFile>> open_;  // by partition path
  std::vector<StagedFile> files_;
  std::vector<uint8_t> has_value_;
  OpenFile* last_file_ = nullptr;  // of the last row appended
  std::string path_;               // Append's scratch: the row's partition path
  uint64_t clock_ = 0;
  int next_file_ = 0;
};

}  // namespace tributary::lake
