#include "forecast/prepare.h"

#include <sys/stat.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "base/files.h"
#include "expr/functions.h"
#include "forecast/series.h"
#include "forecast/series_builder.h"
#include "lake/table_reader.h"

namespace tributary::forecast {
namespace {

using nlohmann::json;

constexpr size_t kMaxSkippedListed = 20;

Result<lake::Table> FindTable(const PrepareRequest& r, lake::Catalog* catalog) {
  if (!r.database.empty()) {
    auto t = catalog->GetTable(r.database, r.table);
    if (!t.ok()) return t.status().WithContext("table " + r.database + "." + r.table);
    return t;
  }
  TRY_ASSIGN(auto tables, catalog->ListTables());
  std::vector<lake::Table> found;
  for (auto& t : tables) {
    if (t.name == r.table) found.push_back(std::move(t));
  }
  if (found.empty()) return NotFound("no database holds a table '" + r.table + "' (crawl the raw objects or run a job first)");
  if (found.size() > 1) {
    std::string dbs;
    for (const auto& t : found) dbs += (dbs.empty() ? "" : ", ") + t.database;
    return InvalidArgument("table '" + r.table + "' is in several databases (" + dbs + "): name one with --database");
  }
  return std::move(found.front());
}

bool IsPartitionKey(const lake::Table& t, const std::string& name) {
  for (const auto& k : t.partition_keys) {
    if (k.name == name) return true;
  }
  return false;
}

const lake::Column* FindColumn(const lake::Table& t, const std::string& name) {
  for (const auto& c : t.columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string ColumnNames(const lake::Table& t) {
  std::string out;
  for (const auto& c : t.columns) out += (out.empty() ? "" : ", ") + c.name + " " + c.type;
  for (const auto& k : t.partition_keys) out += (out.empty() ? "" : ", ") + k.name + " (partition key)";
  return out;
}

Result<std::string> TimestampColumn(const PrepareRequest& r, const lake::Table& t, const std::string& name) {
  if (!r.timestamp.empty()) {
    if (FindColumn(t, r.timestamp) == nullptr) {
      return NotFound("table " + name + " has no column '" + r.timestamp + "' for --timestamp (its columns: " +
                      ColumnNames(t) + ")");
    }
    return r.timestamp;
  }
  std::vector<std::string> candidates;
  for (const auto& c : t.columns) {
    if (c.type == "timestamp") candidates.push_back(c.name);
  }
  if (candidates.size() == 1) return candidates.front();
  std::string list;
  for (const auto& c : candidates) list += (list.empty() ? "" : ", ") + c;
  if (candidates.empty()) {
    return InvalidArgument("table " + name + " has no column of type timestamp: name the time column with --timestamp (its columns: " +
                           ColumnNames(t) + ")");
  }
  return InvalidArgument("table " + name + " has several timestamp columns (" + list + "): pick one with --timestamp");
}

Result<std::optional<int64_t>> ParseBound(const std::string& text, const char* what) {
  if (text.empty()) return std::optional<int64_t>();
  auto micros = expr::ParseIso8601Micros(text);
  if (!micros)
    return InvalidArgument(std::string(what) + ": '" + text +
                           "' is not an ISO 8601 date or date-time");
  return std::optional<int64_t>(*micros / 1000000 - (*micros % 1000000 < 0 ? 1 : 0));
}

// Where the files go: a local directory or a lake prefix.
class Output {
 public:
  static Result<Output> Open(const std::string& out, objstore::ObjectStoreProvider* lake) {
    Output o;
    if (out.rfind("s3://", 0) == 0 || out.rfind("s3a://", 0) == 0) {
      // A bucket's root is as good as a prefix: train/, test/ and series.json go directly under it.
      auto path = lake::LakePath::Parse(out);
      if (!path.ok()) return InvalidArgument("out: " + path.status().message());
      auto bucket = lake->Bucket(path->bucket);
      if (!bucket.ok()) return Status(bucket.status().code(), "out: " + bucket.status().message());
      o.bucket_ = std::move(*bucket);
      o.lake_path_ = *path;
      o.where_ = path->ToUri();
      return o;
    }
    if (out.empty() || out[0] != '/') {
      return InvalidArgument("out: '" + out +
                             "' must be an absolute directory or a lake path s3://bucket/prefix/");
    }
    o.dir_ = out;
    while (o.dir_.size() > 1 && o.dir_.back() == '/') o.dir_.pop_back();
    o.where_ = o.dir_;
    return o;
  }

  const std::string& where() const { return where_; }
  std::string Name(const std::string& relative) const {
    return bucket_ ? lake_path_.ToUri() + relative : dir_ + "/" + relative;
  }
  Result<bool> Exists(const std::string& relative) const {
    if (bucket_) {
      auto head = bucket_->Head(lake_path_.prefix + relative);
      if (head.ok()) return true;
      if (head.status().code() == ErrorCode::kNotFound) return false;
      return head.status().WithContext(Name(relative));
    }
    struct stat st;
    return ::stat(Name(relative).c_str(), &st) == 0;
  }
  Status Write(const std::string& relative, const std::string& contents) const {
    if (bucket_) {
      objstore::PutOptions po;
      po.content_type = "application/json";
      return bucket_->Put(lake_path_.prefix + relative, contents, po).WithContext("writing " + Name(relative));
    }
    std::string path = Name(relative);
    TRY(MakeDirs(path.substr(0, path.rfind('/'))));
    return WriteFileAtomic(path, contents).WithContext("writing " + path);
  }

 private:
  std::string where_, dir_;
  lake::LakePath lake_path_;
  std::shared_ptr<objstore::ObjectStore> bucket_;
};

// Reads the rows and feeds the builder; errors name table, column, object and row.
class RowFeeder {
 public:
  RowFeeder(const PrepareRequest& r, std::string table, std::string ts, bool parquet, SeriesBuilder* builder,
            PrepareSummary* summary)
      : r_(r), table_(std::move(table)), ts_(std::move(ts)), parquet_(parquet), builder_(builder), summary_(summary) {
    features_.resize(r.dynamic_feat.size());
  }

  // False (and `error` set) to stop.
  bool Row(const lake::TableObject& o, const lake::TableRecord& rec) {
    ++summary_->rows;
    simdjson::dom::object row = rec.value.get_object().value_unsafe();
    auto where = [&](const std::string& column) {
      return "table " + table_ + ", object " + o.id + (parquet_ ? ", row " : ", line ") + std::to_string(rec.line) +
             ", column '" + column + "'";
    };
    // Timestamp.
    simdjson::dom::element ts;
    if (row[ts_].get(ts) || ts.is_null()) {
      ++summary_->rows_without_timestamp;
      return true;
    }
    int64_t seconds = 0;
    if (ts.is_string()) {
      std::string_view text = ts.get_string().value_unsafe();
      auto micros = expr::ParseIso8601Micros(text);
      if (!micros) return Fail(where(ts_) + ": '" + std::string(text) + "' is not an ISO 8601 date-time");
      seconds = *micros / 1000000 - (*micros % 1000000 < 0 ? 1 : 0);
    } else if (ts.is_number()) {
      double ms = ts.get_double().value_unsafe();
      seconds = static_cast<int64_t>(std::floor(ms / 1000));
    } else {
      return Fail(where(ts_) + ": expected ISO 8601 text or Unix milliseconds, got " + simdjson::minify(ts));
    }
    // Group.
    std::string group;
    if (r_.group_by) {
      const std::string& g = *r_.group_by;
      simdjson::dom::element v;
      bool found = false;
      if (!row[g].get(v) && !v.is_null()) {
        found = true;
        group = v.is_string() ? std::string(v.get_string().value_unsafe()) : simdjson::minify(v);
      } else {
        for (const auto& [k, value] : o.partition) {
          if (k == g) {
            group = value;
            found = true;
          }
        }
      }
      if (!found) {
        ++summary_->rows_without_group;
        return true;
      }
    }
    double target = 0;
    if (!Number(row, r_.target, where, &target)) return false;
    for (size_t i = 0; i < features_.size(); ++i) {
      if (!Number(row, r_.dynamic_feat[i], where, &features_[i])) return false;
    }
    builder_->Add(group, seconds, target, features_);
    return true;
  }

  const Status& error() const { return error_; }

 private:
  template <typename Where>
  bool Number(simdjson::dom::object row, const std::string& column, const Where& where, double* out) {
    simdjson::dom::element v;
    *out = NAN;
    if (row[column].get(v) || v.is_null()) return true;
    if (v.is_number()) {
      *out = v.get_double().value_unsafe();
      return true;
    }
    if (v.is_string()) {
      std::string_view s = v.get_string().value_unsafe();
      if (s == "NaN" || s == "nan" || s == "NAN") return true;
    }
    return Fail(where(column) + ": expected a number, \"NaN\" or null, got " + simdjson::minify(v));
  }
  bool Fail(std::string message) {
    error_ = InvalidArgument(std::move(message));
    return false;
  }

  const PrepareRequest& r_;
  std::string table_, ts_;
  bool parquet_;
  SeriesBuilder* builder_;
  PrepareSummary* summary_;
  std::vector<double> features_;
  Status error_;
};

std::string Lines(const std::vector<BuiltSeries>& series, const std::vector<int64_t>& cats, bool train) {
  std::string out;
  for (size_t i = 0; i < series.size(); ++i) {
    const BuiltSeries& b = series[i];
    TimeSeries s;
    s.start = b.start;
    size_t n = train ? static_cast<size_t>(b.train_length) : b.target.size();
    s.target.assign(b.target.begin(), b.target.begin() + n);
    if (!cats.empty()) s.cat = {cats[i]};
    for (const auto& f : b.dynamic_feat) s.dynamic_feat.emplace_back(f.begin(), f.begin() + n);
    out += SeriesToJson(s);
    out += '\n';
  }
  return out;
}

}  // namespace

Result<PrepareRequest> PrepareRequest::FromJson(const json& body) {
  if (!body.is_object()) return InvalidArgument("the request body must be a JSON object");
  PrepareRequest r;
  auto str = [&](const char* field, std::string* out, bool required) -> Status {
    auto it = body.find(field);
    if (it == body.end() || it->is_null()) {
      return required ? InvalidArgument(std::string("'") + field + "' is required") : Status::Ok();
    }
    if (!it->is_string()) return InvalidArgument(std::string("'") + field + "' must be a string");
    *out = it->get<std::string>();
    return Status::Ok();
  };
  TRY(str("table", &r.table, true));
  TRY(str("target", &r.target, true));
  TRY(str("out", &r.out, true));
  TRY(str("database", &r.database, false));
  TRY(str("timestamp", &r.timestamp, false));
  TRY(str("freq", &r.freq, false));
  TRY(str("agg", &r.agg, false));
  TRY(str("start", &r.start, false));
  TRY(str("end", &r.end, false));
  if (auto it = body.find("group_by"); it != body.end()) {
    if (it->is_null()) {
      r.group_by.reset();
    } else if (it->is_string()) {
      r.group_by = it->get<std::string>();
    } else {
      return InvalidArgument("'group_by' must be a column name or null (one series for the table)");
    }
  }
  auto integer = [&](const char* field, int64_t* out, bool required) -> Status {
    auto it = body.find(field);
    if (it == body.end()) return required ? InvalidArgument(std::string("'") + field + "' is required") : Status::Ok();
    if (!it->is_number_integer()) return InvalidArgument(std::string("'") + field + "' must be an integer");
    *out = it->get<int64_t>();
    return Status::Ok();
  };
  TRY(integer("prediction_length", &r.prediction_length, true));
  TRY(integer("min_train_points", &r.min_train_points, false));
  for (const char* field : {"cat", "overwrite"}) {
    auto it = body.find(field);
    if (it == body.end()) continue;
    if (!it->is_boolean()) return InvalidArgument(std::string("'") + field + "' must be true or false");
    (std::string(field) == "cat" ? r.cat : r.overwrite) = it->get<bool>();
  }
  if (auto it = body.find("dynamic_feat"); it != body.end()) {
    if (!it->is_array()) return InvalidArgument("'dynamic_feat' must be an array of column names");
    for (const auto& c : *it) {
      if (!c.is_string()) return InvalidArgument("'dynamic_feat' must be an array of column names");
      r.dynamic_feat.push_back(c.get<std::string>());
    }
  }
  return r;
}

json PrepareSummary::ToJson() const {
  auto share = [](int64_t nan, int64_t n) { return n == 0 ? 0.0 : static_cast<double>(nan) / static_cast<double>(n); };
  return {{"table", table},
          {"format", format},
          {"timestamp", timestamp_column},
          {"out", out},
          {"files", files},
          {"objects", objects},
          {"objects_skipped", objects_skipped},
          {"skipped_objects", skipped_objects},
          {"rows", rows},
          {"rows_without_timestamp", rows_without_timestamp},
          {"rows_without_group", rows_without_group},
          {"rows_out_of_range", rows_out_of_range},
          {"bad_records", bad_records},
          {"series", series},
          {"skipped_groups", skipped_groups},
          {"skipped", skipped},
          {"train_points", train_points},
          {"test_points", test_points},
          {"train_nan_share", share(train_nan, train_points)},
          {"test_nan_share", share(test_nan, test_points)},
          {"first_start", first_start},
          {"split", split},
          {"end", end},
          {"freq", freq},
          {"agg", agg},
          {"prediction_length", prediction_length}};
}

Result<PrepareSummary> PrepareFromTable(const PrepareRequest& r, lake::Catalog* catalog,
                                        objstore::ObjectStoreProvider* lake) {
  if (r.table.empty()) return InvalidArgument("name the table to prepare from");
  TRY_ASSIGN(lake::Table table, FindTable(r, catalog));
  const std::string name = table.database + "." + table.name;
  TRY_ASSIGN(std::string ts, TimestampColumn(r, table, name));
  auto check = [&](const std::string& column, const char* flag, bool may_be_partition) -> Status {
    if (FindColumn(table, column) != nullptr || (may_be_partition && IsPartitionKey(table, column))) {
      return Status::Ok();
    }
    return NotFound("table " + name + " has no column '" + column + "' for " + flag + " (its columns: " +
                    ColumnNames(table) + ")");
  };
  TRY(check(r.target, "--target", false));
  if (r.group_by) {
    Status st = check(*r.group_by, "--group-by", true);
    if (!st.ok()) return st.WithContext("name the series' column with --group-by, or --no-group for one series");
  }
  for (const auto& f : r.dynamic_feat) TRY(check(f, "--dynamic-feat", false));

  SeriesBuildOptions options;
  TRY_ASSIGN(options.freq, ParseFrequency(r.freq));
  TRY_ASSIGN(options.agg, ParseAggregation(r.agg));
  options.prediction_length = r.prediction_length;
  options.dynamic_feat = r.dynamic_feat;
  options.min_train_points = r.min_train_points;
  TRY_ASSIGN(options.start, ParseBound(r.start, "start"));
  TRY_ASSIGN(options.end, ParseBound(r.end, "end"));
  TRY_ASSIGN(SeriesBuilder builder, SeriesBuilder::Create(options));

  TRY_ASSIGN(Output out, Output::Open(r.out, lake));
  const std::vector<std::string> files = {"train/train.json", "test/test.json", "series.json"};
  if (!r.overwrite) {
    for (const auto& f : files) {
      TRY_ASSIGN(bool exists, out.Exists(f));
      if (exists) return AlreadyExists(out.Name(f) + " exists already: choose another output or pass --overwrite");
    }
  }

  std::vector<std::string> columns = {ts, r.target};
  if (r.group_by) columns.push_back(*r.group_by);
  columns.insert(columns.end(), r.dynamic_feat.begin(), r.dynamic_feat.end());
  TRY_ASSIGN(lake::TableReader reader, lake::TableReader::Open(table, lake, columns));
  lake::OffLayoutObjects off_layout;
  lake::TableScanOptions scan;
  scan.off_layout = &off_layout;
  TRY_ASSIGN(auto objects, reader.List(scan));

  PrepareSummary summary;
  summary.table = name;
  summary.format = std::string(lake::DataFormatName(table.format));
  summary.timestamp_column = ts;
  summary.freq = options.freq.ToString();
  summary.agg = std::string(AggregationName(options.agg));
  summary.prediction_length = r.prediction_length;
  summary.objects = static_cast<int64_t>(objects.size());
  summary.objects_skipped = off_layout.count;
  summary.skipped_objects = std::move(off_layout.listed);
  RowFeeder feeder(r, name, ts, table.format == lake::DataFormat::kParquet, &builder, &summary);
  simdjson::dom::parser parser;
  for (const auto& o : objects) {
    TRY(reader.Read(
        o, &parser, [&](const lake::TableRecord& rec) { return feeder.Row(o, rec); },
        [&](const lake::TableRecord&, const std::string&) {
          ++summary.bad_records;  // as the crawler and ETL jobs do: counted, not fatal
          return true;
        }));
    TRY(feeder.error());
  }
  auto built = builder.Finish();
  if (!built.ok()) return built.status().WithContext("table " + name + ", " + std::to_string(summary.rows) + " rows");

  std::vector<int64_t> cats;
  json listing = json::array();
  for (size_t i = 0; i < built->series.size(); ++i) {
    const BuiltSeries& s = built->series[i];
    if (r.cat) cats.push_back(static_cast<int64_t>(i));
    listing.push_back({{"cat", i}, {"group", s.group}, {"start", FormatTimestamp(s.start)},
                       {"train_length", s.train_length}, {"test_length", s.target.size()}, {"rows", s.points}});
  }
  summary.rows_out_of_range = built->points_out_of_range;
  summary.series = static_cast<int64_t>(built->series.size());
  summary.skipped_groups = static_cast<int64_t>(built->skipped.size());
  for (size_t i = 0; i < built->skipped.size() && i < kMaxSkippedListed; ++i) summary.skipped.push_back(built->skipped[i]);
  summary.train_points = built->train_values;
  summary.test_points = built->test_values;
  summary.train_nan = built->train_nan;
  summary.test_nan = built->test_nan;
  summary.first_start = FormatTimestamp(built->first_start);
  summary.split = FormatTimestamp(built->split);
  summary.end = FormatTimestamp(built->end);
  summary.out = out.where();
  for (const auto& f : files) summary.files.push_back(out.Name(f));

  json mapping = {{"table", name},
                  {"target", r.target},
                  {"timestamp", ts},
                  {"group_by", r.group_by ? json(*r.group_by) : json(nullptr)},
                  {"dynamic_feat", r.dynamic_feat},
                  {"cat", r.cat},
                  {"series", listing},
                  {"skipped", built->skipped},
                  {"summary", summary.ToJson()}};
  TRY(out.Write(files[0], Lines(built->series, cats, true)));
  TRY(out.Write(files[1], Lines(built->series, cats, false)));
  TRY(out.Write(files[2], mapping.dump(2) + "\n"));
  return summary;
}

}  // namespace tributary::forecast
