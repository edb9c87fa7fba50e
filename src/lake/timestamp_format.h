// TimestampFormat: a timestamp pattern as Firehose's Hive JSON deserializer takes them
// (TimestampFormats): "millis" (epoch milliseconds, as a number or its digits) or a
// Joda-style pattern. Pattern letters: yyyy (year), M/MM (month), d/dd (day), H/HH (hour,
// 0-23), m/mm, s/ss, S... (fraction of a second, 1-9 digits), Z/X (offset: Z, +hhmm,
// +hh:mm, +hh), text in single quotes ('T'; '' for a quote) and any other non-letter as
// itself. A text without an offset is UTC.
//
//   TRY_ASSIGN(TimestampFormat f, TimestampFormat::Parse("yyyy-MM-dd'T'HH:mm:ss.SSSZ"));
//   std::optional<int64_t> us = f.ParseMicros("2026-12-04T10:15:00.250+0100");
//
// Immutable value; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::lake {

class TimestampFormat {
 public:
  // InvalidArgument naming the position of a letter it does not know.
  static Result<TimestampFormat> Parse(std::string_view pattern);

  // Microseconds since the Unix epoch (UTC); nullopt when `text` does not match.
  std::optional<int64_t> ParseMicros(std::string_view text) const;
  bool is_millis() const { return millis_; }

 private:
  enum class Field { kLiteral, kYear, kMonth, kDay, kHour, kMinute, kSecond, kFraction, kOffset };
  struct Token {
    Field field = Field::kLiteral;
    int width = 0;        // letters in the pattern (2: "MM" wants two digits)
    std::string literal;  // kLiteral
  };
  bool millis_ = false;
  std::vector<Token> tokens_;
};

}  // namespace tributary::lake
