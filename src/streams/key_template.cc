#include "streams/key_template.h"

#include <ctime>

#include <fmt/format.h>

#include "base/ids.h"

namespace tributary::streams {
namespace {

constexpr std::string_view kDefaultTimePattern = "yyyy/MM/dd/HH";

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Java's quoted text in a timestamp pattern, from the quote at `open`: inside it '' is a
// quote, and '' alone is one too. Sets `*text` to what it stands for and returns the
// position after the closing quote, or npos when it is not closed.
size_t QuotedText(std::string_view pattern, size_t open, std::string* text) {
  text->clear();
  size_t i = open + 1;
  for (; i < pattern.size(); ++i) {
    if (pattern[i] != '\'') {
      text->push_back(pattern[i]);
    } else if (i + 1 < pattern.size() && pattern[i + 1] == '\'') {
      text->push_back('\'');
      ++i;
    } else {
      break;
    }
  }
  if (i >= pattern.size()) return std::string_view::npos;
  if (i == open + 1) *text = "'";
  return i + 1;
}

// Checks a timestamp pattern that starts at `pos` in the template.
Status CheckTimePattern(std::string_view pattern, size_t pos, std::string_view what) {
  static constexpr std::string_view kTokens[] = {"yyyy", "MM", "dd", "HH", "mm", "ss"};
  if (pattern.empty()) {
    return InvalidArgument(fmt::format("{}: empty timestamp pattern at position {}", what, pos));
  }
  size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == '\'') {
      // Java's quoted text: 'T' is the letter T, '' a quote.
      std::string text;
      size_t after = QuotedText(pattern, i, &text);
      if (after == std::string_view::npos) {
        return InvalidArgument(fmt::format(
            "{}: the quote at position {} of the timestamp pattern is not closed", what, pos + i));
      }
      i = after;
      continue;
    }
    if (!IsLetter(pattern[i])) {
      ++i;
      continue;
    }
    bool matched = false;
    for (std::string_view token : kTokens) {
      if (pattern.substr(i, token.size()) == token) {
        // "yyyyy" or "MMM" are other Java patterns we do not render.
        size_t end = i + token.size();
        if (end < pattern.size() && pattern[end] == token[0]) break;
        i = end;
        matched = true;
        break;
      }
    }
    if (!matched) {
      size_t run = i;
      while (run < pattern.size() && pattern[run] == pattern[i]) ++run;
      return InvalidArgument(fmt::format(
          "{}: unsupported timestamp token '{}' at position {} (use yyyy MM dd HH mm ss)", what,
          pattern.substr(i, run - i), pos + i));
    }
  }
  return Status::Ok();
}

bool IsFieldName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsLetter(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

std::string FormatTime(int64_t unix_ms, std::string_view pattern, const TimeZone* zone) {
  std::time_t secs = static_cast<std::time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
  // The zone's wall clock is UTC shifted by its offset at that instant.
  if (zone != nullptr) secs += zone->PeriodAt(secs).utc_offset_seconds;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == '\'') {
      // Quoted text, as Java's DateTimeFormatter has it: copied without the quotes, and
      // '' is one quote (patterns are checked when the stream is made: it is closed).
      std::string text;
      size_t after = QuotedText(pattern, i, &text);
      out += text;
      i = after == std::string_view::npos ? pattern.size() : after;
      continue;
    }
    std::string_view rest = pattern.substr(i);
    auto take = [&](std::string_view token, int width, int value) {
      if (rest.substr(0, token.size()) != token) return false;
      out += fmt::format("{:0{}d}", value, width);
      i += token.size();
      return true;
    };
    if (take("yyyy", 4, tm.tm_year + 1900) || take("MM", 2, tm.tm_mon + 1) ||
        take("dd", 2, tm.tm_mday) || take("HH", 2, tm.tm_hour) || take("mm", 2, tm.tm_min) ||
        take("ss", 2, tm.tm_sec)) {
      continue;
    }
    out.push_back(pattern[i++]);
  }
  return out;
}

std::string ObjectName(std::string_view stream, int64_t time_ms, std::string_view uuid,
                       Compression compression, const TimeZone* zone,
                       std::string_view extension) {
  std::string name = fmt::format("{}-1-{}-{}", stream,
                                 FormatTime(time_ms, "yyyy-MM-dd-HH-mm-ss", zone), uuid);
  if (!extension.empty()) {
    name += extension;
  } else if (compression == Compression::kGzip) {
    name += ".gz";
  } else if (compression == Compression::kZip) {
    name += ".zip";
  } else if (compression == Compression::kSnappy || compression == Compression::kHadoopSnappy) {
    name += ".snappy";  // both, as Firehose names them
  }
  return name;
}

Result<KeyTemplate> KeyTemplate::Parse(std::string_view text, Use use, std::string_view what) {
  KeyTemplate t;
  bool has_expression = false;
  std::string literal;
  auto flush_literal = [&] {
    if (!literal.empty()) t.parts_.push_back({Part::Kind::kLiteral, std::move(literal), 0});
    literal.clear();
  };
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '!' || i + 1 >= text.size() || text[i + 1] != '{') {
      if (text[i] == '{' || text[i] == '}') {
        return InvalidArgument(fmt::format("{}: stray '{}' at position {} (expressions are "
                                           "written !{{namespace:value}})", what, text[i], i));
      }
      literal.push_back(text[i++]);
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return InvalidArgument(fmt::format("{}: unterminated '!{{' at position {}", what, i));
    }
    std::string_view expr = text.substr(i + 2, close - i - 2);
    size_t colon = expr.find(':');
    std::string_view ns = expr.substr(0, colon);
    std::string_view arg = colon == std::string_view::npos ? "" : expr.substr(colon + 1);
    size_t arg_pos = i + 2 + ns.size() + 1;
    flush_literal();
    if (ns == "timestamp") {
      TRY(CheckTimePattern(arg, arg_pos, what));
      t.parts_.push_back({Part::Kind::kTime, std::string(arg), 0});
    } else if (ns == "partitionKeyFromQuery") {
      if (use != Use::kPrefix) {
        return InvalidArgument(fmt::format(
            "{}: partitionKeyFromQuery at position {} is only allowed in the prefix", what, i));
      }
      if (!IsFieldName(arg)) {
        return InvalidArgument(fmt::format(
            "{}: partitionKeyFromQuery needs a top-level field name ([A-Za-z0-9_-]+) at "
            "position {}, got '{}'", what, arg_pos, arg));
      }
      size_t index = t.fields_.size();
      for (size_t f = 0; f < t.fields_.size(); ++f) {
        if (t.fields_[f] == arg) index = f;
      }
      if (index == t.fields_.size()) t.fields_.emplace_back(arg);
      t.parts_.push_back({Part::Kind::kPartition, std::string(arg), index});
    } else if (ns == "firehose" && arg == "error-output-type") {
      if (use != Use::kErrorPrefix) {
        return InvalidArgument(fmt::format(
            "{}: firehose:error-output-type at position {} is only allowed in the error prefix",
            what, i));
      }
      t.parts_.push_back({Part::Kind::kErrorType, "", 0});
    } else if (ns == "firehose" && arg == "random-string") {
      t.parts_.push_back({Part::Kind::kRandom, "", 0});
    } else {
      return InvalidArgument(fmt::format(
          "{}: unknown expression '{}' at position {} (supported: timestamp:<pattern>, "
          "partitionKeyFromQuery:<field>, firehose:error-output-type, firehose:random-string)",
          what, expr, i));
    }
    has_expression = true;
    i = close + 1;
  }
  flush_literal();
  // Firehose appends the hourly time prefix when the template has no expression.
  if (!has_expression) t.parts_.push_back({Part::Kind::kTime, std::string(kDefaultTimePattern) + "/", 0});
  return t;
}

std::string KeyTemplate::Render(const KeyContext& context) const {
  std::string out;
  for (const Part& part : parts_) {
    switch (part.kind) {
      case Part::Kind::kLiteral:
        out += part.text;
        break;
      case Part::Kind::kTime:
        out += FormatTime(context.time_ms, part.text, context.zone);
        break;
      case Part::Kind::kPartition:
        if (part.field_index < context.partition_values.size()) {
          out += context.partition_values[part.field_index];
        }
        break;
      case Part::Kind::kErrorType:
        out += context.error_output_type;
        break;
      case Part::Kind::kRandom:
        out += RandomHex(6).substr(0, kRandomStringLength);
        break;
    }
  }
  return out;
}

}  // namespace tributary::streams
