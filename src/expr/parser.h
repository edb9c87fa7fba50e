// Recursive-descent (Pratt) parser for expressions, usable on its own or driven by
// the rule SQL parser (rules/rule_sql.cc), which reads SELECT/FROM/WHERE around the
// expressions with the same token stream. Errors name the position and what was
// expected: "column 18: expected FROM after the select list, found 'WHERE'".
// Thread-compatible.
//
// Precedence, loosest first: OR; AND; NOT; = <> != < <= > >=, [NOT] IN and IS [NOT]
// NULL | UNDEFINED; + -; * / %; unary -; postfix .name and [index]. A nested query,
// "(SELECT [VALUE] <select list> FROM <array> [WHERE <condition>])", is an operand: the
// select list and WHERE read each element of the array. `x IS NULL` is true for
// null and for a missing field (as SQL engines read a missing column); `x IS UNDEFINED`
// only for a missing one. IS is not reserved: after an operand it can only be this.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "expr/ast.h"
#include "expr/lexer.h"

namespace tributary::expr {

class Parser {
 public:
  // `source` is the text the tokens came from (positions in errors refer to it).
  Parser(std::vector<Token> tokens, std::string_view source);

  Result<AstPtr> ParseExpression();

  const Token& Peek(size_t ahead = 0) const;
  const Token& Next();
  bool AtEnd() const { return Peek().kind == TokenKind::kEnd; }
  // Whether the next token is the (unquoted, case-insensitive) keyword.
  bool PeekKeyword(std::string_view keyword, size_t ahead = 0) const;
  bool ConsumeKeyword(std::string_view keyword);
  bool PeekOp(std::string_view op, size_t ahead = 0) const;
  bool ConsumeOp(std::string_view op);

  // "column 18: expected FROM after the select list, found 'WHERE'"
  Status Expected(std::string_view what, std::string_view context) const;
  Status ErrorAt(const SourcePos& pos, std::string_view what) const;

  // Reserved words that cannot be field names unless `quoted`.
  static bool IsReserved(std::string_view word);

 private:
  Result<AstPtr> ParseBinary(int min_prec);
  Result<AstPtr> ParsePrefix();
  Result<AstPtr> ParsePrimary();
  Result<AstPtr> ParsePostfix(AstPtr base);
  Result<AstPtr> ParseCall(const Token& name);
  Result<AstPtr> ParseCase(const Token& start);
  Result<AstPtr> ParseObjectLiteral(const Token& start);
  Result<AstPtr> ParseSubquery(const Token& open);  // at "(" SELECT

  std::vector<Token> tokens_;
  size_t next_ = 0;
  bool multiline_;
  int depth_ = 0;
};

// Parses `text` as exactly one expression.
Result<AstPtr> ParseExpressionText(std::string_view text);

}  // namespace tributary::expr
