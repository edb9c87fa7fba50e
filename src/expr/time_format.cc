#include "expr/time_format.h"

#include <cctype>

namespace tributary::expr {
namespace {

constexpr const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};
constexpr const char* kDays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                 "Friday", "Saturday", "Sunday"};

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct Civil {
  int64_t year;
  int month;  // 1-12
  int day;    // 1-31
  int day_of_year;  // 1-366
  int weekday;      // 1 = Monday ... 7 = Sunday
};

// Days since 1970-01-01 -> proleptic Gregorian date (H. Hinnant's algorithm).
Civil CivilFromDays(int64_t z) {
  Civil c;
  c.weekday = static_cast<int>(z + 3 - FloorDiv(z + 3, 7) * 7) + 1;  // 1970-01-01: Thursday
  int64_t zz = z + 719468;
  int64_t era = FloorDiv(zz, 146097);
  int64_t doe = zz - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = y + (c.month <= 2);
  bool leap = (c.year % 4 == 0 && c.year % 100 != 0) || c.year % 400 == 0;
  static constexpr int kCum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  c.day_of_year = kCum[c.month - 1] + c.day + (leap && c.month > 2 ? 1 : 0);
  return c;
}

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
  Civil c = CivilFromDays(days);
  int hour = static_cast<int>(secs / 3600);
  int minute = static_cast<int>((secs / 60) % 60);
  int second = static_cast<int>(secs % 60);

  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    char ch = pattern[i];
    if (ch == '\'') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '\'') {
        out.push_back('\'');
        i += 2;
        continue;
      }
      size_t j = i + 1;
      while (true) {
        if (j >= pattern.size()) {
          return InvalidArgument("unterminated quote at position " + std::to_string(i + 1) +
                                 " of the time pattern");
        }
        if (pattern[j] == '\'') {
          if (j + 1 < pattern.size() && pattern[j + 1] == '\'') {
            out.push_back('\'');
            j += 2;
            continue;
          }
          break;
        }
        out.push_back(pattern[j++]);
      }
      i = j + 1;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(ch))) {
      out.push_back(ch);
      ++i;
      continue;
    }
    size_t n = 1;
    while (i + n < pattern.size() && pattern[i + n] == ch) ++n;
    int count = static_cast<int>(n);
    switch (ch) {
      case 'G': out.append(c.year > 0 ? "AD" : "BC"); break;
      case 'y':
      case 'Y':
      case 'u': {
        int64_t year = (ch == 'u' || c.year > 0) ? c.year : 1 - c.year;
        if (count == 2) {
          Pad(&out, ((year % 100) + 100) % 100, 2);
        } else {
          Pad(&out, year, count);
        }
        break;
      }
      case 'M':
        if (count >= 4) {
          out.append(kMonths[c.month - 1]);
        } else if (count == 3) {
          out.append(std::string_view(kMonths[c.month - 1]).substr(0, 3));
        } else {
          Pad(&out, c.month, count);
        }
        break;
      case 'd': Pad(&out, c.day, count); break;
      case 'D': Pad(&out, c.day_of_year, count); break;
      case 'E':
        if (count >= 4) {
          out.append(kDays[c.weekday - 1]);
        } else {
          out.append(std::string_view(kDays[c.weekday - 1]).substr(0, 3));
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
        out.append(count >= 4 ? zone.name() : period.abbreviation);
        break;
      default:
        return InvalidArgument("unsupported letter '" + std::string(1, ch) +
                               "' at position " + std::to_string(i + 1) +
                               " of the time pattern (quote literal text: 'T')");
    }
    i += n;
  }
  return out;
}

Result<std::string> FormatTime(std::string_view pattern, int64_t unix_ms,
                               std::string_view zone_name) {
  TRY_ASSIGN(auto zone, TimeZone::Find(zone_name));
  return FormatTime(pattern, unix_ms, *zone);
}

}  // namespace tributary::expr
