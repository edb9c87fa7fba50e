// Series from Parquet (series.h): in SageMaker's layout, a row a series with a list
// `target` column (each row read as the JSON line it stands for), or in the "long"
// layout, one row per time step, grouped into series by item_id.
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "forecast/frequency.h"
#include "forecast/series.h"
#include "parquet/decimal.h"
#include "parquet/file_reader.h"
#include "parquet/nested_type.h"
#include "parquet/render.h"

namespace tributary::forecast {
namespace {

using parquet::ColumnBatch;
using parquet::ColumnType;

std::string RowOrigin(const std::string& path, int64_t row) {
  return path + ":row " + std::to_string(row + 1);
}

Status ColumnError(const std::string& origin, std::string_view column, const std::string& what) {
  return InvalidArgument(origin + ": column '" + std::string(column) + "': " + what);
}

// A value beyond kMaxSeriesValue (series.h), as ParseSeriesJson words it.
Status OutOfRange(const std::string& origin, std::string_view column, double v) {
  return ColumnError(origin, column, SeriesValueOutOfRange(v));
}

bool IsInteger(ColumnType t) { return t == ColumnType::kInt32 || t == ColumnType::kInt64; }
bool IsNumber(ColumnType t) {
  return IsInteger(t) || t == ColumnType::kFloat || t == ColumnType::kDouble ||
         t == ColumnType::kDecimal;
}

// Decimal columns of `batch` as doubles (what NumberAt reads).
void DecimalsToDoubles(parquet::RecordBatch* batch) {
  for (size_t c = 0; c < batch->columns.size(); ++c) {
    ColumnBatch& col = batch->columns[c];
    if (col.type != ColumnType::kDecimal) continue;
    ColumnBatch doubles(ColumnType::kDouble);
    doubles.f64.reserve(col.length);
    for (int64_t r = 0; r < col.length; ++r) {
      doubles.f64.push_back(parquet::DecimalToDouble(col.i128[r], batch->schema.columns[c].scale));
    }
    doubles.length = col.length;
    doubles.validity = std::move(col.validity);
    col = std::move(doubles);
  }
}

double NumberAt(const ColumnBatch& c, int64_t i) {
  switch (c.type) {
    case ColumnType::kInt32:
      return c.i32[i];
    case ColumnType::kInt64:
      return static_cast<double>(c.i64[i]);
    case ColumnType::kFloat:
      return c.f32[i];
    case ColumnType::kDouble:
      return c.f64[i];
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

// The columns of the long layout, located in the file's schema.
struct Layout {
  int item_id = -1;  // optional column
  int start = -1;
  int target = -1;
  std::vector<int> cat;           // "cat" or cat_0, cat_1, ...
  std::vector<int> dynamic_feat;  // dynamic_feat_0, dynamic_feat_1, ...
};

// Finds name_0, name_1, ... (stopping at the first gap) in `schema`.
std::vector<int> NumberedColumns(const parquet::Schema& schema, const std::string& name) {
  std::vector<int> out;
  for (int i = 0;; ++i) {
    int index = schema.Find(name + "_" + std::to_string(i));
    if (index < 0) return out;
    out.push_back(index);
  }
}

Result<Layout> FindLayout(const parquet::Schema& schema, const std::string& path) {
  Layout l;
  l.item_id = schema.Find("item_id");
  l.start = schema.Find("start");
  l.target = schema.Find("target");
  const std::string layout_hint =
      " (Parquet series are one row per time step: item_id, start, target[, cat_N][, "
      "dynamic_feat_N])";
  if (l.start < 0) return InvalidArgument(path + ": no column 'start'" + layout_hint);
  if (l.target < 0) return InvalidArgument(path + ": no column 'target'" + layout_hint);
  auto type_of = [&](int i) { return schema.columns[i].type; };
  if (l.item_id >= 0 && !IsInteger(type_of(l.item_id)) &&
      type_of(l.item_id) != ColumnType::kString) {
    return ColumnError(path, "item_id", "must be a string or an integer column");
  }
  if (type_of(l.start) != ColumnType::kString && type_of(l.start) != ColumnType::kTimestamp &&
      type_of(l.start) != ColumnType::kDate) {
    return ColumnError(path, "start", "must be a string, timestamp or date column");
  }
  if (!IsNumber(type_of(l.target))) return ColumnError(path, "target", "must be a numeric column");
  if (int cat = schema.Find("cat"); cat >= 0) l.cat.push_back(cat);
  for (int i : NumberedColumns(schema, "cat")) l.cat.push_back(i);
  for (int i : l.cat) {
    if (!IsInteger(type_of(i)))
      return ColumnError(path, schema.columns[i].name, "must be an integer column");
  }
  l.dynamic_feat = NumberedColumns(schema, "dynamic_feat");
  for (int i : l.dynamic_feat) {
    if (!IsNumber(type_of(i)))
      return ColumnError(path, schema.columns[i].name, "must be a numeric column");
  }
  return l;
}

// Per-series state while rows arrive.
struct Pending {
  TimeSeries series;
  std::string start_text;  // the start as first seen, to compare later rows
};

}  // namespace

// SageMaker's layout: `target` is a list column.
bool IsWideLayout(const parquet::Schema& schema) {
  int target = schema.Find("target");
  return target >= 0 && schema.columns[target].nested &&
         schema.columns[target].nested->kind == parquet::NestedType::Kind::kList;
}

// A row a series: start, target and, if there, cat and dynamic_feat, read as the JSON
// line of the same fields would be (ParseSeriesJson's checks and messages).
Result<std::vector<TimeSeries>> ReadWideLayout(parquet::ParquetReader& reader,
                                               const std::string& path) {
  const parquet::Schema& schema = reader.schema();
  std::vector<int> wanted;
  for (const char* name : {"start", "target", "cat", "dynamic_feat"}) {
    if (int i = schema.Find(name); i >= 0) wanted.push_back(i);
  }
  if (schema.Find("start") < 0) {
    return InvalidArgument(
        path + ": no column 'start' (a row a series: start, target[, cat][, dynamic_feat])");
  }
  for (int i : wanted) {
    const auto& fc = reader.columns()[i];
    if (!fc.unsupported.empty()) return ColumnError(path, fc.column.name, fc.unsupported);
  }
  std::vector<TimeSeries> out;
  int64_t row_base = 0;
  std::string line;
  for (int rg = 0; rg < reader.num_row_groups(); ++rg) {
    TRY_ASSIGN(parquet::RecordBatch batch, reader.ReadRowGroup(rg, wanted));
    for (int64_t r = 0; r < batch.num_rows; ++r) {
      line.assign("{");
      for (size_t c = 0; c < batch.columns.size(); ++c) {
        const parquet::Column& column = batch.schema.columns[c];
        const ColumnBatch& values = batch.columns[c];
        if (!values.IsValid(r)) continue;  // absent, as a JSON line would leave it
        if (line.size() > 1) line += ',';
        parquet::AppendJsonString(column.name, &line);
        line += ':';
        if (column.name == "start" && column.type == ColumnType::kTimestamp) {
          // DeepAR's form; a start is a whole second.
          int64_t micros = values.i64[r];
          int64_t seconds = micros / 1000000 - (micros % 1000000 < 0 ? 1 : 0);
          parquet::AppendJsonString(FormatTimestamp(seconds), &line);
        } else {
          parquet::AppendValueAsJson(column, values, r, &line);
        }
      }
      line += '}';
      TRY_ASSIGN(TimeSeries s, ParseSeriesLine(line, RowOrigin(path, row_base + r)));
      out.push_back(std::move(s));
    }
    row_base += batch.num_rows;
  }
  return out;
}

Result<std::vector<TimeSeries>> ReadParquetSeriesFile(const std::string& path) {
  TRY_ASSIGN(auto reader, parquet::ParquetReader::Open(path));
  const parquet::Schema& schema = reader->schema();
  if (IsWideLayout(schema)) return ReadWideLayout(*reader, path);
  TRY_ASSIGN(Layout layout, FindLayout(schema, path));
  std::vector<int> wanted = {layout.start, layout.target};
  if (layout.item_id >= 0) wanted.push_back(layout.item_id);
  wanted.insert(wanted.end(), layout.cat.begin(), layout.cat.end());
  wanted.insert(wanted.end(), layout.dynamic_feat.begin(), layout.dynamic_feat.end());
  for (int i : wanted) {
    const auto& fc = reader->columns()[i];
    if (!fc.unsupported.empty()) return ColumnError(path, fc.column.name, fc.unsupported);
  }

  std::vector<Pending> series;
  std::unordered_map<std::string, size_t> by_item;  // item_id -> index in `series`
  int64_t row_base = 0;
  for (int rg = 0; rg < reader->num_row_groups(); ++rg) {
    TRY_ASSIGN(parquet::RecordBatch batch, reader->ReadRowGroup(rg, wanted));
    DecimalsToDoubles(&batch);
    // Columns of `batch` are in the order of `wanted`.
    const ColumnBatch& start = batch.columns[0];
    const ColumnBatch& target = batch.columns[1];
    size_t next = 2;
    const ColumnBatch* item = layout.item_id >= 0 ? &batch.columns[next++] : nullptr;
    size_t cat_begin = next;
    size_t dyn_begin = cat_begin + layout.cat.size();
    for (int64_t r = 0; r < batch.num_rows; ++r) {
      const std::string origin = RowOrigin(path, row_base + r);
      std::string key;
      if (item != nullptr) {
        if (!item->IsValid(r))
          return ColumnError(origin, "item_id", "is null; every row needs its series' id");
        key = item->type == ColumnType::kString  ? std::string(item->StringAt(r))
              : item->type == ColumnType::kInt32 ? std::to_string(item->i32[r])
                                                 : std::to_string(item->i64[r]);
      }
      auto [it, is_new] = by_item.try_emplace(key, series.size());
      if (!start.IsValid(r)) return ColumnError(origin, "start", "is null");
      std::string start_text = start.type == ColumnType::kString ? std::string(start.StringAt(r))
                               : start.type == ColumnType::kDate ? std::to_string(start.i32[r])
                                                                 : std::to_string(start.i64[r]);
      if (is_new) {
        Pending p;
        p.series.origin = origin;
        p.start_text = start_text;
        if (start.type == ColumnType::kString) {
          auto ts = ParseTimestamp(start_text);
          if (!ts.ok()) return ColumnError(origin, "start", ts.status().message());
          p.series.start = *ts;
        } else if (start.type == ColumnType::kDate) {
          p.series.start = int64_t{start.i32[r]} * 86400;  // midnight UTC of the day
        } else {
          // Microseconds since the epoch -> seconds (frequency.h), rounding down.
          int64_t us = start.i64[r];
          p.series.start = us / 1000000 - (us % 1000000 < 0 ? 1 : 0);
        }
        for (size_t c = 0; c < layout.cat.size(); ++c) {
          const ColumnBatch& col = batch.columns[cat_begin + c];
          const std::string& name = schema.columns[layout.cat[c]].name;
          if (!col.IsValid(r)) return ColumnError(origin, name, "is null");
          double v = NumberAt(col, r);
          if (v < 0)
            return ColumnError(origin, name,
                               "expected a non-negative integer, got " + std::to_string(v));
          p.series.cat.push_back(static_cast<int64_t>(v));
        }
        p.series.dynamic_feat.resize(layout.dynamic_feat.size());
        series.push_back(std::move(p));
      } else {
        Pending& p = series[it->second];
        if (start_text != p.start_text) {
          return ColumnError(origin, "start",
                             "differs from the series' first row (" + p.series.origin +
                                 "); every row of a series repeats its start");
        }
        for (size_t c = 0; c < layout.cat.size(); ++c) {
          const ColumnBatch& col = batch.columns[cat_begin + c];
          const std::string& name = schema.columns[layout.cat[c]].name;
          if (!col.IsValid(r) || static_cast<int64_t>(NumberAt(col, r)) != p.series.cat[c]) {
            return ColumnError(origin, name,
                               "differs from the series' first row (" + p.series.origin + ")");
          }
        }
      }
      Pending& p = series[it->second];
      double y = target.IsValid(r) ? NumberAt(target, r) : std::numeric_limits<double>::quiet_NaN();
      if (!IsSeriesValueInRange(y)) return OutOfRange(origin, "target", y);
      p.series.target.push_back(static_cast<float>(y));
      for (size_t d = 0; d < layout.dynamic_feat.size(); ++d) {
        const ColumnBatch& col = batch.columns[dyn_begin + d];
        const std::string& name = schema.columns[layout.dynamic_feat[d]].name;
        double v = col.IsValid(r) ? NumberAt(col, r) : std::numeric_limits<double>::quiet_NaN();
        if (std::isnan(v)) {
          return ColumnError(origin, name, "missing values are not allowed in dynamic features");
        }
        if (!IsSeriesValueInRange(v)) return OutOfRange(origin, name, v);
        p.series.dynamic_feat[d].push_back(static_cast<float>(v));
      }
    }
    row_base += batch.num_rows;
  }
  std::vector<TimeSeries> out;
  out.reserve(series.size());
  for (Pending& p : series) out.push_back(std::move(p.series));
  return out;
}

}  // namespace tributary::forecast
