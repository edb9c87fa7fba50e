#include "lake/etl_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "parquet/io.h"

namespace tributary::lake {

struct PartitionedWriter::OpenFile {
  std::unique_ptr<parquet::ParquetWriter> writer;
  parquet::RecordBatch batch;
  StagedFile file;
  uint64_t last_use = 0;
};

parquet::ColumnType ParquetTypeOf(EtlType type) {
  switch (type) {
    case EtlType::kBoolean: return parquet::ColumnType::kBoolean;
    case EtlType::kInt: return parquet::ColumnType::kInt32;
    case EtlType::kBigint: return parquet::ColumnType::kInt64;
    case EtlType::kFloat: return parquet::ColumnType::kFloat;
    case EtlType::kDouble: return parquet::ColumnType::kDouble;
    case EtlType::kString: return parquet::ColumnType::kString;
    case EtlType::kTimestamp: return parquet::ColumnType::kTimestamp;
    case EtlType::kDate: return parquet::ColumnType::kDate;
    case EtlType::kDecimal: return parquet::ColumnType::kDecimal;
  }
  return parquet::ColumnType::kString;
}

parquet::Column ParquetColumnOf(const std::string& name, EtlType type, DecimalSpec decimal) {
  parquet::Column c{name, ParquetTypeOf(type), /*optional=*/true};
  if (type == EtlType::kDecimal) {
    c.precision = decimal.precision;
    c.scale = decimal.scale;
  }
  return c;
}

parquet::Column ParquetColumnOf(const OutputColumn& column) {
  parquet::Column c = ParquetColumnOf(column.name, column.type, column.decimal);
  c.nested = column.nested;
  return c;
}

void AppendCell(const Cell& c, parquet::ColumnBatch* b) {
  if (c.is_null()) {
    b->AppendNull();
    return;
  }
  switch (b->type) {
    case parquet::ColumnType::kBoolean: b->AppendBool(c.i != 0); break;
    case parquet::ColumnType::kInt32:
    case parquet::ColumnType::kDate: b->AppendInt32(static_cast<int32_t>(c.i)); break;
    case parquet::ColumnType::kInt64:
    case parquet::ColumnType::kTimestamp: b->AppendInt64(c.i); break;
    case parquet::ColumnType::kFloat: b->AppendFloat(static_cast<float>(c.d)); break;
    case parquet::ColumnType::kDouble: b->AppendDouble(c.d); break;
    case parquet::ColumnType::kString: b->AppendString(c.s); break;
    case parquet::ColumnType::kDecimal: b->AppendDecimal(c.dec); break;
  }
}

PartitionedWriter::PartitionedWriter(const Pipeline& pipeline, std::string scratch_dir, std::string file_prefix,
                                     EtlWriterOptions options)
    : pipeline_(pipeline),
      scratch_dir_(std::move(scratch_dir)),
      file_prefix_(std::move(file_prefix)),
      options_(std::move(options)) {
  // Integers in nested timestamp and date members are Unix milliseconds, as in flat columns.
  options_.parquet.nested_json_times = parquet::JsonTimes::kMillis;
  const auto& cols = pipeline_.columns();
  for (size_t i = 0; i < cols.size(); ++i) {
    bool part = false;
    for (int p : pipeline_.partition_columns()) part = part || p == static_cast<int>(i);
    if (part) continue;
    data_columns_.push_back(static_cast<int>(i));
    schema_.columns.push_back(ParquetColumnOf(cols[i]));
  }
  has_value_.assign(cols.size(), 0);
}

PartitionedWriter::~PartitionedWriter() { Abort(); }

void PartitionedWriter::Abort() {
  last_file_ = nullptr;
  open_.clear();  // an unclosed ParquetWriter leaves no file
  for (const auto& f : files_) ::unlink(f.local_path.c_str());
  files_.clear();
}

Status PartitionedWriter::Flush(OpenFile* f) {
  if (f->batch.num_rows == 0) return Status::Ok();
  TRY(f->writer->Write(f->batch));
  for (auto& c : f->batch.columns) c.Clear();
  f->batch.num_rows = 0;
  return Status::Ok();
}

Status PartitionedWriter::Close(std::map<std::string, std::unique_ptr<OpenFile>>::iterator it) {
  OpenFile* f = it->second.get();
  TRY(Flush(f));
  TRY(f->writer->Close());
  struct stat st;
  if (::stat(f->file.local_path.c_str(), &st) == 0) f->file.bytes = st.st_size;
  f->file.rows = f->writer->rows_written();
  files_.push_back(std::move(f->file));
  if (last_file_ == f) last_file_ = nullptr;
  open_.erase(it);
  return Status::Ok();
}

Result<PartitionedWriter::OpenFile*> PartitionedWriter::FileFor(const Row& row) {
  auto it = open_.find(path_);
  if (it != open_.end()) return it->second.get();
  if (static_cast<int>(open_.size()) >= options_.max_open_files) {
    auto lru = open_.begin();
    for (auto j = open_.begin(); j != open_.end(); ++j) {
      if (j->second->last_use < lru->second->last_use) lru = j;
    }
    TRY(Close(lru));
  }
  auto f = std::make_unique<OpenFile>();
  std::string name = file_prefix_ + "-" + std::to_string(next_file_++) + ".parquet";
  f->file.local_path = scratch_dir_ + "/" + name;
  f->file.relative_key = path_ + name;
  f->file.partition_path = path_;
  for (int p : pipeline_.partition_columns()) f->file.partition_values.push_back(CellText(row[p]));
  auto sink = parquet::OpenFileSink(f->file.local_path);
  if (!sink.ok()) return sink.status().WithContext("ETL scratch file");
  TRY_ASSIGN(f->writer, parquet::ParquetWriter::Open(std::move(*sink), schema_, options_.parquet));
  f->batch = parquet::RecordBatch::Empty(schema_);
  for (auto& c : f->batch.columns) c.Reserve(options_.batch_rows);
  return open_.emplace(path_, std::move(f)).first->second.get();
}

Status PartitionedWriter::Append(const Row& row) {
  path_.clear();
  for (int p : pipeline_.partition_columns()) {
    path_ += pipeline_.columns()[p].name + "=" + PartitionValueText(row[p]) + "/";
  }
  // Rows come in runs of one partition (always one when the target has no partition
  // keys): the file of the last row is tried before the map.
  OpenFile* f = last_file_ != nullptr && last_file_->file.partition_path == path_ ? last_file_ : nullptr;
  if (f == nullptr) {
    TRY_ASSIGN(f, FileFor(row));
  }
  last_file_ = f;
  f->last_use = ++clock_;
  for (size_t k = 0; k < data_columns_.size(); ++k) {
    const Cell& c = row[data_columns_[k]];
    AppendCell(c, &f->batch.columns[k]);
    if (!c.is_null()) has_value_[data_columns_[k]] = 1;
  }
  for (int p : pipeline_.partition_columns()) {
    if (!row[p].is_null()) has_value_[p] = 1;
  }
  if (++f->batch.num_rows >= options_.batch_rows) TRY(Flush(f));
  return Status::Ok();
}

Status PartitionedWriter::Finish() {
  while (!open_.empty()) TRY(Close(open_.begin()));
  return Status::Ok();
}

}  // namespace tributary::lake
