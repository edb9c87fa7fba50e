#include "expr/time_format.h"

#include <cctype>

#include "expr/civil_time.h"
#include "expr/time_pattern.h"
#include "expr/zone_names.h"

namespace tributary::expr {
namespace {

void Pad(std::string* out, int64_t v, int width) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  if (v < 0) out->push_back('-');
  for (int i = static_cast<int>(digits.size()); i < width; ++i) out->push_back('0');
  out->append(digits);
}

std::string Offset(int32_t seconds, bool colon) {
  std::string s(1, seconds < 0 ? '-' : '+');
  int32_t a = seconds < 0 ? -seconds : seconds;
  Pad(&s, a / 3600, 2);
  if (colon) s.push_back(':');
  Pad(&s, (a / 60) % 60, 2);
  return s;
}

// The ISO 8601 week date of a day (Joda's weekyear 'x' and week of weekyear 'w'): weeks
// start on Monday, and week 1 is the one holding the year's first Thursday, so the
// days around New Year may belong to the neighbouring weekyear.
struct WeekDate {
  int64_t weekyear;
  int64_t week;
};
WeekDate IsoWeekDate(int64_t days, int weekday) {
  int64_t thursday = days + (4 - weekday);
  int64_t weekyear = CivilFromDays(thursday).year;
  return WeekDate{weekyear, (thursday - DaysFromCivil(weekyear, 1, 1)) / 7 + 1};
}

// A year as 'y' writes it with `count` letters: the last two digits for "yy".
void PadYear(std::string* out, int64_t year, int count) {
  if (count == 2) {
    Pad(out, ((year % 100) + 100) % 100, 2);
  } else {
    Pad(out, year, count);
  }
}

}  // namespace

Result<std::string> FormatTime(std::string_view pattern, int64_t unix_ms, const TimeZone& zone) {
  if (unix_ms > kMaxTimeMillis || unix_ms < -kMaxTimeMillis) {
    return InvalidArgument("time " + std::to_string(unix_ms) +
                           " ms is out of range (at most 8.64e15 ms from 1970-01-01)");
  }
  int64_t unix_s = FloorDiv(unix_ms, 1000);
  int millis = static_cast<int>(unix_ms - unix_s * 1000);
  const TimeZone::Period& period = zone.PeriodAt(unix_s);
  int64_t local = unix_s + period.utc_offset_seconds;
  int64_t days = FloorDiv(local, 86400);
  int64_t secs = local - days * 86400;
  CivilDate c = CivilFromDays(days);
  int hour = static_cast<int>(secs / 3600);
  int minute = static_cast<int>((secs / 60) % 60);
  int second = static_cast<int>(secs % 60);

  TRY_ASSIGN(auto items, SplitTimePattern(pattern));
  std::string out;
  for (const TimePatternItem& item : items) {
    if (item.letter == 0) {
      out.append(item.literal);
      continue;
    }
    char ch = item.letter;
    int count = item.count;
    switch (ch) {
      case 'G': out.append(c.year > 0 ? "AD" : "BC"); break;
      case 'y':
      case 'Y':
      case 'u': {
        int64_t year = (ch == 'u' || c.year > 0) ? c.year : 1 - c.year;
        PadYear(&out, year, count);
        break;
      }
      case 'x':
        PadYear(&out, IsoWeekDate(days, c.weekday).weekyear, count);
        break;
      case 'w':
        Pad(&out, IsoWeekDate(days, c.weekday).week, count);
        break;
      case 'C':
        Pad(&out, (c.year > 0 ? c.year : 1 - c.year) / 100, count);
        break;
      case 'M':
        if (count >= 4) {
          out.append(kMonthNames[c.month - 1]);
        } else if (count == 3) {
          out.append(std::string_view(kMonthNames[c.month - 1]).substr(0, 3));
        } else {
          Pad(&out, c.month, count);
        }
        break;
      case 'd': Pad(&out, c.day, count); break;
      case 'D': Pad(&out, c.day_of_year, count); break;
      case 'E':
        if (count >= 4) {
          out.append(kDayNames[c.weekday - 1]);
        } else {
          out.append(std::string_view(kDayNames[c.weekday - 1]).substr(0, 3));
        }
        break;
      case 'e': Pad(&out, c.weekday, count); break;
      case 'H': Pad(&out, hour, count); break;
      case 'k': Pad(&out, hour == 0 ? 24 : hour, count); break;
      case 'h': Pad(&out, hour % 12 == 0 ? 12 : hour % 12, count); break;
      case 'K': Pad(&out, hour % 12, count); break;
      case 'a': out.append(hour < 12 ? "AM" : "PM"); break;
      case 'm': Pad(&out, minute, count); break;
      case 's': Pad(&out, second, count); break;
      case 'S': {
        std::string ms;
        Pad(&ms, millis, 3);
        if (count <= 3) {
          out.append(ms.substr(0, count));
        } else {
          out.append(ms);
          out.append(count - 3, '0');
        }
        break;
      }
      case 'Z':
        if (count == 1) {
          out.append(Offset(period.utc_offset_seconds, false));
        } else if (count == 2) {
          out.append(Offset(period.utc_offset_seconds, true));
        } else {
          out.append(zone.name());
        }
        break;
      case 'z':
        if (count < 4) {
          out.append(period.abbreviation);
        } else if (std::string name = LongZoneName(zone.name(), period.is_dst, unix_ms);
                   !name.empty()) {
          out.append(name);
        } else {
          out.append(Offset(period.utc_offset_seconds, true));  // Joda's, for a nameless zone
        }
        break;
      default:
        return UnsupportedLetter(item);
    }
  }
  return out;
}

Result<std::string> FormatTime(std::string_view pattern, int64_t unix_ms,
                               std::string_view zone_name) {
  TRY_ASSIGN(auto zone, TimeZone::Find(zone_name));
  return FormatTime(pattern, unix_ms, *zone);
}

}  // namespace tributary::expr
