#include "expr/parser.h"

#include <gtest/gtest.h>

#include "expr/compiled.h"
#include "expr/lexer.h"

namespace tributary::expr {
namespace {

TEST(LexerTest, TokensWithPositions) {
  auto t = Tokenize("a.b >= 'x''y'\n  \"q\\\"z\" 4.5e1 `my-key`");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const auto& v = *t;
  ASSERT_EQ(v.size(), 9u);
  EXPECT_EQ(v[0].text, "a");
  EXPECT_EQ(v[1].text, ".");
  EXPECT_EQ(v[3].kind, TokenKind::kOp);
  EXPECT_EQ(v[3].text, ">=");
  EXPECT_EQ(v[3].pos.column, 5);
  EXPECT_EQ(v[4].kind, TokenKind::kString);
  EXPECT_EQ(v[4].text, "x'y");
  EXPECT_EQ(v[5].text, "q\"z");
  EXPECT_EQ(v[5].pos.line, 2);
  EXPECT_EQ(v[5].pos.column, 3);
  EXPECT_EQ(v[6].kind, TokenKind::kDecimal);
  EXPECT_DOUBLE_EQ(v[6].decimal_value, 45.0);
  EXPECT_TRUE(v[7].quoted_ident);
  EXPECT_EQ(v[7].text, "my-key");
  EXPECT_EQ(v[8].kind, TokenKind::kEnd);
}

TEST(LexerTest, Errors) {
  auto r = Tokenize("a = 'open");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "column 5: unterminated string starting here");
  r = Tokenize("a # b");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "column 3: unexpected character '#'");
  // A character past ASCII: the whole of it, and how to write the name that holds it.
  r = Tokenize("température > 1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "column 5: unexpected character 'é': a name holding characters other than ASCII "
            "letters, digits, '_' and '$' goes in backquotes (`température`)");
  r = Tokenize("a = \xff");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "column 5: unexpected byte \\xff: the statement is not UTF-8");
  r = Tokenize("`température` > 1");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].text, "température");
  r = Tokenize("12abc");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "column 3: unexpected 'a' after the number '12'");
  r = Tokenize("'\\q'");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "column 2: unknown escape '\\q' in string");
}

std::string ErrorOf(std::string_view text) {
  auto e = Expression::Compile(text);
  return e.ok() ? "OK" : e.status().message();
}

TEST(ParserTest, ErrorPositions) {
  EXPECT_EQ(ErrorOf("a +"), "column 4: expected an expression, found end of input");
  EXPECT_EQ(ErrorOf("(a + 1"),
            "column 7: expected ')' to close the '(' at column 1, found end of input");
  EXPECT_EQ(ErrorOf("a b"), "column 3: expected end of the expression, found 'b'");
  EXPECT_EQ(ErrorOf("CASE a WHEN 1 THEN 2"),
            "column 21: expected WHEN, ELSE or END to finish the CASE at column 1, found end "
            "of input");
  EXPECT_EQ(ErrorOf("CASE WHEN a 1 END"),
            "column 13: expected THEN after the WHEN expression, found '1'");
  EXPECT_EQ(ErrorOf("cast(a AS Widget)"),
            "column 11: unknown type 'Widget' in cast (use String, Int, Decimal or Boolean)");
  EXPECT_EQ(ErrorOf("round(1, 2)"), "column 1: round() takes 1 argument, got 2");
  EXPECT_EQ(ErrorOf("substring('a')"), "column 1: substring() takes 2 to 3 arguments, got 1");
  EXPECT_TRUE(ErrorOf("frobnicate(1)").starts_with("column 1: unknown function 'frobnicate'"));
  EXPECT_EQ(ErrorOf("a.\n  5"), "line 2, column 3: expected a field name after '.', found '5'");
  EXPECT_EQ(ErrorOf("a[1"), "column 4: expected ']' after the index, found end of input");
  EXPECT_EQ(ErrorOf("{'k': 1, 'k': 2}"), "column 10: duplicate key 'k' in the object");
  EXPECT_EQ(ErrorOf("a[true]"), "column 3: an index must be an Int or a String, not Boolean");
  EXPECT_EQ(ErrorOf("SELECT"), "column 1: expected an expression, found 'SELECT'");
}

TEST(ParserTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep(5000, '(');
  deep += "1";
  deep += std::string(5000, ')');
  EXPECT_EQ(ErrorOf(deep), "column 201: expression nested too deeply");
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "NOT ";
  EXPECT_TRUE(ErrorOf(nots + "true").find("nested too deeply") != std::string::npos);
}

TEST(ParserTest, PrecedenceShapesTheTree) {
  auto ast = ParseExpressionText("NOT a = 1 OR b AND c");
  ASSERT_TRUE(ast.ok()) << ast.status().ToString();
  const Ast& root = **ast;
  ASSERT_EQ(root.kind, AstKind::kBinary);
  EXPECT_EQ(root.op, Op::kOr);
  EXPECT_EQ(root.kids[0]->kind, AstKind::kUnary);
  EXPECT_EQ(root.kids[0]->kids[0]->op, Op::kEq);
  EXPECT_EQ(root.kids[1]->op, Op::kAnd);
}

}  // namespace
}  // namespace tributary::expr

namespace tributary::expr {
namespace {

TEST(ParserTest, LongChainsAndHugeTextAreErrors) {
  std::string chain = "a";
  for (int i = 0; i < 2000; ++i) chain += " + a";
  EXPECT_TRUE(ErrorOf(chain).find("expression too deep") != std::string::npos) << ErrorOf(chain);
  std::string huge(70 * 1024, ' ');
  huge += "1";
  EXPECT_EQ(ErrorOf(huge), "text is 71681 bytes, over the 65536-byte limit");
}

}  // namespace
}  // namespace tributary::expr
