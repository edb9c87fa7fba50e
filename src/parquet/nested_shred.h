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
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "parquet/column_batch.h"
#include "parquet/nested_schema.h"
#include "parquet/writer_options.h"

namespace simdjson::dom {
class element;
class parser;
}  // namespace simdjson::dom

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
  ~NestedShredder();
  NestedShredder(NestedShredder&&) noexcept;
  NestedShredder& operator=(NestedShredder&&) noexcept;

  // One row: its JSON text, or null (std::nullopt). The text is parsed with simdjson (an
  // integer too large for 64 bits is read as a double, as nlohmann reads it).
  Status AddText(std::optional<std::string_view> text);
  // Whether `text` would make a row, keeping nothing (the rows added so far are
  // cleared); the error names the member, not the column ("field 'lat': expected ...").
  Status Check(std::string_view text);
  // The same for a value already parsed (a member of a record being read).
  Status Check(const simdjson::dom::element& value);
  // One row from a value already parsed (nullptr: a null row), kept; an error names the
  // member, not the column, as Check's do, and leaves nothing behind.
  Status AddParsed(const simdjson::dom::element* value);

  // Where the rows end now, to go back to: the rows of a record that fails as a whole.
  struct Mark {
    std::vector<size_t> levels;
    std::vector<int64_t> values;
    int64_t rows = 0;
  };
  void Position(Mark* mark) const;
  void Rollback(const Mark& mark);

  const NestedLayout& layout() const { return layout_; }
  const std::vector<LeafValues>& leaves() const { return leaves_; }
  int64_t rows() const { return rows_; }
  // Forgets the rows added (buffers kept for reuse).
  void Clear();

 private:
  // Where a value sits ("column 'loc': field 'tags': element 2"), put into words only
  // for an error message.
  struct Where;
  Status AddValue(const simdjson::dom::element* value);
  // Check's answer once the row was tried: the rows cleared, the column's name taken off.
  Status Checked(Status st);
  // An error without the column's name in front.
  Status Unnamed(Status st) const;
  Status Shred(const NestedNode& n, const simdjson::dom::element* v, uint32_t rep,
               uint32_t parent_def, const Where& where);
  // A primitive leaf's value (a JSON scalar, as nlohmann holds it).
  Status AppendPrimitive(const NestedNode& n, const nlohmann::ordered_json& v, uint32_t rep,
                         uint32_t def, const Where& where);
  // An entry with no value at `n` and below: null, or an empty list or map.
  void Absent(const NestedNode& n, uint32_t rep, uint32_t def);
  void Truncate(const std::vector<size_t>& levels, const std::vector<int64_t>& values);

  Column column_;
  JsonTimes times_;
  NestedLayout layout_;
  std::vector<LeafValues> leaves_;
  int64_t rows_ = 0;
  std::unique_ptr<simdjson::dom::parser> parser_;
  std::string padded_;             // the text, with simdjson's padding
  std::vector<size_t> levels_at_;  // per leaf, before the row being added
  std::vector<int64_t> values_at_;
};

}  // namespace tributary::parquet
