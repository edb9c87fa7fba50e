#include "parquet/file_reader.h"

#include <cstring>

#include "parquet/column_reader.h"
#include "parquet/decimal.h"
#include "parquet/nested_assemble.h"

namespace tributary::parquet {
namespace {

constexpr std::string_view kMagic = "PAR1";
// Values past the signed range would read as negative numbers: refused instead (8- and
// 16-bit unsigned values fit the signed 32 bits they are read into).
constexpr const char* kUnsignedUnsupported = "unsigned 32- and 64-bit integer columns are not supported";

bool IsUnsigned(const SchemaElement& e, int bits) {
  const LogicalType& lt = e.logical_type;
  if (lt.kind == LogicalType::Kind::kInteger && !lt.is_signed && lt.bit_width == bits) return true;
  return e.converted_type == (bits == 32 ? ConvertedType::kUint32 : ConvertedType::kUint64);
}

bool IsDecimal(const SchemaElement& e) {
  return e.logical_type.kind == LogicalType::Kind::kDecimal ||
         e.converted_type == ConvertedType::kDecimal;
}

// A DECIMAL leaf: its precision and scale (the logical type's, else the element's) and
// whether its physical type can hold them.
void MapDecimal(const SchemaElement& e, FileColumn* fc) {
  const LogicalType& lt = e.logical_type;
  const bool logical = lt.kind == LogicalType::Kind::kDecimal;
  fc->column.type = ColumnType::kDecimal;
  fc->column.precision = logical ? lt.precision : e.precision.value_or(0);
  fc->column.scale = logical ? lt.scale : e.scale.value_or(0);
  Status st = ValidateDecimal(fc->column.precision, fc->column.scale);
  if (!st.ok()) {
    fc->unsupported = st.message();
    return;
  }
  const int p = fc->column.precision;
  switch (*e.type) {
    case PhysicalType::kInt32:
      if (p > 9) fc->unsupported = "DECIMAL precision " + std::to_string(p) + " in INT32 (at most 9)";
      break;
    case PhysicalType::kInt64:
      if (p > 18) fc->unsupported = "DECIMAL precision " + std::to_string(p) + " in INT64 (at most 18)";
      break;
    case PhysicalType::kFixedLenByteArray:
      if (e.type_length.value_or(0) < 1 || *e.type_length > 16) {
        fc->unsupported = "DECIMAL in FIXED_LEN_BYTE_ARRAY of " +
                          std::to_string(e.type_length.value_or(0)) + " bytes (1 to 16 are read)";
      }
      fc->type_length = e.type_length.value_or(0);
      break;
    case PhysicalType::kByteArray:
      break;
    default:
      fc->unsupported = "DECIMAL in a physical type other than INT32, INT64 or a byte array";
  }
}

// Maps a leaf schema element onto our column types.
FileColumn MapLeaf(const SchemaElement& e, int index) {
  FileColumn fc;
  fc.schema_index = index;
  fc.column.name = e.name;
  fc.column.optional = e.repetition_type.value_or(Repetition::kRequired) == Repetition::kOptional;
  fc.max_def = fc.column.optional ? 1 : 0;
  if (e.repetition_type == Repetition::kRepeated)
    fc.unsupported = "repeated fields outside a LIST or MAP group are not supported";
  fc.physical = *e.type;
  const LogicalType& lt = e.logical_type;
  switch (*e.type) {
    case PhysicalType::kBoolean:
      fc.column.type = ColumnType::kBoolean;
      break;
    case PhysicalType::kInt32:
      fc.column.type = lt.kind == LogicalType::Kind::kDate || e.converted_type == ConvertedType::kDate
                           ? ColumnType::kDate
                           : ColumnType::kInt32;
      if (IsUnsigned(e, 32)) fc.unsupported = kUnsignedUnsupported;
      break;
    case PhysicalType::kInt64:
      fc.column.type = ColumnType::kInt64;
      if (IsUnsigned(e, 64)) fc.unsupported = kUnsignedUnsupported;
      if (lt.kind == LogicalType::Kind::kTimestamp) {
        fc.column.type = ColumnType::kTimestamp;
        fc.unit = lt.unit;
      } else if (e.converted_type == ConvertedType::kTimestampMicros ||
                 e.converted_type == ConvertedType::kTimestampMillis) {
        fc.column.type = ColumnType::kTimestamp;
        fc.unit = e.converted_type == ConvertedType::kTimestampMillis ? TimeUnit::kMillis
                                                                      : TimeUnit::kMicros;
      }
      break;
    case PhysicalType::kFloat:
      fc.column.type = ColumnType::kFloat;
      break;
    case PhysicalType::kDouble:
      fc.column.type = ColumnType::kDouble;
      break;
    case PhysicalType::kByteArray:
      fc.column.type = ColumnType::kString;
      break;
    case PhysicalType::kInt96:
      fc.column.type = ColumnType::kTimestamp;
      fc.unsupported = "INT96 columns are not supported";
      break;
    case PhysicalType::kFixedLenByteArray:
      fc.column.type = ColumnType::kString;
      fc.unsupported = "FIXED_LEN_BYTE_ARRAY columns are not supported";
      break;
    default:
      fc.column.type = ColumnType::kString;
      fc.unsupported = "unknown physical type " + std::to_string(static_cast<int>(*e.type));
  }
  if (IsDecimal(e) && e.repetition_type != Repetition::kRepeated) {
    fc.unsupported.clear();
    MapDecimal(e, &fc);
  }
  return fc;
}

}  // namespace

Result<std::unique_ptr<ParquetReader>> ParquetReader::Open(const std::string& path,
                                                           ReaderLimits limits) {
  TRY_ASSIGN(auto source, OpenFileSource(path));
  auto r = Open(std::move(source), limits);
  if (!r.ok()) return r.status().WithContext(path);
  return r;
}

Result<std::unique_ptr<ParquetReader>> ParquetReader::Open(std::unique_ptr<Source> source,
                                                           ReaderLimits limits) {
  std::unique_ptr<ParquetReader> r(new ParquetReader(std::move(source), limits));
  TRY(r->ReadFooter());
  TRY(r->MapSchema());
  return r;
}

Status ParquetReader::ReadFooter() {
  const uint64_t size = source_->size();
  if (size < 12)
    return DataLoss("file of " + std::to_string(size) + " bytes is too small for Parquet");
  std::string head, tail;
  TRY(source_->ReadAt(0, 4, &head));
  if (head != kMagic) return DataLoss("bad magic at offset 0: not a Parquet file");
  TRY(source_->ReadAt(size - 8, 8, &tail));
  if (tail.substr(4) != kMagic) {
    return DataLoss("bad magic at offset " + std::to_string(size - 4) +
                    ": truncated or not Parquet");
  }
  uint32_t len;
  std::memcpy(&len, tail.data(), 4);
  if (len > size - 12 || len > limits_.max_footer_bytes) {
    return DataLoss("footer length " + std::to_string(len) + " at offset " +
                    std::to_string(size - 8) + " does not fit the file of " + std::to_string(size) +
                    " bytes");
  }
  footer_start_ = size - 8 - len;
  std::string footer;
  TRY(source_->ReadAt(footer_start_, len, &footer));
  Status st = ParseFileMetaData(reinterpret_cast<const uint8_t*>(footer.data()), footer.size(),
                                footer_start_, &meta_);
  if (!st.ok()) return st.WithContext("footer at offset " + std::to_string(footer_start_));
  return Status::Ok();
}

Status ParquetReader::MapSchema() {
  const auto& s = meta_.schema;
  int64_t children = s[0].num_children.value_or(0);
  if (s[0].type) return DataLoss("footer: schema root '" + s[0].name + "' is a leaf");
  if (children < 0 || children > static_cast<int64_t>(s.size()) - 1) {
    return DataLoss("footer: schema root has " + std::to_string(children) + " children and " +
                    std::to_string(s.size() - 1) + " elements");
  }
  int chunks = 0;
  size_t i = 1;
  for (int64_t c = 0; c < children; ++c) {
    if (i >= s.size()) return DataLoss("footer: schema ends before the root's children");
    if (s[i].type) {
      if (s[i].num_children.value_or(0) != 0) {
        return DataLoss("footer: schema element '" + s[i].name + "' is a leaf with children");
      }
      columns_.push_back(MapLeaf(s[i], static_cast<int>(i)));
      ++i;
    } else {
      FileColumn fc;
      fc.schema_index = static_cast<int>(i);
      fc.column.name = s[i].name;
      fc.column.type = ColumnType::kString;
      fc.column.optional = s[i].repetition_type == Repetition::kOptional;
      auto layout = std::make_shared<NestedLayout>();
      NestedType type;
      Status st = ReadNestedSchema(
          s, &i, [](const SchemaElement& e, int index) { return MapLeaf(e, index).column; }, &type,
          layout.get());
      if (st.code() == ErrorCode::kDataLoss) return st;
      if (!st.ok()) {
        // Kept (and named when read): the other columns stay readable.
        fc.unsupported = st.message();
        size_t end = static_cast<size_t>(fc.schema_index) + 1;
        for (int64_t left = s[fc.schema_index].num_children.value_or(0); left > 0; --left) {
          if (end >= s.size())
            return DataLoss("footer: schema ends inside '" + fc.column.name + "'");
          left += s[end].num_children.value_or(0);
          ++end;
        }
        i = end;
        int leaves = 0;
        for (size_t k = static_cast<size_t>(fc.schema_index) + 1; k < end; ++k)
          leaves += s[k].type ? 1 : 0;
        if (leaves == 0) return DataLoss("footer: group '" + fc.column.name + "' has no leaf");
        fc.first_chunk = chunks;
        chunks += leaves;
        fc.leaves.resize(leaves);
        columns_.push_back(std::move(fc));
        schema_.columns.push_back(columns_.back().column);
        continue;
      }
      fc.column.nested = std::make_shared<const NestedType>(std::move(type));
      for (const NestedLeaf& leaf : layout->leaves) {
        FileColumn lc = MapLeaf(s[leaf.schema_index], leaf.schema_index);
        lc.column.name = leaf.column.name;
        lc.max_def = leaf.max_def;
        lc.max_rep = leaf.max_rep;
        // A two-level list's element is repeated itself: its levels say so.
        if (s[leaf.schema_index].repetition_type == Repetition::kRepeated) lc.unsupported.clear();
        if (!lc.unsupported.empty() && fc.unsupported.empty()) {
          fc.unsupported = "member '" + leaf.path.back() + "': " + lc.unsupported;
        }
        fc.leaves.push_back(std::move(lc));
      }
      fc.layout = std::move(layout);
      fc.first_chunk = chunks;
      chunks += static_cast<int>(fc.leaves.size());
      columns_.push_back(std::move(fc));
      schema_.columns.push_back(columns_.back().column);
      continue;
    }
    columns_.back().first_chunk = chunks++;
    schema_.columns.push_back(columns_.back().column);
  }
  if (i != s.size()) {
    return DataLoss("footer: schema has " + std::to_string(s.size() - i) +
                    " elements past the root's children");
  }
  if (meta_.num_rows < 0) return DataLoss("footer: negative row count");
  for (size_t g = 0; g < meta_.row_groups.size(); ++g) {
    const RowGroup& rg = meta_.row_groups[g];
    if (rg.columns.size() != static_cast<size_t>(chunks)) {
      return DataLoss("footer: row group " + std::to_string(g) + " has " +
                      std::to_string(rg.columns.size()) + " column chunks for " +
                      std::to_string(chunks) + " leaf columns");
    }
    if (rg.num_rows < 0 || rg.num_rows > limits_.max_row_group_rows) {
      return DataLoss("footer: row group " + std::to_string(g) + " claims " +
                      std::to_string(rg.num_rows) + " rows (limit " +
                      std::to_string(limits_.max_row_group_rows) + ")");
    }
  }
  return Status::Ok();
}

Result<std::vector<int>> ParquetReader::Resolve(const std::vector<std::string>& names) const {
  std::vector<int> out;
  if (names.empty()) {
    for (size_t i = 0; i < columns_.size(); ++i) out.push_back(static_cast<int>(i));
    return out;
  }
  for (const std::string& n : names) {
    int i = schema_.Find(n);
    if (i < 0)
      return NotFound("column '" + n + "' is not in the file (columns: " + schema_.ToString() +
                      ")");
    out.push_back(i);
  }
  return out;
}

Result<bool> ParquetReader::RowGroupMayMatch(int rg, const Predicate& p) const {
  int c = schema_.Find(p.column);
  if (c < 0) return NotFound("predicate column '" + p.column + "' is not in the file");
  if (rg < 0 || rg >= num_row_groups())
    return InvalidArgument("row group " + std::to_string(rg) + " out of range");
  const RowGroup& group = meta_.row_groups[rg];
  const auto& md = group.columns[columns_[c].first_chunk].meta_data;
  std::optional<Statistics> stats;
  // Timestamps in other units would need rescaling: do not skip on them.
  bool usable =
      columns_[c].column.type != ColumnType::kTimestamp || columns_[c].unit == TimeUnit::kMicros;
  // A nested column's chunks are its leaves': no statistics of its own.
  if (md && usable && columns_[c].leaves.empty()) stats = md->statistics;
  return MayMatch(p, columns_[c].column.type, stats, group.num_rows);
}

Status ParquetReader::ReadChunk(int rg, const FileColumn& fc, int chunk_index,
                                const std::string& where, ColumnBatch* out,
                                std::vector<uint32_t>* def, std::vector<uint32_t>* rep) {
  const RowGroup& group = meta_.row_groups[rg];
  const ColumnChunk& cc = group.columns[chunk_index];
  if (cc.file_path) return Unimplemented(where + ": column data in another file is not supported");
  if (!cc.meta_data) return DataLoss(where + ": column chunk has no metadata");
  const ColumnMetaData& m = *cc.meta_data;
  if (m.type != fc.physical) return DataLoss(where + ": chunk type differs from the schema");
  // A leaf of a nested column holds an entry for each value, null, empty list or map.
  int64_t values = group.num_rows;
  if (def != nullptr) {
    if (m.num_values < group.num_rows || m.num_values > limits_.max_row_group_rows) {
      return DataLoss(where + ": chunk holds " + std::to_string(m.num_values) + " entries for " +
                      std::to_string(group.num_rows) + " rows");
    }
    values = m.num_values;
  } else if (m.num_values != group.num_rows) {
    return DataLoss(where + ": chunk holds " + std::to_string(m.num_values) + " values for " +
                    std::to_string(group.num_rows) + " rows");
  }
  int64_t start = m.data_page_offset;
  // Some writers set dictionary_page_offset to 0 when there is none.
  if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 &&
      *m.dictionary_page_offset < start) {
    start = *m.dictionary_page_offset;
  }
  if (start < 4 || m.total_compressed_size < 0 || static_cast<uint64_t>(start) > footer_start_ ||
      static_cast<uint64_t>(m.total_compressed_size) > footer_start_ - start) {
    return DataLoss(where + ": chunk at offset " + std::to_string(start) + " of " +
                    std::to_string(m.total_compressed_size) +
                    " bytes lies outside the data (which ends at " + std::to_string(footer_start_) +
                    ")");
  }
  TRY(source_->ReadAt(start, m.total_compressed_size, &chunk_));
  *out = ColumnBatch(fc.column.type);
  Status st = DecodeColumnChunk(fc, m, chunk_, start, values, limits_, out, def, rep);
  if (!st.ok()) return st.WithContext("row group " + std::to_string(rg));
  return Status::Ok();
}

Result<RecordBatch> ParquetReader::ReadRowGroup(int rg, const std::vector<int>& cols) {
  if (rg < 0 || rg >= num_row_groups())
    return InvalidArgument("row group " + std::to_string(rg) + " out of range");
  const RowGroup& group = meta_.row_groups[rg];
  RecordBatch batch;
  batch.num_rows = group.num_rows;
  for (int c : cols) {
    if (c < 0 || c >= static_cast<int>(columns_.size()))
      return InvalidArgument("column index out of range");
    const FileColumn& fc = columns_[c];
    const std::string where =
        "row group " + std::to_string(rg) + ", column '" + fc.column.name + "'";
    if (!fc.unsupported.empty()) return Unimplemented(where + ": " + fc.unsupported);
    ColumnBatch col(fc.column.type);
    if (fc.layout) {
      std::vector<LeafEntries> leaves(fc.leaves.size());
      for (size_t k = 0; k < fc.leaves.size(); ++k) {
        const std::string leaf_where =
            where + ", member '" + fc.layout->leaves[k].path.back() + "'";
        TRY(ReadChunk(rg, fc.leaves[k], fc.first_chunk + static_cast<int>(k), leaf_where,
                      &leaves[k].values, &leaves[k].def, &leaves[k].rep));
      }
      Status st = AssembleNested(fc.column.name, *fc.layout, leaves, group.num_rows, &col);
      if (!st.ok()) return st.WithContext("row group " + std::to_string(rg));
    } else {
      TRY(ReadChunk(rg, fc, fc.first_chunk, where, &col, nullptr, nullptr));
    }
    batch.schema.columns.push_back(fc.column);
    batch.columns.push_back(std::move(col));
  }
  return batch;
}

Status ParquetReader::Scan(const ReadOptions& options,
                           const std::function<Status(const RecordBatch&)>& fn) {
  TRY_ASSIGN(std::vector<int> cols, Resolve(options.columns));
  for (int g = 0; g < num_row_groups(); ++g) {
    if (options.predicate) {
      TRY_ASSIGN(bool may, RowGroupMayMatch(g, *options.predicate));
      if (!may) continue;
    }
    TRY_ASSIGN(RecordBatch b, ReadRowGroup(g, cols));
    TRY(fn(b));
  }
  return Status::Ok();
}

}  // namespace tributary::parquet
