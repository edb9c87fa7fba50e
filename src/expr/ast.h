// The syntax tree the parser produces and the compiler consumes. Plain data.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "expr/lexer.h"
#include "expr/value.h"

namespace tributary::expr {

enum class AstKind : uint8_t {
  kLiteral,     // literal
  kField,       // name: a top-level payload field
  kPayload,     // '*': the whole payload
  kMember,      // kids[0].name
  kIndex,       // kids[0][kids[1]]
  kUnary,       // op kids[0]
  kBinary,      // kids[0] op kids[1]
  kCall,        // name(kids...)   (name lower-cased)
  kCast,        // cast(kids[0] AS cast_type)
  kCase,        // see below
  kArrayLit,    // [kids...]
  kObjectLit,   // {keys[i]: kids[i]}
  kSubquery,    // (SELECT items FROM kids[0] [WHERE kids[1]]): see below
  kVariable,    // @name (name without the '@'): a SET variable
};

enum class Op : uint8_t { kAdd, kSub, kMul, kDiv, kMod, kEq, kNe, kLt, kLe, kGt, kGe, kIn, kAnd,
                          kOr, kNot, kNeg };

enum class CastType : uint8_t { kString, kInt, kDecimal, kBoolean };

struct Ast;
using AstPtr = std::unique_ptr<Ast>;

struct Ast {
  AstKind kind = AstKind::kLiteral;
  SourcePos pos;
  Value literal;
  std::string name;
  Op op = Op::kAdd;
  CastType cast_type = CastType::kString;
  // kCase: kids[0] is the subject (nullptr for CASE WHEN cond ...), then WHEN/THEN
  // pairs, then the ELSE expression (nullptr when absent).
  std::vector<AstPtr> kids;
  std::vector<std::string> keys;  // kObjectLit; kSubquery: item names ("" for '*')
  // kSubquery: kids[0] is the array queried, kids[1] the WHERE condition (nullptr when
  // absent), then one kid per item (nullptr for '*'); SELECT VALUE has one item.
  bool select_value = false;
};

}  // namespace tributary::expr
