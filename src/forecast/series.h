// Time series in SageMaker DeepAR's JSON Lines format, and the readers for the
// `train` and `test` channels. One series per line:
//
//   {"start": "2021-02-05 00:00:00", "target": [1.0, "NaN", null, 4], "cat": [0, 2],
//    "dynamic_feat": [[0.1, 0.2, 0.3, 0.4]]}
//
// Missing target values are "NaN" (any case) or null and become quiet NaN.
// Values of target and dynamic_feat must be at most kMaxSeriesValue in magnitude, and
// `cat` values integers in 0..kMaxCat (a single integer is taken as a list of one).
// Files may be gzip-compressed (detected from the content, not the name). A
// channel is a file or a directory; in a directory every file is read in name
// order except names starting with '.' and `_SUCCESS`, as SageMaker does.
// Errors name the file, the 1-based line and the field. Thread-compatible.
//
// Parquet files (detected by their "PAR1" magic) hold the same fields, in one of two
// layouts. SageMaker's: a row a series, `start` (string, timestamp or date), `target` a
// list of numbers (null or NaN missing), `cat` a list of integers and `dynamic_feat` a
// list of lists of numbers, both optional; each row is read as the JSON line of those
// fields ("f.parquet:row 3: target: ..."). Or a "long" layout, one row per time step,
// when `target` is not a list:
//
//   item_id   string or integer, optional   rows with the same id form one series, in row
//                                           order; series in order of first appearance;
//                                           without the column the file is one series
//   start     string, timestamp or date     the series' start (a date: its midnight UTC), repeated
//   on each of its rows target    double/float/int, nullable    one value per row; null or NaN is
//   missing cat, cat_0, cat_1, ...  integer         static categories, the same on each row
//   dynamic_feat_0, ...     numeric         one value per row, never null
//
// Errors name the file, the 1-based row and the column ("f.parquet:row 7: column 'start': ...").
// Dynamic features in this layout are as long as the target, so `predict` with a
// model trained on dynamic_feat needs JSON Lines input (which can extend them).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::forecast {

// The largest magnitude of a target or dynamic_feat value. The model computes in float
// (largest ~3.4e38): scaled lags, sampled paths and squared errors of larger inputs
// overflow to infinity, which would pass for a model failure.
inline constexpr double kMaxSeriesValue = 1e30;

// The largest `cat` value: integers above 2^53 do not survive JSON's doubles.
inline constexpr int64_t kMaxCat = int64_t{1} << 53;

// True if `v` may be a value of a target or dynamic_feat: NaN (missing) or finite and
// at most kMaxSeriesValue in magnitude. Readers of other formats call it too.
bool IsSeriesValueInRange(double v);
// The reason a value is not: "1e+39 is out of range; values must be at most 1e30 in magnitude".
std::string SeriesValueOutOfRange(double v);

struct TimeSeries {
  int64_t start = 0;                             // seconds, see frequency.h
  std::vector<float> target;                     // NaN where missing
  std::vector<int64_t> cat;                      // static categorical features, >= 0
  std::vector<std::vector<float>> dynamic_feat;  // each as long as target (or longer at inference)
  std::string origin;                            // "file:line", for error messages
};

// Parses one JSON line. `origin` ("file:line") prefixes every error.
Result<TimeSeries> ParseSeriesLine(std::string_view line, const std::string& origin);

// The same from an already parsed value (an instance of a real-time request,
// invocation.h); `origin` ("instances[2]") prefixes every error.
Result<TimeSeries> ParseSeriesJson(const nlohmann::json& j, const std::string& origin);

// Reads one file (JSON Lines plain or gzip, or Parquet). Blank lines are skipped. Checks what must
// hold across lines: the same number of cat and of dynamic_feat entries in every series.
Result<std::vector<TimeSeries>> ReadSeriesFile(const std::string& path);

// Reads a Parquet file in the long layout above (ReadSeriesFile calls it for Parquet).
Result<std::vector<TimeSeries>> ReadParquetSeriesFile(const std::string& path);

// Reads a channel: a file or a directory of files (see above), with the same
// cross-series checks over all files. An empty channel is an error.
Result<std::vector<TimeSeries>> ReadChannel(const std::string& path);

// Checks that every series has `num_cat` cat values and `num_dyn` dynamic
// features whose length is target length + `extra_dyn_len` (0 for training,
// prediction_length at inference), naming the series' origin on failure.
Status CheckShapes(const std::vector<TimeSeries>& series, size_t num_cat, size_t num_dyn,
                   size_t extra_dyn_len);

// Serializes one series back to a JSON line (NaN written as "NaN").
std::string SeriesToJson(const TimeSeries& s);

}  // namespace tributary::forecast
