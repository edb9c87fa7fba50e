#include "expr/message.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <vector>

#include "base/ids.h"
#include "base/json_numbers.h"
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

// The hex value of the four characters at text[i..i+4), or -1.
int Hex4(std::string_view text, size_t i) {
  if (i + 4 > text.size()) return -1;
  int v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    char c = text[k];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// `text` without a leading UTF-8 byte order mark and with each \u escape of a surrogate
// that has no partner (\ud83d alone, a low one first) written \ufffd, the replacement
// character: JSON's grammar allows them, but they encode no character, and simdjson
// refuses the whole text for one. Everything else is copied as it is.
std::string RepairedStrings(std::string_view text) {
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  std::string out;
  out.reserve(text.size() + 16);
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '"') {
      size_t next = text.find('"', i);
      if (next == std::string_view::npos) next = text.size();
      out.append(text.substr(i, next - i));
      i = next;
      continue;
    }
    out.push_back('"');
    ++i;
    while (i < text.size() && text[i] != '"') {
      if (text[i] != '\\' || i + 1 >= text.size()) {
        out.push_back(text[i++]);
        continue;
      }
      if (text[i + 1] != 'u') {
        out.append(text.substr(i, 2));
        i += 2;
        continue;
      }
      int unit = Hex4(text, i + 2);
      if (unit >= 0xD800 && unit <= 0xDBFF && i + 12 <= text.size() && text[i + 6] == '\\' &&
          text[i + 7] == 'u') {
        int low = Hex4(text, i + 8);
        if (low >= 0xDC00 && low <= 0xDFFF) {  // a pair: one character
          out.append(text.substr(i, 12));
          i += 12;
          continue;
        }
      }
      if (unit >= 0xD800 && unit <= 0xDFFF) {
        out.append("\\ufffd");
      } else {
        out.append(text.substr(i, 2));  // \u of anything else, or a bad escape: as it is
        i += 2;
        continue;
      }
      i += 6;
    }
    if (i < text.size()) {
      out.push_back('"');
      ++i;
    }
  }
  return out;
}

// Parses `text` into `parser`'s document. What simdjson refuses in JSON that is valid
// does not make the whole text not JSON: the text is read again once rewritten, only
// when the first reading failed (the common path parses once):
//  - a lone surrogate escape ("\ud83d", STRING_ERROR) or a leading byte order mark
//    (which simdjson takes for a stray character): see RepairedStrings;
//  - a number simdjson cannot read (an integer beyond 64 bits, 1e400): see
//    AppendReadableNumber.
// Either rewrite is made at most once, so a text needing both is read three times.
simdjson::error_code ParseInto(simdjson::dom::parser* parser, std::string_view text) {
  std::string repaired, readable;
  bool strings_repaired = false, numbers_rewritten = false;
  while (true) {
    simdjson::error_code error = parser->parse(text.data(), text.size(), true).error();
    if (error == simdjson::SUCCESS) return error;
    if (!strings_repaired &&
        (error == simdjson::STRING_ERROR || text.starts_with(kByteOrderMark))) {
      strings_repaired = true;
      repaired = RepairedStrings(text);
      if (repaired == text) return error;  // not for want of a repair: not JSON
      text = repaired;
    } else if (!numbers_rewritten &&
               (error == simdjson::NUMBER_ERROR || error == simdjson::NUMBER_OUT_OF_RANGE)) {
      numbers_rewritten = true;
      readable = ReadableNumbers(text, kOutOfRangeJson);
      text = readable;
    } else {
      return error;
    }
  }
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
