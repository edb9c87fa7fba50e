// `forecast prepare`: DeepAR's train and test channels from a catalog table, so a model
// can be trained on what devices sent without exporting anything by hand:
//
//   table iot.raw (JSON or Parquet, any partitions)
//     -> rows (lake/table_reader.h): timestamp, target, group, dynamic features
//     -> one series per group, resampled and split in time (series_builder.h)
//     -> <out>/train/train.json   training series, one JSON line each (series.h's format)
//        <out>/test/test.json     the same series plus the last prediction_length periods
//        <out>/series.json        {"series": [{"cat": 0, "group": "sensor-1", ...}], the request,
//        the summary}
//
// `out` is a local directory (the server writes it, on the machine the CLI runs on) or
// a lake path "s3://bucket/prefix/" (objects <prefix>train/train.json, ...) or a bucket's
// root "s3://bucket/" (train/train.json, ...), from which training jobs read their channels.
// Errors about it begin "out: " (the CLI names its flag instead).
//
// Row values:
//   timestamp  ISO 8601 text (expr::ParseIso8601Micros; no zone = UTC) or a number of
//              Unix milliseconds (the ETL jobs' convention); null or absent: the row is
//              skipped and counted; anything else is an error naming table, column,
//              object and row
//   target     a number, or "NaN"/null/absent for no value; anything else is an error
//   group      a string, or a number (its JSON text); null or absent: skipped, counted.
//              A partition key may be the group (device=sensor-1/ folders)
//   features   as the target
// Times are UTC and become DeepAR's zone-less `start` ("2026-03-01 14:00:00").
//
// Thread-safety: PrepareFromTable may run on any thread; it reads the lake and the
// catalog and writes only `out`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"
#include "lake/catalog.h"
#include "objstore/object_store.h"

namespace tributary::forecast {

struct PrepareRequest {
  std::string database;    // "": the one database holding `table` (an error when several do)
  std::string table;
  std::string target;      // the column to forecast
  std::string timestamp;   // "": the table's single column of type timestamp
  std::optional<std::string> group_by = std::string("device");  // nullopt: one series for the table
  std::string freq = "H";
  std::string agg = "mean";
  int64_t prediction_length = 0;
  std::string start;  // "" or ISO 8601: rows before it are left out
  std::string end;    // "" or ISO 8601, exclusive; also fixes the test window's end
  bool cat = false;   // write each series' group index as "cat": [i]
  std::vector<std::string> dynamic_feat;
  int64_t min_train_points = 1;
  std::string out;  // a local directory (absolute path), "s3://bucket/prefix/" or "s3://bucket/"
  bool overwrite = false;  // replace channel files that exist already

  // From the API body {"table", "target", "database"?, "timestamp"?, "group_by"?: string|null,
  // "freq"?, "agg"?, "prediction_length", "start"?, "end"?, "cat"?, "dynamic_feat"?: [..],
  // "min_train_points"?, "out", "overwrite"?}; errors name the field.
  static Result<PrepareRequest> FromJson(const nlohmann::json& body);
};

struct PrepareSummary {
  std::string table;  // "iot.raw"
  std::string format; // "json" or "parquet"
  std::string timestamp_column;
  std::string out;              // where the files went (absolute dir or s3:// URI)
  std::vector<std::string> files;  // train, test, series.json paths or URIs
  int64_t objects = 0, rows = 0;
  // Objects under the table's location left out because their folders do not fit its
  // partition keys (lake::FitsTableLayout: what the crawler skipped), the first few named.
  int64_t objects_skipped = 0;
  std::vector<std::string> skipped_objects;
  int64_t rows_without_timestamp = 0, rows_without_group = 0, rows_out_of_range = 0, bad_records = 0;
  int64_t series = 0, skipped_groups = 0;
  std::vector<std::string> skipped;  // up to 20 group names
  int64_t train_points = 0, test_points = 0, train_nan = 0, test_nan = 0;
  std::string first_start, split, end;  // "YYYY-MM-DD HH:MM:SS"
  std::string freq, agg;
  int64_t prediction_length = 0;

  nlohmann::json ToJson() const;
};

// Runs one preparation (see the top of this file). Errors name the table, column,
// object and row involved; nothing is written unless every series was built.
Result<PrepareSummary> PrepareFromTable(const PrepareRequest& request, lake::Catalog* catalog,
                                        objstore::ObjectStoreProvider* lake);

}  // namespace tributary::forecast
