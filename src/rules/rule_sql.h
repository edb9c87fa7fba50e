// Rule SQL: the statement of an AWS IoT topic rule, parsed into its parts.
//
//   [SET @<name> = <expression>[, @<name> = <expression>...]]
//   SELECT <select list> [FROM '<topic filter>'] [WHERE <condition>]
//
// SET comes once, before SELECT; each variable is set once (immutable) and its
// expression may use the variables set before it (expr/variables.h).
// The select list (items, aliases, output names, VALUE) is expr/select_list.h's. The
// FROM filter is an MQTT topic filter ('+' and '#'),
// checked with mqtt::IsValidTopicFilter; shared subscriptions are not allowed. Without
// FROM (AWS: "optional for rules that are only activated using Basic Ingest") the filter
// is "" and matches no topic: only a message to $aws/rules/<rule>/<topic> reaches it.
// Keywords are case-insensitive. Pure; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "expr/ast.h"
#include "expr/select_list.h"

namespace tributary::rules {

using SelectItem = expr::SelectItem;

struct Assignment {
  std::string name;  // without the '@'
  expr::AstPtr expr;
  expr::SourcePos pos;  // of the '@name'
};

struct RuleQuery {
  std::vector<Assignment> set;  // the SET clause, in order; empty without one
  bool select_value = false;  // SELECT VALUE expr: the output is that value's JSON
  std::vector<SelectItem> items;
  std::string topic_filter;   // "" without FROM
  expr::AstPtr where;         // null when there is no WHERE
  bool multiline = false;     // how positions read in errors
};

// Errors name the position: "column 15: expected a quoted topic filter such as
// 'devices/+/pollution' after FROM, found 'a'".
Result<RuleQuery> ParseRuleSql(std::string_view sql);

}  // namespace tributary::rules
