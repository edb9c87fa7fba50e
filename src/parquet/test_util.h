// Helpers shared by the Parquet tests: random batches, exact comparison, and
// in-memory write/read. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "parquet/file_reader.h"
#include "parquet/file_writer.h"

namespace tributary::parquet::testing {

// A random column: nulls (if optional) ~1 in 5, extremes mixed in, and a
// limited value range when `low_cardinality` so dictionaries stay small.
inline ColumnBatch RandomColumn(ColumnType type, bool optional, int64_t n, std::mt19937_64& rng,
                                bool low_cardinality = true) {
  ColumnBatch b(type);
  auto pick = [&](uint64_t k) { return rng() % k; };
  static const char* kWords[] = {"",
                                 "a",
                                 "berlin",
                                 "caf\xc3\xa9",
                                 "\xe2\x98\x83 snow",
                                 "\xff\x00raw",
                                 "zz",
                                 "long-long-long-long-value"};
  for (int64_t i = 0; i < n; ++i) {
    if (optional && pick(5) == 0) {
      b.AppendNull();
      continue;
    }
    uint64_t r = low_cardinality ? pick(50) : rng();
    switch (type) {
      case ColumnType::kBoolean:
        b.AppendBool(rng() & 1);
        break;
      case ColumnType::kDate:
        b.AppendInt32(static_cast<int32_t>(r % 40000) - 5000);
        break;
      case ColumnType::kInt32:
        b.AppendInt32(pick(40) == 0 ? (pick(2) ? INT32_MIN : INT32_MAX)
                                    : static_cast<int32_t>(r) - 25);
        break;
      case ColumnType::kInt64:
      case ColumnType::kTimestamp:
        b.AppendInt64(pick(40) == 0 ? (pick(2) ? INT64_MIN : INT64_MAX)
                                    : static_cast<int64_t>(r * 1000003) - 7);
        break;
      case ColumnType::kFloat: {
        float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), -0.0f};
        b.AppendFloat(pick(30) == 0 ? specials[pick(4)]
                                    : static_cast<float>(static_cast<int64_t>(r) - 20) / 3.0f);
        break;
      }
      case ColumnType::kDouble: {
        double specials[] = {
            std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
            -std::numeric_limits<double>::infinity(), -0.0, std::numeric_limits<double>::max()};
        b.AppendDouble(pick(30) == 0 ? specials[pick(5)]
                                     : static_cast<double>(static_cast<int64_t>(r) - 20) / 7.0);
        break;
      }
      case ColumnType::kDecimal:  // fits decimal(9, s) and wider
        b.AppendDecimal(pick(40) == 0 ? (pick(2) ? -999999999 : 999999999)
                                      : static_cast<Int128>(static_cast<int64_t>(r % 2000000)) - 1000000);
        break;
      case ColumnType::kString:
        if (low_cardinality) {
          b.AppendString(std::string(kWords[r % 8], r % 8 == 5 ? 5 : std::strlen(kWords[r % 8])) +
                         std::to_string(r % 6));
        } else {
          b.AppendString(std::to_string(rng()) + std::string(pick(20), 'x'));
        }
        break;
    }
  }
  return b;
}

// A random decimal column of `precision` digits: nulls (if optional) ~1 in 5, the
// extremes ±(10^precision - 1), 0 and -1 mixed in, and values of every magnitude.
inline ColumnBatch RandomDecimalColumn(int precision, bool optional, int64_t n, std::mt19937_64& rng) {
  ColumnBatch b(ColumnType::kDecimal);
  const Int128 largest = Pow10(precision) - 1;
  for (int64_t i = 0; i < n; ++i) {
    if (optional && rng() % 5 == 0) {
      b.AppendNull();
      continue;
    }
    switch (rng() % 8) {
      case 0:
        b.AppendDecimal(rng() % 2 ? largest : -largest);
        break;
      case 1:
        b.AppendDecimal(static_cast<Int128>(rng() % 2) - 1);  // 0 or -1
        break;
      default: {
        const Int128 wide = (static_cast<Int128>(rng()) << 64) | rng();
        Int128 v = wide % Pow10(1 + static_cast<int>(rng() % precision));
        b.AppendDecimal(v);
      }
    }
  }
  return b;
}

// Bit-exact equality of row i in a and b (NaN payloads and -0.0 included).
inline bool SameValue(const ColumnBatch& a, int64_t i, const ColumnBatch& b, int64_t j) {
  if (a.IsValid(i) != b.IsValid(j)) return false;
  if (!a.IsValid(i)) return true;
  switch (a.type) {
    case ColumnType::kBoolean:
      return (a.bools[i] != 0) == (b.bools[j] != 0);
    case ColumnType::kInt32:
    case ColumnType::kDate:
      return a.i32[i] == b.i32[j];
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      return a.i64[i] == b.i64[j];
    case ColumnType::kFloat:
      return std::memcmp(&a.f32[i], &b.f32[j], 4) == 0;
    case ColumnType::kDouble:
      return std::memcmp(&a.f64[i], &b.f64[j], 8) == 0;
    case ColumnType::kString:
      return a.StringAt(i) == b.StringAt(j);
    case ColumnType::kDecimal:
      return a.i128[i] == b.i128[j];
  }
  return false;
}

// Expects `got` (possibly several batches) to equal `want` row by row.
inline void ExpectColumnsEqual(const ColumnBatch& want,
                               const std::vector<const ColumnBatch*>& got) {
  int64_t row = 0;
  for (const ColumnBatch* g : got) {
    for (int64_t j = 0; j < g->length; ++j, ++row) {
      ASSERT_LT(row, want.length);
      ASSERT_TRUE(SameValue(want, row, *g, j)) << "row " << row << " differs";
    }
  }
  EXPECT_EQ(row, want.length);
}

inline std::string WriteToString(const RecordBatch& batch, const WriterOptions& options) {
  std::string out;
  auto w = ParquetWriter::Open(MakeStringSink(&out), batch.schema, options);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  if (!w.ok()) return out;
  Status st = (*w)->Write(batch);
  EXPECT_TRUE(st.ok()) << st.ToString();
  st = (*w)->Close();
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

// Reads every row group of `file` (all columns).
inline Result<std::vector<RecordBatch>> ReadAllGroups(const std::string& file,
                                                      ReaderLimits limits = {}) {
  TRY_ASSIGN(auto r, ParquetReader::Open(MakeMemorySource(file), limits));
  std::vector<RecordBatch> out;
  TRY(r->Scan({}, [&](const RecordBatch& b) {
    out.push_back(b);
    return Status::Ok();
  }));
  return out;
}

}  // namespace tributary::parquet::testing
