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

// A field named value before '[' or '-': how the operator is written decides (a field
// indexed or subtracted from, or SELECT VALUE of an array literal or a negation).
TEST(RuleSqlTest, ValueBeforeABracketOrAMinusIsTheFieldUnlessWrittenAsAnOperand) {
  struct Case {
    const char* sql;
    bool select_value;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"SELECT value[0] FROM 'a'", false},
           {"SELECT value[0][1] FROM 'a'", false},
           {"SELECT value - 1 FROM 'a'", false},
           {"SELECT value-1 FROM 'a'", false},
           {"SELECT value- 1 FROM 'a'", false},
           {"SELECT value.a FROM 'a'", false},
           {"SELECT value / 2 FROM 'a'", false},
           {"SELECT value [0] AS first, value FROM 'a'", false},
           {"SELECT `value` [0] FROM 'a'", false},
           {"SELECT VALUE [a, b] FROM 'a'", true},
           {"SELECT VALUE [a] FROM 'a'", true},
           {"SELECT VALUE -a FROM 'a'", true},
           {"SELECT VALUE (-a) FROM 'a'", true},
           {"SELECT VALUE ([a]) FROM 'a'", true},
           {"SELECT VALUE value[0] FROM 'a'", true},
       }) {
    auto q = ParseRuleSql(c.sql);
    ASSERT_TRUE(q.ok()) << c.sql << ": " << q.status().message();
    EXPECT_EQ(q->select_value, c.select_value) << c.sql;
  }
}

// FROM is optional (AWS: for rules only Basic Ingest reaches): the filter is then "".
TEST(RuleSqlTest, FromMayBeLeftOut) {
  for (const char* sql : {"SELECT temp, humidity WHERE temp > 1", "SELECT *, topic() AS t",
                          "SET @a = 1 SELECT @a AS a WHERE true"}) {
    auto q = ParseRuleSql(sql);
    ASSERT_TRUE(q.ok()) << sql << ": " << q.status().message();
    EXPECT_EQ(q->topic_filter, "") << sql;
  }
  auto q = ParseRuleSql("SELECT temp WHERE temp > 1");
  ASSERT_TRUE(q.ok());
  EXPECT_NE(q->where, nullptr);
  auto rule = CompiledRule::CompileSql("SELECT * WHERE a > 1");
  ASSERT_TRUE(rule.ok());
  EXPECT_FALSE((*rule)->Matches("a"));
  EXPECT_FALSE((*rule)->Matches("$aws/rules/x/a"));
}

TEST(RuleSqlTest, ErrorsNamePositionAndProblem) {
  EXPECT_EQ(ErrorOf("SELECT temp humidity FROM 'a'"),
            "column 13: expected FROM, WHERE or the end of the statement after the select "
            "list, found 'humidity'");
  EXPECT_EQ(ErrorOf("SELECT temp WHERE temp > 1 FROM 'a'"),
            "column 28: expected the end of the statement after the WHERE condition, found "
            "'FROM'");
  EXPECT_EQ(ErrorOf("SELEC * FROM 'a'"),
            "column 1: expected SELECT at the start of the rule, found 'SELEC'");
  EXPECT_EQ(ErrorOf("SELECT FROM 'a'"),
            "column 8: expected an expression or '*' after SELECT, found 'FROM'");
  EXPECT_EQ(ErrorOf("SELECT * FROM a/b"),
            "column 15: expected a quoted topic filter such as 'devices/+/pollution' after "
            "FROM, found 'a'");
  // '#' stops the lexer before the parser sees FROM: it says where the quotes go.
  EXPECT_EQ(ErrorOf("SELECT * FROM devices/#"),
            "column 23: unexpected character '#': a topic filter after FROM goes in single "
            "quotes ('devices/#')");
  EXPECT_EQ(ErrorOf("SELECT * from\n  a/#/b WHERE x > 1"),
            "line 2, column 5: unexpected character '#': a topic filter after FROM goes in "
            "single quotes ('a/#/b')");
  EXPECT_EQ(ErrorOf("SELECT * FROM 'a' WHERE x # 1"), "column 27: unexpected character '#'");
  EXPECT_EQ(ErrorOf("SELECT * FROMAGE a/#"), "column 20: unexpected character '#'");
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
  EXPECT_EQ(ErrorOf("SELECT a AS x, b AS x.y FROM 'a'"),
            "column 16: duplicate output name 'x' in the select list (rename one with AS)");
  EXPECT_EQ(ErrorOf("SELECT a AS x.y, b AS x FROM 'a'"),
            "column 18: duplicate output name 'x' in the select list (rename one with AS)");
  EXPECT_EQ(ErrorOf("SELECT a AS x.y, b AS x.y FROM 'a'"),
            "column 18: duplicate output name 'x.y' in the select list (rename one with AS)");
  EXPECT_EQ(ErrorOf("SELECT a AS x.y, b AS x.y.z FROM 'a'"),
            "column 18: the output name 'x.y' is both a value and an object in the select list");
  EXPECT_EQ(ErrorOf("SELECT a AS x. FROM 'a'"),
            "column 16: expected a name after '.' in the alias, found 'FROM'");
  EXPECT_EQ(ErrorOf("SELECT a\nFROM 'x'\nWHERE (b"),
            "line 3, column 9: expected ')' to close the '(' at line 3, column 7, found end "
            "of input");
}

TEST(RuleSqlTest, SetClause) {
  auto q = ParseRuleSql("set @a = x + 1, @b_2 = @a * 2 SELECT @a, @b_2 AS b FROM 'a/b' WHERE @b_2 > 0");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->set.size(), 2u);
  EXPECT_EQ(q->set[0].name, "a");
  EXPECT_EQ(q->set[0].pos.column, 5);
  EXPECT_EQ(q->set[1].name, "b_2");
  EXPECT_EQ(q->items[0].name, "a");  // a bare variable is named after it
  EXPECT_EQ(q->items[1].name, "b");
  // A field may be called "set"; SET is a keyword only at the start.
  EXPECT_EQ(ErrorOf("SELECT set FROM 'a/b'"), "OK");

  EXPECT_EQ(ErrorOf("SET @a = 1, @a = 2 SELECT @a FROM 'a/b'"),
            "column 13: variable '@a' is already set at column 5: a variable is set once");
  EXPECT_EQ(ErrorOf("SET @a = 1 SET @b = 2 SELECT @a FROM 'a/b'"),
            "column 12: SET appears twice: one SET clause sets every variable "
            "(SET @a = ..., @b = ...)");
  EXPECT_EQ(ErrorOf("SET @a 1 SELECT @a FROM 'a/b'"),
            "column 8: expected '=' after '@a', found '1'");
  EXPECT_EQ(ErrorOf("SET a = 1 SELECT a FROM 'a/b'"),
            "column 5: expected a variable such as @celsius after SET, found 'a'");
  EXPECT_EQ(ErrorOf("SET @a = 1, SELECT 1 FROM 'a/b'"),
            "column 13: expected a variable such as @celsius after ',', found 'SELECT'");
  EXPECT_EQ(ErrorOf("SET @ = 1 SELECT 1 FROM 'a/b'"),
            "column 5: '@' must be followed by a variable name (letters, digits, '_')");
  EXPECT_EQ(ErrorOf("SET @a = 1 FROM 'a/b'"),
            "column 12: expected SELECT after the SET clause, found 'FROM'");
  EXPECT_EQ(ErrorOf("SET @a = 1"), "column 11: expected SELECT after the SET clause, found end "
                                   "of input");
  EXPECT_EQ(ErrorOf("SELECT 1 FROM 'a/b' WHERE SET @a = 1"),
            "column 31: expected the end of the statement after the WHERE condition, found "
            "'@a'");
  std::string long_name(65, 'v');
  EXPECT_EQ(ErrorOf("SET @" + long_name + " = 1 SELECT 1 FROM 'a/b'"),
            "column 5: variable name '@vvvvvvvvvvvvvvvv...' is 65 characters, over the "
            "64-character limit");
  EXPECT_EQ(ErrorOf("SET @" + long_name.substr(1) + " = 1 SELECT 1 FROM 'a/b'"), "OK");
}

TEST(RuleSqlTest, VariablesAreCheckedWhenTheRuleCompiles) {
  auto error_of = [](std::string_view sql) {
    auto r = CompiledRule::CompileSql(sql);
    return r.ok() ? std::string("OK") : r.status().message();
  };
  EXPECT_EQ(error_of("SELECT @nope AS x FROM 'a/b'"),
            "topicRulePayload.sql: column 8: unknown variable '@nope': only a rule's SET "
            "clause sets variables (SET @nope = <expression> SELECT ...)");
  EXPECT_EQ(error_of("SET @a = 1, @c = 2 SELECT x FROM 'a/b' WHERE @b"),
            "topicRulePayload.sql: column 46: unknown variable '@b' (set: @a, @c)");
  EXPECT_EQ(error_of("SET @a = @b + 1, @b = 2 SELECT @a FROM 'a/b'"),
            "topicRulePayload.sql: column 10: variable '@b' is used before it is set (a SET "
            "assignment sees only the variables set before it)");
  EXPECT_EQ(error_of("SET @a = @a + 1 SELECT @a FROM 'a/b'").substr(0, 66),
            "topicRulePayload.sql: column 10: variable '@a' is used before it i");
  EXPECT_EQ(error_of("SET @a = [1] SELECT (SELECT VALUE x FROM @a WHERE x > @a[0]) AS y FROM 'a/b'"),
            "OK");
  // An action template is checked against the statement's variables too.
  RuleDefinition def;
  def.name = "r";
  def.sql = "SET @site = s SELECT * FROM 'a/b'";
  def.actions.push_back(RepublishAction{.topic = "out/${@sit}", .qos = 0, .headers = {}});
  auto r = CompiledRule::Compile(def);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "topicRulePayload.actions[0].republish.topic: ${...} at position 5: column 1: "
            "unknown variable '@sit' (set: @site)");
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
