#include "streams/record_split.h"

#include <fmt/format.h>

namespace tributary::streams {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

Result<std::vector<std::string_view>> SplitJson(std::string_view record) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (true) {
    while (i < record.size() && IsSpace(record[i])) ++i;
    if (i == record.size()) break;
    if (record[i] != '{') {
      return InvalidArgument(fmt::format(
          "record: byte {} is not the start of a JSON object (deaggregation json takes objects "
          "one after another, not arrays or other values)", i));
    }
    const size_t start = i;
    int depth = 0;
    bool in_string = false;
    for (; i < record.size(); ++i) {
      const char c = record[i];
      if (in_string) {
        if (c == '\\') {
          ++i;  // the escaped character
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) break;
      }
    }
    if (i >= record.size()) {
      return InvalidArgument(fmt::format("record: the JSON object starting at byte {} is not closed", start));
    }
    ++i;  // past the closing brace
    out.push_back(record.substr(start, i - start));
    if (out.size() > kMaxSubRecords) {
      return InvalidArgument(fmt::format("record: more than {} JSON objects", kMaxSubRecords));
    }
  }
  return out;
}

Result<std::vector<std::string_view>> SplitDelimited(std::string_view record, std::string_view delimiter) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= record.size()) {
    size_t end = record.find(delimiter, start);
    if (end == std::string_view::npos) end = record.size();
    if (end > start) out.push_back(record.substr(start, end - start));
    if (out.size() > kMaxSubRecords) {
      return InvalidArgument(fmt::format("record: more than {} delimited pieces", kMaxSubRecords));
    }
    start = end + delimiter.size();
  }
  return out;
}

}  // namespace

Result<std::vector<std::string_view>> SplitRecord(std::string_view record, const Deaggregation& how) {
  Result<std::vector<std::string_view>> parts = std::vector<std::string_view>{record};
  switch (how.kind) {
    case Deaggregation::Kind::kNone: return parts;
    case Deaggregation::Kind::kJson: parts = SplitJson(record); break;
    case Deaggregation::Kind::kDelimited: parts = SplitDelimited(record, how.delimiter); break;
  }
  if (parts.ok() && parts->empty()) return InvalidArgument("record: holds no record to take apart");
  return parts;
}

}  // namespace tributary::streams
