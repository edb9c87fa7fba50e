#include "expr/select_list.h"

#include <algorithm>
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

// Whether the select list from token `from` on is one expression running to FROM (or the
// end): no ',' or AS outside brackets, as SELECT VALUE's is.
bool OneExpressionToFrom(const Parser& p, size_t from) {
  int depth = 0;
  for (size_t i = from;; ++i) {
    const Token& t = p.Peek(i);
    if (t.kind == TokenKind::kEnd) return true;
    if (t.kind == TokenKind::kOp) {
      if (t.text == "(" || t.text == "[" || t.text == "{") ++depth;
      if (t.text == ")" || t.text == "]" || t.text == "}") --depth;
      if (depth == 0 && t.text == ",") return false;
    } else if (depth == 0 && t.kind == TokenKind::kIdent && !t.quoted_ident) {
      if (p.PeekKeyword("FROM", i)) return true;
      if (p.PeekKeyword("AS", i)) return false;
    }
  }
}

// Whether the token `ahead` starts right where the one before it ends (no space between).
bool Touches(const Parser& p, size_t ahead) {
  const Token& before = p.Peek(ahead - 1);
  const Token& t = p.Peek(ahead);
  return !before.quoted_ident && before.kind == TokenKind::kIdent &&
         before.pos.offset + before.text.size() == t.pos.offset;
}

// Whether the VALUE ahead is the keyword of SELECT VALUE rather than a field named
// "value". It is when what follows starts an expression and does not go on from a field:
//
//   SELECT VALUE x / VALUE {'a': 1} / VALUE NOT x / VALUE * FROM     the keyword
//   SELECT value.a / value AS v / value FROM / value IN [...] / value + 1   the field
//
// '[' and '-' both start an expression and go on from a field; how they are written
// decides:
//
//   SELECT value[0] FROM ...      '[' touching value: the field, indexed
//   SELECT VALUE [a, b] FROM ...  a space, then '[': the keyword, of an array literal
//   SELECT value - 1 FROM ...     '-' as a binary operator (spaces on both sides, or on
//   SELECT value-1 FROM ...         neither): the field, minus 1
//   SELECT VALUE -a FROM ...      a space before '-' and none after: the keyword, of a
//                                   negation
//
// and the keyword only when one expression runs from there to FROM, as SELECT VALUE's
// does (`value [0] AS first, ...` is the field). `value` in backquotes is the field
// always; SELECT VALUE (...) the keyword always.
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
      if (t.text == "[") return !Touches(p, 1) && OneExpressionToFrom(p, 1);
      if (t.text == "-") {
        // Unary as written: apart from VALUE, touching what follows it.
        const Token& next = p.Peek(2);
        bool unary =
            !Touches(p, 1) && next.kind != TokenKind::kEnd && t.pos.offset + 1 == next.pos.offset;
        return unary && OneExpressionToFrom(p, 1);
      }
      // '*' alone is the payload (SELECT VALUE * FROM ...); followed by more, a product.
      if (t.text == "*") return p.PeekKeyword("FROM", 2) || p.Peek(2).kind == TokenKind::kEnd;
      return false;  // '.', ',', ')', and the binary operators
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

// An alias's name: an identifier (not a reserved word unless quoted) or a string.
bool IsName(const Token& t) {
  return (t.kind == TokenKind::kIdent || t.kind == TokenKind::kString) && !t.text.empty() &&
         !(t.kind == TokenKind::kIdent && !t.quoted_ident && Parser::IsReserved(t.text));
}

// The objects that dotted aliases build (SELECT a AS x.y, b AS x.z: {"x": {"y", "z"}}),
// told apart from object literals the statement wrote, which are values like any other.
using Groups = std::vector<const Ast*>;

std::string JoinPath(const std::vector<std::string>& path, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? "." : "") + path[i];
  return out;
}

// Puts `value` at path[i..] inside the group object `obj`.
Status InsertAt(const Parser& p, const SourcePos& pos, Ast* obj,
                const std::vector<std::string>& path, size_t i, AstPtr value, Groups* groups) {
  auto it = std::find(obj->keys.begin(), obj->keys.end(), path[i]);
  Ast* existing = it == obj->keys.end() ? nullptr : obj->kids[it - obj->keys.begin()].get();
  if (i + 1 == path.size()) {
    if (existing != nullptr) {
      return p.ErrorAt(pos, "duplicate output name '" + JoinPath(path, path.size()) +
                                "' in the select list (rename one with AS)");
    }
    obj->keys.push_back(path[i]);
    obj->kids.push_back(std::move(value));
    return Status::Ok();
  }
  if (existing == nullptr) {
    auto group = std::make_unique<Ast>();
    group->kind = AstKind::kObjectLit;
    group->pos = pos;
    existing = group.get();
    groups->push_back(existing);
    obj->keys.push_back(path[i]);
    obj->kids.push_back(std::move(group));
  } else if (std::find(groups->begin(), groups->end(), existing) == groups->end()) {
    return p.ErrorAt(pos, "the output name '" + JoinPath(path, i + 1) +
                              "' is both a value and an object in the select list");
  }
  return InsertAt(p, pos, existing, path, i + 1, std::move(value), groups);
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
  Groups groups;
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
      std::vector<std::string> path;
      if (p.ConsumeKeyword("AS")) {
        if (!IsName(p.Peek())) return p.Expected("a name", "after AS");
        path.push_back(p.Next().text);
        // AS a.b.c: the value goes in the object "a", under "b", under "c".
        while (p.ConsumeOp(".")) {
          if (!IsName(p.Peek())) return p.Expected("a name", "after '.' in the alias");
          path.push_back(p.Next().text);
        }
        item.name = path[0];
      } else {
        item.name = DefaultName(*item.expr, list.items.size() + 1);
      }
      SelectItem* group = nullptr;
      for (SelectItem& other : list.items) {
        if (other.star || other.name != item.name) continue;
        bool is_group = std::find(groups.begin(), groups.end(), other.expr.get()) != groups.end();
        if (path.size() < 2 || !is_group) {
          return p.ErrorAt(item.pos, "duplicate output name '" + item.name +
                                         "' in the select list (rename one with AS)");
        }
        group = &other;
      }
      if (path.size() >= 2) {
        if (group != nullptr) {
          TRY(InsertAt(p, item.pos, group->expr.get(), path, 1, std::move(item.expr), &groups));
          if (!p.ConsumeOp(",")) break;
          continue;
        }
        auto object = std::make_unique<Ast>();
        object->kind = AstKind::kObjectLit;
        object->pos = item.pos;
        groups.push_back(object.get());
        TRY(InsertAt(p, item.pos, object.get(), path, 1, std::move(item.expr), &groups));
        item.expr = std::move(object);
      }
    }
    list.items.push_back(std::move(item));
    if (!p.ConsumeOp(",")) break;
  }
  return list;
}

}  // namespace tributary::expr
