#include "rules/rule_sql.h"

#include "broker/basic_ingest.h"
#include "expr/parser.h"
#include "mqtt/topic.h"

namespace tributary::rules {
namespace {

using expr::AstKind;
using expr::Parser;
using expr::TokenKind;

std::string DefaultName(const expr::Ast& ast, size_t position) {
  switch (ast.kind) {
    case AstKind::kField:
    case AstKind::kMember:
    case AstKind::kCall: return ast.name;
    case AstKind::kIndex: {
      const expr::Ast* base = ast.kids[0].get();
      while (base->kind == AstKind::kIndex) base = base->kids[0].get();
      if (base->kind == AstKind::kField || base->kind == AstKind::kMember) return base->name;
      break;
    }
    default: break;
  }
  return "_" + std::to_string(position);
}

}  // namespace

Result<RuleQuery> ParseRuleSql(std::string_view sql) {
  TRY_ASSIGN(std::vector<expr::Token> tokens, expr::Tokenize(sql));
  Parser p(std::move(tokens), sql);
  RuleQuery q;
  q.multiline = sql.find('\n') != std::string_view::npos;
  if (!p.ConsumeKeyword("SELECT")) return p.Expected("SELECT", "at the start of the rule");

  // VALUE is a keyword only where an expression follows it.
  if (p.PeekKeyword("VALUE") && !p.PeekKeyword("FROM", 1) && !p.PeekOp(",", 1) &&
      !p.PeekKeyword("AS", 1)) {
    p.Next();
    q.select_value = true;
    SelectItem item;
    item.pos = p.Peek().pos;
    TRY_ASSIGN(item.expr, p.ParseExpression());
    q.items.push_back(std::move(item));
  } else {
    while (true) {
      SelectItem item;
      item.pos = p.Peek().pos;
      if (p.PeekOp("*") && (p.PeekOp(",", 1) || p.PeekKeyword("FROM", 1))) {
        p.Next();
        item.star = true;
        for (const SelectItem& other : q.items) {
          if (other.star) return p.ErrorAt(item.pos, "'*' appears twice in the select list");
        }
      } else {
        if (p.PeekKeyword("FROM")) return p.Expected("an expression or '*'", "after SELECT");
        TRY_ASSIGN(item.expr, p.ParseExpression());
        if (p.ConsumeKeyword("AS")) {
          const expr::Token& alias = p.Peek();
          if ((alias.kind != TokenKind::kIdent && alias.kind != TokenKind::kString) ||
              alias.text.empty() ||
              (alias.kind == TokenKind::kIdent && !alias.quoted_ident &&
               Parser::IsReserved(alias.text))) {
            return p.Expected("a name", "after AS");
          }
          item.name = alias.text;
          p.Next();
        } else {
          item.name = DefaultName(*item.expr, q.items.size() + 1);
        }
        for (const SelectItem& other : q.items) {
          if (!other.star && other.name == item.name) {
            return p.ErrorAt(item.pos, "duplicate output name '" + item.name +
                                           "' in the select list (rename one with AS)");
          }
        }
      }
      q.items.push_back(std::move(item));
      if (!p.ConsumeOp(",")) break;
    }
  }

  if (!p.ConsumeKeyword("FROM")) return p.Expected("FROM", "after the select list");
  const expr::Token& from = p.Peek();
  if (from.kind != TokenKind::kString) {
    return p.Expected("a quoted topic filter such as 'devices/+/pollution'", "after FROM");
  }
  if (!mqtt::IsValidTopicFilter(from.text) || mqtt::ParseSharedFilter(from.text)) {
    return p.ErrorAt(from.pos, "invalid topic filter '" + from.text +
                                   "' ('+' and '#' must be whole levels, '#' only last; "
                                   "no $share/ filters)");
  }
  if (broker::IsBasicIngestTopic(from.text)) {
    return p.ErrorAt(from.pos, "topic filter '" + from.text +
                                   "' is under $aws/rules/, Basic Ingest's prefix: a message "
                                   "published to $aws/rules/<rule>/<topic> goes to the rule it "
                                   "names alone, which sees <topic>; select <topic> with FROM");
  }
  q.topic_filter = from.text;
  p.Next();

  if (p.ConsumeKeyword("WHERE")) {
    TRY_ASSIGN(q.where, p.ParseExpression());
  }
  if (!p.AtEnd()) {
    return p.Expected("the end of the statement", q.where ? "after the WHERE condition"
                                                          : "after the FROM topic filter");
  }
  return q;
}

}  // namespace tributary::rules
