#include "streams/partitioner.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <span>

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

// A number as jq 1.6 prints it (its jvp_dtoa_fmt: output and tostring alike): the
// shortest digits that read back as the same double, in plain notation unless the
// exponent is below -4 or the number would take more than 15 zeros after its digits.
//   1.0 -> 1   1e2 -> 100   10.50 -> 10.5   0.0001 -> 0.0001   1e-5 -> 1e-05
//   1e17 -> 1e+17   2^60 -> 1152921504606847000   -0 -> -0
std::string NumberText(double v) {
  if (std::isinf(v)) v = std::copysign(DBL_MAX, v);  // as jq does
  // The shortest round-trip digits: "-d.ddde+XX".
  char sci[64];
  auto [end, ec] = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  if (ec != std::errc()) return fmt::format("{}", v);
  std::string_view text(sci, end - sci);
  const bool negative = text.front() == '-';
  if (negative) text.remove_prefix(1);
  const size_t e = text.find('e');
  if (e == std::string_view::npos) return "null";  // NaN, which jq prints so (no filter makes one)
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  std::string_view exp_text = text.substr(e + 1);
  if (exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  const int decpt = exponent + 1;  // digits before the decimal point
  const int ndigits = static_cast<int>(digits.size());

  std::string out = negative ? "-" : "";
  if (decpt <= -4 || decpt > ndigits + 15) {
    out += digits.front();
    if (ndigits > 1) out += "." + digits.substr(1);
    out += fmt::format("e{}{:02}", exponent < 0 ? '-' : '+', std::abs(exponent));
  } else if (decpt <= 0) {
    out += "0." + std::string(-decpt, '0') + digits;
  } else if (decpt >= ndigits) {
    out += digits + std::string(decpt - ndigits, '0');
  } else {
    out += digits.substr(0, decpt) + "." + digits.substr(decpt);
  }
  return out;
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

using simdjson::ondemand::json_type;

// A key's value as the record holds it: a string unescaped, a number as its JSON text,
// a boolean as true/false. Views into the record or the parser: valid for this record.
struct FoundValue {
  bool present = false;
  json_type type = json_type::null;
  std::string_view text;
};

// Whether a field's name is `name`, compared as jq reads names (unescaped). The name is
// compared as it stands in the record up to the first difference; only if a backslash is
// there can the unescaped name still be `name`, and only then is it unescaped.
simdjson::simdjson_result<bool> NameIs(simdjson::ondemand::field& field, std::string_view name) {
  // The record passed simdjson's first stage, so the name's closing quote is there.
  const char* raw = field.key().raw();
  size_t i = 0;
  while (i < name.size() && raw[i] == name[i] && raw[i] != '"' && raw[i] != '\\') ++i;
  if (raw[i] != '\\') return i == name.size() && raw[i] == '"';
  std::string_view unescaped;
  SIMDJSON_TRY(field.unescaped_key().get(unescaped));
  return unescaped == name;
}

simdjson::error_code ReadLeaf(simdjson::ondemand::value value, FoundValue* found) {
  found->present = true;
  SIMDJSON_TRY(value.type().get(found->type));
  switch (found->type) {
    case json_type::string:
      return value.get_string().get(found->text);
    case json_type::number: {
      std::string_view raw = value.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\t' ||
                              raw.back() == '\r')) {
        raw.remove_suffix(1);
      }
      found->text = raw;
      return simdjson::SUCCESS;
    }
    case json_type::boolean: {
      bool b = false;
      SIMDJSON_TRY(value.get_bool().get(b));
      found->text = b ? "true" : "false";
      return simdjson::SUCCESS;
    }
    default:  // null, object, array: the caller refuses them
      return simdjson::SUCCESS;
  }
}

// Looks `path` up in `object` as jq does. When a name repeats, its last value counts (jq
// keeps the last of duplicate keys, where simdjson's find_field stops at the first), so
// every field of each object on the path is read; a repeat that is not an object where
// the path goes on hides the earlier ones, as in jq ({"a":{"x":1},"a":2} has no .a.x).
simdjson::error_code FindLast(simdjson::ondemand::object object, std::span<const std::string> path,
                              FoundValue* found) {
  for (auto field_or_error : object) {
    simdjson::ondemand::field field;
    SIMDJSON_TRY(std::move(field_or_error).get(field));
    bool match = false;
    SIMDJSON_TRY(NameIs(field, path.front()).get(match));
    if (!match) continue;  // the value is skipped unread
    *found = FoundValue();
    if (path.size() == 1) {
      SIMDJSON_TRY(ReadLeaf(field.value(), found));
      continue;
    }
    simdjson::ondemand::object inner;
    if (field.value().get_object().get(inner) != simdjson::SUCCESS) continue;  // not there
    SIMDJSON_TRY(FindLast(inner, path.subspan(1), found));
  }
  return simdjson::SUCCESS;
}

// Looks `path` up stopping at the first match, which is jq's value when no name on the
// path repeats (MayRepeatAName): most records are not read past the key's value.
simdjson::error_code FindFirst(simdjson::ondemand::document& doc, std::span<const std::string> path,
                               FoundValue* found) {
  simdjson::simdjson_result<simdjson::ondemand::value> at = doc.find_field(path.front());
  for (const std::string& name : path.subspan(1)) at = at.find_field(name);
  simdjson::ondemand::value value;
  simdjson::error_code error = std::move(at).get(value);
  // A name missing, or the path going through a string or a number: not there.
  if (error == simdjson::NO_SUCH_FIELD || error == simdjson::INCORRECT_TYPE) {
    return simdjson::SUCCESS;
  }
  SIMDJSON_TRY(error);
  return ReadLeaf(value, found);
}

// Whether a name on `path` may appear twice in the record, or spelt with escapes. If
// not, no object on the path can repeat it and the first match is the last. (The name
// is looked for unquoted: a search for '"' first would stop at every quote.)
bool MayRepeatAName(std::string_view record, std::span<const std::string> path) {
  if (record.find('\\') != std::string_view::npos) return true;
  for (const std::string& name : path) {
    const size_t first = record.find(name);
    if (first != std::string_view::npos &&
        record.find(name, first + name.size()) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// A JSON integer of at most 15 digits, which jq prints as it is written: the usual device
// number skips the round trip through a double.
bool IsShortInteger(std::string_view token) {
  if (!token.empty() && token.front() == '-') token.remove_prefix(1);
  if (token.empty() || token.size() > 15 || (token.front() == '0' && token.size() > 1)) {
    return false;
  }
  for (char c : token) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The found value as a filter's input (`v`, empty): a number read as jq reads it.
Status ToFilterValue(const FoundValue& found, const std::string& what, bool has_filters,
                     FilterValue* v) {
  switch (found.type) {
    case json_type::string:
    case json_type::boolean:
      v->text = found.text;
      return Status::Ok();
    case json_type::number: {
      if (!has_filters && IsShortInteger(found.text)) {
        v->text = found.text;
        return Status::Ok();
      }
      v->is_number = true;
      const char* end = found.text.data() + found.text.size();
      auto [at, ec] = std::from_chars(found.text.data(), end, v->number);
      if (ec == std::errc::result_out_of_range && at == end) {
        // Past a double's range: jq reads it with strtod, as infinity (printed as the
        // largest double) or zero.
        v->number = std::strtod(std::string(found.text).c_str(), nullptr);
        return Status::Ok();
      }
      if (ec != std::errc() || at != end) {
        return InvalidArgument(fmt::format("{} is not a number jq reads", what));
      }
      return Status::Ok();
    }
    default:
      return InvalidArgument(
          fmt::format("{} is null, an object or an array, not a key value", what));
  }
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
    // Each key is looked up from the top of the record.
    doc.rewind();
    FoundValue found;
    error_code error = SUCCESS;
    if (MayRepeatAName(record, key.segments)) {
      ondemand::object object;
      error = doc.get_object().get(object);
      if (error == SUCCESS) error = FindLast(object, key.segments, &found);
    } else {
      error = FindFirst(doc, key.segments, &found);
    }
    if (error != SUCCESS) {
      return InvalidArgument(fmt::format("record is not valid JSON ({})", error_message(error)));
    }
    if (!found.present) return InvalidArgument(fmt::format("{} is missing", what));
    FilterValue v;
    TRY(ToFilterValue(found, what, !key.filters.empty(), &v));
    for (const PartitionFilter& f : key.filters) TRY(ApplyFilter(f, what, &v));
    std::string text = v.is_number ? NumberText(v.number) : std::move(v.text);
    TRY(CheckSegment(what, text));
    values.push_back(std::move(text));
  }
  return values;
}

}  // namespace tributary::streams
