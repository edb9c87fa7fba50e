// Column statistics: null count and min/max in the order Parquet's TYPE_ORDER
// defines for each column type, encoded as PLAIN bytes without length prefix.
//
//   type        order                          notes
//   boolean     false < true
//   int32/int64/timestamp  signed
//   float/double  numeric; NaN is skipped      a zero min is written as -0.0 and a
//                                              zero max as +0.0; all-NaN: no min/max
//   string      unsigned byte-wise (memcmp)    values over kMaxStringStat bytes: no min/max
//   decimal     signed (unscaled values)       as the column's physical type: INT32 and
//                                              INT64 little-endian, FIXED_LEN_BYTE_ARRAY
//                                              big-endian
//
// Used per column chunk by the writer; the reader decodes the same bytes for
// row-group skipping (predicate.h). Thread-compatible.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "parquet/format.h"
#include "parquet/plain.h"

namespace tributary::parquet {

inline constexpr size_t kMaxStringStat = 4096;

template <typename T>
class StatsAccumulator {
 public:
  using Stored = std::conditional_t<std::is_same_v<T, std::string_view>, std::string, T>;

  void AddNulls(int64_t n) { null_count_ += n; }

  void Update(T v) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(v)) return;
    }
    if constexpr (std::is_same_v<T, std::string_view>) {
      if (v.size() > kMaxStringStat) {
        too_long_ = true;
        return;
      }
    }
    if (!has_) {
      min_ = Stored(v);
      max_ = Stored(v);
      has_ = true;
      return;
    }
    if (Less(v, min_)) min_ = Stored(v);
    if (Less(max_, v)) max_ = Stored(v);
  }

  bool has_min_max() const { return has_ && !too_long_; }
  int64_t null_count() const { return null_count_; }
  const Stored& min() const { return min_; }
  const Stored& max() const { return max_; }

  Statistics ToThrift() const {
    return ToThrift([](const Stored& v) { return Encode(v); });
  }
  // With min and max written by `encode` (a decimal's bytes depend on its column).
  template <typename Encoder>
  Statistics ToThrift(const Encoder& encode) const {
    Statistics s;
    s.null_count = null_count_;
    if (has_min_max()) {
      Stored lo = min_, hi = max_;
      if constexpr (std::is_floating_point_v<T>) {
        if (lo == 0) lo = -static_cast<T>(0.0);
        if (hi == 0) hi = static_cast<T>(0.0);
      }
      s.min_value = encode(lo);
      s.max_value = encode(hi);
    }
    return s;
  }

  static std::string Encode(const Stored& v) {
    std::string out;
    if constexpr (std::is_same_v<T, std::string_view>) {
      out = v;
    } else if constexpr (std::is_same_v<T, bool>) {
      out.push_back(v ? 1 : 0);
    } else {
      PlainAppendOne(v, &out);
    }
    return out;
  }

 private:
  template <typename A, typename B>
  static bool Less(const A& a, const B& b) {
    if constexpr (std::is_same_v<T, std::string_view>) {
      return std::string_view(a) < std::string_view(b);  // char_traits<char>: unsigned bytes
    } else {
      return a < b;
    }
  }

  bool has_ = false;
  bool too_long_ = false;
  Stored min_{};
  Stored max_{};
  int64_t null_count_ = 0;
};

}  // namespace tributary::parquet
