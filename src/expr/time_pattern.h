// The Joda-Time / SimpleDateFormat patterns that parse_time() formats with and
// time_to_epoch() parses with, split into their items once: runs of one letter
// ("yyyy", "MM") and literal text ("-", 'T'). Which letters mean what is up to the
// formatter (time_format.h) and the parser (time_parse.h). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::expr {

struct TimePatternItem {
  char letter = 0;      // 0: literal text
  int count = 0;        // how many times the letter repeats
  std::string literal;  // the text of a literal item
  size_t position = 0;  // 1-based, for error messages
};

// InvalidArgument naming the position of an unterminated quote. `'text'` is literal
// text, `''` a quote; other ASCII letters are pattern letters; anything else is literal.
Result<std::vector<TimePatternItem>> SplitTimePattern(std::string_view pattern);

// "unsupported letter 'q' at position 3 of the time pattern ...".
Status UnsupportedLetter(const TimePatternItem& item);

inline constexpr const char* kMonthNames[] = {"January", "February", "March",     "April",
                                              "May",     "June",     "July",      "August",
                                              "September", "October", "November", "December"};
inline constexpr const char* kDayNames[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                            "Friday", "Saturday", "Sunday"};

}  // namespace tributary::expr
