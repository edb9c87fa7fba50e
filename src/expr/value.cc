#include "expr/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "base/utf8.h"

namespace tributary::expr {

std::string_view KindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kUndefined: return "Undefined";
    case ValueKind::kNull: return "Null";
    case ValueKind::kBool: return "Boolean";
    case ValueKind::kInt: return "Int";
    case ValueKind::kDecimal: return "Decimal";
    case ValueKind::kString: return "String";
    case ValueKind::kArray: return "Array";
    case ValueKind::kObject: return "Object";
  }
  return "?";
}

Value Value::Member(std::string_view key) const {
  if (!is_object()) return Value();
  for (const auto& [k, v] : as_object()) {
    if (k == key) return v;
  }
  return Value();
}

Value Value::Element(int64_t index) const {
  if (!is_array()) return Value();
  const Array& a = as_array();
  if (index < 0 || index >= static_cast<int64_t>(a.size())) return Value();
  return a[static_cast<size_t>(index)];
}

namespace {

// Adds v's size to *total, stopping once it passes `limit`.
void AddJsonSize(const Value& v, size_t limit, size_t* total) {
  if (*total > limit) return;
  switch (v.kind()) {
    case ValueKind::kString:
      *total += v.as_string().size() + 3;
      return;
    case ValueKind::kArray:
      *total += 2;
      for (const Value& e : v.as_array()) {
        if (*total > limit) return;
        AddJsonSize(e, limit, total);
      }
      return;
    case ValueKind::kObject:
      *total += 2;
      for (const auto& [k, e] : v.as_object()) {
        if (*total > limit) return;
        *total += k.size() + 3;
        AddJsonSize(e, limit, total);
      }
      return;
    case ValueKind::kInt:
    case ValueKind::kDecimal:
      *total += 2;
      return;
    default:
      *total += 5;
      return;
  }
}

}  // namespace

size_t JsonSizeAtMost(const Value& v, size_t limit) {
  size_t total = 0;
  AddJsonSize(v, limit, &total);
  return total;
}

std::string Value::ToJson() const {
  std::string out;
  AppendJson(*this, &out);
  return out;
}

std::string Value::DebugString() const {
  if (is_undefined()) return "undefined";
  return std::string(KindName(kind())) + " " + ToJson();
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::kUndefined:
    case ValueKind::kNull: return true;
    case ValueKind::kBool: return a.as_bool() == b.as_bool();
    case ValueKind::kInt: return a.as_int() == b.as_int();
    case ValueKind::kDecimal: return a.as_decimal() == b.as_decimal();
    case ValueKind::kString: return a.as_string() == b.as_string();
    case ValueKind::kArray: return a.as_array() == b.as_array();
    case ValueKind::kObject: return a.as_object() == b.as_object();
  }
  return false;
}

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // JSON text is UTF-8: a byte that is not part of a well-formed sequence (a binary
      // payload taken as a string) becomes U+FFFD, as a decoder would show it.
      if (size_t n = Utf8SequenceLength(s, i); n > 0) {
        i += n - 1;
        continue;
      }
      out->append(s.data() + run_start, i - run_start);
      run_start = i + 1;
      out->append("\\ufffd");
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(s.data() + run_start, s.size() - run_start);
  out->push_back('"');
}

void AppendDecimal(double d, std::string* out) {
  if (!std::isfinite(d)) {  // JSON has no NaN or infinity
    out->append("null");
    return;
  }
  // The shortest digits that read back as `d`, in the notation its magnitude calls for.
  const double magnitude = std::fabs(d);
  const bool plain =
      magnitude == 0 || (magnitude >= kPlainDecimalMin && magnitude < kPlainDecimalLimit);
  char buf[64];
  auto end = std::to_chars(buf, buf + sizeof buf, d,
                           plain ? std::chars_format::fixed : std::chars_format::scientific);
  out->append(buf, end.ptr);
}

void AppendJson(const Value& v, std::string* out) {
  switch (v.kind()) {
    case ValueKind::kUndefined: return;
    case ValueKind::kNull: out->append("null"); return;
    case ValueKind::kBool: out->append(v.as_bool() ? "true" : "false"); return;
    case ValueKind::kInt: {
      char buf[24];
      auto res = std::to_chars(buf, buf + sizeof buf, v.as_int());
      out->append(buf, res.ptr);
      return;
    }
    case ValueKind::kDecimal: AppendDecimal(v.as_decimal(), out); return;
    case ValueKind::kString: AppendJsonString(v.as_string(), out); return;
    case ValueKind::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& e : v.as_array()) {
        if (e.is_undefined()) continue;
        if (!first) out->push_back(',');
        first = false;
        AppendJson(e, out);
      }
      out->push_back(']');
      return;
    }
    case ValueKind::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [k, e] : v.as_object()) {
        if (e.is_undefined()) continue;
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(k, out);
        out->push_back(':');
        AppendJson(e, out);
      }
      out->push_back('}');
      return;
    }
  }
}

}  // namespace tributary::expr
