#include "expr/time_pattern.h"

#include <cctype>

namespace tributary::expr {

Result<std::vector<TimePatternItem>> SplitTimePattern(std::string_view pattern) {
  std::vector<TimePatternItem> items;
  items.reserve(pattern.size());  // at most one item a character: one allocation per call
  auto literal = [&](size_t at) -> std::string& {
    if (items.empty() || items.back().letter != 0) {
      items.push_back(TimePatternItem{0, 0, "", at + 1});
    }
    return items.back().literal;
  };
  size_t i = 0;
  while (i < pattern.size()) {
    char ch = pattern[i];
    if (ch == '\'') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '\'') {
        literal(i).push_back('\'');
        i += 2;
        continue;
      }
      size_t j = i + 1;
      std::string& text = literal(i);
      while (true) {
        if (j >= pattern.size()) {
          return InvalidArgument("unterminated quote at position " + std::to_string(i + 1) +
                                 " of the time pattern");
        }
        if (pattern[j] == '\'') {
          if (j + 1 < pattern.size() && pattern[j + 1] == '\'') {
            text.push_back('\'');
            j += 2;
            continue;
          }
          break;
        }
        text.push_back(pattern[j++]);
      }
      i = j + 1;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(ch))) {
      literal(i).push_back(ch);
      ++i;
      continue;
    }
    size_t n = 1;
    while (i + n < pattern.size() && pattern[i + n] == ch) ++n;
    items.push_back(TimePatternItem{ch, static_cast<int>(n), "", i + 1});
    i += n;
  }
  return items;
}

Status UnsupportedLetter(const TimePatternItem& item) {
  return InvalidArgument("unsupported letter '" + std::string(1, item.letter) +
                         "' at position " + std::to_string(item.position) +
                         " of the time pattern (quote literal text: 'T')");
}

}  // namespace tributary::expr
