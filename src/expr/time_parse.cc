#include "expr/time_parse.h"

#include <cctype>
#include <optional>

#include "base/ascii.h"
#include "expr/civil_time.h"
#include "expr/time_format.h"
#include "expr/time_pattern.h"
#include "base/time_zone.h"

namespace tributary::expr {
namespace {

bool IsNumeric(const TimePatternItem& item) {
  switch (item.letter) {
    case 'y': case 'u': case 'Y': case 'd': case 'D': case 'H': case 'k': case 'h':
    case 'K': case 'm': case 's': case 'S': case 'e':
      return true;
    case 'M':
      return item.count <= 2;
    default:
      return false;
  }
}

bool Known(char letter) {
  static constexpr std::string_view kLetters = "yuYMdDHkhKmsSEeaGZXxOzV";
  return kLetters.find(letter) != std::string_view::npos;
}

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  size_t at() const { return at_; }
  void Rewind(size_t at) { at_ = at; }
  bool done() const { return at_ == text_.size(); }
  std::string_view rest() const { return text_.substr(at_); }

  Status Fail(const std::string& expected) const {
    std::string found = done() ? "the end of the text"
                               : "'" + std::string(rest().substr(0, 12)) + "'";
    return InvalidArgument("expected " + expected + " at position " + std::to_string(at_ + 1) +
                           " of '" + std::string(text_) + "', found " + found);
  }

  // Between `min` and `max` digits (at most 18, so that the value fits).
  std::optional<int64_t> Number(int min, int max) {
    if (min > 18) return std::nullopt;
    max = std::min(max, 18);
    int64_t v = 0;
    int n = 0;
    while (n < max && at_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_]))) {
      v = v * 10 + (text_[at_++] - '0');
      ++n;
    }
    if (n < min) {
      at_ -= n;
      return std::nullopt;
    }
    return v;
  }

  // The index of the word of `words` (or of its first three letters when `short_too`)
  // that the text continues with, any case; the longest match wins.
  std::optional<int> Word(const char* const* words, int count, bool short_too) {
    for (int pass = 0; pass < (short_too ? 2 : 1); ++pass) {
      for (int i = 0; i < count; ++i) {
        std::string_view w = words[i];
        if (pass == 1) w = w.substr(0, 3);
        if (rest().size() >= w.size() && EqualsIgnoreCase(rest().substr(0, w.size()), w)) {
          at_ += w.size();
          return i;
        }
      }
    }
    return std::nullopt;
  }

  bool Literal(std::string_view s) {
    if (!rest().starts_with(s)) return false;
    at_ += s.size();
    return true;
  }

  // A token of characters that can appear in a zone or offset, up to `stop`.
  std::string_view Token(char stop) {
    size_t start = at_;
    while (at_ < text_.size() && text_[at_] != stop &&
           !std::isspace(static_cast<unsigned char>(text_[at_]))) {
      ++at_;
    }
    return text_.substr(start, at_ - start);
  }

 private:
  std::string_view text_;
  size_t at_ = 0;
};

struct Fields {
  int64_t year = 1970;
  bool before_christ = false;
  int64_t month = 1, day = 1, day_of_year = 0;
  int64_t hour = 0, minute = 0, second = 0, millis = 0;
  std::optional<bool> pm;  // from 'a'
  bool twelve_hour = false;
  bool day_given = false;
  std::shared_ptr<const TimeZone> zone;
};

// Reads one pattern item into `f`. `next_is_number`: a number follows with nothing
// between; `stop`: the first character of the literal text that follows, or 0.
Status ReadItem(const TimePatternItem& item, bool next_is_number, char stop, Reader& in,
                Fields& f) {
  auto number = [&](int min, int max, int64_t* out, const char* what) -> Status {
    if (next_is_number) min = max = item.count;
    auto v = in.Number(min, max);
    if (!v) return in.Fail(what);
    *out = *v;
    return Status::Ok();
  };
  int width = std::max(item.count, 2);
  switch (item.letter) {
    case 'y': case 'u': case 'Y':
      if (item.count == 2) {
        TRY(number(2, 2, &f.year, "a two-digit year"));
        f.year += 2000;
        return Status::Ok();
      }
      return number(std::min(item.count, 4), 6, &f.year, "a year");
    case 'M':
      if (item.count >= 3) {
        auto m = in.Word(kMonthNames, 12, true);
        if (!m) return in.Fail("a month name");
        f.month = *m + 1;
        return Status::Ok();
      }
      return number(1, width, &f.month, "a month");
    case 'd':
      f.day_given = true;
      return number(1, width, &f.day, "a day of the month");
    case 'D':
      return number(1, std::max(item.count, 3), &f.day_of_year, "a day of the year");
    case 'H': case 'k':
      TRY(number(1, width, &f.hour, "an hour"));
      if (item.letter == 'k' && f.hour == 24) f.hour = 0;
      return Status::Ok();
    case 'h': case 'K':
      f.twelve_hour = true;
      TRY(number(1, width, &f.hour, "an hour"));
      if (item.letter == 'h' && (f.hour < 1 || f.hour > 12)) return in.Fail("an hour 1-12");
      f.hour %= 12;
      return Status::Ok();
    case 'm':
      return number(1, width, &f.minute, "minutes");
    case 's':
      return number(1, width, &f.second, "seconds");
    case 'S': {
      size_t start = in.at();
      int64_t digits = 0;
      TRY(number(1, 9, &digits, "a fraction of the second"));
      int n = static_cast<int>(in.at() - start);
      while (n > 3) digits /= 10, --n;
      while (n < 3) digits *= 10, ++n;
      f.millis = digits;
      return Status::Ok();
    }
    case 'E':
      if (!in.Word(kDayNames, 7, true)) return in.Fail("a day name");
      return Status::Ok();
    case 'e': {
      int64_t ignored;
      return number(1, 1, &ignored, "a day of the week");
    }
    case 'a':
      if (in.Literal("AM") || in.Literal("am")) {
        f.pm = false;
      } else if (in.Literal("PM") || in.Literal("pm")) {
        f.pm = true;
      } else {
        return in.Fail("AM or PM");
      }
      return Status::Ok();
    case 'G':
      if (in.Literal("AD")) return Status::Ok();
      if (in.Literal("BC")) {
        f.before_christ = true;
        return Status::Ok();
      }
      return in.Fail("AD or BC");
    default: {  // zones and offsets: Z X x O z V
      size_t start = in.at();
      std::string_view token = in.Token(stop);
      if (token == "Z" || token == "z") {
        f.zone = TimeZone::Utc();
        return Status::Ok();
      }
      auto zone = TimeZone::Find(token);
      if (token.empty() || !zone.ok()) {
        in.Rewind(start);
        return in.Fail(item.letter == 'z' || item.letter == 'V'
                           ? "a time zone (UTC, +01:00 or an IANA name like Europe/Paris)"
                           : "an offset (Z, +01, +0100 or +01:00)");
      }
      f.zone = std::move(zone).value();
      return Status::Ok();
    }
  }
}

}  // namespace

Status CheckParsePattern(std::string_view pattern) {
  TRY_ASSIGN(auto items, SplitTimePattern(pattern));
  for (const TimePatternItem& item : items) {
    if (item.letter != 0 && !Known(item.letter)) return UnsupportedLetter(item);
  }
  return Status::Ok();
}

Result<int64_t> ParseTimeText(std::string_view text, std::string_view pattern) {
  TRY_ASSIGN(auto items, SplitTimePattern(pattern));
  Reader in(text);
  Fields f;
  for (size_t i = 0; i < items.size(); ++i) {
    const TimePatternItem& item = items[i];
    if (item.letter == 0) {
      if (!in.Literal(item.literal)) return in.Fail("'" + item.literal + "'");
      continue;
    }
    if (!Known(item.letter)) return UnsupportedLetter(item);
    bool next_is_number = IsNumeric(item) && i + 1 < items.size() && IsNumeric(items[i + 1]);
    char stop = 0;
    if (i + 1 < items.size() && items[i + 1].letter == 0 && !items[i + 1].literal.empty()) {
      stop = items[i + 1].literal[0];
    }
    TRY(ReadItem(item, next_is_number, stop, in, f));
  }
  if (!in.done()) return in.Fail("the end of the text");

  auto out_of_range = [&](const char* what, int64_t v) {
    return InvalidArgument(std::string(what) + " " + std::to_string(v) + " in '" +
                           std::string(text) + "' is out of range");
  };
  // Beyond this the day arithmetic could overflow; kMaxTimeMillis is about 275,000 years.
  if (f.year > 1'000'000) return out_of_range("year", f.year);
  if (f.before_christ) f.year = 1 - f.year;
  if (f.pm && !f.twelve_hour) {
    return InvalidArgument("AM/PM in '" + std::string(text) + "' needs a 12-hour clock (h or K)");
  }
  if (f.pm && *f.pm) f.hour += 12;
  if (f.month < 1 || f.month > 12) return out_of_range("month", f.month);
  int64_t days;
  if (f.day_of_year > 0 && !f.day_given && f.month == 1) {
    if (f.day_of_year > (IsLeapYear(f.year) ? 366 : 365)) {
      return out_of_range("day of the year", f.day_of_year);
    }
    days = DaysFromCivil(f.year, 1, 1) + f.day_of_year - 1;
  } else {
    if (f.day < 1 || f.day > DaysInMonth(f.year, static_cast<int>(f.month))) {
      return out_of_range("day", f.day);
    }
    days = DaysFromCivil(f.year, f.month, f.day);
  }
  if (f.hour > 23) return out_of_range("hour", f.hour);
  if (f.minute > 59) return out_of_range("minute", f.minute);
  if (f.second > 59) return out_of_range("second", f.second);

  int64_t local = days * 86400 + f.hour * 3600 + f.minute * 60 + f.second;
  int64_t utc = local;
  if (f.zone) {
    // The offset at the local time read as UTC is right except near a change; then the
    // offset at the first guess is tried.
    int32_t first = f.zone->PeriodAt(local).utc_offset_seconds;
    utc = local - first;
    int32_t second = f.zone->PeriodAt(utc).utc_offset_seconds;
    if (second != first && f.zone->PeriodAt(local - second).utc_offset_seconds == second) {
      utc = local - second;
    }
  }
  if (utc > kMaxTimeMillis / 1000 || utc < -kMaxTimeMillis / 1000) {
    return InvalidArgument("'" + std::string(text) + "' is out of range (at most 8.64e15 ms "
                           "from 1970-01-01)");
  }
  return utc * 1000 + f.millis;
}

}  // namespace tributary::expr
