#include "rules/rule_sql.h"

#include "broker/basic_ingest.h"
#include "expr/parser.h"
#include "expr/select_list.h"
#include "mqtt/topic.h"

namespace tributary::rules {

using expr::Parser;
using expr::TokenKind;

Result<RuleQuery> ParseRuleSql(std::string_view sql) {
  TRY_ASSIGN(std::vector<expr::Token> tokens, expr::Tokenize(sql));
  Parser p(std::move(tokens), sql);
  RuleQuery q;
  q.multiline = sql.find('\n') != std::string_view::npos;
  if (!p.ConsumeKeyword("SELECT")) return p.Expected("SELECT", "at the start of the rule");

  TRY_ASSIGN(expr::SelectList list, expr::ParseSelectList(p));
  q.select_value = list.value;
  q.items = std::move(list.items);

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
