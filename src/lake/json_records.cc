#include "lake/json_records.h"

#include <string>

namespace tributary::lake {
namespace {

bool IsSeparator(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ','; }

}  // namespace

Status SplitJsonRecords(std::string_view text,
                        const std::function<bool(std::string_view, RecordPosition)>& fn) {
  size_t pos = 0;
  size_t line = 1;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
  while (pos < text.size()) {
    char c = text[pos];
    if (IsSeparator(c)) {
      if (c == '\n') ++line;
      ++pos;
      continue;
    }
    RecordPosition start{pos, line};
    size_t end = pos;
    if (c == '{' || c == '[') {
      // Balanced brackets outside strings; brackets need not match in kind here,
      // the parser says so later with a better message.
      int depth = 0;
      bool in_string = false;
      for (; end < text.size(); ++end) {
        char d = text[end];
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
