// The ETL `explode` transform (Glue Studio's "Explode Array Or Map Into Rows"): a record
// holding an array, or a map, makes one record per element, or per entry.
//
//   {"explode": {"field": "batch.readings", "as": "r", "include_nulls": true}}
//
//   {"device": "a", "batch": {"seq": 7, "readings": [{"t": 1}, {"t": 2}]}}
//     -> {"device": "a", "batch": {"seq": 7}, "r": {"t": 1}}
//        {"device": "a", "batch": {"seq": 7}, "r": {"t": 2}}
//
// The field is a top-level column or a dotted path through struct members. The element
// goes to the top-level field `as`, and the array leaves the record (a struct left with
// no member leaves the table's columns too); the other fields stay as they are. A map's
// entry is the struct {"key": k, "value": v}, so `apply_mapping` reads `r.key` and
// `r.value`. A record whose field is missing, null, of another kind or empty makes no
// record, or with `include_nulls` one whose element is null.
//
// Value types; thread-compatible (a plan is read-only once made).
#pragma once

#include <simdjson.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "lake/catalog.h"
#include "lake/etl_job.h"

namespace tributary::lake {

struct ExplodePlan {
  std::vector<std::string> path;  // {"batch", "readings"}
  std::string as;                 // the element's top-level field
  bool map = false;               // entries of a map (else elements of an array)
  bool include_nulls = false;
};

// Checks `ex` against the source table's columns and turns them into the columns the
// exploded records have: the array's member gone, `as` typed as its element (replacing
// a column of that name). InvalidArgument naming the transform's place and the column.
Result<ExplodePlan> CompileExplode(const TransformSpec& ex, std::vector<Column>* columns);

// The records `plan` makes of `record`, each as JSON text in `out` handed to `emit` in
// order (the first failing status stops and is returned). `rest` is scratch.
Status ExplodeRecord(const ExplodePlan& plan, simdjson::dom::object record, std::string* rest,
                     std::string* out, const std::function<Status(const std::string&)>& emit);

}  // namespace tributary::lake
