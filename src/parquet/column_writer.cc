// How a column chunk is written:
//   - each value goes into the open page: its definition level (optional
//     columns), and either a dictionary index or its PLAIN bytes;
//   - a page is cut when its estimated encoded size reaches page_size;
//   - when the dictionary's PLAIN size passes dictionary_page_size_limit, or
//     (checked every kDictionaryCheckValues values) the chunk's values so far
//     would be smaller PLAIN than dictionary-encoded, the open page is cut and
//     the rest of the chunk is written PLAIN;
//   - Finish() puts the dictionary page (if any) in front of the data pages;
//   - decimals are always PLAIN (INT32, INT64 or FIXED_LEN_BYTE_ARRAY by precision).
#include "parquet/column_writer.h"

#include <set>

#include "parquet/compression.h"
#include "parquet/decimal.h"
#include "parquet/dictionary.h"
#include "parquet/plain.h"
#include "parquet/rle.h"
#include "parquet/statistics.h"

namespace tributary::parquet {
namespace {

constexpr int64_t kMaxPageValues = 1 << 20;
// How often (in dictionary-encoded values of a chunk) the writer checks that the
// dictionary saves space; a power of two.
constexpr int64_t kDictionaryCheckValues = 8192;

// Per-type access to a batch slot and a dictionary key.
template <ColumnType kType>
struct Traits;
template <>
struct Traits<ColumnType::kBoolean> {
  using T = bool;
  static T Get(const ColumnBatch& b, int64_t i) { return b.bools[i] != 0; }
};
template <>
struct Traits<ColumnType::kInt32> {
  using T = int32_t;
  static T Get(const ColumnBatch& b, int64_t i) { return b.i32[i]; }
};
template <>
struct Traits<ColumnType::kInt64> {
  using T = int64_t;
  static T Get(const ColumnBatch& b, int64_t i) { return b.i64[i]; }
};
template <>
struct Traits<ColumnType::kTimestamp> : Traits<ColumnType::kInt64> {};
template <>
struct Traits<ColumnType::kDate> : Traits<ColumnType::kInt32> {};
template <>
struct Traits<ColumnType::kFloat> {
  using T = float;
  static T Get(const ColumnBatch& b, int64_t i) { return b.f32[i]; }
};
template <>
struct Traits<ColumnType::kDouble> {
  using T = double;
  static T Get(const ColumnBatch& b, int64_t i) { return b.f64[i]; }
};
template <>
struct Traits<ColumnType::kString> {
  using T = std::string_view;
  static T Get(const ColumnBatch& b, int64_t i) { return b.StringAt(i); }
};
template <>
struct Traits<ColumnType::kDecimal> {
  using T = Int128;
  static T Get(const ColumnBatch& b, int64_t i) { return b.i128[i]; }
};

template <ColumnType kType>
class TypedColumnWriter final : public ColumnChunkWriter, public LeafChunkWriter {
  using T = typename Traits<kType>::T;
  static constexpr bool kIsBool = std::is_same_v<T, bool>;
  // Decimals are written PLAIN only: their bytes depend on the column's precision.
  static constexpr bool kIsDecimal = kType == ColumnType::kDecimal;

 public:
  // `leaf`: a nested column's leaf (its path and levels); null for a top-level column.
  TypedColumnWriter(const Column& column, const WriterOptions& options, const NestedLeaf* leaf)
      : column_(column),
        options_(options),
        physical_(PhysicalTypeOf(column)),
        width_(kIsDecimal ? DecimalByteWidth(column.precision) : 0) {
    max_def_ = leaf ? leaf->max_def : (column.optional ? 1 : 0);
    max_rep_ = leaf ? leaf->max_rep : 0;
    path_ = leaf ? leaf->path : std::vector<std::string>{column.name};
    Reset();
  }

  Status Write(const ColumnBatch& batch, int64_t begin, int64_t end) override {
    const bool all_valid = batch.validity.empty();
    for (int64_t i = begin; i < end; ++i) {
      const bool valid = all_valid || batch.validity[i] != 0;
      if (max_def_ > 0) def_levels_.push_back(valid ? 1 : 0);
      ++page_values_;
      if (!valid) {
        ++page_nulls_;
      } else {
        TRY_ASSIGN(bool flushed, AddValue(Traits<kType>::Get(batch, i)));
        if (flushed) continue;
      }
      if (((page_values_ & 63) == 0 && OpenPageBytes() >= options_.page_size) ||
          page_values_ >= kMaxPageValues) {
        TRY(FlushPage());
      }
    }
    num_values_ += end - begin;
    if (!all_valid) {
      for (int64_t i = begin; i < end; ++i) stats_.AddNulls(batch.validity[i] == 0);
    }
    return Status::Ok();
  }

  Status WriteLeaf(const LeafValues& leaf) override {
    const size_t n = leaf.def.size();
    int64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      // A page starts at a row's first entry (readers count rows by pages).
      if (leaf.rep[i] == 0 && page_values_ > 0 &&
          (OpenPageBytes() >= options_.page_size || page_values_ >= kMaxPageValues)) {
        TRY(FlushPage());
      }
      rep_levels_.push_back(leaf.rep[i]);
      def_levels_.push_back(leaf.def[i]);
      ++page_values_;
      if (leaf.rep[i] == 0) ++page_rows_;
      if (static_cast<int>(leaf.def[i]) < max_def_) {
        ++page_nulls_;
        stats_.AddNulls(1);
        continue;
      }
      if (v >= leaf.values.length)
        return Internal("leaf '" + column_.name + "': fewer values than levels");
      TRY(AddValue(Traits<kType>::Get(leaf.values, v++)).status());
    }
    num_values_ += static_cast<int64_t>(n);
    return Status::Ok();
  }

  Status Finish(std::vector<ChunkOutput>* out) override {
    out->emplace_back();
    return Finish(&out->back());
  }

  int64_t BufferedBytes() const override {
    return static_cast<int64_t>(pages_.size() + dict_.plain().size()) + OpenPageBytes();
  }

  Status Finish(ChunkOutput* out) override {
    if (page_values_ > 0 || pages_.empty()) TRY(FlushPage());
    out->bytes.clear();
    ColumnMetaData& m = out->meta;
    m = ColumnMetaData();
    m.type = physical_;
    m.path_in_schema = path_;
    m.codec = options_.codec;
    m.num_values = num_values_;
    int64_t uncompressed = uncompressed_pages_;
    if (dict_.size() > 0) {
      PageHeader h;
      h.type = PageType::kDictionaryPage;
      h.dictionary_page_header.emplace();
      h.dictionary_page_header->num_values = static_cast<int32_t>(dict_.size());
      h.dictionary_page_header->encoding = Encoding::kPlain;
      TRY(Compress(options_.codec, dict_.plain(), &scratch_));
      h.uncompressed_page_size = static_cast<int32_t>(dict_.plain().size());
      h.compressed_page_size = static_cast<int32_t>(scratch_.size());
      size_t before = out->bytes.size();
      SerializePageHeader(h, &out->bytes);
      uncompressed += static_cast<int64_t>(out->bytes.size() - before + dict_.plain().size());
      out->bytes += scratch_;
      m.dictionary_page_offset = 0;
      encodings_.insert(Encoding::kPlain);
    }
    m.data_page_offset = static_cast<int64_t>(out->bytes.size());
    out->bytes += pages_;
    m.encodings.assign(encodings_.begin(), encodings_.end());
    m.total_compressed_size = static_cast<int64_t>(out->bytes.size());
    m.total_uncompressed_size = uncompressed;
    if constexpr (kIsDecimal) {
      if (options_.statistics) m.statistics = stats_.ToThrift([this](Int128 v) {
        std::string bytes;
        AppendDecimal(v, &bytes);
        return bytes;
      });
    } else if (options_.statistics) {
      m.statistics = stats_.ToThrift();
    }
    Reset();
    return Status::Ok();
  }

 private:
  // Adds a value to the open page; true if the dictionary was given up, which flushed
  // the page before this value's turn to be counted.
  Result<bool> AddValue(T v) {
    if (options_.statistics) stats_.Update(v);
    if constexpr (kIsDecimal) {
      AppendDecimal(v, &values_);
    } else if (dict_mode_) {
      bool inserted;
      uint32_t idx = dict_.Insert(v, &inserted);
      indices_.push_back(idx);
      dict_values_ += 1;
      dict_values_plain_bytes_ += PlainSize(v);
      if ((inserted &&
           static_cast<int64_t>(dict_.plain().size()) > options_.dictionary_page_size_limit) ||
          ((dict_values_ & (kDictionaryCheckValues - 1)) == 0 && !DictionaryPays())) {
        TRY(FlushPage());
        dict_mode_ = false;  // fall back to PLAIN for the rest of this chunk
        return true;
      }
    } else if constexpr (kIsBool) {
      bools_.push_back(v ? 1 : 0);
    } else {
      AppendPlain(v, &values_);
    }
    return false;
  }

  // A decimal's PLAIN bytes: INT32 or INT64 little-endian, or big-endian in width_ bytes.
  void AppendDecimal(Int128 v, std::string* out) const {
    if (physical_ == PhysicalType::kInt32) {
      PlainAppendOne(static_cast<int32_t>(v), out);
    } else if (physical_ == PhysicalType::kInt64) {
      PlainAppendOne(static_cast<int64_t>(v), out);
    } else {
      AppendBigEndian(v, width_, out);
    }
  }

  static void AppendPlain(T v, std::string* out) {
    if constexpr (std::is_same_v<T, std::string_view>) {
      PlainAppendString(v, out);
    } else if constexpr (kIsBool) {
      out->push_back(v ? 1 : 0);  // dictionary never used for booleans
    } else {
      PlainAppendOne(v, out);
    }
  }

  static int64_t PlainSize(T v) {
    if constexpr (std::is_same_v<T, std::string_view>) {
      return 4 + static_cast<int64_t>(v.size());
    } else {
      return static_cast<int64_t>(sizeof(T));
    }
  }

  // Whether the chunk's values so far take less room dictionary-encoded (the
  // dictionary page plus bit-packed indices) than PLAIN. Mostly distinct values, such
  // as sequence numbers, do not: for them the dictionary only costs time and space.
  bool DictionaryPays() const {
    const int64_t indices_bytes = dict_values_ * std::max(1, BitWidth(dict_.size())) / 8;
    return static_cast<int64_t>(dict_.plain().size()) + indices_bytes < dict_values_plain_bytes_;
  }

  int64_t OpenPageBytes() const {
    int64_t levels = static_cast<int64_t>(def_levels_.size() + rep_levels_.size()) *
                     std::max(1, BitWidth(static_cast<uint64_t>(max_def_))) / 8;
    if (dict_mode_) {
      return levels + static_cast<int64_t>(indices_.size()) * BitWidth(dict_.size()) / 8;
    }
    return levels + static_cast<int64_t>(values_.size() + bools_.size() / 8);
  }

  Status FlushPage() {
    // Encode levels and values.
    rep_buf_.clear();
    if (max_rep_ > 0) {
      RleEncode(rep_levels_.data(), rep_levels_.size(), BitWidth(static_cast<uint64_t>(max_rep_)),
                &rep_buf_);
    }
    levels_buf_.clear();
    if (max_def_ > 0) {
      RleEncode(def_levels_.data(), def_levels_.size(), BitWidth(static_cast<uint64_t>(max_def_)),
                &levels_buf_);
    }
    std::string& vals = values_buf_;
    Encoding encoding = Encoding::kPlain;
    if (dict_mode_ && !indices_.empty()) {
      int bw = std::max(1, BitWidth(dict_.size() - 1));
      vals.assign(1, static_cast<char>(bw));
      RleEncode(indices_.data(), indices_.size(), bw, &vals);
      encoding = Encoding::kRleDictionary;
    } else if constexpr (kIsBool) {
      vals.clear();
      PlainAppendBools(bools_.data(), bools_.size(), &vals);
    } else {
      vals.swap(values_);
    }
    encodings_.insert(encoding);
    if (max_def_ > 0 || max_rep_ > 0) encodings_.insert(Encoding::kRle);

    PageHeader h;
    if (!options_.data_page_v2) {
      body_.clear();
      if (max_rep_ > 0) {
        PlainAppendOne(static_cast<uint32_t>(rep_buf_.size()), &body_);
        body_ += rep_buf_;
      }
      if (max_def_ > 0) {
        PlainAppendOne(static_cast<uint32_t>(levels_buf_.size()), &body_);
        body_ += levels_buf_;
      }
      body_ += vals;
      TRY(Compress(options_.codec, body_, &scratch_));
      h.type = PageType::kDataPage;
      h.uncompressed_page_size = static_cast<int32_t>(body_.size());
      h.compressed_page_size = static_cast<int32_t>(scratch_.size());
      DataPageHeader& d = h.data_page_header.emplace();
      d.num_values = static_cast<int32_t>(page_values_);
      d.encoding = encoding;
    } else {
      TRY(Compress(options_.codec, vals, &body_));
      scratch_ = rep_buf_;
      scratch_ += levels_buf_;
      scratch_ += body_;
      h.type = PageType::kDataPageV2;
      h.uncompressed_page_size =
          static_cast<int32_t>(rep_buf_.size() + levels_buf_.size() + vals.size());
      h.compressed_page_size = static_cast<int32_t>(scratch_.size());
      DataPageHeaderV2& d = h.data_page_header_v2.emplace();
      d.num_values = static_cast<int32_t>(page_values_);
      d.num_nulls = static_cast<int32_t>(page_nulls_);
      d.num_rows = static_cast<int32_t>(max_rep_ > 0 ? page_rows_ : page_values_);
      d.encoding = encoding;
      d.definition_levels_byte_length = static_cast<int32_t>(levels_buf_.size());
      d.repetition_levels_byte_length = static_cast<int32_t>(rep_buf_.size());
      d.is_compressed = options_.codec != Codec::kUncompressed;
    }
    size_t before = pages_.size();
    SerializePageHeader(h, &pages_);
    uncompressed_pages_ += static_cast<int64_t>(pages_.size() - before) + h.uncompressed_page_size;
    pages_ += scratch_;

    def_levels_.clear();
    rep_levels_.clear();
    page_rows_ = 0;
    indices_.clear();
    values_.clear();
    bools_.clear();
    page_values_ = 0;
    page_nulls_ = 0;
    return Status::Ok();
  }

  void Reset() {
    dict_mode_ = options_.dictionary && !kIsBool && !kIsDecimal;
    dict_.Clear();
    dict_values_ = 0;
    dict_values_plain_bytes_ = 0;
    pages_.clear();
    encodings_.clear();
    uncompressed_pages_ = 0;
    num_values_ = 0;
    stats_ = StatsAccumulator<T>();
  }

  Column column_;
  WriterOptions options_;
  PhysicalType physical_;
  int width_;  // decimals written as FIXED_LEN_BYTE_ARRAY: bytes a value
  int max_def_ = 0;
  int max_rep_ = 0;
  std::vector<std::string> path_;  // path_in_schema
  bool dict_mode_ = true;
  Dictionary<T> dict_;
  int64_t dict_values_ = 0;              // values of this chunk dictionary-encoded so far
  int64_t dict_values_plain_bytes_ = 0;  // and their PLAIN size
  // Open page.
  std::vector<uint32_t> def_levels_;
  std::vector<uint32_t> rep_levels_;
  int64_t page_rows_ = 0;  // entries with repetition level 0
  std::vector<uint32_t> indices_;
  std::string values_;
  std::vector<uint8_t> bools_;
  int64_t page_values_ = 0;
  int64_t page_nulls_ = 0;
  // Finished pages of this chunk.
  std::string pages_;
  int64_t uncompressed_pages_ = 0;
  std::set<Encoding> encodings_;
  int64_t num_values_ = 0;
  StatsAccumulator<T> stats_;
  // Scratch buffers reused across pages.
  std::string rep_buf_, levels_buf_, values_buf_, body_, scratch_;
};

}  // namespace

PhysicalType PhysicalTypeOf(const Column& column) {
  switch (column.type) {
    case ColumnType::kBoolean:
      return PhysicalType::kBoolean;
    case ColumnType::kInt32:
    case ColumnType::kDate:
      return PhysicalType::kInt32;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      return PhysicalType::kInt64;
    case ColumnType::kFloat:
      return PhysicalType::kFloat;
    case ColumnType::kDouble:
      return PhysicalType::kDouble;
    case ColumnType::kString:
      return PhysicalType::kByteArray;
    case ColumnType::kDecimal:
      return DecimalPhysicalType(column.precision);
  }
  return PhysicalType::kByteArray;
}

SchemaElement ToSchemaElement(const Column& column) {
  SchemaElement e;
  e.name = column.name;
  e.type = PhysicalTypeOf(column);
  e.repetition_type = column.optional ? Repetition::kOptional : Repetition::kRequired;
  if (column.type == ColumnType::kString) {
    e.converted_type = ConvertedType::kUtf8;
    e.logical_type.kind = LogicalType::Kind::kString;
  } else if (column.type == ColumnType::kTimestamp) {
    e.converted_type = ConvertedType::kTimestampMicros;
    e.logical_type.kind = LogicalType::Kind::kTimestamp;
    e.logical_type.is_adjusted_to_utc = true;
    e.logical_type.unit = TimeUnit::kMicros;
  } else if (column.type == ColumnType::kDate) {
    e.converted_type = ConvertedType::kDate;
    e.logical_type.kind = LogicalType::Kind::kDate;
  } else if (column.type == ColumnType::kDecimal) {
    if (*e.type == PhysicalType::kFixedLenByteArray) e.type_length = DecimalByteWidth(column.precision);
    e.converted_type = ConvertedType::kDecimal;
    e.precision = column.precision;
    e.scale = column.scale;
    e.logical_type.kind = LogicalType::Kind::kDecimal;
    e.logical_type.precision = column.precision;
    e.logical_type.scale = column.scale;
  }
  return e;
}

namespace {

template <typename Writer>
std::unique_ptr<Writer> MakeTyped(const Column& column, const WriterOptions& options,
                                  const NestedLeaf* leaf) {
  switch (column.type) {
    case ColumnType::kBoolean:
      return std::make_unique<TypedColumnWriter<ColumnType::kBoolean>>(column, options, leaf);
    case ColumnType::kInt32:
      return std::make_unique<TypedColumnWriter<ColumnType::kInt32>>(column, options, leaf);
    case ColumnType::kInt64:
      return std::make_unique<TypedColumnWriter<ColumnType::kInt64>>(column, options, leaf);
    case ColumnType::kTimestamp:
      return std::make_unique<TypedColumnWriter<ColumnType::kTimestamp>>(column, options, leaf);
    case ColumnType::kDate:
      return std::make_unique<TypedColumnWriter<ColumnType::kDate>>(column, options, leaf);
    case ColumnType::kFloat:
      return std::make_unique<TypedColumnWriter<ColumnType::kFloat>>(column, options, leaf);
    case ColumnType::kDouble:
      return std::make_unique<TypedColumnWriter<ColumnType::kDouble>>(column, options, leaf);
    case ColumnType::kString:
      return std::make_unique<TypedColumnWriter<ColumnType::kString>>(column, options, leaf);
    case ColumnType::kDecimal:
      return std::make_unique<TypedColumnWriter<ColumnType::kDecimal>>(column, options, leaf);
  }
  return nullptr;
}

// A nested column: each slice's rows shredded, then written leaf by leaf.
class NestedColumnWriter final : public ColumnChunkWriter {
 public:
  NestedColumnWriter(const Column& column, const WriterOptions& options)
      : shredder_(column, options.nested_json_times) {
    for (const NestedLeaf& leaf : shredder_.layout().leaves) {
      leaves_.push_back(LeafChunkWriter::Make(leaf, options));
    }
  }

  Status Write(const ColumnBatch& batch, int64_t begin, int64_t end) override {
    if (batch.shredded) return WriteShredded(*batch.shredded, batch.length, begin, end);
    shredder_.Clear();
    for (int64_t i = begin; i < end; ++i) {
      std::optional<std::string_view> text;
      if (batch.IsValid(i)) text = batch.StringAt(i);
      TRY(shredder_.AddText(text));
    }
    for (size_t k = 0; k < leaves_.size(); ++k) TRY(leaves_[k]->WriteLeaf(shredder_.leaves()[k]));
    return Status::Ok();
  }

  int64_t BufferedBytes() const override {
    int64_t bytes = 0;
    for (const auto& leaf : leaves_) bytes += leaf->BufferedBytes();
    return bytes;
  }

  Status Finish(std::vector<ChunkOutput>* out) override {
    for (const auto& leaf : leaves_) {
      out->emplace_back();
      TRY(leaf->Finish(&out->back()));
    }
    return Status::Ok();
  }

 private:
  // Rows [begin, end) of rows shredded before: each leaf's entries from the one that
  // starts row `begin` (repetition level 0) to the one that starts row `end`, and the
  // values of those whose definition level is the leaf's highest. Slices come in order,
  // so where the last one ended is kept.
  Status WriteShredded(const NestedShredder& rows, int64_t length, int64_t begin, int64_t end) {
    if (rows.rows() != length || rows.leaves().size() != leaves_.size()) {
      return Internal("a nested column's shredded rows (" + std::to_string(rows.rows()) +
                      ") do not match its batch (" + std::to_string(length) + " rows)");
    }
    if (&rows != cursor_rows_ || begin != cursor_row_) {
      cursor_rows_ = &rows;
      cursor_row_ = 0;
      cursor_level_.assign(leaves_.size(), 0);
      cursor_value_.assign(leaves_.size(), 0);
    }
    if (slice_.size() != leaves_.size()) slice_.resize(leaves_.size());
    for (size_t k = 0; k < leaves_.size(); ++k) {
      const LeafValues& leaf = rows.leaves()[k];
      const uint32_t max_def = static_cast<uint32_t>(shredder_.layout().leaves[k].max_def);
      size_t p = cursor_level_[k];
      int64_t v = cursor_value_[k];
      auto skip_row = [&] {
        do {
          if (leaf.def[p] == max_def) ++v;
          ++p;
        } while (p < leaf.rep.size() && leaf.rep[p] != 0);
      };
      for (int64_t r = cursor_row_; r < begin; ++r) skip_row();
      const size_t first_level = p;
      const int64_t first_value = v;
      for (int64_t r = begin; r < end; ++r) skip_row();
      LeafValues& out = slice_[k];
      out.def.assign(leaf.def.begin() + first_level, leaf.def.begin() + p);
      out.rep.assign(leaf.rep.begin() + first_level, leaf.rep.begin() + p);
      out.values = ColumnBatch(leaf.values.type);
      AppendValues(leaf.values, first_value, v, &out.values);
      cursor_level_[k] = p;
      cursor_value_[k] = v;
      TRY(leaves_[k]->WriteLeaf(out));
    }
    cursor_row_ = end;
    return Status::Ok();
  }

  // Values [b, e) of a leaf's batch (no nulls: a leaf's values are its defined ones).
  static void AppendValues(const ColumnBatch& from, int64_t b, int64_t e, ColumnBatch* to) {
    auto range = [&](const auto& v, auto* out) { out->assign(v.begin() + b, v.begin() + e); };
    switch (from.type) {
      case ColumnType::kBoolean:
        range(from.bools, &to->bools);
        break;
      case ColumnType::kInt32:
      case ColumnType::kDate:
        range(from.i32, &to->i32);
        break;
      case ColumnType::kInt64:
      case ColumnType::kTimestamp:
        range(from.i64, &to->i64);
        break;
      case ColumnType::kFloat:
        range(from.f32, &to->f32);
        break;
      case ColumnType::kDouble:
        range(from.f64, &to->f64);
        break;
      case ColumnType::kDecimal:
        range(from.i128, &to->i128);
        break;
      case ColumnType::kString:
        to->chars.assign(from.chars, from.offsets[b], from.offsets[e] - from.offsets[b]);
        to->offsets.resize(static_cast<size_t>(e - b) + 1);
        for (int64_t i = b; i <= e; ++i) to->offsets[i - b] = from.offsets[i] - from.offsets[b];
        break;
    }
    to->length = e - b;
  }

  NestedShredder shredder_;
  std::vector<std::unique_ptr<LeafChunkWriter>> leaves_;
  // WriteShredded's place in the rows it was last given.
  const NestedShredder* cursor_rows_ = nullptr;
  int64_t cursor_row_ = 0;
  std::vector<size_t> cursor_level_;
  std::vector<int64_t> cursor_value_;
  std::vector<LeafValues> slice_;
};

}  // namespace

std::unique_ptr<ColumnChunkWriter> ColumnChunkWriter::Make(const Column& column,
                                                           const WriterOptions& options) {
  if (column.nested) return std::make_unique<NestedColumnWriter>(column, options);
  return MakeTyped<ColumnChunkWriter>(column, options, nullptr);
}

std::unique_ptr<LeafChunkWriter> LeafChunkWriter::Make(const NestedLeaf& leaf,
                                                       const WriterOptions& options) {
  return MakeTyped<LeafChunkWriter>(leaf.column, options, &leaf);
}

}  // namespace tributary::parquet
