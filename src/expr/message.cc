#include "expr/message.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <vector>

#include "base/ids.h"
#include "expr/conversions.h"
#include "expr/payload_access.h"

namespace tributary::expr {
namespace {

// Parsers keep their buffers between messages, so a thread parses without allocating
// once warmed up. A pool (not one parser) lets two Messages be alive on one thread.
struct ParserPool {
  std::vector<std::unique_ptr<simdjson::dom::parser>> free;
  ~ParserPool() = default;
};
thread_local ParserPool pool;

simdjson::dom::parser* Acquire() {
  if (pool.free.empty()) return new simdjson::dom::parser();
  simdjson::dom::parser* p = pool.free.back().release();
  pool.free.pop_back();
  return p;
}

void Release(simdjson::dom::parser* p) {
  if (pool.free.size() < 8) {
    pool.free.emplace_back(p);
  } else {
    delete p;
  }
}

// What stands in the parsed document for a number a double cannot hold (1e400): a string
// no JSON text holds by accident, read back as Undefined.
constexpr char kOutOfRangeText[] = "\0tributary:number-out-of-range";
constexpr std::string_view kOutOfRange(kOutOfRangeText, sizeof kOutOfRangeText - 1);
constexpr std::string_view kOutOfRangeJson = "\"\\u0000tributary:number-out-of-range\"";

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

// `token` (a JSON number) as simdjson takes it: integers beyond 64 bits as the nearest
// double ("1.8446744073709552e+19"), numbers beyond a double's range as kOutOfRangeJson.
// What is not a JSON number (007, 1., -) is left as it is, for the parser to refuse.
void AppendReadableNumber(std::string_view token, std::string* out) {
  if (!IsJsonNumber(token)) {
    out->append(token);
    return;
  }
  double d = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), d);
  if (ec == std::errc() && end == token.data() + token.size() && std::isfinite(d)) {
    bool integer = token.find_first_of(".eE") == std::string_view::npos;
    if (!integer) {
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
    out->append(kOutOfRangeJson);
    return;
  }
  out->append(token);  // not a number at all: let the parser say so
}

// `text` with every number rewritten as AppendReadableNumber does; strings are copied
// as they are.
std::string ReadableNumbers(std::string_view text) {
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
      AppendReadableNumber(text.substr(i, j - i), &out);
      i = j;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

// Parses `text` into `parser`'s document. A number simdjson cannot read (an integer
// beyond 64 bits, 1e400) does not make the whole text not JSON: the text is read again
// with such numbers rewritten (see AppendReadableNumber).
simdjson::error_code ParseInto(simdjson::dom::parser* parser, std::string_view text) {
  auto result = parser->parse(text.data(), text.size(), true);
  if (result.error() != simdjson::NUMBER_ERROR && result.error() != simdjson::NUMBER_OUT_OF_RANGE) {
    return result.error();
  }
  std::string readable = ReadableNumbers(text);
  return parser->parse(readable.data(), readable.size(), true).error();
}

}  // namespace

bool IsOutOfRangeNumber(simdjson::dom::element e) {
  return e.type() == simdjson::dom::element_type::STRING &&
         e.get_string().value_unsafe() == kOutOfRange;
}

std::string_view LazyTraceId::Get() {
  if (!made_) {
    const std::string id = NewUuid();
    id.copy(id_, sizeof id_);
    made_ = true;
  }
  return std::string_view(id_, sizeof id_);
}

Message::~Message() {
  if (parser_ != nullptr) Release(parser_);
}

bool Message::PayloadIsJson() const {
  simdjson::dom::element slot;
  return PayloadAccess::Root(*this, &slot) != nullptr;
}

const simdjson::dom::element* PayloadAccess::Root(const Message& m,
                                                  simdjson::dom::element* slot) {
  if (m.state_ == Message::ParseState::kNotParsed) {
    m.parser_ = Acquire();
    if (ParseInto(m.parser_, m.payload) != simdjson::SUCCESS) {
      m.state_ = Message::ParseState::kNotJson;
      Release(m.parser_);
      m.parser_ = nullptr;
      return nullptr;
    }
    m.state_ = Message::ParseState::kJson;
  }
  if (m.state_ != Message::ParseState::kJson) return nullptr;
  *slot = m.parser_->doc.root();
  return slot;
}

Value DomToValue(simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::NULL_VALUE: return Value::Null();
    case element_type::BOOL: return Value::Bool(e.get_bool().value_unsafe());
    case element_type::INT64: return Value::Int(e.get_int64().value_unsafe());
    case element_type::UINT64: {
      uint64_t u = e.get_uint64().value_unsafe();
      return Value::Decimal(static_cast<double>(u));
    }
    case element_type::DOUBLE: return NormalizeDecimal(e.get_double().value_unsafe());
    case element_type::STRING: {
      std::string_view text = e.get_string().value_unsafe();
      if (text == kOutOfRange) return Value();
      return Value::String(std::string(text));
    }
    case element_type::ARRAY: {
      Array a;
      simdjson::dom::array arr = e.get_array().value_unsafe();
      a.reserve(arr.size());
      for (simdjson::dom::element x : arr) a.push_back(DomToValue(x));
      return Value::MakeArray(std::move(a));
    }
    case element_type::OBJECT: {
      Object o;
      simdjson::dom::object obj = e.get_object().value_unsafe();
      for (auto field : obj) {
        o.emplace_back(std::string(field.key), DomToValue(field.value));
      }
      return Value::MakeObject(std::move(o));
    }
  }
  return Value();
}

Result<Value> ValueFromJson(std::string_view text) {
  simdjson::dom::parser* parser = Acquire();
  if (auto error = ParseInto(parser, text); error != simdjson::SUCCESS) {
    Release(parser);
    return InvalidArgument(std::string("not JSON: ") + simdjson::error_message(error));
  }
  Value v = DomToValue(parser->doc.root());
  Release(parser);
  return v;
}

void AppendDomJson(simdjson::dom::element e, std::string* out) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::ARRAY: {
      out->push_back('[');
      bool first = true;
      simdjson::dom::array arr = e.get_array().value_unsafe();
      for (simdjson::dom::element x : arr) {
        if (IsOutOfRangeNumber(x)) continue;  // Undefined: left out
        if (!first) out->push_back(',');
        first = false;
        AppendDomJson(x, out);
      }
      out->push_back(']');
      return;
    }
    case element_type::OBJECT: {
      out->push_back('{');
      bool first = true;
      simdjson::dom::object obj = e.get_object().value_unsafe();
      for (auto field : obj) {
        if (IsOutOfRangeNumber(field.value)) continue;  // Undefined: left out
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(field.key, out);
        out->push_back(':');
        AppendDomJson(field.value, out);
      }
      out->push_back('}');
      return;
    }
    case element_type::STRING: AppendJsonString(e.get_string().value_unsafe(), out); return;
    case element_type::UINT64: {
      // 2^63..2^64-1: as it came, where DomToValue can only give the nearest Decimal.
      char buf[24];
      auto res = std::to_chars(buf, buf + sizeof buf, e.get_uint64().value_unsafe());
      out->append(buf, res.ptr);
      return;
    }
    default: AppendJson(DomToValue(e), out); return;
  }
}

}  // namespace tributary::expr
