// ParquetReader: reads Parquet files (ours and other engines') into
// RecordBatches, one row group at a time, with column projection and row-group
// skipping by statistics.
//
//   TRY_ASSIGN(auto r, ParquetReader::Open("/lake/t/part-0.parquet"));
//   ReadOptions o;
//   o.columns = {"device", "temp"};
//   TRY_ASSIGN(o.predicate, Predicate::Parse("temp > 30"));
//   TRY(r->Scan(o, [](const RecordBatch& b) -> Status { ...; return Status::Ok(); }));
//
// Supported: BOOLEAN, INT32 (DATE as dates, any other logical type as int32), INT64
// (TIMESTAMP millis/micros/nanos read as microseconds), FLOAT, DOUBLE, BYTE_ARRAY (read
// as string), DECIMAL up to 38 digits in INT32, INT64, FIXED_LEN_BYTE_ARRAY or
// BYTE_ARRAY, required/optional; PLAIN, PLAIN_DICTIONARY, RLE_DICTIONARY, RLE
// (booleans), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
// BYTE_STREAM_SPLIT encodings; data page V1 and V2; uncompressed, snappy, gzip, zstd.
// Nested columns (structs, lists, maps; nested_schema.h has the layouts read) are read
// as JSON text, one string a row (a Column with `nested` set).
// Not supported (an error naming the column when read): repeated fields outside a LIST
// or MAP group, FIXED_LEN_BYTE_ARRAY other than DECIMAL, INT96, unsigned 32- and 64-bit
// integers.
//
// Corrupt input gives a DataLoss status naming the file offset, never a crash;
// sizes from the file are checked against the file and ReaderLimits before any
// allocation. A reader is used by one thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "parquet/column_batch.h"
#include "parquet/format.h"
#include "parquet/io.h"
#include "parquet/nested_schema.h"
#include "parquet/predicate.h"
#include "parquet/schema.h"

namespace tributary::parquet {

struct ReaderLimits {
  uint64_t max_footer_bytes = 64 << 20;
  int64_t max_row_group_rows = 1 << 26;
  uint64_t max_page_bytes = 1 << 30;  // compressed or uncompressed
};

// How a file column maps onto our schema.
struct FileColumn {
  Column column;  // name, our type, optional (a nested column: JSON text, `nested` set)
  PhysicalType physical = PhysicalType::kInt64;
  int schema_index = 0;               // index in FileMetaData::schema
  TimeUnit unit = TimeUnit::kMicros;  // kTimestamp: unit stored in the file
  int type_length = 0;                // FIXED_LEN_BYTE_ARRAY: bytes a value
  std::string unsupported;            // non-empty: why this column cannot be read
  int max_def = 0;                    // definition and repetition levels (a leaf's)
  int max_rep = 0;
  int first_chunk = 0;  // its (first) column chunk in each row group
  // A nested column: its layout and leaves (one column chunk each, from first_chunk).
  std::shared_ptr<const NestedLayout> layout;
  std::vector<FileColumn> leaves;
};

struct ReadOptions {
  std::vector<std::string> columns;    // empty: all columns
  std::optional<Predicate> predicate;  // skips row groups whose statistics exclude it
};

class ParquetReader {
 public:
  static Result<std::unique_ptr<ParquetReader>> Open(const std::string& path,
                                                     ReaderLimits limits = {});
  static Result<std::unique_ptr<ParquetReader>> Open(std::unique_ptr<Source> source,
                                                     ReaderLimits limits = {});

  const FileMetaData& metadata() const { return meta_; }
  // All columns (including unsupported ones, typed as best we can).
  const std::vector<FileColumn>& columns() const { return columns_; }
  // Our schema for all columns.
  const Schema& schema() const { return schema_; }
  int num_row_groups() const { return static_cast<int>(meta_.row_groups.size()); }
  int64_t num_rows() const { return meta_.num_rows; }

  // Column indices for names (empty: all), or NotFound naming the column.
  Result<std::vector<int>> Resolve(const std::vector<std::string>& names) const;
  // False if row group `rg`'s statistics prove no row satisfies `p`.
  Result<bool> RowGroupMayMatch(int rg, const Predicate& p) const;
  // Reads the listed columns of one row group.
  Result<RecordBatch> ReadRowGroup(int rg, const std::vector<int>& columns);
  // Calls `fn` with each row group that may match, projected; stops at an error.
  Status Scan(const ReadOptions& options, const std::function<Status(const RecordBatch&)>& fn);

 private:
  ParquetReader(std::unique_ptr<Source> source, ReaderLimits limits)
      : source_(std::move(source)), limits_(limits) {}
  Status ReadFooter();
  Status MapSchema();
  // Reads and decodes chunk `chunk_index` of row group `rg` as column `fc`; a nested
  // column's leaf (def, rep not null) with its levels.
  Status ReadChunk(int rg, const FileColumn& fc, int chunk_index, const std::string& where,
                   ColumnBatch* out, std::vector<uint32_t>* def, std::vector<uint32_t>* rep);

  std::unique_ptr<Source> source_;
  ReaderLimits limits_;
  FileMetaData meta_;
  uint64_t footer_start_ = 0;
  std::vector<FileColumn> columns_;
  Schema schema_;
  std::string chunk_;  // the chunk being read, reused
};

}  // namespace tributary::parquet
