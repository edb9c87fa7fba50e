#include "lake/json_records.h"

#include <array>
#include <string>

namespace tributary::lake {
namespace {

bool IsSeparator(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ','; }

// The bytes that matter inside a value: quotes, escapes, brackets and newlines (for the
// line count). Everything else is skipped by one table load per byte.
constexpr std::array<bool, 256> MakeStructural() {
  std::array<bool, 256> t{};
  for (unsigned char c : std::string_view("\"\\{}[]\n")) t[c] = true;
  return t;
}
constexpr std::array<bool, 256> kStructural = MakeStructural();

size_t SkipOrdinary(const char* p, size_t i, size_t n) {
  while (i + 4 <= n && !(kStructural[static_cast<unsigned char>(p[i])] | kStructural[static_cast<unsigned char>(p[i + 1])] |
                         kStructural[static_cast<unsigned char>(p[i + 2])] | kStructural[static_cast<unsigned char>(p[i + 3])])) {
    i += 4;
  }
  while (i < n && !kStructural[static_cast<unsigned char>(p[i])]) ++i;
  return i;
}

}  // namespace

Status SplitJsonRecords(std::string_view text,
                        const std::function<bool(std::string_view, RecordPosition)>& fn,
                        RecordPosition start_at) {
  size_t pos = 0;
  size_t line = start_at.line;
  if (start_at.offset == 0 && text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
  while (pos < text.size()) {
    char c = text[pos];
    if (IsSeparator(c)) {
      if (c == '\n') ++line;
      ++pos;
      continue;
    }
    RecordPosition start{start_at.offset + pos, line};
    size_t end = pos;
    if (c == '{' || c == '[') {
      // Balanced brackets outside strings; brackets need not match in kind here,
      // the parser says so later with a better message.
      int depth = 0;
      bool in_string = false;
      const char* data = text.data();
      for (; end < text.size(); ++end) {
        end = SkipOrdinary(data, end, text.size());
        if (end >= text.size()) break;
        char d = data[end];
        if (d == '\n') ++line;
        if (in_string) {
          if (d == '\\') {
            ++end;  // the escaped character cannot end the string
          } else if (d == '"') {
            in_string = false;
          }
          continue;
        }
        if (d == '"') {
          in_string = true;
        } else if (d == '{' || d == '[') {
          ++depth;
        } else if (d == '}' || d == ']') {
          if (--depth == 0) break;
        }
      }
      if (end >= text.size()) {
        return InvalidArgument(std::string(in_string ? "unterminated string in the" : "unclosed") +
                               " JSON value that starts at line " + std::to_string(start.line) +
                               ", offset " + std::to_string(start.offset));
      }
      ++end;
    } else {
      // A scalar or garbage: up to the next separator or value start.
      while (end < text.size() && !IsSeparator(text[end]) && text[end] != '{' && text[end] != '[')
        ++end;
    }
    if (!fn(text.substr(pos, end - pos), start)) return Status::Ok();
    pos = end;
  }
  return Status::Ok();
}

}  // namespace tributary::lake
