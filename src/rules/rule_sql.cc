#include "rules/rule_sql.h"

#include "broker/basic_ingest.h"
#include "expr/parser.h"
#include "expr/select_list.h"
#include "mqtt/topic.h"

namespace tributary::rules {

using expr::Parser;
using expr::TokenKind;

namespace {

// After SET: @name = <expression>[, ...].
Status ParseSetClause(Parser& p, RuleQuery* q) {
  do {
    const expr::Token& var = p.Peek();
    if (var.kind != TokenKind::kVariable) {
      return p.Expected("a variable such as @celsius", q->set.empty() ? "after SET" : "after ','");
    }
    for (const Assignment& a : q->set) {
      if (a.name == var.text) {
        return p.ErrorAt(var.pos, "variable '@" + var.text + "' is already set at " +
                                      expr::FormatPos(a.pos, q->multiline) +
                                      ": a variable is set once");
      }
    }
    Assignment a;
    a.name = var.text;
    a.pos = var.pos;
    p.Next();
    if (!p.ConsumeOp("=")) return p.Expected("'='", "after '@" + a.name + "'");
    TRY_ASSIGN(a.expr, p.ParseExpression());
    q->set.push_back(std::move(a));
  } while (p.ConsumeOp(","));
  return Status::Ok();
}

// The optional WHERE clause, then the end of the statement.
Result<RuleQuery> ParseWhere(Parser& p, RuleQuery q) {
  if (p.ConsumeKeyword("WHERE")) {
    TRY_ASSIGN(q.where, p.ParseExpression());
  }
  if (!p.AtEnd()) {
    return p.Expected("the end of the statement", q.where ? "after the WHERE condition"
                                                  : q.topic_filter.empty()
                                                      ? "after the select list"
                                                      : "after the FROM topic filter");
  }
  return q;
}

}  // namespace

Result<RuleQuery> ParseRuleSql(std::string_view sql) {
  TRY_ASSIGN(std::vector<expr::Token> tokens, expr::Tokenize(sql));
  Parser p(std::move(tokens), sql);
  RuleQuery q;
  q.multiline = sql.find('\n') != std::string_view::npos;
  if (p.ConsumeKeyword("SET")) TRY(ParseSetClause(p, &q));
  if (!p.ConsumeKeyword("SELECT")) {
    if (!q.set.empty() && p.PeekKeyword("SET")) {
      return p.ErrorAt(p.Peek().pos, "SET appears twice: one SET clause sets every variable "
                                     "(SET @a = ..., @b = ...)");
    }
    return p.Expected("SELECT", q.set.empty() ? "at the start of the rule"
                                              : "after the SET clause");
  }

  TRY_ASSIGN(expr::SelectList list, expr::ParseSelectList(p));
  q.select_value = list.value;
  q.items = std::move(list.items);

  // No FROM: a rule only Basic Ingest reaches ($aws/rules/<rule>/<topic>), as on AWS.
  if (!p.ConsumeKeyword("FROM")) {
    if (!p.PeekKeyword("WHERE") && !p.AtEnd()) {
      return p.Expected("FROM, WHERE or the end of the statement", "after the select list");
    }
    return ParseWhere(p, std::move(q));
  }
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
  return ParseWhere(p, std::move(q));
}

}  // namespace tributary::rules
