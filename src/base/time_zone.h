// Time zones for the rules' time functions (parse_time, time_to_epoch) and the delivery
// streams' object keys: UTC, fixed offsets ("+05:30", "-0800", "UTC+01:00", "GMT-3") and
// IANA names ("Europe/Paris") read from the system's TZif files (/usr/share/zoneinfo,
// Debian's tzdata). Zones are loaded once and cached.
// Thread-safe.
//
// Past the last transition a TZif file lists, the POSIX TZ rule in its footer (RFC 8536
// 3.3, "EST5EDT,M3.2.0,M11.1.0") gives the offset: "fat" files list transitions up to
// 2037, "slim" ones (zic's default since 2020b) only up to the zone's last rule change
// (2007 for the US zones), and both end with the rule. As zic's own readers do, the last
// transition's offset holds until the rule's first change after it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary {

// The offset and abbreviation in force over a span of time (TimeZone::Period).
struct TimeZonePeriod {
  int32_t utc_offset_seconds;
  bool is_dst;
  std::string abbreviation;  // "CET", "EST"; may be "+03" for zones without one
};

// A POSIX TZ string as TZif files end with (POSIX's TZ variable without the ":file"
// form; RFC 8536 3.3.1's extensions: rule times of -167 to 167 hours, and DST all year
// when it starts on January 1 at 00:00 and ends on December 31 at 24:00 plus the
// daylight saving amount, "EST5EDT,0/0,J365/25"):
//
//   std offset [dst [offset] ,start[/time],end[/time]]
//
// "EST5EDT,M3.2.0,M11.1.0": EST is UTC-5 (POSIX offsets count west), EDT one hour ahead
// of it from the second Sunday of March at 02:00 EST to the first Sunday of November at
// 02:00 EDT. "<+0330>-3:30": UTC+3:30 all year, named "+0330". Dates are Mm.w.d (day d,
// 0 = Sunday, of week w, 5 = the last, of month m), Jn (day n of 1-365, February 29 not
// counted) or n (day n of 0-365, February 29 counted); a time defaults to 02:00 local.
class PosixTimeZone {
 public:
  // Dates of a rule ("M3.2.0", "J60", "59"), with the local time of day of the change.
  struct Date {
    enum Kind { kMonthWeekDay, kJulianNoLeap, kDayOfYear };
    Kind kind = kMonthWeekDay;
    int month = 0;                // kMonthWeekDay: 1-12
    int week = 0;                 // kMonthWeekDay: 1-5, 5 is the last
    int weekday = 0;              // kMonthWeekDay: 0 (Sunday) - 6
    int day = 0;                  // kJulianNoLeap: 1-365; kDayOfYear: 0-365
    int32_t time_seconds = 7200;  // -167:59:59 to 167:59:59
  };

  // The string parsed, or InvalidArgument saying what is wrong and at which position
  // (1-based), e.g. "month 13 is not 1-12 at position 10 of the TZ string
  // \"EST5EDT,M13.2.0,M11.1.0\"".
  static Result<PosixTimeZone> Parse(std::string_view text);

  const TimeZonePeriod& standard() const { return std_; }
  bool has_dst() const { return has_dst_; }
  const TimeZonePeriod& daylight() const { return dst_; }  // meaningful if has_dst()
  const Date& dst_start() const { return start_; }
  const Date& dst_end() const { return end_; }
  bool dst_all_year() const { return all_year_; }

  // The period in force at `unix_seconds` (computed; TimeZone keeps a table of the
  // rule's changes for the years it is asked about most).
  const TimeZonePeriod& PeriodAt(int64_t unix_seconds) const;

  // When DST starts and ends in `year` (proleptic Gregorian), in Unix seconds; `end`
  // comes before `start` in zones of the southern hemisphere. Only with has_dst().
  void DstChanges(int64_t year, int64_t* start, int64_t* end) const;
  // The first change (a start or an end of DST) after `unix_seconds`; INT64_MAX if the
  // period never changes (no DST, DST all year).
  int64_t NextChange(int64_t unix_seconds) const;

 private:
  TimeZonePeriod std_{0, false, ""};
  TimeZonePeriod dst_{0, true, ""};
  bool has_dst_ = false;
  bool all_year_ = false;
  Date start_, end_;
};

class TimeZone {
 public:
  using Period = TimeZonePeriod;

  // The zone named `name`, or an error saying which names are understood.
  static Result<std::shared_ptr<const TimeZone>> Find(std::string_view name);
  static std::shared_ptr<const TimeZone> Utc();
  // A zone from the contents of a TZif file (versions 1 to 4), named `name`. DataLoss
  // if it is not one, or if its footer's TZ string does not parse (the message says
  // what is wrong and where).
  static Result<std::shared_ptr<const TimeZone>> FromTzif(std::string name, std::string_view data);

  const std::string& name() const { return name_; }
  // The offset and abbreviation in force at `unix_seconds`.
  const Period& PeriodAt(int64_t unix_seconds) const;

  // Builds a zone (used by the loader and by tests). `rule` applies from its first change
  // after the last transition, or at every instant if there are none.
  TimeZone(std::string name, std::vector<int64_t> transitions,
           std::vector<uint8_t> transition_types, std::vector<Period> types,
           std::optional<PosixTimeZone> rule = std::nullopt);

 private:
  const Period& RulePeriodAt(int64_t unix_seconds) const;

  std::string name_;
  std::vector<int64_t> transitions_;      // ascending unix seconds
  std::vector<uint8_t> transition_types_;  // index into types_, one per transition
  std::vector<Period> types_;              // types_[0] applies before the first transition
  std::optional<PosixTimeZone> rule_;
  int64_t rule_from_ = INT64_MIN;  // the rule's first change after the last transition
  // The rule's changes from rule_from_ up to rule_table_end_ (2100), for lookups as cheap
  // as the transitions'; is_dst says which period each starts. Instants past the table
  // (or before it, with no transitions) are computed.
  std::vector<int64_t> rule_changes_;
  std::vector<uint8_t> rule_change_is_dst_;
  int64_t rule_table_end_ = 0;
};

}  // namespace tributary
