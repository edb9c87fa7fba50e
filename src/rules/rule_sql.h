// Rule SQL: the statement of an AWS IoT topic rule, parsed into its parts.
//
//   SELECT <item>[, <item>...] FROM '<topic filter>' [WHERE <condition>]
//   SELECT VALUE <expression> FROM '<topic filter>' [WHERE <condition>]
//   item:  *  |  <expression> [AS <name>]
//
// Output names: the alias; else a field's last name (a.b.c -> "c"); else a function's
// name (upper(x) -> "upper"); else "_<n>" for the n-th item. Two items with the same
// output name are an error. The FROM filter is an MQTT topic filter ('+' and '#'),
// checked with mqtt::IsValidTopicFilter; shared subscriptions are not allowed.
// Keywords are case-insensitive. Pure; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "expr/ast.h"

namespace tributary::rules {

struct SelectItem {
  bool star = false;       // '*': every member of the payload
  expr::AstPtr expr;       // null for '*'
  std::string name;        // output name (not used for '*')
  expr::SourcePos pos;
};

struct RuleQuery {
  bool select_value = false;  // SELECT VALUE expr: the output is that value's JSON
  std::vector<SelectItem> items;
  std::string topic_filter;
  expr::AstPtr where;         // null when there is no WHERE
  bool multiline = false;     // how positions read in errors
};

// Errors name the position: "column 18: expected FROM after the select list, found 'WHERE'".
Result<RuleQuery> ParseRuleSql(std::string_view sql);

}  // namespace tributary::rules
