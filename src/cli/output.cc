#include "cli/output.h"

#include <algorithm>
#include <cstdio>

#include "base/utf8.h"

namespace tributary::cli {

std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    unsigned code = static_cast<unsigned char>(text[i]);
    size_t n = 1;
    if (code >= 0x20 && code != 0x7f) {
      n = Utf8SequenceLength(text, i);
      // A C1 control (U+0080..U+009F: 0x9b starts an escape sequence on some terminals) is
      // written out too; other sequences, and bytes that are not UTF-8, pass as they are.
      const unsigned next = n == 2 ? static_cast<unsigned char>(text[i + 1]) : 0;
      if (!(code == 0xc2 && next >= 0x80 && next < 0xa0)) {
        n = std::max<size_t>(n, 1);
        out.append(text.data() + i, n);
        i += n;
        continue;
      }
      code = next;
    }
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
    i += n;
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
  std::vector<std::vector<std::string>> shown(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    for (const std::string& cell : rows[r]) shown[r].push_back(OneLine(cell));
    for (size_t i = 0; i < shown[r].size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], shown[r][i].size());
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < width.size(); ++i) {
      const std::string& cell = i < row.size() ? row[i] : std::string();
      line += cell;
      if (i + 1 < width.size()) line += std::string(width[i] - cell.size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  };
  print_row(headers);
  for (const auto& row : shown) print_row(row);
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
