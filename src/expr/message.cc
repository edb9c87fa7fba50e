#include "expr/message.h"

#include <memory>
#include <vector>

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

}  // namespace

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
    auto result = m.parser_->parse(m.payload.data(), m.payload.size(), true);
    if (result.error() != simdjson::SUCCESS) {
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
    case element_type::STRING: return Value::String(std::string(e.get_string().value_unsafe()));
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
  auto result = parser->parse(text.data(), text.size(), true);
  if (result.error() != simdjson::SUCCESS) {
    Release(parser);
    return InvalidArgument(std::string("not JSON: ") + simdjson::error_message(result.error()));
  }
  Value v = DomToValue(result.value_unsafe());
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
    default: AppendJson(DomToValue(e), out); return;
  }
}

}  // namespace tributary::expr
