#include "expr/string_functions.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "base/base64.h"
#include "base/utf8.h"
#include "expr/conversions.h"

namespace tributary::expr {

using Args = const Value*;

size_t Utf8Offset(std::string_view s, int64_t cp) {
  size_t i = 0;
  for (int64_t k = 0; k < cp && i < s.size(); ++k) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}
int64_t Utf8Length(std::string_view s) {
  int64_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

namespace {

template <int (*F)(int)>
Value MapChars(Args a, size_t, const Message&) {
  auto s = ToText(a[0]);
  if (!s) return Value();
  for (char& c : *s) c = static_cast<char>(F(static_cast<unsigned char>(c)));
  return Value::String(std::move(*s));
}
int ToLower(int c) { return std::tolower(c); }
int ToUpper(int c) { return std::toupper(c); }

template <bool kLeft, bool kRight>
Value TrimFn(Args a, size_t, const Message&) {
  auto s = ToText(a[0]);
  if (!s) return Value();
  std::string_view v = *s;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (kLeft && !v.empty() && space(v.front())) v.remove_prefix(1);
  while (kRight && !v.empty() && space(v.back())) v.remove_suffix(1);
  return Value::String(std::string(v));
}

template <bool kLeft>
Value Pad(Args a, size_t, const Message& m) {
  auto s = ToText(a[0]);
  if (!(a[1].is_number() || a[1].is_string())) return Value();
  auto count = ToIntFloorClamped(a[1]);
  if (!s || !count) return Value();
  size_t width = static_cast<size_t>(std::clamp<int64_t>(*count, 0, 1000));
  if (!m.ChargeBuild(s->size() + width)) return Value();
  std::string pad(width, ' ');
  return Value::String(kLeft ? pad + *s : *s + pad);
}

template <int kMode>  // 0 startswith, 1 endswith, 2 indexof
Value StringTest(Args a, size_t, const Message&) {
  auto s = ToText(a[0]);
  auto t = ToText(a[1]);
  if (!s || !t) return Value();
  if (kMode == 0) return Value::Bool(s->starts_with(*t));
  if (kMode == 1) return Value::Bool(s->ends_with(*t));
  size_t pos = s->find(*t);
  if (pos == std::string::npos) return Value::Int(-1);
  return Value::Int(Utf8Length(std::string_view(*s).substr(0, pos)));
}

}  // namespace

Value Concat(Args a, size_t n, const Message& m) {
  if (n == 0) return Value();
  if (n == 1) return a[0];
  bool any_array = std::any_of(a, a + n, [](const Value& v) { return v.is_array(); });
  if (any_array) {
    size_t size = 0;
    for (size_t i = 0; i < n && size <= kBuildBudgetBytes; ++i) {
      size += JsonSizeAtMost(a[i], kBuildBudgetBytes);
    }
    if (!m.ChargeBuild(size)) return Value();
    Array out;
    for (size_t i = 0; i < n; ++i) {
      if (a[i].is_array()) {
        out.insert(out.end(), a[i].as_array().begin(), a[i].as_array().end());
      } else {
        out.push_back(a[i]);
      }
    }
    return Value::MakeArray(std::move(out));
  }
  std::vector<std::string> texts;
  texts.reserve(n);
  size_t size = 0;
  for (size_t i = 0; i < n; ++i) {
    auto s = ToText(a[i]);
    if (!s) return Value();
    size += s->size();
    texts.push_back(std::move(*s));
  }
  if (!m.ChargeBuild(size)) return Value();
  std::string out;
  out.reserve(size);
  for (const std::string& t : texts) out += t;
  return Value::String(std::move(out));
}

Value Length(Args a, size_t, const Message&) {
  auto s = ToText(a[0]);
  return s ? Value::Int(Utf8Length(*s)) : Value();
}
Value NumBytes(Args a, size_t, const Message&) {
  auto s = ToText(a[0]);
  return s ? Value::Int(static_cast<int64_t>(s->size())) : Value();
}

Value Substring(Args a, size_t n, const Message&) {
  auto s = ToText(a[0]);
  auto start = ToIntFloorClamped(a[1]);
  if (!s || !start) return Value();
  int64_t len = Utf8Length(*s);
  int64_t b = std::clamp<int64_t>(*start, 0, len);
  int64_t e = len;
  if (n == 3) {
    auto end = ToIntFloorClamped(a[2]);
    if (!end) return Value();
    e = std::clamp<int64_t>(*end, 0, len);
  }
  if (b >= e) return Value::String("");
  size_t bo = Utf8Offset(*s, b);
  size_t eo = Utf8Offset(*s, e);
  return Value::String(s->substr(bo, eo - bo));
}

Value Replace(Args a, size_t, const Message& m) {
  auto s = ToText(a[0]);
  auto from = ToText(a[1]);
  auto to = ToText(a[2]);
  if (!s || !from || !to) return Value();
  if (from->empty()) return Value::String(*s);
  // The size of the result, charged before it is built.
  size_t hits = 0;
  for (size_t pos = s->find(*from); pos != std::string::npos;
       pos = s->find(*from, pos + from->size())) {
    ++hits;
  }
  if (hits == 0) return Value::String(std::move(*s));
  if (to->size() > from->size() &&
      hits > (kBuildBudgetBytes - s->size()) / (to->size() - from->size())) {
    m.ChargeBuild(kBuildBudgetBytes + 1);  // marks the evaluation over budget
    return Value();
  }
  size_t size = s->size() + hits * to->size() - hits * from->size();
  if (!m.ChargeBuild(size)) return Value();
  std::string out;
  out.reserve(size);
  size_t at = 0;
  while (true) {
    size_t pos = s->find(*from, at);
    if (pos == std::string::npos) break;
    out.append(*s, at, pos - at);
    out.append(*to);
    at = pos + from->size();
  }
  out.append(*s, at, std::string::npos);
  return Value::String(std::move(out));
}

Value Encode(Args a, size_t, const Message& m) {
  if (!a[1].is_string() || a[1].as_string() != "base64") return Value();
  auto s = ToText(a[0]);
  if (!s || !m.ChargeBuild((s->size() + 2) / 3 * 4)) return Value();
  return Value::String(Base64Encode(*s));
}

namespace {

// decode(bytes, 'proto', bucket, key, file, type) of bytes already decoded: the message
// as its JSON's value; Null if the bytes are not such a message, Undefined if there is
// no such message type to read them with.
Value DecodeProtoBytes(Args a, std::string_view bytes, const Message& m) {
  for (size_t i = 2; i < 6; ++i) {
    if (!a[i].is_string()) return Value();
  }
  if (m.external == nullptr) return Value();
  Result<std::string> json = m.external->DecodeProto(a[2].as_string(), a[3].as_string(),
                                                     a[4].as_string(), a[5].as_string(), bytes);
  if (!json.ok())
    return json.status().code() == ErrorCode::kInvalidArgument ? Value::Null() : Value();
  if (!m.ChargeBuild(json->size())) return Value();
  Result<Value> doc = ValueFromJson(*json);
  return doc.ok() ? std::move(doc).value() : Value();
}

bool SchemeIs(Args a, size_t count, std::string_view scheme) {
  return a[1].is_string() && a[1].as_string() == scheme && count == (scheme == "proto" ? 6u : 2u);
}

}  // namespace

// decode(v, 'base64'): what `v` encodes: a JSON document (an object, an array, a number,
// true, a quoted string ...) as its value, which paths can then read
// (decode(v, 'base64').temperature), other text as a string; Null if `v` is not base64.
// decode(v, 'proto', bucket, key, file, type): `v` base64 of a Protocol Buffers message.
Value Decode(Args a, size_t count, const Message& m) {
  if (!a[0].is_string()) return Value();
  bool proto = SchemeIs(a, count, "proto");
  if (!proto && !SchemeIs(a, count, "base64")) return Value();
  auto text = Base64Decode(a[0].as_string());
  if (!text.ok()) return Value::Null();
  if (proto) return DecodeProtoBytes(a, *text, m);
  if (Result<Value> doc = ValueFromJson(*text); doc.ok()) return std::move(doc).value();
  return Value::String(std::move(text).value());
}

// decode(*, 'proto', bucket, key, file, type): the payload's bytes as they came, a
// Protocol Buffers message; decode(*, 'base64') as decode(v, 'base64') of the payload.
Value DecodePayload(Args a, size_t count, const Message& m) {
  if (SchemeIs(a, count, "proto")) return DecodeProtoBytes(a, m.payload, m);
  return Decode(a, count, m);
}

// chr(n): the character of Unicode code point n (UTF-8); Undefined outside 0..0x10FFFF
// and for surrogates.
Value Chr(Args a, size_t, const Message&) {
  if (!a[0].is_number() && !a[0].is_string()) return Value();  // a number, or text of one
  auto cp = ToIntFloor(a[0]);
  if (!cp || *cp < 0 || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return Value();
  std::string out;
  AppendUtf8(static_cast<uint32_t>(*cp), &out);
  return Value::String(std::move(out));
}

Value Lower(Args a, size_t n, const Message& m) { return MapChars<ToLower>(a, n, m); }
Value Upper(Args a, size_t n, const Message& m) { return MapChars<ToUpper>(a, n, m); }
Value Trim(Args a, size_t n, const Message& m) { return TrimFn<true, true>(a, n, m); }
Value Ltrim(Args a, size_t n, const Message& m) { return TrimFn<true, false>(a, n, m); }
Value Rtrim(Args a, size_t n, const Message& m) { return TrimFn<false, true>(a, n, m); }
Value Lpad(Args a, size_t n, const Message& m) { return Pad<true>(a, n, m); }
Value Rpad(Args a, size_t n, const Message& m) { return Pad<false>(a, n, m); }
Value StartsWith(Args a, size_t n, const Message& m) { return StringTest<0>(a, n, m); }
Value EndsWith(Args a, size_t n, const Message& m) { return StringTest<1>(a, n, m); }
Value IndexOf(Args a, size_t n, const Message& m) { return StringTest<2>(a, n, m); }

}  // namespace tributary::expr
