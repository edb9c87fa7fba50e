#include "expr/select_list.h"

#include <string_view>

#include "expr/parser.h"

namespace tributary::expr {
namespace {

std::string DefaultName(const Ast& ast, size_t position) {
  switch (ast.kind) {
    case AstKind::kField:
    case AstKind::kMember:
    case AstKind::kVariable:
    case AstKind::kCall: return ast.name;
    case AstKind::kIndex: {
      const Ast* base = ast.kids[0].get();
      while (base->kind == AstKind::kIndex) base = base->kids[0].get();
      if (base->kind == AstKind::kField || base->kind == AstKind::kMember ||
          base->kind == AstKind::kVariable) {
        return base->name;
      }
      break;
    }
    default: break;
  }
  return "_" + std::to_string(position);
}

// Whether the VALUE ahead is the keyword of SELECT VALUE rather than a field named
// "value": it is when what follows starts an expression and is neither '.', '[' nor a
// binary operator (SELECT VALUE x, VALUE {'a': 1}, VALUE NOT x, VALUE * FROM ...; but
// value - 1, value[0], value.a, value AS v, value FROM, value IN [...]).
bool ValueIsKeyword(const Parser& p) {
  if (!p.PeekKeyword("VALUE")) return false;
  const Token& t = p.Peek(1);
  switch (t.kind) {
    case TokenKind::kEnd:
      return false;
    case TokenKind::kInt:
    case TokenKind::kDecimal:
    case TokenKind::kString:
    case TokenKind::kVariable:
      return true;
    case TokenKind::kOp:
      if (t.text == "(" || t.text == "{") return true;
      // '*' alone is the payload (SELECT VALUE * FROM ...); followed by more, a product.
      if (t.text == "*") return p.PeekKeyword("FROM", 2) || p.Peek(2).kind == TokenKind::kEnd;
      return false;  // '.', '[', ',', ')', and the operators ('-' too: value - 1)
    case TokenKind::kIdent:
      if (t.quoted_ident) return true;
      if (p.PeekKeyword("NOT", 1)) return !p.PeekKeyword("IN", 2);
      for (std::string_view word : {"AND", "OR", "IN", "IS", "AS", "FROM", "WHERE"}) {
        if (p.PeekKeyword(word, 1)) return false;
      }
      return true;
  }
  return false;
}

}  // namespace

Result<SelectList> ParseSelectList(Parser& p) {
  SelectList list;
  if (ValueIsKeyword(p)) {
    p.Next();
    list.value = true;
    SelectItem item;
    item.pos = p.Peek().pos;
    TRY_ASSIGN(item.expr, p.ParseExpression());
    list.items.push_back(std::move(item));
    return list;
  }
  while (true) {
    SelectItem item;
    item.pos = p.Peek().pos;
    if (p.PeekOp("*") && (p.PeekOp(",", 1) || p.PeekKeyword("FROM", 1))) {
      p.Next();
      item.star = true;
      for (const SelectItem& other : list.items) {
        if (other.star) return p.ErrorAt(item.pos, "'*' appears twice in the select list");
      }
    } else {
      if (p.PeekKeyword("FROM")) return p.Expected("an expression or '*'", "after SELECT");
      TRY_ASSIGN(item.expr, p.ParseExpression());
      if (p.ConsumeKeyword("AS")) {
        const Token& alias = p.Peek();
        if ((alias.kind != TokenKind::kIdent && alias.kind != TokenKind::kString) ||
            alias.text.empty() ||
            (alias.kind == TokenKind::kIdent && !alias.quoted_ident &&
             Parser::IsReserved(alias.text))) {
          return p.Expected("a name", "after AS");
        }
        item.name = alias.text;
        p.Next();
      } else {
        item.name = DefaultName(*item.expr, list.items.size() + 1);
      }
      for (const SelectItem& other : list.items) {
        if (!other.star && other.name == item.name) {
          return p.ErrorAt(item.pos, "duplicate output name '" + item.name +
                                         "' in the select list (rename one with AS)");
        }
      }
    }
    list.items.push_back(std::move(item));
    if (!p.ConsumeOp(",")) break;
  }
  return list;
}

}  // namespace tributary::expr
