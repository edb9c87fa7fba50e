// The operators of AWS IoT SQL on Values (the "Operators" page of the reference).
// Pure functions, thread-safe. Undefined in, Undefined out; type mismatches give
// Undefined rather than errors:
//
//   1 + 2 = 3 (Int)      1 + 2.5 = 3.5        'a' + 1 = "a1" (a String side concatenates)
//   '3' - 1 = 2 (Decimal: strings convert)    7 / 2 = 3 (Int)      7.0 / 2 = 3.5
//   7 % -3 = 1           1 / 0 = Undefined    true + 1 = Undefined
//   1 = 1.0 -> true      '1' = 1 -> false     x = <Undefined> -> Undefined
//   '10' > 9 -> true     'abc' > 1 -> Undefined
//   2 IN [1, 2.0] -> true                     'b' IN 'abc' -> Undefined (arrays only)
//   true AND 'TRUE' -> true                   true AND 1 -> Undefined
//   false AND <Undefined> -> false            true OR <Undefined> -> true
// AND/OR follow SQL's three-valued logic where the AWS tables say only "Undefined" for
// non-boolean operands: a non-boolean side decides nothing, so
// "a > 1 OR missing = 2" is true when a > 1, as users expect.
#pragma once

#include "expr/ast.h"
#include "expr/message.h"
#include "expr/value.h"

namespace tributary::expr {

// `m` is the message under evaluation: '+' charges the strings it joins to its budget
// (Message::ChargeBuild).
using BinaryFn = Value (*)(const Value& a, const Value& b, const Message& m);

// The implementation of a binary operator (kAdd ... kOr).
BinaryFn BinaryOperator(Op op);

Value Negate(const Value& v);
Value LogicalNot(const Value& v);

// Arithmetic shared with mod() and remainder().
Value Remainder(const Value& a, const Value& b);

}  // namespace tributary::expr
