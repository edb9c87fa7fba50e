// How a chunk is decoded: walk the pages in order; a dictionary page fills the
// dictionary; each data page yields definition levels (optional columns) and
// the non-null values, which are scattered into the batch's dense slots.
// Every length from the file is checked against what is left of the chunk or
// page before it is used.
#include "parquet/column_reader.h"

#include <algorithm>
#include <cstring>

#include "parquet/compression.h"
#include "parquet/decimal.h"
#include "parquet/delta.h"
#include "parquet/plain.h"
#include "parquet/rle.h"

namespace tributary::parquet {
namespace {

std::string_view EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kPlain:
      return "PLAIN";
    case Encoding::kPlainDictionary:
      return "PLAIN_DICTIONARY";
    case Encoding::kRle:
      return "RLE";
    case Encoding::kBitPacked:
      return "BIT_PACKED";
    case Encoding::kDeltaBinaryPacked:
      return "DELTA_BINARY_PACKED";
    case Encoding::kDeltaLengthByteArray:
      return "DELTA_LENGTH_BYTE_ARRAY";
    case Encoding::kDeltaByteArray:
      return "DELTA_BYTE_ARRAY";
    case Encoding::kRleDictionary:
      return "RLE_DICTIONARY";
    case Encoding::kByteStreamSplit:
      return "BYTE_STREAM_SPLIT";
  }
  return "unknown";
}

template <ColumnType kType>
struct Traits;
template <>
struct Traits<ColumnType::kBoolean> {
  using T = uint8_t;
  static std::vector<T>& Out(ColumnBatch& b) { return b.bools; }
};
template <>
struct Traits<ColumnType::kInt32> {
  using T = int32_t;
  static std::vector<T>& Out(ColumnBatch& b) { return b.i32; }
};
template <>
struct Traits<ColumnType::kInt64> {
  using T = int64_t;
  static std::vector<T>& Out(ColumnBatch& b) { return b.i64; }
};
template <>
struct Traits<ColumnType::kTimestamp> : Traits<ColumnType::kInt64> {};
template <>
struct Traits<ColumnType::kDate> : Traits<ColumnType::kInt32> {};
template <>
struct Traits<ColumnType::kFloat> {
  using T = float;
  static std::vector<T>& Out(ColumnBatch& b) { return b.f32; }
};
template <>
struct Traits<ColumnType::kDouble> {
  using T = double;
  static std::vector<T>& Out(ColumnBatch& b) { return b.f64; }
};
template <>
struct Traits<ColumnType::kString> {
  using T = std::string_view;
};

template <ColumnType kType>
class ChunkDecoder {
  using T = typename Traits<kType>::T;
  static constexpr bool kIsString = kType == ColumnType::kString;
  static constexpr bool kIsBool = kType == ColumnType::kBoolean;

 public:
  ChunkDecoder(const FileColumn& column, const ColumnMetaData& meta, const std::string& chunk,
               uint64_t chunk_offset, int64_t num_rows, const ReaderLimits& limits,
               ColumnBatch* out, std::vector<uint32_t>* def, std::vector<uint32_t>* rep)
      : col_(column),
        meta_(meta),
        chunk_(chunk),
        base_(chunk_offset),
        num_rows_(num_rows),
        limits_(limits),
        out_(out),
        def_out_(def),
        rep_out_(rep) {}

  Status Run() {
    out_->Clear();
    out_->type = kType;
    if (def_out_) def_out_->clear();
    if (rep_out_) rep_out_->clear();
    const bool optional = col_.max_def > 0;
    if constexpr (!kIsString)
      Traits<kType>::Out(*out_).reserve(std::min<int64_t>(num_rows_, 1 << 20));
    if (optional) out_->validity.reserve(std::min<int64_t>(num_rows_, 1 << 20));
    size_t pos = 0;
    while (read_ < num_rows_) {
      if (pos >= chunk_.size()) {
        return Err(base_ + pos, "column chunk ends after " + std::to_string(read_) + " of " +
                                    std::to_string(num_rows_) + " values");
      }
      PageHeader h;
      size_t hlen = 0;
      const uint64_t page_off = base_ + pos;
      Status st = ParsePageHeader(reinterpret_cast<const uint8_t*>(chunk_.data()) + pos,
                                  chunk_.size() - pos, page_off, &h, &hlen);
      if (!st.ok()) return st.WithContext(Where(page_off, "page header"));
      pos += hlen;
      if (h.compressed_page_size < 0 ||
          static_cast<size_t>(h.compressed_page_size) > chunk_.size() - pos) {
        return Err(page_off, "compressed page size " + std::to_string(h.compressed_page_size) +
                                 " runs past the column chunk (" +
                                 std::to_string(chunk_.size() - pos) + " bytes left)");
      }
      if (h.uncompressed_page_size < 0 ||
          static_cast<uint64_t>(h.uncompressed_page_size) > limits_.max_page_bytes) {
        return Err(page_off, "uncompressed page size " + std::to_string(h.uncompressed_page_size) +
                                 " is out of range");
      }
      std::string_view payload(chunk_.data() + pos, h.compressed_page_size);
      pos += h.compressed_page_size;
      page_off_ = page_off;
      switch (h.type) {
        case PageType::kDictionaryPage:
          TRY(ReadDictionary(h, payload));
          break;
        case PageType::kDataPage:
          TRY(ReadDataPageV1(h, payload));
          break;
        case PageType::kDataPageV2:
          TRY(ReadDataPageV2(h, payload));
          break;
        default:
          break;  // index pages and unknown pages carry no values
      }
    }
    out_->length = read_;
    if constexpr (kType == ColumnType::kTimestamp) TRY(ScaleTimestamps());
    return Status::Ok();
  }

 private:
  std::string Where(uint64_t off, std::string_view what) const {
    return "column '" + col_.column.name + "': " + std::string(what) + " at offset " +
           std::to_string(off);
  }
  Status Err(uint64_t off, const std::string& what) const {
    return DataLoss(Where(off, "page") + ": " + what);
  }
  Status Wrap(const Status& st) const {
    return st.ok() ? st : st.WithContext(Where(page_off_, "page"));
  }

  // Decompresses `payload` to `size` bytes; the result views `buf` or `payload`.
  Status Inflate(std::string_view payload, size_t size, std::string* buf, std::string_view* out) {
    if (meta_.codec == Codec::kUncompressed) {
      if (payload.size() != size) {
        return Err(page_off_, "uncompressed page holds " + std::to_string(payload.size()) +
                                  " bytes, header says " + std::to_string(size));
      }
      *out = payload;
      return Status::Ok();
    }
    TRY(Wrap(Decompress(meta_.codec, payload, size, buf)));
    *out = *buf;
    return Status::Ok();
  }

  Status ReadDictionary(const PageHeader& h, std::string_view payload) {
    if (!h.dictionary_page_header) return Err(page_off_, "dictionary page without its header");
    if (have_dict_) return Err(page_off_, "second dictionary page in one column chunk");
    const DictionaryPageHeader& d = *h.dictionary_page_header;
    if (d.encoding != Encoding::kPlain && d.encoding != Encoding::kPlainDictionary) {
      return Err(page_off_,
                 "dictionary encoding " + std::string(EncodingName(d.encoding)) + " is not PLAIN");
    }
    if (d.num_values < 0) return Err(page_off_, "negative dictionary size");
    std::string_view data;
    TRY(Inflate(payload, h.uncompressed_page_size, &dict_buf_, &data));
    if (data.data() != dict_buf_.data()) {
      dict_buf_.assign(data);  // keep string views valid after the chunk moves on
      data = dict_buf_;
    }
    size_t used = 0;
    TRY(Wrap(DecodePlain(data, static_cast<size_t>(d.num_values), &dict_, &used)));
    have_dict_ = true;
    return Status::Ok();
  }

  Status DecodePlain(std::string_view data, size_t n, std::vector<T>* vals, size_t* used) {
    auto* p = reinterpret_cast<const uint8_t*>(data.data());
    if constexpr (kIsString) {
      vals->clear();
      if (col_.physical == PhysicalType::kFixedLenByteArray) {
        return PlainDecodeFixedLenByteArrays(p, data.size(), n, col_.type_length, vals, used);
      }
      return PlainDecodeStrings(p, data.size(), n, vals, used);
    } else {
      const size_t fit = kIsBool ? data.size() * 8 : data.size() / sizeof(T);
      if (n > fit) {
        return Err(page_off_, std::to_string(n) + " values cannot fit in " +
                                  std::to_string(data.size()) + " bytes");
      }
      vals->resize(n);
      if constexpr (kIsBool) {
        return PlainDecodeBools(p, data.size(), n, vals->data(), used);
      } else {
        return PlainDecodeFixed(p, data.size(), n, vals->data(), used);
      }
    }
  }

  Status DecodeValues(Encoding enc, std::string_view data, size_t n) {
    auto* p = reinterpret_cast<const uint8_t*>(data.data());
    size_t used = 0;
    switch (enc) {
      case Encoding::kPlain:
        return Wrap(DecodePlain(data, n, &vals_, &used));
      case Encoding::kPlainDictionary:
      case Encoding::kRleDictionary: {
        if (!have_dict_) return Err(page_off_, "dictionary-encoded page but no dictionary page");
        vals_.resize(n);
        if (n == 0) return Status::Ok();
        if (dict_.empty()) return Err(page_off_, "dictionary indices into an empty dictionary");
        if (data.empty()) return Err(page_off_, "dictionary page data has no bit width");
        int bw = p[0];
        if (bw > 32) return Err(page_off_, "dictionary index bit width " + std::to_string(bw));
        idx_.resize(n);
        RleDecoder dec(p + 1, data.size() - 1, bw);
        TRY(Wrap(dec.DecodeBounded(idx_.data(), n, static_cast<uint32_t>(dict_.size() - 1))));
        for (size_t i = 0; i < n; ++i) vals_[i] = dict_[idx_[i]];
        return Status::Ok();
      }
      case Encoding::kDeltaBinaryPacked:
        if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>) {
          TRY(Wrap(DeltaBinaryPackedDecode(p, data.size(), n, &wide_, &used)));
          vals_.resize(n);
          for (size_t i = 0; i < n; ++i)
            vals_[i] = static_cast<T>(wide_[i]);  // INT32 wraps mod 2^32
          return Status::Ok();
        }
        break;
      case Encoding::kDeltaLengthByteArray:
        if constexpr (kIsString)
          return Wrap(DeltaLengthByteArrayDecode(p, data.size(), n, &vals_, &used));
        break;
      case Encoding::kDeltaByteArray:
        if constexpr (kIsString) {
          return Wrap(
              DeltaByteArrayDecode(p, data.size(), n, limits_.max_page_bytes, &arena_, &vals_));
        }
        break;
      case Encoding::kByteStreamSplit:
        if constexpr (!kIsString && !kIsBool) {
          vals_.resize(n);
          return Wrap(ByteStreamSplitDecode(p, data.size(), n, sizeof(T),
                                            reinterpret_cast<uint8_t*>(vals_.data())));
        }
        break;
      case Encoding::kRle:
        if constexpr (kIsBool) {
          if (data.size() < 4) return Err(page_off_, "RLE booleans without a length prefix");
          uint32_t len;
          std::memcpy(&len, p, 4);
          if (len > data.size() - 4) return Err(page_off_, "RLE boolean length runs past the page");
          idx_.resize(n);
          vals_.resize(n);
          RleDecoder dec(p + 4, len, 1);
          TRY(Wrap(dec.DecodeBounded(idx_.data(), n, 1)));
          for (size_t i = 0; i < n; ++i) vals_[i] = static_cast<uint8_t>(idx_[i]);
          return Status::Ok();
        }
        break;
      default:
        break;
    }
    return Unimplemented(Where(page_off_, "page") + ": encoding " + std::string(EncodingName(enc)) +
                         " is not supported for " + std::string(ColumnTypeName(kType)));
  }

  Status CheckCount(int32_t n) {
    if (n < 0 || n > num_rows_ - read_) {
      return Err(page_off_, "page holds " + std::to_string(n) + " values but only " +
                                std::to_string(num_rows_ - read_) + " remain in the row group");
    }
    return Status::Ok();
  }

  Status ReadDataPageV1(const PageHeader& h, std::string_view payload) {
    if (!h.data_page_header) return Err(page_off_, "data page without its header");
    const DataPageHeader& d = *h.data_page_header;
    TRY(CheckCount(d.num_values));
    std::string_view body;
    TRY(Inflate(payload, h.uncompressed_page_size, &page_buf_, &body));
    size_t n = static_cast<size_t>(d.num_values);
    size_t non_null = n;
    if (col_.max_rep > 0) {
      if (d.repetition_level_encoding != Encoding::kRle) {
        return Unimplemented(Where(page_off_, "page") + ": repetition level encoding " +
                             std::string(EncodingName(d.repetition_level_encoding)) +
                             " is not supported");
      }
      if (body.size() < 4) return Err(page_off_, "repetition levels without a length prefix");
      uint32_t len;
      std::memcpy(&len, body.data(), 4);
      if (len > body.size() - 4) {
        return Err(page_off_, "repetition levels length " + std::to_string(len) +
                                  " runs past the page (" + std::to_string(body.size() - 4) +
                                  " bytes)");
      }
      TRY(DecodeRepLevels(body.substr(4, len), n));
      body.remove_prefix(4 + len);
    }
    if (col_.max_def > 0) {
      if (d.definition_level_encoding != Encoding::kRle) {
        return Unimplemented(Where(page_off_, "page") + ": definition level encoding " +
                             std::string(EncodingName(d.definition_level_encoding)) +
                             " is not supported");
      }
      if (body.size() < 4) return Err(page_off_, "definition levels without a length prefix");
      uint32_t len;
      std::memcpy(&len, body.data(), 4);
      if (len > body.size() - 4) {
        return Err(page_off_, "definition levels length " + std::to_string(len) +
                                  " runs past the page (" + std::to_string(body.size() - 4) +
                                  " bytes)");
      }
      TRY(DecodeLevels(body.substr(4, len), n, &non_null));
      body.remove_prefix(4 + len);
    }
    TRY(DecodeValues(d.encoding, body, non_null));
    Scatter(n);
    return Status::Ok();
  }

  Status ReadDataPageV2(const PageHeader& h, std::string_view payload) {
    if (!h.data_page_header_v2) return Err(page_off_, "data page v2 without its header");
    const DataPageHeaderV2& d = *h.data_page_header_v2;
    TRY(CheckCount(d.num_values));
    if (d.repetition_levels_byte_length < 0 || d.definition_levels_byte_length < 0 ||
        static_cast<uint64_t>(d.repetition_levels_byte_length) + d.definition_levels_byte_length >
            std::min<uint64_t>(payload.size(), h.uncompressed_page_size)) {
      return Err(page_off_, "level lengths " + std::to_string(d.repetition_levels_byte_length) +
                                "+" + std::to_string(d.definition_levels_byte_length) +
                                " exceed the page");
    }
    size_t levels_len = d.repetition_levels_byte_length + d.definition_levels_byte_length;
    size_t n = static_cast<size_t>(d.num_values);
    size_t non_null = n;
    if (col_.max_rep > 0) {
      TRY(DecodeRepLevels(payload.substr(0, d.repetition_levels_byte_length), n));
    }
    if (col_.max_def > 0) {
      TRY(DecodeLevels(
          payload.substr(d.repetition_levels_byte_length, d.definition_levels_byte_length), n,
          &non_null));
    }
    std::string_view values = payload.substr(levels_len);
    size_t values_size = h.uncompressed_page_size - levels_len;
    std::string_view data;
    if (d.is_compressed && meta_.codec != Codec::kUncompressed) {
      TRY(Wrap(Decompress(meta_.codec, values, values_size, &page_buf_)));
      data = page_buf_;
    } else {
      data = values;
    }
    TRY(DecodeValues(d.encoding, data, non_null));
    Scatter(n);
    return Status::Ok();
  }

  Status DecodeLevels(std::string_view data, size_t n, size_t* non_null) {
    levels_.resize(n);
    const uint32_t max = static_cast<uint32_t>(col_.max_def);
    RleDecoder dec(reinterpret_cast<const uint8_t*>(data.data()), data.size(), BitWidth(max));
    Status st = dec.DecodeBounded(levels_.data(), n, max);
    if (!st.ok()) return st.WithContext(Where(page_off_, "definition levels of page"));
    *non_null = static_cast<size_t>(std::count(levels_.begin(), levels_.end(), max));
    return Status::Ok();
  }

  Status DecodeRepLevels(std::string_view data, size_t n) {
    rep_levels_.resize(n);
    const uint32_t max = static_cast<uint32_t>(col_.max_rep);
    RleDecoder dec(reinterpret_cast<const uint8_t*>(data.data()), data.size(), BitWidth(max));
    Status st = dec.DecodeBounded(rep_levels_.data(), n, max);
    if (!st.ok()) return st.WithContext(Where(page_off_, "repetition levels of page"));
    return Status::Ok();
  }

  // The page's levels to the caller's (a nested column's leaf).
  void KeepLevels(size_t n) {
    if (def_out_) {
      if (col_.max_def > 0) {
        def_out_->insert(def_out_->end(), levels_.begin(), levels_.begin() + n);
      } else {
        def_out_->insert(def_out_->end(), n, 0);
      }
    }
    if (rep_out_) {
      if (col_.max_rep > 0) {
        rep_out_->insert(rep_out_->end(), rep_levels_.begin(), rep_levels_.begin() + n);
      } else {
        rep_out_->insert(rep_out_->end(), n, 0);
      }
    }
  }

  void Scatter(size_t n) {
    KeepLevels(n);
    const bool optional = col_.max_def > 0;
    const uint32_t max = static_cast<uint32_t>(col_.max_def);
    if constexpr (kIsString) {
      size_t v = 0;
      for (size_t i = 0; i < n; ++i) {
        bool valid = !optional || levels_[i] == max;
        if (valid) out_->chars.append(vals_[v++]);
        out_->offsets.push_back(out_->chars.size());
        if (optional) out_->validity.push_back(valid ? 1 : 0);
      }
    } else {
      auto& dst = Traits<kType>::Out(*out_);
      if (!optional) {
        dst.insert(dst.end(), vals_.begin(), vals_.begin() + n);
      } else {
        size_t v = 0;
        for (size_t i = 0; i < n; ++i) {
          bool valid = levels_[i] == max;
          dst.push_back(valid ? vals_[v++] : T{});
          out_->validity.push_back(valid ? 1 : 0);
        }
      }
    }
    read_ += static_cast<int64_t>(n);
  }

  Status ScaleTimestamps() {
    if (col_.unit == TimeUnit::kMillis) {
      for (int64_t& v : out_->i64) {
        if (__builtin_mul_overflow(v, int64_t{1000}, &v)) {
          return DataLoss("column '" + col_.column.name + "': millisecond timestamp out of range");
        }
      }
    } else if (col_.unit == TimeUnit::kNanos) {
      for (int64_t& v : out_->i64) v = v / 1000 - (v % 1000 < 0 ? 1 : 0);  // floor
    }
    return Status::Ok();
  }

  const FileColumn& col_;
  const ColumnMetaData& meta_;
  const std::string& chunk_;
  uint64_t base_;
  int64_t num_rows_;
  const ReaderLimits& limits_;
  ColumnBatch* out_;
  std::vector<uint32_t>* def_out_;
  std::vector<uint32_t>* rep_out_;

  int64_t read_ = 0;
  uint64_t page_off_ = 0;
  bool have_dict_ = false;
  std::string dict_buf_, page_buf_, arena_;
  std::vector<int64_t> wide_;
  std::vector<T> dict_, vals_;
  std::vector<uint32_t> levels_, rep_levels_, idx_;
};

template <ColumnType kType>
Status Decode(const FileColumn& c, const ColumnMetaData& m, const std::string& chunk, uint64_t off,
              int64_t rows, const ReaderLimits& l, ColumnBatch* out,
              std::vector<uint32_t>* def = nullptr, std::vector<uint32_t>* rep = nullptr) {
  return ChunkDecoder<kType>(c, m, chunk, off, rows, l, out, def, rep).Run();
}

// A DECIMAL column: decoded as its physical type (INT32, INT64, or the bytes of a
// FIXED_LEN_BYTE_ARRAY or BYTE_ARRAY), then widened to 128-bit unscaled values.
Status DecodeDecimal(const FileColumn& column, const ColumnMetaData& meta, const std::string& chunk,
                     uint64_t chunk_offset, int64_t num_rows, const ReaderLimits& limits,
                     ColumnBatch* out, std::vector<uint32_t>* def, std::vector<uint32_t>* rep) {
  ColumnBatch raw;
  switch (column.physical) {
    case PhysicalType::kInt32:
      TRY(Decode<ColumnType::kInt32>(column, meta, chunk, chunk_offset, num_rows, limits, &raw, def,
                                     rep));
      break;
    case PhysicalType::kInt64:
      TRY(Decode<ColumnType::kInt64>(column, meta, chunk, chunk_offset, num_rows, limits, &raw, def,
                                     rep));
      break;
    default:
      TRY(Decode<ColumnType::kString>(column, meta, chunk, chunk_offset, num_rows, limits, &raw,
                                      def, rep));
  }
  out->Clear();
  out->type = ColumnType::kDecimal;
  out->length = raw.length;
  out->validity = std::move(raw.validity);
  out->i128.resize(raw.length);
  for (int64_t i = 0; i < raw.length; ++i) {
    if (!out->IsValid(i)) continue;
    if (column.physical == PhysicalType::kInt32) {
      out->i128[i] = raw.i32[i];
    } else if (column.physical == PhysicalType::kInt64) {
      out->i128[i] = raw.i64[i];
    } else {
      Result<Int128> v = FromBigEndian(raw.StringAt(i));
      if (!v.ok()) {
        return v.status().WithContext("column '" + column.column.name + "' row " + std::to_string(i) +
                                      " of the chunk at offset " + std::to_string(chunk_offset));
      }
      out->i128[i] = *v;
    }
  }
  return Status::Ok();
}

}  // namespace

Status DecodeColumnChunk(const FileColumn& column, const ColumnMetaData& meta,
                         const std::string& chunk, uint64_t chunk_offset, int64_t num_rows,
                         const ReaderLimits& limits, ColumnBatch* out, std::vector<uint32_t>* def,
                         std::vector<uint32_t>* rep) {
  const FileColumn& c = column;
  const ColumnMetaData& m = meta;
  const std::string& k = chunk;
  const uint64_t o = chunk_offset;
  const int64_t n = num_rows;
  switch (column.column.type) {
    case ColumnType::kBoolean:
      return Decode<ColumnType::kBoolean>(c, m, k, o, n, limits, out, def, rep);
    case ColumnType::kInt32:
      return Decode<ColumnType::kInt32>(c, m, k, o, n, limits, out, def, rep);
    case ColumnType::kInt64:
      return Decode<ColumnType::kInt64>(c, m, k, o, n, limits, out, def, rep);
    case ColumnType::kTimestamp:
      return Decode<ColumnType::kTimestamp>(c, m, k, o, n, limits, out, def, rep);
    case ColumnType::kDate:
      return Decode<ColumnType::kDate>(c, m, k, o, n, limits, out, def, rep);
    case ColumnType::kFloat:
      return Decode<ColumnType::kFloat>(c, m, k, o, n, limits, out, def, rep);
    case ColumnType::kDouble:
      return Decode<ColumnType::kDouble>(c, m, k, o, n, limits, out, def, rep);
    case ColumnType::kString:
      return Decode<ColumnType::kString>(c, m, k, o, n, limits, out, def, rep);
    case ColumnType::kDecimal:
      return DecodeDecimal(c, m, k, o, n, limits, out, def, rep);
  }
  return Internal("unknown column type");
}

}  // namespace tributary::parquet
