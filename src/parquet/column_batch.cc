#include "parquet/column_batch.h"

namespace tributary::parquet {

int64_t ColumnBatch::NullCount() const {
  if (validity.empty()) return 0;
  int64_t n = 0;
  for (uint8_t v : validity) n += v == 0;
  return n;
}

void ColumnBatch::AppendNull() {
  if (validity.empty()) validity.assign(length, 1);
  switch (type) {
    case ColumnType::kBoolean:
      bools.push_back(0);
      break;
    case ColumnType::kInt32:
    case ColumnType::kDate:
      i32.push_back(0);
      break;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      i64.push_back(0);
      break;
    case ColumnType::kFloat:
      f32.push_back(0);
      break;
    case ColumnType::kDouble:
      f64.push_back(0);
      break;
    case ColumnType::kString:
      offsets.push_back(chars.size());
      break;
    case ColumnType::kDecimal:
      i128.push_back(0);
      break;
  }
  validity.push_back(0);
  ++length;
}

void ColumnBatch::Reserve(int64_t n) {
  switch (type) {
    case ColumnType::kBoolean:
      bools.reserve(n);
      break;
    case ColumnType::kInt32:
    case ColumnType::kDate:
      i32.reserve(n);
      break;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      i64.reserve(n);
      break;
    case ColumnType::kFloat:
      f32.reserve(n);
      break;
    case ColumnType::kDouble:
      f64.reserve(n);
      break;
    case ColumnType::kString:
      offsets.reserve(n + 1);
      break;
    case ColumnType::kDecimal:
      i128.reserve(n);
      break;
  }
}

void ColumnBatch::Clear() {
  ColumnType t = type;
  *this = ColumnBatch(t);
}

Status ColumnBatch::Validate() const {
  size_t n = static_cast<size_t>(length);
  size_t have = 0;
  switch (type) {
    case ColumnType::kBoolean:
      have = bools.size();
      break;
    case ColumnType::kInt32:
    case ColumnType::kDate:
      have = i32.size();
      break;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      have = i64.size();
      break;
    case ColumnType::kFloat:
      have = f32.size();
      break;
    case ColumnType::kDouble:
      have = f64.size();
      break;
    case ColumnType::kDecimal:
      have = i128.size();
      break;
    case ColumnType::kString:
      have = offsets.empty() ? 0 : offsets.size() - 1;
      if (!offsets.empty() && offsets.back() != chars.size()) {
        return InvalidArgument("string column: last offset " + std::to_string(offsets.back()) +
                               " != chars size " + std::to_string(chars.size()));
      }
      for (size_t i = 1; i < offsets.size(); ++i) {
        if (offsets[i] < offsets[i - 1]) {
          return InvalidArgument("string column: offsets decrease at " + std::to_string(i));
        }
      }
      break;
  }
  if (have != n) {
    return InvalidArgument(std::string(ColumnTypeName(type)) + " column has " +
                           std::to_string(have) + " values for length " + std::to_string(n));
  }
  if (!validity.empty() && validity.size() != n) {
    return InvalidArgument("validity has " + std::to_string(validity.size()) +
                           " entries for length " + std::to_string(n));
  }
  return Status::Ok();
}

Status CheckDecimalPrecision(const Column& c, const ColumnBatch& b) {
  if (c.type != ColumnType::kDecimal) return Status::Ok();
  const Int128 limit = Pow10(c.precision);  // |value| < 10^precision
  for (int64_t r = 0; r < b.length; ++r) {
    if (b.IsValid(r) && (b.i128[r] >= limit || b.i128[r] <= -limit)) {
      return InvalidArgument("column '" + c.name + "' row " + std::to_string(r) + ": " +
                             FormatDecimal(b.i128[r], c.scale) + " does not fit " + c.TypeText());
    }
  }
  return Status::Ok();
}

RecordBatch RecordBatch::Empty(const Schema& schema) {
  RecordBatch b;
  b.schema = schema;
  for (const Column& c : schema.columns) b.columns.emplace_back(c.type);
  return b;
}

Status RecordBatch::Validate() const {
  if (columns.size() != schema.columns.size()) {
    return InvalidArgument("batch has " + std::to_string(columns.size()) + " columns, schema " +
                           std::to_string(schema.columns.size()));
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& c = schema.columns[i];
    const ColumnBatch& b = columns[i];
    if (b.type != c.type) {
      return InvalidArgument("column '" + c.name + "' is " + c.TypeText() +
                             " but the batch holds " + std::string(ColumnTypeName(b.type)));
    }
    if (b.length != num_rows) {
      return InvalidArgument("column '" + c.name + "' has " + std::to_string(b.length) +
                             " rows, batch " + std::to_string(num_rows));
    }
    Status st = b.Validate();
    if (!st.ok()) return st.WithContext("column '" + c.name + "'");
    TRY(CheckDecimalPrecision(c, b));
    if (!c.optional && b.NullCount() > 0) {
      return InvalidArgument("required column '" + c.name + "' has " +
                             std::to_string(b.NullCount()) + " nulls");
    }
  }
  return Status::Ok();
}

}  // namespace tributary::parquet
