#include "expr/conversions.h"

#include <cctype>
#include <charconv>
#include <cmath>

namespace tributary::expr {
namespace {

// 2^63, the least whole double beyond int64's range (-2^63 is its least value).
constexpr double kTwoTo63 = 9223372036854775808.0;

}  // namespace

std::optional<double> ParseDecimalString(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (!digits()) return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return std::nullopt;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && s[i] == '-') ++i;
    if (!digits()) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  double d = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), d);
  if (res.ec == std::errc::result_out_of_range) {
    // Underflow reads as zero, like Java's parseDouble; overflow has no Decimal here
    // (AWS's goes to 9.999E999, a double to 1.8E308) and is not a number.
    bool exp_negative = s.find("e-") != std::string_view::npos ||
                        s.find("E-") != std::string_view::npos;
    if (!exp_negative) return std::nullopt;
    d = 0.0;
  } else if (res.ec != std::errc()) {
    return std::nullopt;
  }
  return d == 0 ? 0.0 : d;  // "-0": AWS's Decimal has no negative zero
}

std::optional<double> ToDecimal(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kInt: return static_cast<double>(v.as_int());
    case ValueKind::kDecimal: return v.as_decimal();
    case ValueKind::kString: return ParseDecimalString(v.as_string());
    default: return std::nullopt;
  }
}

std::optional<int64_t> ToIntFloor(const Value& v) {
  if (v.is_int()) return v.as_int();
  auto d = ToDecimal(v);
  if (!d || std::isnan(*d)) return std::nullopt;
  double f = std::floor(*d);
  if (f >= kTwoTo63 || f < -kTwoTo63) return std::nullopt;
  return static_cast<int64_t>(f);
}

std::optional<int64_t> ToIntFloorClamped(const Value& v) {
  if (auto i = ToIntFloor(v)) return i;
  auto d = ToDecimal(v);
  if (!d || std::isnan(*d)) return std::nullopt;
  return *d > 0 ? INT64_MAX : INT64_MIN;
}

namespace {
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}
}  // namespace

std::optional<bool> ToBoolean(const Value& v) {
  if (v.is_bool()) return v.as_bool();
  if (v.is_string()) {
    if (EqualsIgnoreCase(v.as_string(), "true")) return true;
    if (EqualsIgnoreCase(v.as_string(), "false")) return false;
  }
  return std::nullopt;
}

std::optional<std::string> ToText(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined:
    case ValueKind::kNull: return std::nullopt;
    case ValueKind::kString: return v.as_string();
    default: return v.ToJson();
  }
}

std::optional<bool> Equals(const Value& a, const Value& b) {
  if (a.is_undefined() || b.is_undefined()) return std::nullopt;
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
    return *ToDecimal(a) == *ToDecimal(b);
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::kNull: return true;
    case ValueKind::kBool: return a.as_bool() == b.as_bool();
    case ValueKind::kString: return a.as_string() == b.as_string();
    case ValueKind::kArray: {
      const Array& x = a.as_array();
      const Array& y = b.as_array();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        auto e = Equals(x[i], y[i]);
        if (!e || !*e) return false;
      }
      return true;
    }
    case ValueKind::kObject: {
      const Object& x = a.as_object();
      const Object& y = b.as_object();
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x) {
        auto e = Equals(v, b.Member(k));
        if (!e || !*e) return false;
      }
      return true;
    }
    default: return false;
  }
}

std::optional<int> CompareNumbers(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) {
    return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
  }
  auto x = ToDecimal(a);
  auto y = ToDecimal(b);
  if (!x || !y || std::isnan(*x) || std::isnan(*y)) return std::nullopt;
  return *x < *y ? -1 : (*x > *y ? 1 : 0);
}

Value NormalizeDecimal(double d) {
  if (!std::isfinite(d)) return Value();
  // Every whole double in [-2^63, 2^63) is exactly an int64.
  if (d == std::floor(d) && d >= -kTwoTo63 && d < kTwoTo63) {
    return Value::Int(static_cast<int64_t>(d));
  }
  return Value::Decimal(d);
}

Value FiniteDecimal(double d) {
  if (!std::isfinite(d)) return Value();
  return Value::Decimal(d == 0 ? 0.0 : d);  // -0.0 is 0: AWS's Decimal has no negative zero
}

}  // namespace tributary::expr
