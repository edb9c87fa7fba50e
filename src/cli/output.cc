#include "cli/output.h"

#include <algorithm>
#include <cstdio>

namespace tributary::cli {

std::string OneLine(std::string_view text) {
  auto is_control = [&](size_t i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) return 1;
    // U+0080..U+009F in UTF-8: C1 controls (0x9b starts an escape sequence on some terminals).
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xa0 &&
        static_cast<unsigned char>(text[i + 1]) >= 0x80) {
      return 2;
    }
    return 0;
  };
  size_t i = 0;
  while (i < text.size() && is_control(i) == 0) ++i;
  if (i == text.size()) return std::string(text);
  std::string out(text.substr(0, i));
  while (i < text.size()) {
    const int n = is_control(i);
    if (n == 0) {
      out += text[i++];
      continue;
    }
    const unsigned code =
        n == 2 ? static_cast<unsigned char>(text[i + 1]) : static_cast<unsigned char>(text[i]);
    switch (code) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04x", code);
        out += escaped;
      }
    }
    i += static_cast<size_t>(n);
  }
  return out;
}

std::string Cell(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return v.dump();
}

void PrintTable(const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) width[i] = headers[i].size();
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], OneLine(row[i]).size());
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < row.size() ? OneLine(row[i]) : "";
      line += cell;
      if (i + 1 < width.size()) line += std::string(width[i] - cell.size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  };
  print_row(headers);
  for (const auto& row : rows) print_row(row);
}

void PrintObject(const nlohmann::json& object) {
  size_t w = 0;
  for (const auto& [k, v] : object.items()) w = std::max(w, k.size());
  for (const auto& [k, v] : object.items()) {
    std::printf("%s:%s %s\n", k.c_str(), std::string(w - k.size(), ' ').c_str(),
                OneLine(Cell(v)).c_str());
  }
}

void PrintJson(const nlohmann::json& value) { std::printf("%s\n", value.dump(2).c_str()); }

}  // namespace tributary::cli
