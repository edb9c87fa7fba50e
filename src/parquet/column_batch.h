// In-memory columnar data: what the writer takes and the reader produces.
//
// A ColumnBatch holds `length` values of one ColumnType in a dense layout (one
// slot per row, Arrow style): fixed-width values in the vector for the type,
// strings as `offsets` (length + 1 entries) into `chars`. `validity` is either
// empty (every row has a value) or one byte per row, 1 = value, 0 = null; a null
// row still has a slot (zero / empty string) so indices line up.
//
//   ColumnBatch b(ColumnType::kString);
//   b.AppendString("a"); b.AppendNull(); b.AppendString("ccc");
//   // offsets {0,1,1,4}, chars "accc", validity {1,0,1}
//
// A RecordBatch is a schema plus one ColumnBatch per column, all the same length.
// Value types; thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parquet/decimal.h"
#include "parquet/schema.h"

namespace tributary::parquet {

class NestedShredder;

struct ColumnBatch {
  ColumnType type = ColumnType::kInt64;
  int64_t length = 0;
  std::vector<uint8_t> validity;     // empty, or `length` bytes of 0/1
  std::vector<uint8_t> bools;        // kBoolean
  std::vector<int32_t> i32;          // kInt32, kDate (days since 1970-01-01)
  std::vector<int64_t> i64;          // kInt64, kTimestamp (microseconds since the epoch, UTC)
  std::vector<float> f32;            // kFloat
  std::vector<double> f64;           // kDouble
  std::vector<uint64_t> offsets{0};  // kString: length + 1 entries
  std::string chars;                 // kString
  std::vector<Int128> i128;          // kDecimal: unscaled values (the column has the scale)
  // A nested column's rows already shredded (nested_shred.h), one a row of this batch: the
  // writer takes their levels instead of parsing the rows' text, which may then be empty.
  std::shared_ptr<const NestedShredder> shredded;

  ColumnBatch() = default;
  explicit ColumnBatch(ColumnType t) : type(t) {}

  bool IsValid(int64_t i) const { return validity.empty() || validity[i] != 0; }
  int64_t NullCount() const;
  std::string_view StringAt(int64_t i) const {
    return std::string_view(chars).substr(offsets[i], offsets[i + 1] - offsets[i]);
  }

  // Builders. Append* must match `type` (checked by Validate, not here).
  void AppendNull();
  void AppendBool(bool v) {
    bools.push_back(v ? 1 : 0);
    Appended();
  }
  void AppendInt32(int32_t v) {
    i32.push_back(v);
    Appended();
  }
  void AppendInt64(int64_t v) {
    i64.push_back(v);
    Appended();
  }
  void AppendFloat(float v) {
    f32.push_back(v);
    Appended();
  }
  void AppendDouble(double v) {
    f64.push_back(v);
    Appended();
  }
  void AppendDecimal(Int128 unscaled) {
    i128.push_back(unscaled);
    Appended();
  }
  void AppendString(std::string_view v) {
    chars.append(v);
    offsets.push_back(chars.size());
    Appended();
  }
  void Reserve(int64_t n);
  void Clear();

  // Checks the vectors agree with `length` and `type`.
  Status Validate() const;

 private:
  void Appended() {
    if (!validity.empty()) validity.push_back(1);
    ++length;
  }
};

// For a decimal column: checks every value has at most the column's precision in digits.
Status CheckDecimalPrecision(const Column& c, const ColumnBatch& b);

struct RecordBatch {
  Schema schema;
  std::vector<ColumnBatch> columns;
  int64_t num_rows = 0;

  // An empty batch with one ColumnBatch per schema column.
  static RecordBatch Empty(const Schema& schema);
  // Checks column count, types, lengths, decimals' precision, and that required columns
  // have no nulls.
  Status Validate() const;
};

}  // namespace tributary::parquet
