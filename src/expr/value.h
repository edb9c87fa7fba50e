// Value: one datum of the expression language, with the AWS IoT SQL types
// (2016-03-23): Undefined, Null, Boolean, Int (int64), Decimal (double), String,
// Array and Object. Undefined is "no value" (a missing field, a function given bad
// arguments); it is left out when an object is serialised to JSON.
//
// Values are immutable once built; arrays and objects share their elements, so
// copying a Value is cheap. Thread-compatible: distinct Values may be used from any
// threads, and a const Value may be read from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/status.h"

namespace tributary::expr {

class Value;
using Array = std::vector<Value>;
// Keys in insertion order (the order they are serialised in); keys are unique.
using Object = std::vector<std::pair<std::string, Value>>;

enum class ValueKind : uint8_t {
  kUndefined,
  kNull,
  kBool,
  kInt,
  kDecimal,
  kString,
  kArray,
  kObject,
};

// "Undefined", "Null", "Boolean", "Int", "Decimal", "String", "Array", "Object".
std::string_view KindName(ValueKind kind);

class Value {
 public:
  Value() = default;  // Undefined

  static Value Undefined() { return Value(); }
  static Value Null() { return Value(Rep(nullptr)); }
  static Value Bool(bool b) { return Value(Rep(b)); }
  static Value Int(int64_t i) { return Value(Rep(i)); }
  static Value Decimal(double d) { return Value(Rep(d)); }
  static Value String(std::string s) { return Value(Rep(std::move(s))); }
  static Value MakeArray(Array a) {
    return Value(Rep(std::make_shared<const Array>(std::move(a))));
  }
  static Value MakeObject(Object o) {
    return Value(Rep(std::make_shared<const Object>(std::move(o))));
  }

  ValueKind kind() const { return static_cast<ValueKind>(rep_.index()); }
  bool is_undefined() const { return kind() == ValueKind::kUndefined; }
  bool is_null() const { return kind() == ValueKind::kNull; }
  bool is_bool() const { return kind() == ValueKind::kBool; }
  bool is_int() const { return kind() == ValueKind::kInt; }
  bool is_decimal() const { return kind() == ValueKind::kDecimal; }
  bool is_number() const { return is_int() || is_decimal(); }
  bool is_string() const { return kind() == ValueKind::kString; }
  bool is_array() const { return kind() == ValueKind::kArray; }
  bool is_object() const { return kind() == ValueKind::kObject; }

  // Accessors: the kind must match (checked by std::get).
  bool as_bool() const { return std::get<bool>(rep_); }
  int64_t as_int() const { return std::get<int64_t>(rep_); }
  double as_decimal() const { return std::get<double>(rep_); }
  const std::string& as_string() const { return std::get<std::string>(rep_); }
  const Array& as_array() const { return *std::get<std::shared_ptr<const Array>>(rep_); }
  const Object& as_object() const { return *std::get<std::shared_ptr<const Object>>(rep_); }

  // The member named `key` of an object, or Undefined (also for non-objects).
  Value Member(std::string_view key) const;
  // The element at a 0-based index of an array, or Undefined.
  Value Element(int64_t index) const;

  // Compact JSON ("{\"a\":1}"); Undefined members and elements are left out, and an
  // Undefined value on its own is the empty string.
  std::string ToJson() const;
  // For test failure messages: the JSON text, or "undefined", with the kind:
  // "Int 3", "String \"x\"".
  std::string DebugString() const;

  // Exact structural equality for tests (Int 1 and Decimal 1.0 differ here; see
  // Equals() in conversions.h for the language's '=' operator).
  friend bool operator==(const Value& a, const Value& b);

 private:
  using Rep = std::variant<std::monostate, std::nullptr_t, bool, int64_t, double, std::string,
                           std::shared_ptr<const Array>, std::shared_ptr<const Object>>;
  explicit Value(Rep rep) : rep_(std::move(rep)) {}
  Rep rep_;
};

// Parses JSON text into a Value (whole-number decimals become Int, as in SQL
// 2016-03-23). Errors say where the text is not JSON.
Result<Value> ValueFromJson(std::string_view text);

// About how many bytes `v` occupies as JSON (string escapes not counted; every element
// at least one, an Undefined one too), or a number over `limit` once it is larger: the
// walk stops there, so an array that holds one shared array many times over costs at
// most `limit` steps. What the expression functions charge for what they build.
size_t JsonSizeAtMost(const Value& v, size_t limit);

// Appends the compact JSON of `v` to `out` (nothing for Undefined).
void AppendJson(const Value& v, std::string* out);
// Appends `s` as a JSON string literal with quotes and escapes. Bytes that are not
// well-formed UTF-8 (a binary payload taken as a string) become U+FFFD, so the output is
// always valid JSON.
void AppendJsonString(std::string_view s, std::string* out);
// Decimals with kPlainDecimalMin <= |d| < kPlainDecimalLimit (shortest exponents -6 to
// 20), and zero, print in plain notation, the others in exponent form: as JavaScript
// prints numbers, and as Java's BigDecimal (AWS's Decimal) prints small ones. The bounds
// decide as the shortest text's exponent would: a double's shortest text is at least 1e-6
// exactly when the double is at least the one nearest 1e-6, and 1e21 is a double.
inline constexpr double kPlainDecimalMin = 1e-6;
inline constexpr double kPlainDecimalLimit = 1e21;

// Shortest text that reads back as the same double, in plain notation within the
// exponents above ("22.5", "0.0001", "125000000000000000000") and exponent form outside
// ("1.5e-07", "1e+21"); whole values print without a fraction ("10"), as AWS IoT SQL
// 2016-03-23 treats 10.0 as Int 10.
void AppendDecimal(double d, std::string* out);

}  // namespace tributary::expr
