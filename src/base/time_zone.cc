#include "base/time_zone.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace tributary {
namespace {

constexpr const char* kZoneInfoDir = "/usr/share/zoneinfo/";

std::string OffsetName(int32_t seconds) {
  char buf[16];
  int32_t a = seconds < 0 ? -seconds : seconds;
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", seconds < 0 ? '-' : '+', a / 3600,
                (a / 60) % 60);
  return buf;
}

std::shared_ptr<const TimeZone> Fixed(std::string name, int32_t offset) {
  std::string abbrev = offset == 0 ? "UTC" : OffsetName(offset);
  return std::make_shared<const TimeZone>(
      std::move(name), std::vector<int64_t>{}, std::vector<uint8_t>{},
      std::vector<TimeZone::Period>{{offset, false, abbrev}});
}

// "+05:30", "-0800", "+5", "-03" -> seconds; false if not an offset.
bool ParseOffset(std::string_view s, int32_t* out) {
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return false;
  int sign = s[0] == '-' ? -1 : 1;
  std::string digits;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == ':' && (i == 2 || i == 3)) continue;
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    digits.push_back(s[i]);
  }
  int h = 0, m = 0;
  if (digits.size() == 1 || digits.size() == 2) {
    h = std::stoi(digits);
  } else if (digits.size() == 3 || digits.size() == 4) {
    h = std::stoi(digits.substr(0, digits.size() - 2));
    m = std::stoi(digits.substr(digits.size() - 2));
  } else {
    return false;
  }
  if (h > 18 || m > 59) return false;
  *out = sign * (h * 3600 + m * 60);
  return true;
}

// --- Calendar arithmetic for the POSIX rules (proleptic Gregorian, Unix days) ---

constexpr int64_t kSecondsPerDay = 86400;
// 400 Gregorian years: 146097 days, a whole number of weeks, so every rule repeats.
constexpr int64_t kCycleSeconds = 146097 * kSecondsPerDay;
// The rule's changes are tabled up to here (2100-01-01T00:00:00Z) and computed after.
constexpr int64_t kRuleTableEnd = 4102444800;
constexpr int64_t kRuleTableLastYear = 2100;
constexpr int64_t kRuleTableFirstYear = 1968;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Days from 1970-01-01 to January 1 of `year`.
int64_t DaysToYear(int64_t year) {
  auto leap_years_before = [](int64_t y) {
    return FloorDiv(y - 1, 4) - FloorDiv(y - 1, 100) + FloorDiv(y - 1, 400);
  };
  return 365 * (year - 1970) + leap_years_before(year) - leap_years_before(1970);
}

// The year of the day `days` after 1970-01-01 (|days| well inside 2^40).
int64_t YearOfDay(int64_t days) {
  int64_t year = 1970 + FloorDiv(days * 400, 146097);
  while (DaysToYear(year) > days) --year;
  while (DaysToYear(year + 1) <= days) ++year;
  return year;
}

// The day (since 1970-01-01) a rule's date falls on in `year`.
int64_t RuleDay(const PosixTimeZone::Date& date, int64_t year) {
  static constexpr int kDaysBefore[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int64_t jan1 = DaysToYear(year);
  const bool leap = IsLeapYear(year);
  switch (date.kind) {
    case PosixTimeZone::Date::kJulianNoLeap:  // February 29 is not counted: J60 is March 1
      return jan1 + date.day - 1 + (leap && date.day >= 60 ? 1 : 0);
    case PosixTimeZone::Date::kDayOfYear:
      return jan1 + date.day;
    case PosixTimeZone::Date::kMonthWeekDay:
      break;
  }
  const int m = date.month - 1;
  const int64_t first = jan1 + kDaysBefore[m] + (leap && m >= 2 ? 1 : 0);
  const int length = kMonthDays[m] + (leap && m == 1 ? 1 : 0);
  const int first_weekday = static_cast<int>(first + 4 - FloorDiv(first + 4, 7) * 7);  // Thursday
  int day = (date.weekday - first_weekday + 7) % 7 + 7 * (date.week - 1);
  while (day >= length) day -= 7;  // week 5: the last such day of the month
  return first + day;
}

struct RuleChange {
  int64_t at;
  bool is_dst;  // the period it starts
  // At the same instant an end goes before a start: DST wins (all year DST's
  // December 31 24:00 + 1h is the next January 1 00:00).
  bool operator<(const RuleChange& o) const { return at != o.at ? at < o.at : is_dst < o.is_dst; }
};

// --- The POSIX TZ string parser ---

class TzStringParser {
 public:
  explicit TzStringParser(std::string_view text) : s_(text) {}

  bool AtEnd() const { return i_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[i_]; }
  bool Take(char c) {
    if (AtEnd() || s_[i_] != c) return false;
    ++i_;
    return true;
  }

  Status Error(const std::string& what, size_t at) const {
    std::string where = at >= s_.size() ? "at the end" : "at position " + std::to_string(at + 1);
    return InvalidArgument(what + " " + where + " of the TZ string \"" + std::string(s_) + "\"");
  }
  Status Unexpected(const std::string& expected) const {
    if (AtEnd()) return Error("expected " + expected, i_);
    return Error(std::string("unexpected '") + Peek() + "' (expected " + expected + ")", i_);
  }

  // A zone name: letters ("EST"), or anything of letters, digits, '+' and '-' in angle
  // brackets ("<+0330>", "<-03>").
  Result<std::string> Name(const std::string& which) {
    const size_t start = i_;
    if (Take('<')) {
      while (!AtEnd() &&
             (std::isalnum(static_cast<unsigned char>(Peek())) || Peek() == '+' || Peek() == '-')) {
        ++i_;
      }
      if (!Take('>')) {
        return AtEnd() ? Error("unterminated '<' of the " + which, start)
                       : Unexpected("letters, digits, '+', '-' or '>' in the " + which);
      }
      if (i_ - start == 2) return Error("empty " + which, start);
      return std::string(s_.substr(start + 1, i_ - start - 2));
    }
    while (!AtEnd() && std::isalpha(static_cast<unsigned char>(Peek()))) ++i_;
    if (i_ == start) return Unexpected("the " + which + " (letters, or <...>)");
    return std::string(s_.substr(start, i_ - start));
  }

  // [+|-]hh[:mm[:ss]] in seconds, hours up to `max_hours`.
  Result<int32_t> Hms(const std::string& which, int max_hours) {
    int sign = 1;
    if (Take('-')) {
      sign = -1;
    } else {
      Take('+');
    }
    const size_t hours_at = i_;
    if (!std::isdigit(static_cast<unsigned char>(Peek()))) {
      return Unexpected("the " + which + " ([+|-]hh[:mm[:ss]])");
    }
    const int64_t hours = Number();
    if (hours > max_hours) {
      return Error("hours " + std::to_string(hours) + " of the " + which + " are more than " +
                       std::to_string(max_hours),
                   hours_at);
    }
    int64_t seconds = hours * 3600;
    for (int64_t unit : {60, 1}) {
      if (!Take(':')) break;
      const size_t at = i_;
      if (!std::isdigit(static_cast<unsigned char>(Peek()))) {
        return Unexpected(std::string(unit == 60 ? "minutes" : "seconds") + " of the " + which);
      }
      const int64_t n = Number();
      if (n > 59 || i_ - at > 2) {
        return Error(std::string(unit == 60 ? "minutes " : "seconds ") + std::to_string(n) +
                         " of the " + which + " are not 00-59",
                     at);
      }
      seconds += n * unit;
    }
    return static_cast<int32_t>(sign * seconds);
  }

  // Mm.w.d, Jn or n, then an optional /time.
  Result<PosixTimeZone::Date> Date(const std::string& which) {
    PosixTimeZone::Date date;
    if (Take('M')) {
      date.kind = PosixTimeZone::Date::kMonthWeekDay;
      TRY_ASSIGN(date.month, Field("month", 1, 12));
      if (!Take('.')) return Unexpected("'.' after the month of the " + which);
      TRY_ASSIGN(date.week, Field("week", 1, 5));
      if (!Take('.')) return Unexpected("'.' after the week of the " + which);
      TRY_ASSIGN(date.weekday, Field("weekday", 0, 6));
    } else if (Take('J')) {
      date.kind = PosixTimeZone::Date::kJulianNoLeap;
      TRY_ASSIGN(date.day, Field("day", 1, 365));
    } else if (std::isdigit(static_cast<unsigned char>(Peek()))) {
      date.kind = PosixTimeZone::Date::kDayOfYear;
      TRY_ASSIGN(date.day, Field("day", 0, 365));
    } else {
      return Unexpected("the " + which + " (Mm.w.d, Jn or n)");
    }
    if (Take('/')) {
      TRY_ASSIGN(date.time_seconds, Hms("time of the " + which, 167));
    }
    return date;
  }

 private:
  // Digits (at least one; the caller checked), saturating well above any range.
  int64_t Number() {
    int64_t n = 0;
    while (std::isdigit(static_cast<unsigned char>(Peek()))) {
      n = std::min<int64_t>(n * 10 + (s_[i_] - '0'), 1'000'000'000);
      ++i_;
    }
    return n;
  }

  Result<int> Field(const char* what, int min, int max) {
    const size_t at = i_;
    if (!std::isdigit(static_cast<unsigned char>(Peek()))) {
      return Unexpected(std::string("the ") + what + " (" + std::to_string(min) + "-" +
                        std::to_string(max) + ")");
    }
    const int64_t n = Number();
    if (n < min || n > max) {
      return Error(std::string(what) + " " + std::to_string(n) + " is not " + std::to_string(min) +
                       "-" + std::to_string(max),
                   at);
    }
    return static_cast<int>(n);
  }

  std::string_view s_;
  size_t i_ = 0;
};

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
int64_t Be64(const unsigned char* p) {
  return static_cast<int64_t>((uint64_t{Be32(p)} << 32) | Be32(p + 4));
}

Result<std::shared_ptr<const TimeZone>> LoadTzif(const std::string& name) {
  std::ifstream in(kZoneInfoDir + name, std::ios::binary);
  if (!in) {
    return NotFound("unknown time zone '" + name +
                    "' (use UTC, an offset like +05:30, or an IANA name like Europe/Paris)");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return TimeZone::FromTzif(name, ss.str());
}

bool IsSafeZoneName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '/' ||
      name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '/' || ch == '_' || ch == '-' ||
           ch == '+';
  });
}

}  // namespace

Result<PosixTimeZone> PosixTimeZone::Parse(std::string_view text) {
  TzStringParser p(text);
  PosixTimeZone zone;
  TRY_ASSIGN(zone.std_.abbreviation, p.Name("standard time name"));
  TRY_ASSIGN(int32_t std_offset, p.Hms("standard time offset", 24));
  zone.std_.utc_offset_seconds = -std_offset;  // POSIX counts hours west of Greenwich
  if (p.AtEnd()) return zone;

  zone.has_dst_ = true;
  TRY_ASSIGN(zone.dst_.abbreviation, p.Name("daylight saving time name"));
  zone.dst_.utc_offset_seconds = zone.std_.utc_offset_seconds + 3600;
  if (p.Peek() == '+' || p.Peek() == '-' || std::isdigit(static_cast<unsigned char>(p.Peek()))) {
    TRY_ASSIGN(int32_t dst_offset, p.Hms("daylight saving time offset", 24));
    zone.dst_.utc_offset_seconds = -dst_offset;
  }
  // POSIX leaves a missing rule to the implementation; TZif footers always have one.
  if (!p.Take(',')) {
    return p.Unexpected("',' and the rule of when daylight saving time starts and ends");
  }
  TRY_ASSIGN(zone.start_, p.Date("start of daylight saving time"));
  if (!p.Take(',')) return p.Unexpected("',' and the end of daylight saving time");
  TRY_ASSIGN(zone.end_, p.Date("end of daylight saving time"));
  if (!p.AtEnd()) return p.Unexpected("the end of the rule");

  // RFC 8536 3.3.1: DST all year when it starts on January 1 at 00:00 and ends on
  // December 31 at 24:00 plus the daylight saving amount, leaving standard time no room
  // (checked in a common and a leap year).
  zone.all_year_ = true;
  for (int64_t year : {2023, 2024}) {
    int64_t start = 0, end = 0;
    zone.DstChanges(year, &start, &end);
    const int64_t year_seconds = (DaysToYear(year + 1) - DaysToYear(year)) * kSecondsPerDay;
    if (end < start || end - start < year_seconds) zone.all_year_ = false;
  }
  return zone;
}

void PosixTimeZone::DstChanges(int64_t year, int64_t* start, int64_t* end) const {
  // Each change is at a local time of the period it ends.
  *start = RuleDay(start_, year) * kSecondsPerDay + start_.time_seconds - std_.utc_offset_seconds;
  *end = RuleDay(end_, year) * kSecondsPerDay + end_.time_seconds - dst_.utc_offset_seconds;
}

const TimeZonePeriod& PosixTimeZone::PeriodAt(int64_t unix_seconds) const {
  if (!has_dst_) return std_;
  if (all_year_) return dst_;
  // The same instant of the 400-year cycle starting 1970 (keeps the years small).
  int64_t t = unix_seconds % kCycleSeconds;
  if (t < 0) t += kCycleSeconds;
  const int64_t year = YearOfDay(t / kSecondsPerDay);
  // A year's changes fall within a few days of it (rule times are at most 167 hours),
  // so the last change at or before t is one of the years around it.
  RuleChange changes[8];
  int n = 0;
  for (int64_t y = year - 2; y <= year + 1; ++y) {
    int64_t start = 0, end = 0;
    DstChanges(y, &start, &end);
    changes[n++] = {end, false};
    changes[n++] = {start, true};
  }
  std::sort(changes, changes + n);
  bool is_dst = false;
  for (int i = 0; i < n && changes[i].at <= t; ++i) is_dst = changes[i].is_dst;
  return is_dst ? dst_ : std_;
}

int64_t PosixTimeZone::NextChange(int64_t after) const {
  if (!has_dst_ || all_year_) return INT64_MAX;
  // As in PeriodAt: the same instant of the cycle starting 1970, then back.
  int64_t t = after % kCycleSeconds;
  if (t < 0) t += kCycleSeconds;
  const int64_t base = after - t;
  const int64_t year = YearOfDay(t / kSecondsPerDay);
  int64_t next = INT64_MAX;
  for (int64_t y = year - 1; y <= year + 2; ++y) {
    int64_t start = 0, end = 0;
    DstChanges(y, &start, &end);
    for (int64_t change : {start, end}) {
      if (change > t) next = std::min(next, change);
    }
  }
  if (next == INT64_MAX || base > INT64_MAX - next) return INT64_MAX;
  return base + next;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::FromTzif(std::string name,
                                                           std::string_view data) {
  auto bad = [&] { return DataLoss("time zone file for '" + name + "' is not a TZif file"); };
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t size = data.size();
  if (size < 44 || data.compare(0, 4, "TZif") != 0) return bad();
  auto counts = [&](size_t at, uint32_t c[6]) {
    for (int i = 0; i < 6; ++i) c[i] = Be32(p + at + 20 + 4 * i);
  };
  uint32_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  counts(0, c);
  size_t at = 44;
  int time_size = 4;
  const bool v2 = data[4] >= '2';
  if (v2) {  // skip the 32-bit block, use the 64-bit one
    at += size_t{c[3]} * 5 + size_t{c[4]} * 6 + c[5] + size_t{c[2]} * 8 + c[1] + c[0];
    if (at + 44 > size || data.compare(at, 4, "TZif") != 0) return bad();
    counts(at, c);
    at += 44;
    time_size = 8;
  }
  size_t need = size_t{c[3]} * (time_size + 1) + size_t{c[4]} * 6 + c[5];
  if (c[4] == 0 || at + need > size) return bad();
  std::vector<int64_t> transitions(c[3]);
  for (uint32_t i = 0; i < c[3]; ++i) {
    transitions[i] = time_size == 8 ? Be64(p + at + 8 * i)
                                    : static_cast<int32_t>(Be32(p + at + 4 * i));
  }
  at += size_t{c[3]} * time_size;
  std::vector<uint8_t> idx(p + at, p + at + c[3]);
  at += c[3];
  const unsigned char* types_at = p + at;
  const char* chars = reinterpret_cast<const char*>(p + at + size_t{c[4]} * 6);
  std::vector<Period> types;
  for (uint32_t i = 0; i < c[4]; ++i) {
    const unsigned char* t = types_at + 6 * i;
    uint8_t desig = t[5];
    std::string abbrev =
        desig < c[5] ? std::string(chars + desig, strnlen(chars + desig, c[5] - desig)) : "";
    types.push_back({static_cast<int32_t>(Be32(t)), t[4] != 0, abbrev});
  }
  for (uint8_t i : idx) {
    if (i >= types.size()) return bad();
  }
  // Version 2+: after the leap second records and the indicators, the footer: a TZ string
  // between newlines (empty when nothing is known past the last transition).
  std::optional<PosixTimeZone> rule;
  if (v2) {
    at += size_t{c[4]} * 6 + c[5] + size_t{c[2]} * 12 + c[1] + c[0];
    size_t close = at < size && data[at] == '\n' ? data.find('\n', at + 1) : std::string_view::npos;
    if (close == std::string_view::npos) {
      return DataLoss("time zone file for '" + name +
                      "' has no footer (the TZ string between newlines that ends TZif files "
                      "of version 2 and later)");
    }
    std::string_view footer = data.substr(at + 1, close - at - 1);
    if (!footer.empty()) {
      auto parsed = PosixTimeZone::Parse(footer);
      if (!parsed.ok()) {
        return DataLoss("time zone file for '" + name +
                        "' ends with a rule that does not parse: " + parsed.status().message());
      }
      rule = std::move(parsed).value();
    }
  }
  return std::make_shared<const TimeZone>(std::move(name), std::move(transitions), std::move(idx),
                                          std::move(types), std::move(rule));
}

TimeZone::TimeZone(std::string name, std::vector<int64_t> transitions,
                   std::vector<uint8_t> transition_types, std::vector<Period> types,
                   std::optional<PosixTimeZone> rule)
    : name_(std::move(name)),
      transitions_(std::move(transitions)),
      transition_types_(std::move(transition_types)),
      types_(std::move(types)),
      rule_(std::move(rule)) {
  if (!rule_) return;
  const bool changes = rule_->has_dst() && !rule_->dst_all_year();
  // With transitions, the last one's type holds until the rule's first change after it
  // (INT64_MAX: none), as zic's readers have it. America/Ojinaga's slim file needs that:
  // it ends with a change to CST on 2022-10-30, a week before the rule's end of CDT.
  if (!transitions_.empty()) rule_from_ = rule_->NextChange(transitions_.back());
  if (!changes || rule_from_ >= kRuleTableEnd) return;
  // Table the rule's changes from then to 2100, so that lookups in the years asked about
  // most are one binary search, as inside the transitions.
  int64_t first_year = kRuleTableFirstYear;
  if (!transitions_.empty()) {
    first_year = std::max(first_year, YearOfDay(FloorDiv(rule_from_, kSecondsPerDay)) - 2);
  }
  std::vector<RuleChange> all;
  for (int64_t year = first_year; year <= kRuleTableLastYear; ++year) {
    int64_t start = 0, end = 0;
    rule_->DstChanges(year, &start, &end);
    all.push_back({end, false});
    all.push_back({start, true});
  }
  std::sort(all.begin(), all.end());
  for (const RuleChange& change : all) {
    if (change.at < rule_from_ || change.at >= kRuleTableEnd) continue;
    rule_changes_.push_back(change.at);
    rule_change_is_dst_.push_back(change.is_dst);
  }
  rule_table_end_ = kRuleTableEnd;
}

std::shared_ptr<const TimeZone> TimeZone::Utc() {
  static const auto utc = Fixed("UTC", 0);
  return utc;
}

const TimeZone::Period& TimeZone::PeriodAt(int64_t unix_seconds) const {
  if (rule_ && (transitions_.empty() || unix_seconds > transitions_.back())) {
    if (unix_seconds < rule_from_) return types_[transition_types_.back()];
    return RulePeriodAt(unix_seconds);
  }
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), unix_seconds);
  if (it == transitions_.begin()) {
    // Before the first transition: the first non-DST type (RFC 8536 3.2).
    for (const Period& p : types_) {
      if (!p.is_dst) return p;
    }
    return types_[0];
  }
  return types_[transition_types_[(it - transitions_.begin()) - 1]];
}

// From the rule's first change after the last transition (or at any instant, with no
// transitions): the footer's rule.
const TimeZone::Period& TimeZone::RulePeriodAt(int64_t unix_seconds) const {
  if (unix_seconds < rule_table_end_) {
    auto it = std::upper_bound(rule_changes_.begin(), rule_changes_.end(), unix_seconds);
    if (it != rule_changes_.begin()) {
      return rule_change_is_dst_[(it - rule_changes_.begin()) - 1] ? rule_->daylight()
                                                                   : rule_->standard();
    }
  }
  return rule_->PeriodAt(unix_seconds);
}

Result<std::shared_ptr<const TimeZone>> TimeZone::Find(std::string_view name) {
  if (name == "UTC" || name == "GMT" || name == "Z" || name == "Etc/UTC" || name == "UCT") {
    return Utc();
  }
  int32_t offset = 0;
  if (ParseOffset(name, &offset)) return Fixed(std::string(name), offset);
  for (std::string_view prefix : {"UTC", "GMT"}) {
    if (name.substr(0, 3) == prefix && ParseOffset(name.substr(3), &offset)) {
      return Fixed(std::string(name), offset);
    }
  }
  if (!IsSafeZoneName(name)) {
    return InvalidArgument("invalid time zone name '" + std::string(name) + "'");
  }
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  std::string key(name);
  TRY_ASSIGN(auto zone, LoadTzif(key));
  if (cache.size() < 1000) cache.emplace(key, zone);
  return zone;
}

}  // namespace tributary
