#include "rules/rule_sql.h"

#include <gtest/gtest.h>

#include "rules/compiled_rule.h"

namespace tributary::rules {
namespace {

std::string ErrorOf(std::string_view sql) {
  auto r = ParseRuleSql(sql);
  return r.ok() ? "OK" : r.status().message();
}

TEST(RuleSqlTest, Parts) {
  auto q = ParseRuleSql(
      "select *, a.b AS x, upper(name), 1 + 2, c[0] from 'devices/+/pollution' where x > 1");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->topic_filter, "devices/+/pollution");
  ASSERT_EQ(q->items.size(), 5u);
  EXPECT_TRUE(q->items[0].star);
  EXPECT_EQ(q->items[1].name, "x");
  EXPECT_EQ(q->items[2].name, "upper");
  EXPECT_EQ(q->items[3].name, "_4");
  EXPECT_EQ(q->items[4].name, "c");
  EXPECT_NE(q->where, nullptr);
  EXPECT_FALSE(q->select_value);

  q = ParseRuleSql("SELECT VALUE color FROM 'a/b'");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->select_value);
  q = ParseRuleSql("SELECT value FROM 'a/b'");  // a field named "value"
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->select_value);
  EXPECT_EQ(q->items[0].name, "value");
}

TEST(RuleSqlTest, ErrorsNamePositionAndProblem) {
  EXPECT_EQ(ErrorOf("SELECT temp, humidity WHERE temp > 1"),
            "column 23: expected FROM after the select list, found 'WHERE'");
  EXPECT_EQ(ErrorOf("SELEC * FROM 'a'"),
            "column 1: expected SELECT at the start of the rule, found 'SELEC'");
  EXPECT_EQ(ErrorOf("SELECT FROM 'a'"),
            "column 8: expected an expression or '*' after SELECT, found 'FROM'");
  EXPECT_EQ(ErrorOf("SELECT * FROM a/b"),
            "column 15: expected a quoted topic filter such as 'devices/+/pollution' after "
            "FROM, found 'a'");
  EXPECT_EQ(ErrorOf("SELECT * FROM 'a/#/b'"),
            "column 15: invalid topic filter 'a/#/b' ('+' and '#' must be whole levels, '#' "
            "only last; no $share/ filters)");
  EXPECT_EQ(ErrorOf("SELECT * FROM '$share/g/a'").substr(0, 40),
            "column 15: invalid topic filter '$share/");
  EXPECT_EQ(ErrorOf("SELECT * FROM '$aws/rules/r/#'"),
            "column 15: topic filter '$aws/rules/r/#' is under $aws/rules/, Basic Ingest's "
            "prefix: a message published to $aws/rules/<rule>/<topic> goes to the rule it names "
            "alone, which sees <topic>; select <topic> with FROM");
  EXPECT_EQ(ErrorOf("SELECT * FROM 'a' WHERE"),
            "column 24: expected an expression, found end of input");
  EXPECT_EQ(ErrorOf("SELECT * FROM 'a' LIMIT 1"),
            "column 19: expected the end of the statement after the FROM topic filter, found "
            "'LIMIT'");
  EXPECT_EQ(ErrorOf("SELECT a, b.a FROM 'a'"),
            "column 11: duplicate output name 'a' in the select list (rename one with AS)");
  EXPECT_EQ(ErrorOf("SELECT a AS FROM FROM 'a'"),
            "column 13: expected a name after AS, found 'FROM'");
  EXPECT_EQ(ErrorOf("SELECT *, * FROM 'a'"), "column 11: '*' appears twice in the select list");
  EXPECT_EQ(ErrorOf("SELECT a\nFROM 'x'\nWHERE (b"),
            "line 3, column 9: expected ')' to close the '(' at line 3, column 7, found end "
            "of input");
}

TEST(RuleSqlTest, CompileErrorsArePrefixedWithTheField) {
  auto r = CompiledRule::CompileSql("SELECT nope(1) FROM 'a'");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().message().starts_with(
      "topicRulePayload.sql: column 8: unknown function 'nope'"))
      << r.status().message();
}

}  // namespace
}  // namespace tributary::rules
