// NestedShredder: turns the values of a nested column (each row's compact JSON text)
// into its leaves' definition levels, repetition levels and values: what the column
// writer puts in each leaf's pages (nested_schema.h has the layout).
//
//   NestedShredder s(column);               // column.nested: struct<lat:double,...>
//   TRY(s.AddText(R"({"lat":1.5,"lon":2})"));
//   TRY(s.AddText(std::nullopt));           // a null row
//   for (const LeafValues& leaf : s.leaves()) ...
//
// Values are read as `from-jsonl` reads a column (jsonl_import.h), except that a string
// member takes any other JSON value as its compact text, and that integer timestamps and
// dates may be Unix milliseconds instead (JsonTimes, writer_options.h). A struct's fields match the
// object's keys exactly, else without regard to case; keys that match no field are
// dropped; a missing member is null. A map's keys are strings, or read as JSON for
// another primitive key type; entries are written in the value's order. A row that does not fit the
// type leaves nothing behind, and its error names the member ("column 'loc': field 'lat': expected
// double, got ..."). Not thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "parquet/column_batch.h"
#include "parquet/nested_schema.h"
#include "parquet/writer_options.h"

namespace tributary::parquet {

// One leaf's share of the rows added.
struct LeafValues {
  std::vector<uint32_t> def;
  std::vector<uint32_t> rep;
  ColumnBatch values;  // one value per entry whose def is the leaf's max_def, in order
};

class NestedShredder {
 public:
  explicit NestedShredder(const Column& column, JsonTimes times = JsonTimes::kMicrosAndDays);

  // One row: its JSON text, or null (std::nullopt).
  Status AddText(std::optional<std::string_view> text);
  // One row: its parsed value (nullptr or JSON null: a null row).
  Status Add(const nlohmann::ordered_json* value);
  // Whether `text` would make a row, keeping nothing (the rows added so far are
  // cleared); the error names the member, not the column ("field 'lat': expected ...").
  Status Check(std::string_view text);

  const NestedLayout& layout() const { return layout_; }
  const std::vector<LeafValues>& leaves() const { return leaves_; }
  int64_t rows() const { return rows_; }
  // Forgets the rows added (buffers kept for reuse).
  void Clear();

 private:
  Status Shred(const NestedNode& n, const nlohmann::ordered_json* v, uint32_t rep,
               uint32_t parent_def, const std::string& where);
  // An entry with no value at `n` and below: null, or an empty list or map.
  void Absent(const NestedNode& n, uint32_t rep, uint32_t def);
  void Truncate(const std::vector<size_t>& levels, const std::vector<int64_t>& values);

  Column column_;
  JsonTimes times_;
  NestedLayout layout_;
  std::vector<LeafValues> leaves_;
  int64_t rows_ = 0;
};

}  // namespace tributary::parquet
