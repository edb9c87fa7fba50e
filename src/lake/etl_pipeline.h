// The compiled transforms of an ETL job: turns one source JSON record into one typed
// output row, or says why the record was dropped (filtered, a duplicate) or rejected
// (a value that cannot be converted, with the reason). Filters and derived columns are
// expressions of the rules language (expr/): the row so far is handed to them as a JSON
// payload (timestamps as ISO 8601 text), so `hour(ts)`, `ozone >= 0` and the like read
// it as a rule reads a message. An apply_mapping after other transforms makes a new row
// of its targets from the row so far; each stage keeps the columns it leaves behind.
//
// A Pipeline is immutable once compiled and may be used by many threads at once; each
// thread passes its own RowScratch. DedupeSet (dedupe_keys.h) is thread-safe.
//
//   TRY_ASSIGN(Pipeline p, Pipeline::Compile(spec, table.columns, {"year", "month"}));
//   RowScratch scratch;
//   Row row;
//   std::string reason;
//   Outcome o = p.Process(record, partition_values, &dedupe, &scratch, &row, &reason);
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "expr/compiled.h"
#include "lake/catalog.h"
#include "lake/dedupe_keys.h"
#include "lake/etl_cell.h"
#include "lake/etl_explode.h"
#include "lake/etl_job.h"
#include "parquet/decimal.h"
#include "parquet/nested_shred.h"

namespace tributary::lake {

struct OutputColumn {
  std::string name;
  EtlType type = EtlType::kString;
  DecimalSpec decimal;  // type kDecimal
  // A struct, array or map column (type kString, each value its JSON text): the nested
  // Parquet column it is written as.
  std::shared_ptr<const parquet::NestedType> nested = nullptr;
  // A nested column's index into RowScratch::nested, set by Pipeline::Compile: one for
  // each nested column a stage makes (later stages' copies of it keep its slot).
  int nested_slot = -1;
};
// The column's type as the catalog writes it ("bigint", "struct<lat:double>").
std::string HiveTypeOf(const OutputColumn& column);

// The source's partition values of one object, by key name.
using PartitionValues = std::vector<std::pair<std::string, std::string>>;

// Per-thread buffers of Process.
struct RowScratch {
  std::string payload;
  // An explode transform's records, made from the source record (etl_run.cc).
  std::string exploded;
  std::string explode_rest;  // the record without its array, up to the element's value
  simdjson::dom::parser exploded_parser;
  // The record's value of each first path segment (Pipeline::top_names_), found in one
  // pass over its fields; `seen` marks which were there.
  std::vector<simdjson::dom::element> top_values;
  std::vector<uint8_t> seen;
  // Field order of the records seen last: the key at each position and its top name
  // (-1: not mapped). Records of one source mostly share it, so a field's name is
  // usually checked by one comparison instead of searched.
  std::vector<std::string> order_keys;
  std::vector<int> order_slots;
  // Per nested column (OutputColumn::nested_slot): the shredder that checks its values
  // (made when first needed).
  std::vector<std::unique_ptr<parquet::NestedShredder>> nested;
  // An apply_mapping after other transforms: the row it makes, and the parser of the
  // nested cells its paths read into.
  Row mapped;
  simdjson::dom::parser nested_parser;
};

enum class Outcome { kKept, kFiltered, kDuplicate, kRejected };

class Pipeline {
 public:
  // `source_columns` are the source table's; `partition_keys` the names of its
  // partition levels. Errors name the transform's JSON path.
  static Result<Pipeline> Compile(const JobSpec& spec, const std::vector<Column>& source_columns,
                                  const std::vector<std::string>& partition_keys);

  // All output columns (partition keys included), in order.
  const std::vector<OutputColumn>& columns() const { return columns_; }
  // The job's explode (etl_explode.h; the run makes the records Process sees), if any.
  const std::optional<ExplodePlan>& explode() const { return explode_; }
  // Indices into columns() of the target's partition keys, in partition order.
  const std::vector<int>& partition_columns() const { return partition_columns_; }
  // Columns subject to drop_null_fields (empty: the transform is absent).
  const std::vector<int>& drop_null_candidates() const { return drop_null_; }
  // Whether a `dedupe` transform is there (a run then loads the job's key history).
  bool has_dedupe() const {
    for (const Stage& st : stages_) {
      if (st.kind == TransformSpec::Kind::kDedupe) return true;
    }
    return false;
  }

  Outcome Process(simdjson::dom::object record, const PartitionValues& partition, DedupeSet* dedupe,
                  RowScratch* scratch, Row* row, std::string* reason) const;
  // Whether a struct, array or map cell of `column` fits its nested type (other cells
  // always do); `reason` says why not. `parsed`, when given, is the cell's value as
  // parsed from the record (checked without parsing the cell's text again).
  bool FitsNested(const OutputColumn& column, const Cell& cell, RowScratch* scratch,
                  std::string* reason, const simdjson::dom::element* parsed = nullptr) const;

 private:
  struct Input {  // one initial column: a path into the record, or a partition value
    std::vector<std::string> path;
    std::string source_path;
    bool partition = false;  // path[0] names a partition key when the record lacks it
    int top = 0;             // index of path[0] in top_names_
  };
  // Finds every input's first segment in `record`, one pass over its fields.
  void FindTopValues(simdjson::dom::object record, RowScratch* scratch) const;
  int TopIndex(std::string_view key) const;
  // One column of an apply_mapping that follows other transforms: the current column it
  // reads and, for a path into a struct or map column, the path (path[0] that column).
  struct Projection {
    int column = 0;
    std::vector<std::string> path;
    std::string source_path;  // as written, for messages
  };
  struct Stage {
    TransformSpec::Kind kind;
    std::shared_ptr<const expr::Expression> expression;  // filter
    std::vector<std::shared_ptr<const expr::Expression>> derived;  // derive, one per column
    std::vector<int> derived_columns;                     // derive: their indices
    std::vector<int> keys;                                // dedupe
    std::vector<Projection> projection;                   // apply_mapping, one per column
    int width = 0;                                        // columns after this stage
    // The columns after this stage (what later stages' expressions see).
    std::shared_ptr<const std::vector<OutputColumn>> columns;
  };

  std::optional<ExplodePlan> explode_;
  std::vector<Input> inputs_;
  std::vector<std::string> top_names_;  // distinct first path segments of inputs_
  std::vector<Stage> stages_;
  // The columns the record's inputs make, before the first stage.
  std::shared_ptr<const std::vector<OutputColumn>> initial_columns_;
  std::vector<OutputColumn> columns_;  // after the last stage: the output's
  std::vector<int> partition_columns_;
  std::vector<int> drop_null_;
};

}  // namespace tributary::lake
