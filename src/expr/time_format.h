// parse_time(): formats a Unix time in milliseconds with a Joda-Time / SimpleDateFormat
// pattern in a time zone. Pure apart from the time-zone cache; thread-safe.
//
//   pattern letters   meaning                       example (2017-06-09 17:19:46.123 UTC)
//   G                 era                           AD
//   yyyy / yy / y     year (4 digits / 2 digits)    2017 / 17
//   M MM / MMM / MMMM month                         6 06 / Jun / June
//   d dd / D DDD      day of month / of year        9 09 / 160
//   E EEE / EEEE / e  day of week                   Fri / Friday / 5 (Monday = 1)
//   H HH / k          hour 0-23 / 1-24              17
//   h hh / K          hour 1-12 / 0-11              5 05
//   a                 AM/PM                         PM
//   m mm / s ss       minute / second               19 / 46
//   S SS SSS          fraction of the second        1 12 123
//   Z / ZZ / ZZZ      offset / with colon / zone id +0000 / +00:00 / UTC
//   z zzz / zzzz      zone abbreviation / name      UTC / Coordinated Universal Time
//                     (CLDR's long names through ICU, zone_names.h; +05:30 for a
//                     fixed offset)
//   xxxx / xx / w ww  ISO weekyear / week of it     2017 / 17 / 23 (week 1 holds the
//                     year's first Thursday: 2021-01-01 is 2020's week 53)
//   C                 century of the era            20
//   'text' ''         literal text, a quote
// Other ASCII letters are reserved and rejected; any other character is copied.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/time_zone.h"

namespace tributary::expr {

// The times the date functions take: within 8.64e15 ms of the epoch (100 million days,
// JavaScript's Date range: years -271821 to 275760). Beyond it the arithmetic would
// overflow; parse_time() and the date parts give Undefined there.
inline constexpr int64_t kMaxTimeMillis = 8'640'000'000'000'000;

// InvalidArgument when |unix_ms| > kMaxTimeMillis or the pattern is bad.
Result<std::string> FormatTime(std::string_view pattern, int64_t unix_ms, const TimeZone& zone);

// Finds the zone by name, then formats.
Result<std::string> FormatTime(std::string_view pattern, int64_t unix_ms,
                               std::string_view zone_name);

}  // namespace tributary::expr
