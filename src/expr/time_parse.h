// time_to_epoch(): reads a date-time written in a Joda-Time / SimpleDateFormat pattern
// back into Unix milliseconds, the inverse of parse_time() (time_format.h). Pure apart
// from the time-zone cache; thread-safe.
//
//   letters read        as
//   y u / yy            year / two digits, 2000-2099
//   M MM / MMM MMMM     month number / name (short or full, any case)
//   d D                 day of month / of year
//   H k / h K + a       hour 0-23 / 1-24; hour 1-12 / 0-11 with AM or PM
//   m s S...            minute, second, fraction of the second (to milliseconds)
//   E e G               day name or number (read, not checked), era AD/BC
//   Z X x O             offset: Z, +01, +0100, +01:00, GMT+01:00
//   z V                 zone: an IANA name (Europe/Paris), UTC, or UTC+01:00
//
// Numbers directly followed by another number ("yyyyMMdd") take exactly the letters'
// width; otherwise any number of digits up to the field's size. Fields left out
// default to 1970-01-01 00:00:00.000, and the zone to UTC. Local times in a daylight
// saving gap or overlap take the offset in force just before the change.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace tributary::expr {

// Unix milliseconds; InvalidArgument saying where `text` departs from `pattern`, or
// what in the pattern cannot be read.
Result<int64_t> ParseTimeText(std::string_view text, std::string_view pattern);

// Whether `pattern` can be used to read times at all (for rules compiled with a literal
// pattern).
Status CheckParsePattern(std::string_view pattern);

}  // namespace tributary::expr
