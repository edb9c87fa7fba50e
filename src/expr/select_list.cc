#include "expr/select_list.h"

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

}  // namespace

Result<SelectList> ParseSelectList(Parser& p) {
  SelectList list;
  // VALUE is a keyword only where an expression follows it.
  if (p.PeekKeyword("VALUE") && !p.PeekKeyword("FROM", 1) && !p.PeekOp(",", 1) &&
      !p.PeekKeyword("AS", 1)) {
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
