// Calendar arithmetic shared by the time functions: days since 1970-01-01 to and from a
// proleptic Gregorian date (H. Hinnant's era algorithms, 400-year cycles), and a Unix
// time in seconds split into its civil parts in UTC. Pure; valid for every time within
// kMaxTimeMillis (time_format.h).
#pragma once

#include <cstdint>

namespace tributary::expr {

inline int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

inline bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

inline int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Days since 1970-01-01 of year-month-day (month 1-12).
inline int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct CivilDate {
  int64_t year;
  int month;        // 1-12
  int day;          // 1-31
  int day_of_year;  // 1-366
  int weekday;      // 1 = Monday ... 7 = Sunday
};

// Days since 1970-01-01 -> the date.
inline CivilDate CivilFromDays(int64_t z) {
  CivilDate c;
  c.weekday = static_cast<int>(z + 3 - FloorDiv(z + 3, 7) * 7) + 1;  // 1970-01-01: Thursday
  int64_t zz = z + 719468;
  int64_t era = FloorDiv(zz, 146097);
  int64_t doe = zz - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2);
  static constexpr int kCum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  c.day_of_year = kCum[c.month - 1] + c.day + (IsLeapYear(c.year) && c.month > 2 ? 1 : 0);
  return c;
}

}  // namespace tributary::expr
