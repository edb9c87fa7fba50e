#include "cli/output.h"

#include <algorithm>
#include <cstdio>

namespace tributary::cli {

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
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : "";
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
    std::printf("%s:%s %s\n", k.c_str(), std::string(w - k.size(), ' ').c_str(), Cell(v).c_str());
  }
}

void PrintJson(const nlohmann::json& value) { std::printf("%s\n", value.dump(2).c_str()); }

}  // namespace tributary::cli
