// Lexer for the expression language and rule SQL. Turns text into tokens with their
// 1-based line and column. Pure; thread-compatible.
//
//   text                 token
//   temperature          kIdent "temperature" (keywords are identifiers too; the
//                        parser compares them case-insensitively)
//   `my-field`           kIdent "my-field" (quoted name: any character but '`')
//   42 / 4.5 / 1e3       kInt 42 / kDecimal 4.5 / kDecimal 1000
//   'a''b' / "x\"y"      kString "a'b" / kString "x\"y" (both quotes are strings;
//                        a doubled quote or a backslash escapes)
//   <> != <= >= = < >    kOp
//   @celsius             kVariable "celsius" (a SET variable: letters, digits and '_',
//                        at most 64 of them)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tributary::expr {

struct SourcePos {
  int line = 1;
  int column = 1;
  size_t offset = 0;
};

enum class TokenKind : uint8_t { kIdent, kInt, kDecimal, kString, kOp, kVariable, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // identifier or string contents, operator spelling, number text
  int64_t int_value = 0;
  double decimal_value = 0;
  SourcePos pos;
  bool quoted_ident = false;  // `name`: never a keyword
};

// "column 18" for one-line sources, "line 2, column 5" otherwise.
std::string FormatPos(const SourcePos& pos, bool multiline);

// How a token reads in an error message: "'WHERE'", "end of input", "string 'x'".
std::string Describe(const Token& t);

// Longest variable name after the '@'.
inline constexpr size_t kMaxVariableNameBytes = 64;

// Longest expression or rule statement accepted.
inline constexpr size_t kMaxSourceBytes = 64 * 1024;

// Splits `text` into tokens ending with one kEnd token. Errors name the position:
// "column 7: unterminated string starting here".
Result<std::vector<Token>> Tokenize(std::string_view text);

}  // namespace tributary::expr
