// Builds DeepAR's train and test series from timestamped points: one series per group
// (a device), resampled onto the grid of a frequency, gaps left as NaN, and split in
// time, never by a random row mask (the reference article's mistake):
//
//   points (group, time, target, features...)  ->  per group, per period of `freq`:
//     the aggregate (mean | sum | last | max) of the points in the period; NaN when none
//
//   group d1:  |  3  NaN  5  4  ...  7 |  6  8 |      train: start .. split (exclusive)
//   group d2:       |  1  2  NaN ... 2 |  3  NaN|     test:  start .. end (train + prediction_length)
//                                      ^ split  ^ end
//
// Every series runs to the same end: the last period holding a target value of any group
// (or, with `end`, the last period starting before it), so the test window is the same
// `prediction_length` periods for every group and the test series is its training series
// plus those points (SageMaker DeepAR's convention for the test channel). A series starts
// at its group's first period with a target value.
//
// Periods: frequency.h's FloorToPeriod (5min and H counted from midnight, D from the
// epoch, W from Monday, M from the first of the month). Points may come in any order;
// "last" is the point with the latest time in the period (the later one added on a tie).
// A NaN target is no value (the period may still be NaN).
//
// Dynamic features are resampled with the same aggregation; DeepAR needs them complete,
// so a period without a value takes the previous period's value (the first ones the
// first value). A group with no value at all for a feature is an error naming both.
//
// Groups skipped, not an error: a group whose training part holds fewer than
// `min_train_points` target values (e.g. a device that only appeared inside the test
// window); Finish lists them.
//
// Memory: one accumulator per group, period and channel (not per point). Not
// thread-safe; one builder per preparation.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "forecast/frequency.h"

namespace tributary::forecast {

enum class Aggregation { kMean, kSum, kLast, kMax };
Result<Aggregation> ParseAggregation(std::string_view name);  // "mean", "sum", "last", "max"
std::string_view AggregationName(Aggregation agg);

struct SeriesBuildOptions {
  Frequency freq;
  Aggregation agg = Aggregation::kMean;
  int64_t prediction_length = 1;             // >= 1
  std::vector<std::string> dynamic_feat;     // feature names, for messages; Add takes one value each
  std::optional<int64_t> start;              // seconds; points before it are left out
  std::optional<int64_t> end;                // seconds, exclusive; points at or after it are left out
  int64_t min_train_points = 1;              // >= 1; see "Groups skipped" above
};

// One group's series over the whole range (train + test window).
struct BuiltSeries {
  std::string group;
  int64_t start = 0;                             // first period, seconds
  std::vector<float> target;                     // train_length + prediction_length values
  std::vector<std::vector<float>> dynamic_feat;  // each as long as target
  int64_t train_length = 0;
  int64_t points = 0;  // points added for this group (in range)
};

struct BuiltChannels {
  std::vector<BuiltSeries> series;   // by group, in byte order
  std::vector<std::string> skipped;  // groups with too few training values
  int64_t first_start = 0;           // earliest series start
  int64_t split = 0;                 // first period of the test window
  int64_t end = 0;                   // last period (inclusive)
  int64_t points_out_of_range = 0;   // left out by start/end
  // Over the kept series: periods and how many of them are NaN.
  int64_t train_values = 0, train_nan = 0, test_values = 0, test_nan = 0;
};

class SeriesBuilder {
 public:
  // kInvalidArgument for prediction_length < 1, min_train_points < 1, start >= end.
  static Result<SeriesBuilder> Create(SeriesBuildOptions options);

  // Adds one point. `target` NaN: no target value; `features` has one value per
  // dynamic feature (NaN: none).
  void Add(std::string_view group, int64_t seconds, double target, const std::vector<double>& features);

  // The series. kInvalidArgument when no point in range has a target value, when every
  // group was skipped, or when a kept group has no value for a dynamic feature.
  Result<BuiltChannels> Finish() const;

 private:
  struct Acc {
    double sum = 0, max = 0, last = 0;
    int64_t count = 0, last_time = 0;
  };
  struct Group {
    std::map<int64_t, std::vector<Acc>> periods;  // period start -> one Acc per channel
    int64_t points = 0;
  };
  explicit SeriesBuilder(SeriesBuildOptions options) : options_(std::move(options)) {}
  double Value(const Acc& acc) const;

  SeriesBuildOptions options_;
  std::map<std::string, Group, std::less<>> groups_;
  int64_t out_of_range_ = 0;
};

}  // namespace tributary::forecast
