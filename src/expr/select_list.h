// The select list of a SELECT, shared by a rule's statement (rules/rule_sql.h) and a
// nested query inside an expression ("(SELECT VALUE n FROM e WHERE v > 1)"):
//
//   <item>[, <item>...]  |  VALUE <expression>
//   item:  *  |  <expression> [AS <name>]
//
// VALUE is the keyword only when what follows starts an expression and is neither '.'
// nor a binary operator: `SELECT value.a AS v`, `value + 1` and `SELECT value FROM` read
// the payload's field "value". Before '[' or '-' it is the keyword when one expression
// runs from there to FROM (`SELECT VALUE [a, b]`, `VALUE -a`), the field in a list
// (`value[0] AS first, value - 1 AS minus`); `value` in backquotes is always the field.
// Output names: the alias (AS a.b.c: the value under "c" under "b" in the object "a",
// which aliases sharing the prefix fill together; a name both a value and an object is
// an error); else a field's last name (a.b.c -> "c"; @v -> "v"); else a function's
// name (upper(x) -> "upper"); else "_<n>" for the n-th item. Two items with the same
// output name, or two '*', are an error naming the position. Pure; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "expr/ast.h"

namespace tributary::expr {

class Parser;

struct SelectItem {
  bool star = false;  // '*': every member of the payload (or of the nested query's row)
  AstPtr expr;        // null for '*'
  std::string name;   // output name (not used for '*')
  SourcePos pos;
};

struct SelectList {
  bool value = false;  // SELECT VALUE expr: the output is that value itself
  std::vector<SelectItem> items;
};

// Reads the list that follows SELECT, up to (not including) FROM.
Result<SelectList> ParseSelectList(Parser& p);

}  // namespace tributary::expr
