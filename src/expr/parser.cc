#include "expr/parser.h"

#include <algorithm>
#include <cctype>

#include "base/ascii.h"
#include "expr/operators.h"
#include "expr/select_list.h"

namespace tributary::expr {
namespace {

constexpr int kMaxDepth = 200;  // nesting limit, so hostile input cannot overflow the stack

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct InfixOp {
  std::string_view spelling;
  bool keyword;
  int prec;
  Op op;
};
constexpr InfixOp kInfix[] = {
    {"OR", true, 1, Op::kOr},   {"AND", true, 2, Op::kAnd}, {"=", false, 4, Op::kEq},
    {"<>", false, 4, Op::kNe},  {"!=", false, 4, Op::kNe},  {"<", false, 4, Op::kLt},
    {"<=", false, 4, Op::kLe},  {">", false, 4, Op::kGt},   {">=", false, 4, Op::kGe},
    {"IN", true, 4, Op::kIn},
    {"+", false, 5, Op::kAdd},  {"-", false, 5, Op::kSub},  {"*", false, 6, Op::kMul},
    {"/", false, 6, Op::kDiv},  {"%", false, 6, Op::kMod},
};
constexpr int kIsPrec = 4;  // x IS [NOT] NULL | UNDEFINED binds as a comparison
constexpr int kInPrec = 4;  // x [NOT] IN array too
constexpr int kNotPrec = 3;
constexpr int kNegPrec = 7;
// The digits of the least Int, -9223372036854775808: alone they are beyond int64 (the
// lexer's Decimal), after a '-' they are that Int.
constexpr std::string_view kLeastIntDigits = "9223372036854775808";

AstPtr MakeNode(AstKind kind, const SourcePos& pos) {
  auto a = std::make_unique<Ast>();
  a->kind = kind;
  a->pos = pos;
  return a;
}

AstPtr Clone(const Ast& a) {
  auto c = std::make_unique<Ast>();
  c->kind = a.kind;
  c->pos = a.pos;
  c->literal = a.literal;
  c->name = a.name;
  c->op = a.op;
  c->cast_type = a.cast_type;
  c->keys = a.keys;
  for (const AstPtr& k : a.kids) c->kids.push_back(k ? Clone(*k) : nullptr);
  return c;
}

AstPtr Call(const char* name, AstPtr arg, const SourcePos& pos) {
  AstPtr call = MakeNode(AstKind::kCall, pos);
  call->name = name;
  call->kids.push_back(std::move(arg));
  return call;
}

// `x IS NULL` as isNull(x) OR isUndefined(x): a missing field is null to SQL, as in Spark
// or Athena; `x IS UNDEFINED` as isUndefined(x); NOT in front of either negates it.
AstPtr IsPredicate(AstPtr operand, bool undefined_only, bool negate, const SourcePos& pos) {
  AstPtr test;
  if (undefined_only) {
    test = Call("isundefined", std::move(operand), pos);
  } else {
    AstPtr either = MakeNode(AstKind::kBinary, pos);
    either->op = Op::kOr;
    either->kids.push_back(Call("isnull", Clone(*operand), pos));
    either->kids.push_back(Call("isundefined", std::move(operand), pos));
    test = std::move(either);
  }
  if (!negate) return test;
  AstPtr node = MakeNode(AstKind::kUnary, pos);
  node->op = Op::kNot;
  node->kids.push_back(std::move(test));
  return node;
}

}  // namespace

Parser::Parser(std::vector<Token> tokens, std::string_view source)
    : tokens_(std::move(tokens)), multiline_(source.find('\n') != std::string_view::npos) {}

const Token& Parser::Peek(size_t ahead) const {
  return tokens_[std::min(next_ + ahead, tokens_.size() - 1)];
}

const Token& Parser::Next() {
  const Token& t = tokens_[next_];
  if (next_ + 1 < tokens_.size()) ++next_;
  return t;
}

bool Parser::PeekKeyword(std::string_view keyword, size_t ahead) const {
  const Token& t = Peek(ahead);
  return t.kind == TokenKind::kIdent && !t.quoted_ident && EqualsIgnoreCase(t.text, keyword);
}

bool Parser::ConsumeKeyword(std::string_view keyword) {
  if (!PeekKeyword(keyword)) return false;
  Next();
  return true;
}

bool Parser::PeekOp(std::string_view op, size_t ahead) const {
  const Token& t = Peek(ahead);
  return t.kind == TokenKind::kOp && t.text == op;
}

bool Parser::ConsumeOp(std::string_view op) {
  if (!PeekOp(op)) return false;
  Next();
  return true;
}

Status Parser::ErrorAt(const SourcePos& pos, std::string_view what) const {
  return InvalidArgument(FormatPos(pos, multiline_) + ": " + std::string(what));
}

Status Parser::Expected(std::string_view what, std::string_view context) const {
  std::string msg = "expected " + std::string(what);
  if (!context.empty()) msg += " " + std::string(context);
  msg += ", found " + Describe(Peek());
  return ErrorAt(Peek().pos, msg);
}

bool Parser::IsReserved(std::string_view word) {
  static constexpr std::string_view kReserved[] = {
      "SELECT", "FROM", "WHERE", "AS", "AND", "OR", "NOT", "CASE", "WHEN",
      "THEN",   "ELSE", "END",   "TRUE", "FALSE", "NULL"};
  for (std::string_view r : kReserved) {
    if (EqualsIgnoreCase(word, r)) return true;
  }
  return false;
}

Result<AstPtr> Parser::ParseExpression() {
  if (++depth_ > kMaxDepth) return ErrorAt(Peek().pos, "expression nested too deeply");
  auto r = ParseBinary(0);
  --depth_;
  return r;
}

Result<AstPtr> Parser::ParseBinary(int min_prec) {
  TRY_ASSIGN(AstPtr left, ParsePrefix());
  while (true) {
    const Token& t = Peek();
    if (PeekKeyword("IS") && kIsPrec > min_prec) {
      SourcePos pos = t.pos;
      Next();
      bool negate = ConsumeKeyword("NOT");
      bool undefined_only = false;
      if (ConsumeKeyword("UNDEFINED")) {
        undefined_only = true;
      } else if (!ConsumeKeyword("NULL")) {
        return Expected("NULL or UNDEFINED", negate ? "after IS NOT" : "after IS");
      }
      left = IsPredicate(std::move(left), undefined_only, negate, pos);
      continue;
    }
    // x NOT IN array: NOT (x IN array).
    bool not_in = PeekKeyword("NOT") && PeekKeyword("IN", 1) && kInPrec > min_prec;
    if (not_in) Next();
    const InfixOp* found = nullptr;
    for (const InfixOp& op : kInfix) {
      bool match = op.keyword ? PeekKeyword(op.spelling) : PeekOp(op.spelling);
      if (match) {
        found = &op;
        break;
      }
    }
    if (found == nullptr || found->prec <= min_prec) return left;
    SourcePos pos = t.pos;
    Next();
    if (++depth_ > kMaxDepth) return ErrorAt(pos, "expression nested too deeply");
    auto right = ParseBinary(found->prec);
    --depth_;
    if (!right.ok()) return right.status();
    AstPtr node = MakeNode(AstKind::kBinary, pos);
    node->op = found->op;
    node->kids.push_back(std::move(left));
    node->kids.push_back(std::move(right).value());
    left = std::move(node);
    if (not_in) {
      AstPtr negated = MakeNode(AstKind::kUnary, pos);
      negated->op = Op::kNot;
      negated->kids.push_back(std::move(left));
      left = std::move(negated);
    }
  }
}

Result<AstPtr> Parser::ParsePrefix() {
  const Token& t = Peek();
  if (PeekKeyword("NOT") || PeekOp("-")) {
    bool is_not = PeekKeyword("NOT");
    SourcePos pos = t.pos;
    Next();
    bool least_int =
        !is_not && Peek().kind == TokenKind::kDecimal && Peek().text == kLeastIntDigits;
    if (++depth_ > kMaxDepth) return ErrorAt(pos, "expression nested too deeply");
    auto operand = ParseBinary(is_not ? kNotPrec : kNegPrec);
    --depth_;
    if (!operand.ok()) return operand.status();
    AstPtr operand_ast = std::move(operand).value();
    // Fold "-5" into a literal, what negating the number at run time gives (-0.0 is 0);
    // a literal operand that starts with the least Int's digits is those digits alone.
    if (!is_not && operand_ast->kind == AstKind::kLiteral && operand_ast->literal.is_number()) {
      operand_ast->literal = least_int ? Value::Int(INT64_MIN) : Negate(operand_ast->literal);
      operand_ast->pos = pos;
      return operand_ast;
    }
    AstPtr node = MakeNode(AstKind::kUnary, pos);
    node->op = is_not ? Op::kNot : Op::kNeg;
    node->kids.push_back(std::move(operand_ast));
    return node;
  }
  if (PeekOp("+")) Next();  // unary plus is a no-op
  return ParsePrimary();
}

Result<AstPtr> Parser::ParsePrimary() {
  Token t = Peek();
  AstPtr node;
  switch (t.kind) {
    case TokenKind::kEnd: return Expected("an expression", "");
    case TokenKind::kInt:
      Next();
      node = MakeNode(AstKind::kLiteral, t.pos);
      node->literal = Value::Int(t.int_value);
      break;
    case TokenKind::kDecimal:
      Next();
      node = MakeNode(AstKind::kLiteral, t.pos);
      node->literal = Value::Decimal(t.decimal_value);
      break;
    case TokenKind::kString:
      Next();
      node = MakeNode(AstKind::kLiteral, t.pos);
      node->literal = Value::String(t.text);
      break;
    case TokenKind::kVariable:
      Next();
      node = MakeNode(AstKind::kVariable, t.pos);
      node->name = t.text;
      break;
    case TokenKind::kOp:
      if (t.text == "(" && PeekKeyword("SELECT", 1)) {
        TRY_ASSIGN(node, ParseSubquery(t));
      } else if (t.text == "(") {
        Next();
        TRY_ASSIGN(node, ParseExpression());
        if (!ConsumeOp(")")) return Expected("')'", "to close the '(' at " + FormatPos(t.pos, multiline_));
      } else if (t.text == "*") {
        Next();
        node = MakeNode(AstKind::kPayload, t.pos);
      } else if (t.text == "[") {
        Next();
        node = MakeNode(AstKind::kArrayLit, t.pos);
        if (!ConsumeOp("]")) {
          while (true) {
            TRY_ASSIGN(AstPtr e, ParseExpression());
            node->kids.push_back(std::move(e));
            if (ConsumeOp("]")) break;
            if (!ConsumeOp(",")) return Expected("',' or ']'", "in the array");
          }
        }
      } else if (t.text == "{") {
        Next();
        TRY_ASSIGN(node, ParseObjectLiteral(t));
      } else {
        return Expected("an expression", "");
      }
      break;
    case TokenKind::kIdent:
      if (!t.quoted_ident) {
        if (EqualsIgnoreCase(t.text, "TRUE") || EqualsIgnoreCase(t.text, "FALSE")) {
          Next();
          node = MakeNode(AstKind::kLiteral, t.pos);
          node->literal = Value::Bool(EqualsIgnoreCase(t.text, "TRUE"));
          break;
        }
        if (EqualsIgnoreCase(t.text, "NULL")) {
          Next();
          node = MakeNode(AstKind::kLiteral, t.pos);
          node->literal = Value::Null();
          break;
        }
        if (EqualsIgnoreCase(t.text, "CASE")) {
          Next();
          TRY_ASSIGN(node, ParseCase(t));
          break;
        }
        if (PeekOp("(", 1)) {
          Next();
          TRY_ASSIGN(node, ParseCall(t));
          break;
        }
        if (IsReserved(t.text)) return Expected("an expression", "");
      }
      Next();
      node = MakeNode(AstKind::kField, t.pos);
      node->name = t.text;
      break;
  }
  return ParsePostfix(std::move(node));
}

Result<AstPtr> Parser::ParsePostfix(AstPtr base) {
  while (true) {
    const Token& t = Peek();
    if (PeekOp(".")) {
      SourcePos pos = t.pos;
      Next();
      const Token& name = Peek();
      if (name.kind != TokenKind::kIdent) return Expected("a field name", "after '.'");
      AstPtr node = MakeNode(AstKind::kMember, pos);
      node->name = name.text;
      Next();
      node->kids.push_back(std::move(base));
      base = std::move(node);
    } else if (PeekOp("[")) {
      SourcePos pos = t.pos;
      Next();
      TRY_ASSIGN(AstPtr index, ParseExpression());
      if (!ConsumeOp("]")) return Expected("']'", "after the index");
      AstPtr node = MakeNode(AstKind::kIndex, pos);
      node->kids.push_back(std::move(base));
      node->kids.push_back(std::move(index));
      base = std::move(node);
    } else {
      return base;
    }
  }
}

Result<AstPtr> Parser::ParseCall(const Token& name) {
  Next();  // '('
  if (EqualsIgnoreCase(name.text, "cast")) {
    AstPtr node = MakeNode(AstKind::kCast, name.pos);
    TRY_ASSIGN(AstPtr value, ParseExpression());
    node->kids.push_back(std::move(value));
    if (!ConsumeKeyword("AS")) return Expected("AS", "in cast(value AS type)");
    const Token& type = Peek();
    std::string t = Lower(type.text);
    if (type.kind != TokenKind::kIdent) return Expected("a type name", "after AS in cast");
    if (t == "string" || t == "varchar" || t == "nvarchar" || t == "text" || t == "ntext") {
      node->cast_type = CastType::kString;
    } else if (t == "int" || t == "integer") {
      node->cast_type = CastType::kInt;
    } else if (t == "decimal" || t == "double") {
      node->cast_type = CastType::kDecimal;
    } else if (t == "bool" || t == "boolean") {
      node->cast_type = CastType::kBoolean;
    } else {
      return ErrorAt(type.pos, "unknown type '" + type.text +
                                   "' in cast (use String, Int, Decimal or Boolean)");
    }
    Next();
    if (!ConsumeOp(")")) return Expected("')'", "to close cast(");
    return node;
  }
  AstPtr node = MakeNode(AstKind::kCall, name.pos);
  node->name = Lower(name.text);
  if (ConsumeOp(")")) return node;
  while (true) {
    TRY_ASSIGN(AstPtr arg, ParseExpression());
    node->kids.push_back(std::move(arg));
    if (ConsumeOp(")")) return node;
    if (!ConsumeOp(",")) return Expected("',' or ')'", "in the arguments of " + name.text + "()");
  }
}

Result<AstPtr> Parser::ParseCase(const Token& start) {
  AstPtr node = MakeNode(AstKind::kCase, start.pos);
  if (PeekKeyword("WHEN")) {
    node->kids.push_back(nullptr);
  } else {
    TRY_ASSIGN(AstPtr subject, ParseExpression());
    node->kids.push_back(std::move(subject));
  }
  if (!PeekKeyword("WHEN")) return Expected("WHEN", "in CASE");
  while (ConsumeKeyword("WHEN")) {
    TRY_ASSIGN(AstPtr when, ParseExpression());
    if (!ConsumeKeyword("THEN")) return Expected("THEN", "after the WHEN expression");
    TRY_ASSIGN(AstPtr then, ParseExpression());
    node->kids.push_back(std::move(when));
    node->kids.push_back(std::move(then));
  }
  if (ConsumeKeyword("ELSE")) {
    TRY_ASSIGN(AstPtr otherwise, ParseExpression());
    node->kids.push_back(std::move(otherwise));
  } else {
    node->kids.push_back(nullptr);
  }
  if (!ConsumeKeyword("END")) {
    return Expected("WHEN, ELSE or END", "to finish the CASE at " + FormatPos(start.pos, multiline_));
  }
  return node;
}

Result<AstPtr> Parser::ParseObjectLiteral(const Token& start) {
  AstPtr node = MakeNode(AstKind::kObjectLit, start.pos);
  if (ConsumeOp("}")) return node;
  while (true) {
    const Token& key = Peek();
    if (key.kind != TokenKind::kString && key.kind != TokenKind::kIdent) {
      return Expected("a key", "in the object");
    }
    std::string k = key.text;
    if (std::find(node->keys.begin(), node->keys.end(), k) != node->keys.end()) {
      return ErrorAt(key.pos, "duplicate key '" + k + "' in the object");
    }
    Next();
    if (!ConsumeOp(":")) return Expected("':'", "after the key '" + k + "'");
    TRY_ASSIGN(AstPtr v, ParseExpression());
    node->keys.push_back(std::move(k));
    node->kids.push_back(std::move(v));
    if (ConsumeOp("}")) return node;
    if (!ConsumeOp(",")) return Expected("',' or '}'", "in the object");
  }
}

Result<AstPtr> Parser::ParseSubquery(const Token& open) {
  Next();  // (
  Next();  // SELECT
  TRY_ASSIGN(SelectList list, ParseSelectList(*this));
  if (!ConsumeKeyword("FROM")) return Expected("FROM", "after the nested query's select list");
  if (PeekKeyword("WHERE") || PeekOp(")")) {
    return Expected("the array to query (a field such as e or a.list)", "after FROM");
  }
  AstPtr node = MakeNode(AstKind::kSubquery, open.pos);
  node->select_value = list.value;
  TRY_ASSIGN(AstPtr from, ParseExpression());
  node->kids.push_back(std::move(from));
  AstPtr where;
  if (ConsumeKeyword("WHERE")) {
    TRY_ASSIGN(where, ParseExpression());
  }
  node->kids.push_back(std::move(where));
  for (SelectItem& item : list.items) {
    node->keys.push_back(item.star ? "" : item.name);
    node->kids.push_back(std::move(item.expr));
  }
  if (!ConsumeOp(")")) {
    return Expected("')'", "to close the nested query at " + FormatPos(open.pos, multiline_));
  }
  return node;
}

Result<AstPtr> ParseExpressionText(std::string_view text) {
  TRY_ASSIGN(std::vector<Token> tokens, Tokenize(text));
  Parser p(std::move(tokens), text);
  TRY_ASSIGN(AstPtr ast, p.ParseExpression());
  if (!p.AtEnd()) return p.Expected("end of the expression", "");
  return ast;
}

}  // namespace tributary::expr
