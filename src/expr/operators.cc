#include "expr/operators.h"

#include <cmath>

#include "expr/conversions.h"

namespace tributary::expr {
namespace {

enum class Arith { kSub, kMul, kDiv, kMod, kAdd };

Value Arithmetic(Arith op, const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) {
    int64_t x = a.as_int();
    int64_t y = b.as_int();
    int64_t r = 0;
    switch (op) {
      case Arith::kAdd:
        if (!__builtin_add_overflow(x, y, &r)) return Value::Int(r);
        return Value::Decimal(static_cast<double>(x) + static_cast<double>(y));
      case Arith::kSub:
        if (!__builtin_sub_overflow(x, y, &r)) return Value::Int(r);
        return Value::Decimal(static_cast<double>(x) - static_cast<double>(y));
      case Arith::kMul:
        if (!__builtin_mul_overflow(x, y, &r)) return Value::Int(r);
        return Value::Decimal(static_cast<double>(x) * static_cast<double>(y));
      case Arith::kDiv:
        if (y == 0) return Value();
        if (x == INT64_MIN && y == -1) return Value::Decimal(-static_cast<double>(x));
        return Value::Int(x / y);  // truncates toward zero, as Java does
      case Arith::kMod:
        if (y == 0) return Value();
        if (y == -1) return Value::Int(0);
        return Value::Int(x % y);  // sign of the dividend
    }
  }
  // Int/Decimal mixes, and Strings holding numbers (but '+' with a String
  // concatenates: handled by Add before this).
  if (!(a.is_number() || a.is_string()) || !(b.is_number() || b.is_string())) return Value();
  auto x = ToDecimal(a);
  auto y = ToDecimal(b);
  if (!x || !y) return Value();
  switch (op) {
    case Arith::kAdd:
      return FiniteDecimal(*x + *y);
    case Arith::kSub:
      return FiniteDecimal(*x - *y);
    case Arith::kMul:
      return FiniteDecimal(*x * *y);
    case Arith::kDiv:
      if (*y == 0) return Value();
      return FiniteDecimal(*x / *y);
    case Arith::kMod:
      if (*y == 0) return Value();
      return FiniteDecimal(std::fmod(*x, *y));
  }
  return Value();
}

Value Add(const Value& a, const Value& b, const Message& m) {
  if (a.is_string() || b.is_string()) {
    auto x = ToText(a);
    auto y = ToText(b);
    if (!x || !y || !m.ChargeBuild(x->size() + y->size())) return Value();
    return Value::String(*x + *y);
  }
  if (!a.is_number() || !b.is_number()) return Value();
  return Arithmetic(Arith::kAdd, a, b);
}
Value Sub(const Value& a, const Value& b, const Message&) { return Arithmetic(Arith::kSub, a, b); }
Value Mul(const Value& a, const Value& b, const Message&) { return Arithmetic(Arith::kMul, a, b); }
Value Div(const Value& a, const Value& b, const Message&) { return Arithmetic(Arith::kDiv, a, b); }

Value Eq(const Value& a, const Value& b, const Message&) {
  auto r = Equals(a, b);
  return r ? Value::Bool(*r) : Value();
}
Value Ne(const Value& a, const Value& b, const Message&) {
  auto r = Equals(a, b);
  return r ? Value::Bool(!*r) : Value();
}
Value Lt(const Value& a, const Value& b, const Message&) {
  auto r = CompareNumbers(a, b);
  return r ? Value::Bool(*r < 0) : Value();
}
Value Le(const Value& a, const Value& b, const Message&) {
  auto r = CompareNumbers(a, b);
  return r ? Value::Bool(*r <= 0) : Value();
}
Value Gt(const Value& a, const Value& b, const Message&) {
  auto r = CompareNumbers(a, b);
  return r ? Value::Bool(*r > 0) : Value();
}
Value Ge(const Value& a, const Value& b, const Message&) {
  auto r = CompareNumbers(a, b);
  return r ? Value::Bool(*r >= 0) : Value();
}
// x IN array: whether an element equals x (as '=' has it). Undefined when x is
// Undefined or the right side is not an array.
Value In(const Value& a, const Value& b, const Message&) {
  if (a.is_undefined() || !b.is_array()) return Value();
  for (const Value& e : b.as_array()) {
    auto r = Equals(a, e);
    if (r && *r) return Value::Bool(true);
  }
  return Value::Bool(false);
}
// Three-valued (SQL) logic: a side that is not a boolean is unknown, and decides
// nothing unless the other side does (false AND ? = false, true OR ? = true).
Value And(const Value& a, const Value& b, const Message&) {
  auto x = ToBoolean(a);
  auto y = ToBoolean(b);
  if ((x && !*x) || (y && !*y)) return Value::Bool(false);
  if (!x || !y) return Value();
  return Value::Bool(true);
}
Value Or(const Value& a, const Value& b, const Message&) {
  auto x = ToBoolean(a);
  auto y = ToBoolean(b);
  if ((x && *x) || (y && *y)) return Value::Bool(true);
  if (!x || !y) return Value();
  return Value::Bool(false);
}

}  // namespace

Value Remainder(const Value& a, const Value& b) { return Arithmetic(Arith::kMod, a, b); }

namespace {
Value RemainderOp(const Value& a, const Value& b, const Message&) { return Remainder(a, b); }
}  // namespace

BinaryFn BinaryOperator(Op op) {
  switch (op) {
    case Op::kAdd: return &Add;
    case Op::kSub: return &Sub;
    case Op::kMul: return &Mul;
    case Op::kDiv: return &Div;
    case Op::kMod:
      return &RemainderOp;
    case Op::kEq: return &Eq;
    case Op::kNe: return &Ne;
    case Op::kLt: return &Lt;
    case Op::kLe: return &Le;
    case Op::kGt: return &Gt;
    case Op::kGe: return &Ge;
    case Op::kIn: return &In;
    case Op::kAnd: return &And;
    case Op::kOr: return &Or;
    default: return nullptr;
  }
}

Value Negate(const Value& v) {
  if (v.is_int()) {
    if (v.as_int() == INT64_MIN) return Value::Decimal(-static_cast<double>(v.as_int()));
    return Value::Int(-v.as_int());
  }
  if (v.is_decimal() || v.is_string()) {
    auto d = ToDecimal(v);
    if (!d) return Value();
    return FiniteDecimal(-*d);
  }
  return Value();
}

Value LogicalNot(const Value& v) {
  auto b = ToBoolean(v);
  return b ? Value::Bool(!*b) : Value();
}

}  // namespace tributary::expr
