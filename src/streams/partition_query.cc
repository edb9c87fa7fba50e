#include "streams/partition_query.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace tributary::streams {
namespace {

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

class QueryParser {
 public:
  explicit QueryParser(std::string_view text) : text_(text) {}

  Result<std::vector<PartitionKey>> Run() {
    std::vector<PartitionKey> keys;
    SkipSpace();
    if (!Consume('{')) return Error("expected '{' to start the query");
    SkipSpace();
    if (Consume('}')) return Error("the query names no key");
    while (true) {
      PartitionKey key;
      SkipSpace();
      size_t at = i_;
      TRY_ASSIGN(key.name, Name());
      for (const PartitionKey& k : keys) {
        if (k.name == key.name) {
          return InvalidArgument(fmt::format(
              "partition_query: key '{}' at position {} is named twice", key.name, at));
        }
      }
      SkipSpace();
      if (!Consume(':')) return Error(fmt::format("expected ':' after '{}'", key.name));
      SkipSpace();
      TRY(Path(&key));
      TRY(Filters(&key));
      keys.push_back(std::move(key));
      SkipSpace();
      if (Consume('}')) break;
      if (!Consume(',')) return Error("expected ',', '}' or '| filter' after a key's path");
    }
    SkipSpace();
    if (i_ != text_.size()) return Error("unexpected text after the closing '}'");
    return keys;
  }

 private:
  Status Error(const std::string& what) const {
    return InvalidArgument(fmt::format("partition_query: {} at position {}", what, i_));
  }
  void SkipSpace() {
    while (i_ < text_.size() &&
           (text_[i_] == ' ' || text_[i_] == '\t' || text_[i_] == '\n' || text_[i_] == '\r')) {
      ++i_;
    }
  }
  bool Consume(char c) {
    if (i_ < text_.size() && text_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  // "text": no escapes but \" and \\.
  Result<std::string> Quoted() {
    size_t start = i_;
    ++i_;  // the opening quote
    std::string out;
    while (i_ < text_.size() && text_[i_] != '"') {
      if (text_[i_] == '\\' && i_ + 1 < text_.size() &&
          (text_[i_ + 1] == '"' || text_[i_ + 1] == '\\')) {
        ++i_;
      }
      out.push_back(text_[i_++]);
    }
    if (i_ >= text_.size()) {
      return InvalidArgument(
          fmt::format("partition_query: unterminated string starting at position {}", start));
    }
    ++i_;  // the closing quote
    if (out.empty()) {
      return InvalidArgument(fmt::format("partition_query: empty name at position {}", start));
    }
    return out;
  }

  Result<std::string> Ident() {
    size_t start = i_;
    if (i_ >= text_.size() || !IsIdentStart(text_[i_])) {
      return Error("expected a name (letters, digits, '_') or a \"quoted name\"");
    }
    while (i_ < text_.size() && IsIdentChar(text_[i_])) ++i_;
    return std::string(text_.substr(start, i_ - start));
  }

  Result<std::string> Name() {
    if (i_ < text_.size() && text_[i_] == '"') return Quoted();
    return Ident();
  }

  // .a.b, ."quoted", .["quoted"], .a["quoted"]: one or more segments.
  Status Path(PartitionKey* key) {
    size_t start = i_;
    if (i_ >= text_.size() || text_[i_] != '.') {
      return Error("expected a path such as .device.id");
    }
    while (i_ < text_.size() && (text_[i_] == '.' || (text_[i_] == '[' && i_ > start))) {
      Consume('.');
      std::string segment;
      if (Consume('[')) {
        if (i_ >= text_.size() || text_[i_] != '"') return Error("expected \"name\" after '.['");
        TRY_ASSIGN(segment, Quoted());
        if (!Consume(']')) return Error("expected ']'");
      } else {
        TRY_ASSIGN(segment, Name());
      }
      key->segments.push_back(std::move(segment));
    }
    key->path = std::string(text_.substr(start, i_ - start));
    return Status::Ok();
  }

  // After the path: "/ N" (a number divided), then "| filter" steps (partition_query.h).
  Status Filters(PartitionKey* key) {
    const size_t path_end = i_;
    SkipSpace();
    if (Consume('/')) {
      SkipSpace();
      size_t start = i_;
      while (i_ < text_.size() &&
             (std::isdigit(static_cast<unsigned char>(text_[i_])) || text_[i_] == '.'))
        ++i_;
      double divisor = 0;
      auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + i_, divisor);
      if (ec != std::errc() || end != text_.data() + i_ || !(divisor > 0) ||
          !std::isfinite(divisor)) {
        i_ = start;
        return Error("expected a number above 0 to divide by after '/'");
      }
      key->filters.push_back({PartitionFilter::Kind::kDivide, divisor, "",
                              "/ " + std::string(text_.substr(start, i_ - start))});
      SkipSpace();
    }
    while (Consume('|')) {
      SkipSpace();
      size_t start = i_;
      if (i_ >= text_.size() || !IsIdentStart(text_[i_]))
        return Error("expected a filter after '|'");
      TRY_ASSIGN(std::string name, Ident());
      PartitionFilter f{PartitionFilter::Kind::kToString, 1, "", ""};
      if (name == "strftime") {
        SkipSpace();
        if (!Consume('(')) return Error("expected (\"format\") after strftime");
        SkipSpace();
        if (i_ >= text_.size() || text_[i_] != '"') return Error("expected a \"format\" string");
        TRY_ASSIGN(f.format, Quoted());
        SkipSpace();
        if (!Consume(')')) return Error("expected ')' after strftime's format");
        f.kind = PartitionFilter::Kind::kStrftime;
      } else if (name == "fromdateiso8601" || name == "fromdate") {
        f.kind = PartitionFilter::Kind::kFromDate;
      } else if (name == "todateiso8601" || name == "todate") {
        f.kind = PartitionFilter::Kind::kToDate;
      } else if (name == "floor") {
        f.kind = PartitionFilter::Kind::kFloor;
      } else if (name == "tostring") {
        f.kind = PartitionFilter::Kind::kToString;
      } else if (name == "ascii_downcase") {
        f.kind = PartitionFilter::Kind::kDowncase;
      } else if (name == "ascii_upcase") {
        f.kind = PartitionFilter::Kind::kUpcase;
      } else {
        i_ = start;
        return Error(fmt::format(
            "unknown filter '{}' (supported: strftime(\"fmt\"), fromdateiso8601, fromdate, "
            "todateiso8601, todate, floor, tostring, ascii_downcase, ascii_upcase, and / N "
            "after the path)",
            name));
      }
      f.text = std::string(text_.substr(start, i_ - start));
      key->filters.push_back(std::move(f));
      SkipSpace();
    }
    if (key->filters.empty()) i_ = path_end;
    return Status::Ok();
  }

  std::string_view text_;
  size_t i_ = 0;
};

}  // namespace

Result<std::vector<PartitionKey>> ParsePartitionQuery(std::string_view query) {
  if (query.empty()) return std::vector<PartitionKey>();
  if (query.size() > 4096) {
    return InvalidArgument(fmt::format("partition_query: {} characters, over 4096", query.size()));
  }
  return QueryParser(query).Run();
}

Result<std::vector<PartitionKey>> ResolvePartitionKeys(std::string_view query,
                                                       const std::vector<std::string>& names) {
  TRY_ASSIGN(std::vector<PartitionKey> defined, ParsePartitionQuery(query));
  std::vector<PartitionKey> keys;
  for (const std::string& name : names) {
    if (query.empty()) {
      keys.push_back(PartitionKey{name, "." + name, {name}, {}});
      continue;
    }
    const PartitionKey* found = nullptr;
    for (const PartitionKey& k : defined) {
      if (k.name == name) found = &k;
    }
    if (found == nullptr) {
      std::string known;
      for (const PartitionKey& k : defined) known += (known.empty() ? "" : ", ") + k.name;
      return InvalidArgument(fmt::format(
          "prefix: partitionKeyFromQuery:{} is not a key of `partition_query` (its keys: {})", name,
          known));
    }
    keys.push_back(*found);
  }
  return keys;
}

Status CheckQueryKeysUsed(std::string_view query, const std::vector<std::string>& names) {
  TRY_ASSIGN(std::vector<PartitionKey> defined, ParsePartitionQuery(query));
  std::vector<std::string> unused;
  for (const PartitionKey& k : defined) {
    if (std::find(names.begin(), names.end(), k.name) == names.end()) unused.push_back(k.name);
  }
  if (unused.empty()) return Status::Ok();
  std::vector<std::string> used;  // each once, in the prefix's order
  for (const std::string& n : names) {
    if (std::find(used.begin(), used.end(), n) == used.end()) used.push_back(n);
  }
  return InvalidArgument(fmt::format(
      "partition_query: {} {} {} not used by `prefix` ({}): each key of the query must be "
      "in the prefix as !{{partitionKeyFromQuery:<key>}}",
      unused.size() == 1 ? "key" : "keys", fmt::join(unused, ", "),
      unused.size() == 1 ? "is" : "are",
      used.empty() ? std::string("it uses no partitionKeyFromQuery")
                   : fmt::format("its partitionKeyFromQuery names: {}", fmt::join(used, ", "))));
}

}  // namespace tributary::streams
