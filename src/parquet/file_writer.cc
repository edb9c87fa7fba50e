// File layout: "PAR1", then per row group each column chunk's pages in schema
// order, then the FileMetaData (compact Thrift), its length as 4 bytes LE, "PAR1".
#include "parquet/file_writer.h"

#include <algorithm>

#include "parquet/nested_schema.h"
#include "parquet/plain.h"

namespace tributary::parquet {
namespace {

constexpr std::string_view kMagic = "PAR1";
constexpr int64_t kSliceRows = 1024;  // row-group byte limit is checked this often

}  // namespace

ParquetWriter::ParquetWriter(std::unique_ptr<Sink> sink, Schema schema, WriterOptions options)
    : sink_(std::move(sink)), schema_(std::move(schema)), options_(std::move(options)) {
  for (const Column& c : schema_.columns) columns_.push_back(ColumnChunkWriter::Make(c, options_));
  meta_.version = 1;
  SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(schema_.columns.size());
  meta_.schema.push_back(root);
  int leaves = 0;
  for (const Column& c : schema_.columns) {
    if (c.nested) {
      leaves += static_cast<int>(LayoutOf(c, &meta_.schema).leaves.size());
    } else {
      meta_.schema.push_back(ToSchemaElement(c));
      ++leaves;
    }
  }
  meta_.key_value_metadata = options_.key_value_metadata;
  meta_.created_by = options_.created_by;
  if (options_.statistics) meta_.num_column_orders = leaves;
}

Result<std::unique_ptr<ParquetWriter>> ParquetWriter::Open(const std::string& path, Schema schema,
                                                           WriterOptions options) {
  TRY_ASSIGN(auto sink, OpenFileSink(path));
  return Open(std::move(sink), std::move(schema), std::move(options));
}

Result<std::unique_ptr<ParquetWriter>> ParquetWriter::Open(std::unique_ptr<Sink> sink,
                                                           Schema schema, WriterOptions options) {
  TRY(schema.Validate());
  if (options.page_size <= 0 || options.row_group_rows <= 0 || options.row_group_bytes <= 0 ||
      options.dictionary_page_size_limit < 0) {
    return InvalidArgument(
        "writer options: page_size, row_group_rows and row_group_bytes must be positive");
  }
  switch (options.codec) {
    case Codec::kUncompressed:
    case Codec::kSnappy:
    case Codec::kGzip:
    case Codec::kZstd:
      break;
    default:
      return InvalidArgument("writer options: codec " +
                             std::to_string(static_cast<int>(options.codec)) +
                             " is not supported (uncompressed, snappy, gzip, zstd)");
  }
  std::unique_ptr<ParquetWriter> w(
      new ParquetWriter(std::move(sink), std::move(schema), std::move(options)));
  TRY(w->sink_->Append(kMagic));
  return w;
}

Status ParquetWriter::Write(const RecordBatch& batch) {
  if (!(batch.schema == schema_)) {
    return InvalidArgument("batch schema " + batch.schema.ToString() +
                           " differs from the writer's " + schema_.ToString());
  }
  TRY(batch.Validate());
  return WriteColumns(batch.columns);
}

Status ParquetWriter::WriteColumns(const std::vector<ColumnBatch>& columns) {
  if (closed_) return FailedPrecondition("parquet writer is closed");
  if (!failed_.ok()) return failed_;
  if (columns.size() != schema_.columns.size()) {
    return InvalidArgument("got " + std::to_string(columns.size()) + " columns, schema has " +
                           std::to_string(schema_.columns.size()));
  }
  const int64_t rows = columns.empty() ? 0 : columns[0].length;
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& c = schema_.columns[i];
    if (columns[i].type != c.type || columns[i].length != rows) {
      return InvalidArgument("column '" + c.name + "': expected " + c.TypeText() + " x " +
                             std::to_string(rows) +
                             " rows, got " + std::string(ColumnTypeName(columns[i].type)) + " x " +
                             std::to_string(columns[i].length));
    }
    Status st = columns[i].Validate();
    if (!st.ok()) return st.WithContext("column '" + c.name + "'");
    TRY(CheckDecimalPrecision(c, columns[i]));
    if (!c.optional && columns[i].NullCount() > 0) {
      return InvalidArgument("required column '" + c.name + "' has nulls");
    }
  }
  int64_t row = 0;
  while (row < rows) {
    int64_t n = std::min({rows - row, options_.row_group_rows - group_rows_, kSliceRows});
    for (size_t i = 0; i < columns.size(); ++i) {
      Status st = columns_[i]->Write(columns[i], row, row + n);
      if (!st.ok()) return failed_ = st;
    }
    row += n;
    group_rows_ += n;
    rows_written_ += n;
    int64_t bytes = 0;
    for (const auto& c : columns_) bytes += c->BufferedBytes();
    if (group_rows_ >= options_.row_group_rows || bytes >= options_.row_group_bytes) {
      Status st = FlushRowGroup();
      if (!st.ok()) return failed_ = st;
    }
  }
  return Status::Ok();
}

Status ParquetWriter::FlushRowGroup() {
  if (group_rows_ == 0) return Status::Ok();
  RowGroup rg;
  rg.num_rows = group_rows_;
  rg.file_offset = static_cast<int64_t>(sink_->position());
  rg.ordinal = static_cast<int16_t>(std::min<size_t>(meta_.row_groups.size(), INT16_MAX));
  int64_t compressed = 0;
  std::vector<ChunkOutput> chunks;
  for (auto& writer : columns_) TRY(writer->Finish(&chunks));
  for (ChunkOutput& chunk : chunks) {
    int64_t start = static_cast<int64_t>(sink_->position());
    TRY(sink_->Append(chunk.bytes));
    ColumnChunk cc;
    cc.file_offset = 0;  // no ColumnMetaData outside the footer
    cc.meta_data = std::move(chunk.meta);
    cc.meta_data->data_page_offset += start;
    if (cc.meta_data->dictionary_page_offset) *cc.meta_data->dictionary_page_offset += start;
    rg.total_byte_size += cc.meta_data->total_uncompressed_size;
    compressed += cc.meta_data->total_compressed_size;
    rg.columns.push_back(std::move(cc));
  }
  rg.total_compressed_size = compressed;
  meta_.num_rows += group_rows_;
  meta_.row_groups.push_back(std::move(rg));
  group_rows_ = 0;
  return Status::Ok();
}

Status ParquetWriter::Close() {
  if (closed_) return FailedPrecondition("parquet writer already closed");
  if (!failed_.ok()) return failed_;
  closed_ = true;
  TRY(FlushRowGroup());
  std::string footer;
  SerializeFileMetaData(meta_, &footer);
  PlainAppendOne(static_cast<uint32_t>(footer.size()), &footer);
  footer += kMagic;
  TRY(sink_->Append(footer));
  return sink_->Close();
}

}  // namespace tributary::parquet
