#include "forecast/frequency.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <set>

namespace tributary::forecast {
namespace {

using std::chrono::day;
using std::chrono::days;
using std::chrono::month;
using std::chrono::sys_days;
using std::chrono::year;
using std::chrono::year_month_day;

constexpr int64_t kMinute = 60;
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct Civil {
  int y;
  unsigned m, d;
  int64_t second_of_day;
  int64_t day_number;  // days since 1970-01-01
};

Civil ToCivil(int64_t seconds) {
  int64_t dn = FloorDiv(seconds, kDay);
  year_month_day ymd{sys_days{days{dn}}};
  return Civil{static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
               static_cast<unsigned>(ymd.day()), seconds - dn * kDay, dn};
}

int64_t StepSeconds(const Frequency& f) {
  switch (f.unit) {
    case FreqUnit::kMinute: return kMinute * f.multiple;
    case FreqUnit::kHour: return kHour * f.multiple;
    case FreqUnit::kDay: return kDay * f.multiple;
    case FreqUnit::kWeek: return 7 * kDay * f.multiple;
    case FreqUnit::kMonth: return 0;
  }
  return 0;
}

bool ParseUint(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string Frequency::ToString() const {
  std::string base;
  switch (unit) {
    case FreqUnit::kMinute: base = "min"; break;
    case FreqUnit::kHour: base = "H"; break;
    case FreqUnit::kDay: base = "D"; break;
    case FreqUnit::kWeek: base = "W"; break;
    case FreqUnit::kMonth: base = "M"; break;
  }
  if (multiple == 1 && unit != FreqUnit::kMinute) return base;
  return std::to_string(multiple) + base;
}

Result<Frequency> ParseFrequency(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  Frequency f;
  if (i > 0 && !ParseUint(text.substr(0, i), f.multiple)) {
    return InvalidArgument("time_freq '" + std::string(text) + "': bad multiple");
  }
  std::string_view unit = text.substr(i);
  if (unit == "min" || unit == "T") {
    f.unit = FreqUnit::kMinute;
  } else if (unit == "H") {
    f.unit = FreqUnit::kHour;
  } else if (unit == "D") {
    f.unit = FreqUnit::kDay;
  } else if (unit == "W") {
    f.unit = FreqUnit::kWeek;
  } else if (unit == "M") {
    f.unit = FreqUnit::kMonth;
  } else {
    return InvalidArgument("time_freq '" + std::string(text) +
                           "': expected an optional integer followed by M, W, D, H or min (e.g. 5min)");
  }
  if (f.multiple < 1) return InvalidArgument("time_freq '" + std::string(text) + "': multiple must be >= 1");
  return f;
}

Result<int64_t> ParseTimestamp(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument("timestamp '" + std::string(text) +
                           "': expected 'YYYY-MM-DD HH:MM:SS' or 'YYYY-MM-DD' without time zone");
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() != 10 && text.size() != 19) return bad();
  if (text[4] != '-' || text[7] != '-') return bad();
  if (!ParseUint(text.substr(0, 4), y) || !ParseUint(text.substr(5, 2), mo) ||
      !ParseUint(text.substr(8, 2), d)) {
    return bad();
  }
  if (text.size() == 19) {
    if ((text[10] != ' ' && text[10] != 'T') || text[13] != ':' || text[16] != ':') return bad();
    if (!ParseUint(text.substr(11, 2), h) || !ParseUint(text.substr(14, 2), mi) ||
        !ParseUint(text.substr(17, 2), s)) {
      return bad();
    }
  }
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return bad();
  int64_t dn = sys_days{ymd}.time_since_epoch().count();
  return dn * kDay + h * kHour + mi * kMinute + s;
}

std::string FormatTimestamp(int64_t seconds) {
  Civil c = ToCivil(seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d", c.y, c.m, c.d,
                static_cast<int>(c.second_of_day / kHour), static_cast<int>(c.second_of_day / 60 % 60),
                static_cast<int>(c.second_of_day % 60));
  return buf;
}

int64_t AddSteps(int64_t start, const Frequency& freq, int64_t steps) {
  if (freq.unit != FreqUnit::kMonth) return start + steps * StepSeconds(freq);
  Civil c = ToCivil(start);
  int64_t months = static_cast<int64_t>(c.y) * 12 + (c.m - 1) + steps * freq.multiple;
  int y = static_cast<int>(FloorDiv(months, 12));
  unsigned m = static_cast<unsigned>(months - static_cast<int64_t>(y) * 12 + 1);
  std::chrono::year_month_day_last last{year{y}, std::chrono::month_day_last{month{m}}};
  unsigned d = std::min(c.d, static_cast<unsigned>(last.day()));
  int64_t dn = sys_days{year_month_day{year{y}, month{m}, day{d}}}.time_since_epoch().count();
  return dn * kDay + c.second_of_day;
}

int64_t FloorToPeriod(int64_t seconds, const Frequency& freq) {
  Civil c = ToCivil(seconds);
  int64_t midnight = c.day_number * kDay;
  switch (freq.unit) {
    case FreqUnit::kMinute:
    case FreqUnit::kHour: {
      int64_t step = StepSeconds(freq);
      return midnight + c.second_of_day / step * step;
    }
    case FreqUnit::kDay: return FloorDiv(c.day_number, freq.multiple) * freq.multiple * kDay;
    case FreqUnit::kWeek: {
      constexpr int64_t kFirstMonday = 4;  // 1970-01-05 is day 4
      int64_t weeks = FloorDiv(c.day_number - kFirstMonday, 7);
      return (kFirstMonday + FloorDiv(weeks, freq.multiple) * freq.multiple * 7) * kDay;
    }
    case FreqUnit::kMonth: {
      int64_t months = static_cast<int64_t>(c.y) * 12 + (c.m - 1);
      months = FloorDiv(months, freq.multiple) * freq.multiple;
      int y = static_cast<int>(FloorDiv(months, 12));
      unsigned m = static_cast<unsigned>(months - static_cast<int64_t>(y) * 12 + 1);
      return sys_days{year_month_day{year{y}, month{m}, day{1}}}.time_since_epoch().count() * kDay;
    }
  }
  return seconds;
}

int64_t StepsBetween(int64_t from, int64_t to, const Frequency& freq) {
  if (freq.unit != FreqUnit::kMonth) return FloorDiv(to - from, StepSeconds(freq));
  Civil a = ToCivil(from), b = ToCivil(to);
  int64_t months = (static_cast<int64_t>(b.y) * 12 + b.m) - (static_cast<int64_t>(a.y) * 12 + a.m);
  return FloorDiv(months, freq.multiple);
}

std::vector<int> LagsFor(const Frequency& freq) {
  // Seasonal offsets in the base unit; a multiple k keeps offset/k where k divides
  // it evenly, so "2H" still sees the same hour a day and a week ago.
  std::vector<int> offsets;
  switch (freq.unit) {
    case FreqUnit::kMinute:
      offsets = {60, 120, 180, 240, 1440, 2880, 4320, 10080};
      break;
    case FreqUnit::kHour:
      offsets = {23, 24, 25, 47, 48, 49, 71, 72, 73, 167, 168, 169};
      break;
    case FreqUnit::kDay:
      offsets = {14, 21, 28, 364, 365, 366};
      break;
    case FreqUnit::kWeek:
      offsets = {8, 12, 51, 52, 53};
      break;
    case FreqUnit::kMonth:
      offsets = {11, 12, 13, 24};
      break;
  }
  int short_lags = freq.unit == FreqUnit::kWeek ? 4 : freq.unit == FreqUnit::kMonth ? 6 : 7;
  std::set<int> lags;
  for (int l = 1; l <= short_lags; ++l) lags.insert(l);
  for (int off : offsets) {
    if (off % freq.multiple == 0) lags.insert(off / freq.multiple);
  }
  return {lags.begin(), lags.end()};
}

std::vector<TimeFeature> TimeFeaturesFor(const Frequency& freq) {
  switch (freq.unit) {
    case FreqUnit::kMinute:
      return {TimeFeature::kMinuteOfHour, TimeFeature::kHourOfDay, TimeFeature::kDayOfWeek,
              TimeFeature::kDayOfMonth, TimeFeature::kDayOfYear};
    case FreqUnit::kHour:
      return {TimeFeature::kHourOfDay, TimeFeature::kDayOfWeek, TimeFeature::kDayOfMonth,
              TimeFeature::kDayOfYear};
    case FreqUnit::kDay:
      return {TimeFeature::kDayOfWeek, TimeFeature::kDayOfMonth, TimeFeature::kDayOfYear};
    case FreqUnit::kWeek:
      return {TimeFeature::kWeekOfYear, TimeFeature::kMonthOfYear};
    case FreqUnit::kMonth:
      return {TimeFeature::kMonthOfYear};
  }
  return {};
}

float TimeFeatureValue(TimeFeature feature, int64_t seconds) {
  Civil c = ToCivil(seconds);
  auto scaled = [](int64_t v, int64_t max) { return static_cast<float>(v) / max - 0.5f; };
  int64_t day_of_year =
      c.day_number - sys_days{year_month_day{year{c.y}, month{1}, day{1}}}.time_since_epoch().count();
  switch (feature) {
    case TimeFeature::kMinuteOfHour: return scaled(c.second_of_day / 60 % 60, 59);
    case TimeFeature::kHourOfDay: return scaled(c.second_of_day / kHour, 23);
    case TimeFeature::kDayOfWeek: {
      // 0 = Monday ... 6 = Sunday.
      unsigned wd = std::chrono::weekday{sys_days{days{c.day_number}}}.iso_encoding() - 1;
      return scaled(wd, 6);
    }
    case TimeFeature::kDayOfMonth: return scaled(c.d - 1, 30);
    case TimeFeature::kDayOfYear: return scaled(day_of_year, 365);
    case TimeFeature::kWeekOfYear: return scaled(std::min<int64_t>(day_of_year / 7, 52), 52);
    case TimeFeature::kMonthOfYear: return scaled(c.m - 1, 11);
  }
  return 0;
}

std::string_view TimeFeatureName(TimeFeature feature) {
  switch (feature) {
    case TimeFeature::kMinuteOfHour: return "minute_of_hour";
    case TimeFeature::kHourOfDay: return "hour_of_day";
    case TimeFeature::kDayOfWeek: return "day_of_week";
    case TimeFeature::kDayOfMonth: return "day_of_month";
    case TimeFeature::kDayOfYear: return "day_of_year";
    case TimeFeature::kWeekOfYear: return "week_of_year";
    case TimeFeature::kMonthOfYear: return "month_of_year";
  }
  return "unknown";
}

Result<TimeFeature> ParseTimeFeature(std::string_view name) {
  for (TimeFeature f : {TimeFeature::kMinuteOfHour, TimeFeature::kHourOfDay, TimeFeature::kDayOfWeek,
                        TimeFeature::kDayOfMonth, TimeFeature::kDayOfYear, TimeFeature::kWeekOfYear,
                        TimeFeature::kMonthOfYear}) {
    if (TimeFeatureName(f) == name) return f;
  }
  return InvalidArgument("unknown time feature '" + std::string(name) + "'");
}

}  // namespace tributary::forecast
