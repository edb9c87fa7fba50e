// The implicit conversions of AWS IoT SQL (the "Conversions" tables of the
// reference) and the equality used by '=' and '<>'. Pure functions, thread-safe.
//
//   value            ToDecimal   ToBoolean   ToText
//   Int 3            3.0         -           "3"
//   Decimal 2.5      2.5         -           "2.5"
//   Boolean true     -           true        "true"
//   String "-1.2"    -1.2        -           "-1.2"
//   String "TRUE"    -           true        "TRUE"
//   Array [1,"a"]    -           -           "[1,\"a\"]"
//   Null, Undefined  -           -           -
//   ("-" is no conversion: the caller yields Undefined)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "expr/value.h"

namespace tributary::expr {

// Parses strings matching ^-?\d+(\.\d+)?([eE]-?\d+)?$ (the only ones AWS IoT turns
// into numbers); nullopt for anything else, including " 1", "1.", "+1", "0x10", and
// for numbers beyond a double's range ("1e400": not a finite Decimal). Underflow is 0,
// and so is "-0" (never -0.0).
std::optional<double> ParseDecimalString(std::string_view s);

// Int, Decimal, or a String of the form above.
std::optional<double> ToDecimal(const Value& v);
// Like ToDecimal, then rounded down (floor) to an Int; Ints are exact. nullopt for a
// number beyond int64's range too (1e19, which AWS's 34-digit Int holds): the nearest
// int64 would be a wrong answer.
std::optional<int64_t> ToIntFloor(const Value& v);
// ToIntFloor, but a number beyond int64's range is the nearest end of it: for a position
// or count that only has to be past every string (substring(s, 0, 1e30), lpad(s, 1e30)).
std::optional<int64_t> ToIntFloorClamped(const Value& v);
// Boolean, or the String "true"/"false" in any case.
std::optional<bool> ToBoolean(const Value& v);
// The "To String" conversion: nullopt for Null and Undefined.
std::optional<std::string> ToText(const Value& v);

// The '=' operator: nullopt (Undefined) when either side is Undefined; Int and Decimal
// compare as numbers; arrays element-wise in order; objects by keys and values in any
// order; Null = Null; values of different types are not equal (no string conversion).
std::optional<bool> Equals(const Value& a, const Value& b);

// Ordering for '<', '<=', '>', '>=': both sides converted to Decimal (Ints compared
// exactly); nullopt when either side does not convert. Returns <0, 0 or >0.
std::optional<int> CompareNumbers(const Value& a, const Value& b);

// A double as a Value: 2016-03-23 treats whole numbers as Int ("10.0" is Int 10)
// when they fit in int64 (-2^63 does, 2^63 does not). Undefined for NaN and the infinities, as
// FiniteDecimal.
Value NormalizeDecimal(double d);

// A computed double as a Value: Undefined when it is not a real number (NaN, or an
// infinity: AWS's Decimal has neither), else a Decimal, 0 for -0.0 (which it lacks too).
Value FiniteDecimal(double d);

}  // namespace tributary::expr
