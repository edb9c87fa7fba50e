#include "base/json_numbers.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace tributary {
namespace {

// Whether `token` is a number as JSON writes them: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(std::string_view token) {
  size_t i = 0;
  auto digits = [&] {
    size_t from = i;
    while (i < token.size() && token[i] >= '0' && token[i] <= '9') ++i;
    return i > from;
  };
  if (i < token.size() && token[i] == '-') ++i;
  if (i < token.size() && token[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < token.size() && token[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    if (i < token.size() && (token[i] == '+' || token[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == token.size();
}

// Whether the integer `token` is one simdjson reads: an int64, or a uint64 above that.
bool FitsSixtyFourBits(std::string_view token) {
  const char* last = token.data() + token.size();
  int64_t i = 0;
  auto [end, ec] = std::from_chars(token.data(), last, i);
  if (ec == std::errc() && end == last) return true;
  uint64_t u = 0;
  auto [uend, uec] = std::from_chars(token.data(), last, u);
  return uec == std::errc() && uend == last;
}

// `token` as ReadableNumbers writes it.
void AppendReadableNumber(std::string_view token, std::string_view out_of_range_json,
                          std::string* out) {
  if (!IsJsonNumber(token)) {
    out->append(token);
    return;
  }
  double d = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), d);
  if (ec == std::errc() && end == token.data() + token.size() && std::isfinite(d)) {
    const bool integer = token.find_first_of(".eE") == std::string_view::npos;
    if (!integer || FitsSixtyFourBits(token)) {
      out->append(token);  // simdjson read it: not the one that failed
      return;
    }
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    out->append(buf, r.ptr);
    return;
  }
  if (ec == std::errc::result_out_of_range) {
    // Too small reads as zero (as simdjson has it); too large has no double.
    size_t e = token.find_first_of("eE");
    if (e != std::string_view::npos && e + 1 < token.size() && token[e + 1] == '-') {
      out->append("0.0");
      return;
    }
    out->append(out_of_range_json);
    return;
  }
  out->append(token);  // not a number at all: let the parser say so
}

}  // namespace

std::string ReadableNumbers(std::string_view text, std::string_view out_of_range_json) {
  std::string out;
  out.reserve(text.size() + 64);
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, text.size());
      out.append(text.substr(i, j - i));
      i = j;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i + 1;
      while (j < text.size() &&
             ((text[j] >= '0' && text[j] <= '9') || text[j] == '.' || text[j] == 'e' ||
              text[j] == 'E' || text[j] == '+' || text[j] == '-')) {
        ++j;
      }
      AppendReadableNumber(text.substr(i, j - i), out_of_range_json, &out);
      i = j;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

}  // namespace tributary
