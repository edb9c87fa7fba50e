#include "streams/partitioner.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <ctime>
#include <optional>

namespace tributary::streams {

namespace {

// How a key reads in messages: "field 'device'" for a top-level field, "key 'device'
// (.device.id)" for one a query placed elsewhere.
std::string Describe(const PartitionKey& key) {
  if (key.path == "." + key.name && key.filters.empty()) return fmt::format("field '{}'", key.name);
  std::string query = key.path;
  for (const PartitionFilter& f : key.filters) {
    query += f.kind == PartitionFilter::Kind::kDivide ? " " : " | ";
    query += f.text;
  }
  return fmt::format("key '{}' ({})", key.name, query);
}

// A value on its way through a key's filters: a number or a string.
struct FilterValue {
  bool is_number = false;
  double number = 0;
  std::string text;
};

// A number as jq prints it: integers without a fraction, others in their shortest form.
std::string NumberText(double v) {
  if (std::floor(v) == v && std::fabs(v) < 9007199254740992.0)
    return fmt::format("{}", static_cast<int64_t>(v));
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : fmt::format("{}", v);
}

// "YYYY-MM-DDTHH:MM:SS[.fff]Z" -> epoch seconds.
std::optional<double> ParseIsoUtc(std::string_view s) {
  auto digits = [&](size_t at, size_t n, int* out) {
    if (at + n > s.size()) return false;
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 || !digits(0, 4, &y) || s[4] != '-' || !digits(5, 2, &mo) || s[7] != '-' ||
      !digits(8, 2, &d) || s[10] != 'T' || !digits(11, 2, &h) || s[13] != ':' ||
      !digits(14, 2, &mi) || s[16] != ':' || !digits(17, 2, &sec)) {
    return std::nullopt;
  }
  size_t i = 19;
  double fraction = 0;
  if (s[i] == '.') {
    size_t start = ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start) return std::nullopt;
    std::from_chars(s.data() + start - 1, s.data() + i, fraction);  // ".fff"
  }
  if (i + 1 != s.size() || s[i] != 'Z') return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<double>(timegm(&tm)) + fraction;
}

// Epoch seconds as `format` reads them in UTC; nullopt if out of range.
std::optional<std::string> FormatUtc(double seconds, const std::string& format) {
  if (!std::isfinite(seconds) || std::fabs(seconds) > 1e14) return std::nullopt;
  const std::time_t t = static_cast<std::time_t>(std::floor(seconds));
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::nullopt;
  char buf[256];
  size_t n = std::strftime(buf, sizeof buf, format.c_str(), &tm);
  return std::string(buf, n);
}

Status ApplyFilter(const PartitionFilter& f, const std::string& what, FilterValue* v) {
  using Kind = PartitionFilter::Kind;
  auto need = [&](bool number) -> Status {
    if (v->is_number == number) return Status::Ok();
    return InvalidArgument(fmt::format("{}: {} needs a {}, got {} '{}'", what, f.text,
                                       number ? "number" : "string",
                                       v->is_number ? "the number" : "the string",
                                       v->is_number ? NumberText(v->number) : v->text));
  };
  switch (f.kind) {
    case Kind::kDivide:
      TRY(need(true));
      v->number /= f.divisor;
      break;
    case Kind::kFloor:
      TRY(need(true));
      v->number = std::floor(v->number);
      break;
    case Kind::kStrftime:
    case Kind::kToDate: {
      TRY(need(true));
      auto text = FormatUtc(v->number,
                            f.kind == Kind::kToDate ? std::string("%Y-%m-%dT%H:%M:%SZ") : f.format);
      if (!text)
        return InvalidArgument(
            fmt::format("{}: {} of {} is out of range", what, f.text, NumberText(v->number)));
      v->is_number = false;
      v->text = std::move(*text);
      break;
    }
    case Kind::kFromDate: {
      TRY(need(false));
      auto seconds = ParseIsoUtc(v->text);
      if (!seconds) {
        return InvalidArgument(
            fmt::format("{}: {} of '{}': expected YYYY-MM-DDTHH:MM:SSZ", what, f.text, v->text));
      }
      v->is_number = true;
      v->number = *seconds;
      break;
    }
    case Kind::kToString:
      if (v->is_number) {
        v->text = NumberText(v->number);
        v->is_number = false;
      }
      break;
    case Kind::kDowncase:
    case Kind::kUpcase:
      TRY(need(false));
      for (char& c : v->text) {
        if (f.kind == Kind::kDowncase && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (f.kind == Kind::kUpcase && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
      break;
  }
  return Status::Ok();
}

}  // namespace

struct Partitioner::Impl {
  simdjson::ondemand::parser parser;
  std::vector<std::string> descriptions;  // Describe() of each key, for errors
};

Partitioner::Partitioner(std::vector<PartitionKey> keys)
    : keys_(std::move(keys)), impl_(std::make_unique<Impl>()) {
  for (const PartitionKey& key : keys_) impl_->descriptions.push_back(Describe(key));
}

Partitioner::~Partitioner() = default;

namespace {

Status CheckSegment(std::string_view field, std::string_view value) {
  if (value.empty()) return InvalidArgument(fmt::format("{} is an empty string", field));
  if (value == "." || value == "..") {
    return InvalidArgument(fmt::format("{} is '{}', not usable in a key", field, value));
  }
  for (char c : value) {
    if (c == '/' || static_cast<unsigned char>(c) < 0x20) {
      return InvalidArgument(fmt::format(
          "{} value '{}' contains '/' or a control character, not usable in a key", field,
          value));
    }
  }
  if (value.size() > 512) {
    return InvalidArgument(fmt::format("{} value is longer than 512 bytes", field));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> Partitioner::Extract(std::string_view record) {
  using namespace simdjson;
  std::vector<std::string> values;
  if (keys_.empty()) return values;
  padded_string padded(record);
  ondemand::document doc;
  ondemand::json_type root;
  if (impl_->parser.iterate(padded).get(doc) != SUCCESS || doc.type().get(root) != SUCCESS ||
      root != ondemand::json_type::object) {
    return InvalidArgument("record is not a JSON object");
  }
  for (size_t k = 0; k < keys_.size(); ++k) {
    const PartitionKey& key = keys_[k];
    const std::string& what = impl_->descriptions[k];
    // at_pointer rewinds the document: each key is looked up from the top.
    ondemand::value value;
    auto error = doc.at_pointer(key.pointer).get(value);
    // The pointers are built from a checked query: a pointer that "does not fit" the
    // record (a segment through a string or number) means the value is not there.
    if (error == NO_SUCH_FIELD || error == INCORRECT_TYPE || error == INDEX_OUT_OF_BOUNDS ||
        error == INVALID_JSON_POINTER) {
      return InvalidArgument(fmt::format("{} is missing", what));
    }
    if (error != SUCCESS) {
      return InvalidArgument(fmt::format("record is not valid JSON ({})", error_message(error)));
    }
    ondemand::json_type type;
    if (value.type().get(type) != SUCCESS) return InvalidArgument("record is not valid JSON");
    std::string text;
    switch (type) {
      case ondemand::json_type::string: {
        std::string_view s;
        if (value.get_string().get(s) != SUCCESS) {
          return InvalidArgument(fmt::format("{} is not a valid string", what));
        }
        text = s;
        break;
      }
      case ondemand::json_type::number:
      case ondemand::json_type::boolean: {
        std::string_view raw = value.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\t' ||
                                raw.back() == '\r')) {
          raw.remove_suffix(1);
        }
        text = raw;
        break;
      }
      default:
        return InvalidArgument(
            fmt::format("{} is null, an object or an array, not a key value", what));
    }
    if (!key.filters.empty()) {
      FilterValue v;
      if (type == ondemand::json_type::number) {
        v.is_number = true;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v.number);
        if (ec != std::errc() || end != text.data() + text.size()) {
          return InvalidArgument(fmt::format("{} is not a number jq reads", what));
        }
      } else {
        v.text = std::move(text);
      }
      for (const PartitionFilter& f : key.filters) TRY(ApplyFilter(f, what, &v));
      text = v.is_number ? NumberText(v.number) : std::move(v.text);
    }
    TRY(CheckSegment(what, text));
    values.push_back(std::move(text));
  }
  return values;
}

}  // namespace tributary::streams
