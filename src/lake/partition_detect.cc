#include "lake/partition_detect.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace tributary::lake {
namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

int ToInt(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// Whether `segment` fits date level `level` (0 year, 1 month, 2 day, 3 hour).
bool FitsDateLevel(std::string_view segment, int level) {
  if (!AllDigits(segment)) return false;
  if (level == 0) return segment.size() == 4;
  if (segment.size() > 2) return false;
  int v = ToInt(segment);
  switch (level) {
    case 1:
      return v >= 1 && v <= 12;
    case 2:
      return v >= 1 && v <= 31;
    case 3:
      return v <= 23;
  }
  return false;
}

constexpr const char* kDateNames[] = {"year", "month", "day", "hour"};

}  // namespace

DetectedPartition DetectPartition(std::string_view relative_key) {
  DetectedPartition out;
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (true) {
    size_t slash = relative_key.find('/', start);
    if (slash == std::string_view::npos) break;
    segments.push_back(relative_key.substr(start, slash - start));
    start = slash + 1;
  }
  out.prefix = std::string(relative_key.substr(0, start));
  int date_level = -1;  // the level of the previous segment in a date run, -1 outside one
  for (size_t i = 0; i < segments.size(); ++i) {
    std::string_view seg = segments[i];
    std::string name;
    std::string value(seg);
    size_t eq = seg.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      name = std::string(seg.substr(0, eq));
      value = std::string(seg.substr(eq + 1));
      date_level = -1;
    } else if (date_level >= 0 && date_level < 3 && FitsDateLevel(seg, date_level + 1)) {
      name = kDateNames[++date_level];
    } else if (FitsDateLevel(seg, 0)) {
      date_level = 0;
      name = kDateNames[0];
    } else {
      date_level = -1;
    }
    if (name.empty() || std::find(out.keys.begin(), out.keys.end(), name) != out.keys.end()) {
      name = "partition_" + std::to_string(i);
    }
    out.keys.push_back(std::move(name));
    out.values.push_back(std::move(value));
  }
  return out;
}

bool IsHiddenKey(std::string_view key) {
  if (key.empty() || key.back() == '/') return true;
  size_t start = 0;
  while (start < key.size()) {
    if (key[start] == '_' || key[start] == '.') return true;
    size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

std::vector<std::string> TableExclusions(const std::map<std::string, std::string>& parameters) {
  std::vector<std::string> out;
  auto it = parameters.find("exclusions");
  if (it == parameters.end()) return out;
  nlohmann::json j = nlohmann::json::parse(it->second, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& g : j) {
    if (g.is_string()) out.push_back(g.get<std::string>());
  }
  return out;
}

}  // namespace tributary::lake
