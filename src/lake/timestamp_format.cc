#include "lake/timestamp_format.h"

#include <chrono>

#include <fmt/format.h>

namespace tributary::lake {
namespace {

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads between `min` and `max` digits at `*pos`.
bool Digits(std::string_view s, size_t* pos, int min, int max, int64_t* out) {
  int64_t v = 0;
  int n = 0;
  while (*pos < s.size() && n < max && IsDigit(s[*pos])) {
    v = v * 10 + (s[*pos] - '0');
    ++*pos;
    ++n;
  }
  *out = v;
  return n >= min;
}

}  // namespace

Result<TimestampFormat> TimestampFormat::Parse(std::string_view pattern) {
  TimestampFormat f;
  if (pattern == "millis") {
    f.millis_ = true;
    return f;
  }
  if (pattern.empty()) return InvalidArgument("timestamp format: empty");
  size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '\'') {
      size_t j = i + 1;
      std::string text;
      while (true) {
        if (j >= pattern.size()) {
          return InvalidArgument(fmt::format(
              "timestamp format '{}': quote at position {} is not closed", pattern, i));
        }
        if (pattern[j] == '\'') {
          if (j + 1 < pattern.size() && pattern[j + 1] == '\'') {
            text += '\'';
            j += 2;
            continue;
          }
          break;
        }
        text += pattern[j++];
      }
      // '' alone is a quote.
      f.tokens_.push_back({Field::kLiteral, 0, j == i + 1 ? std::string(1, '\'') : std::move(text)});
      i = j + 1;
      continue;
    }
    if (!IsLetter(c)) {
      f.tokens_.push_back({Field::kLiteral, 0, std::string(1, c)});
      ++i;
      continue;
    }
    size_t j = i;
    while (j < pattern.size() && pattern[j] == c) ++j;
    int width = static_cast<int>(j - i);
    Field field;
    switch (c) {
      case 'y': case 'Y': case 'u': field = Field::kYear; break;
      case 'M': field = Field::kMonth; break;
      case 'd': field = Field::kDay; break;
      case 'H': field = Field::kHour; break;
      case 'm': field = Field::kMinute; break;
      case 's': field = Field::kSecond; break;
      case 'S': field = Field::kFraction; break;
      case 'Z': case 'X': field = Field::kOffset; break;
      default:
        return InvalidArgument(fmt::format(
            "timestamp format '{}': pattern letter '{}' at position {} is not supported "
            "(known: y M d H m s S Z X, 'text')", pattern, c, i));
    }
    if (field == Field::kMonth && width > 2) {
      return InvalidArgument(fmt::format(
          "timestamp format '{}': month names (MMM) at position {} are not supported", pattern, i));
    }
    if (field == Field::kFraction && width > 9) {
      return InvalidArgument(fmt::format(
          "timestamp format '{}': more than 9 fraction digits at position {}", pattern, i));
    }
    f.tokens_.push_back({field, width, {}});
    i = j;
  }
  return f;
}

std::optional<int64_t> TimestampFormat::ParseMicros(std::string_view s) const {
  if (millis_) {
    size_t pos = 0;
    bool negative = !s.empty() && s[0] == '-';
    if (negative) pos = 1;
    int64_t v;
    if (!Digits(s, &pos, 1, 15, &v) || pos != s.size()) return std::nullopt;
    return (negative ? -v : v) * 1000;
  }
  int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, micros = 0;
  int64_t offset_s = 0;
  size_t pos = 0;
  for (size_t t = 0; t < tokens_.size(); ++t) {
    const Token& tok = tokens_[t];
    // A field followed directly by another field takes exactly its width in digits.
    bool fixed = t + 1 < tokens_.size() && tokens_[t + 1].field != Field::kLiteral &&
                 tokens_[t + 1].field != Field::kOffset;
    int max = fixed ? tok.width : 9;
    int min = tok.width >= 2 ? tok.width : 1;
    switch (tok.field) {
      case Field::kLiteral:
        if (s.substr(pos, tok.literal.size()) != tok.literal) return std::nullopt;
        pos += tok.literal.size();
        break;
      case Field::kYear:
        if (!Digits(s, &pos, std::min(min, 4), fixed ? tok.width : 4, &year)) return std::nullopt;
        break;
      case Field::kMonth:
        if (!Digits(s, &pos, min, fixed ? max : 2, &month)) return std::nullopt;
        break;
      case Field::kDay:
        if (!Digits(s, &pos, min, fixed ? max : 2, &day)) return std::nullopt;
        break;
      case Field::kHour:
        if (!Digits(s, &pos, min, fixed ? max : 2, &hour)) return std::nullopt;
        break;
      case Field::kMinute:
        if (!Digits(s, &pos, min, fixed ? max : 2, &minute)) return std::nullopt;
        break;
      case Field::kSecond:
        if (!Digits(s, &pos, min, fixed ? max : 2, &second)) return std::nullopt;
        break;
      case Field::kFraction: {
        size_t start = pos;
        int64_t v;
        if (!Digits(s, &pos, 1, fixed ? tok.width : 9, &v)) return std::nullopt;
        for (size_t n = pos - start; n < 6; ++n) v *= 10;
        for (size_t n = pos - start; n > 6; --n) v /= 10;
        micros = v;
        break;
      }
      case Field::kOffset: {
        if (pos < s.size() && s[pos] == 'Z') {
          ++pos;
          break;
        }
        if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return std::nullopt;
        int sign = s[pos] == '-' ? -1 : 1;
        ++pos;
        int64_t hh, mm = 0;
        if (!Digits(s, &pos, 2, 2, &hh)) return std::nullopt;
        if (pos < s.size() && s[pos] == ':') ++pos;
        if (pos < s.size() && IsDigit(s[pos]) && !Digits(s, &pos, 2, 2, &mm)) return std::nullopt;
        if (hh > 18 || mm > 59) return std::nullopt;
        offset_s = sign * (hh * 3600 + mm * 60);
        break;
      }
    }
  }
  if (pos != s.size()) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return std::nullopt;
  }
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year(static_cast<int>(year)),
                     std::chrono::month(static_cast<unsigned>(month)),
                     std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return std::nullopt;
  int64_t days = sys_days(ymd).time_since_epoch().count();
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  return secs * 1'000'000 + micros;
}

}  // namespace tributary::lake
