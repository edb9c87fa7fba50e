// Time frequencies (SageMaker DeepAR's `time_freq`), timestamps, and what the
// frequency decides: which lags of the target the model sees and which calendar
// features it gets. Pure functions, no torch; safe from any thread.
//
//   time_freq   unit    lags (in steps; multiples divide the offsets)      time features
//   "5min"      minute  1..7, 1h..4h, 1..3 days, 1 week                    minute, hour, weekday, day of month, day of year
//   "H", "2H"   hour    1..7, 23..25, 47..49, 71..73, 167..169            hour, weekday, day of month, day of year
//   "D"         day     1..7, 14, 21, 28, 364..366                          weekday, day of month, day of year
//   "W"         week    1..4, 8, 12, 51..53                                 week of year, month of year
//   "M"         month   1..6, 11..13, 24                                    month of year
//
// Timestamps are seconds since 1970-01-01 00:00:00 of a naive (zone-less) clock,
// as SageMaker's `start` field has no time zone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::forecast {

enum class FreqUnit { kMinute, kHour, kDay, kWeek, kMonth };

struct Frequency {
  FreqUnit unit = FreqUnit::kHour;
  int multiple = 1;

  // Canonical spelling: "5min", "H", "2H", "D", "W", "M".
  std::string ToString() const;
  bool operator==(const Frequency&) const = default;
};

// Parses SageMaker's time_freq: an optional positive integer followed by M, W, D,
// H or min ("5min", "H", "1H", "2D"). "T" is accepted as pandas' alias of "min".
Result<Frequency> ParseFrequency(std::string_view text);

// "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD" (a 'T' separator is accepted too).
Result<int64_t> ParseTimestamp(std::string_view text);
std::string FormatTimestamp(int64_t seconds);

// The timestamp `steps` periods after `start` (steps may be negative). Months keep
// the day of month, clamped to the month's length.
int64_t AddSteps(int64_t start, const Frequency& freq, int64_t steps);

// The start of the period of `freq` that holds `seconds` (the grid resampling puts
// points on): minutes and hours floor to multiples counted from midnight ("5min":
// 10:07:30 -> 10:05:00, "2H": 03:59 -> 02:00), days to midnight (multiples counted
// from 1970-01-01), weeks to Monday 00:00 (multiples counted from Monday 1970-01-05),
// months to the first of the month (multiples counted from January of year 0).
int64_t FloorToPeriod(int64_t seconds, const Frequency& freq);

// How many steps of `freq` lead from `from` to `to`, both period starts
// (FloorToPeriod); negative when `to` is earlier.
int64_t StepsBetween(int64_t from, int64_t to, const Frequency& freq);

// The lags (in steps of `freq`, ascending, unique, >= 1) fed to the model.
std::vector<int> LagsFor(const Frequency& freq);

enum class TimeFeature {
  kMinuteOfHour,
  kHourOfDay,
  kDayOfWeek,
  kDayOfMonth,
  kDayOfYear,
  kWeekOfYear,
  kMonthOfYear,
};

std::vector<TimeFeature> TimeFeaturesFor(const Frequency& freq);

// The feature's value at `seconds`, scaled to [-0.5, 0.5].
float TimeFeatureValue(TimeFeature feature, int64_t seconds);

std::string_view TimeFeatureName(TimeFeature feature);
Result<TimeFeature> ParseTimeFeature(std::string_view name);

}  // namespace tributary::forecast
