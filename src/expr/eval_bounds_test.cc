// What one evaluation may build and read is bounded: transform()'s result, the bytes
// functions build, the rows nested queries read.
#include <gtest/gtest.h>

#include <string>

#include "expr/compiled.h"
#include "expr/testing/eval_table.h"
#include "expr/value.h"

namespace tributary::expr {
namespace {

using testing::Repeat;
using testing::RunTableOn;

// transform('enrichArray', object, array) and nested queries over an object, with
// AWS's three examples (iot-sql-functions, "transform").
TEST(EvalTest, TransformEnrichesEachElement) {
  const std::string payload =
      R"({"attributes": {"data1": 1, "data2": 2}, "values": [{"a": 3}, {"b": 4}, {"c": 5}],
          "data2": {"a": "first attribute", "b": "second attribute",
                    "c": [{"x": {"someInt": 5, "someString": "hello"}, "y": true},
                          {"x": {"someInt": 10, "someString": "world"}, "y": false}]},
          "clash": [{"data1": 0, "k": 1}], "mixed": [{"a": 1}, 2]})";
  auto eval = [&](const std::string& text) {
    auto e = Expression::Compile(text);
    EXPECT_TRUE(e.ok()) << text << ": " << e.status().ToString();
    if (!e.ok()) return std::string();
    Message m("A/B", payload);
    return e->Evaluate(m).DebugString();
  };
  EXPECT_EQ(eval("transform('enrichArray', attributes, values)"),
            R"(Array [{"a":3,"data1":1,"data2":2},{"b":4,"data1":1,"data2":2},)"
            R"({"c":5,"data1":1,"data2":2}])");
  EXPECT_EQ(eval("transform(\"enrichArray\", {\"key\": attributes.data1}, values)"),
            R"(Array [{"a":3,"key":1},{"b":4,"key":1},{"c":5,"key":1}])");
  EXPECT_EQ(eval("transform('enrichArray', (select a, b from data2), (select value c from data2))"),
            R"(Array [{"x":{"someInt":5,"someString":"hello"},"y":true,"a":"first attribute",)"
            R"("b":"second attribute"},{"x":{"someInt":10,"someString":"world"},"y":false,)"
            R"("a":"first attribute","b":"second attribute"}])");
  // A member both have takes the object's value, in the element's place.
  EXPECT_EQ(eval("transform('enrichArray', attributes, clash)"),
            R"(Array [{"data1":1,"k":1,"data2":2}])");
  // Anything else is Undefined: an element not an object, no object, no array, a mode
  // read from the payload that is not enrichArray.
  EXPECT_EQ(eval("transform('enrichArray', attributes, mixed)"), "undefined");
  EXPECT_EQ(eval("transform('enrichArray', values, values)"), "undefined");
  EXPECT_EQ(eval("transform('enrichArray', attributes, attributes)"), "undefined");
  EXPECT_EQ(eval("transform(data2.a, attributes, values)"), "undefined");
  EXPECT_EQ(eval("transform('enrichArray', attributes, [])"), "Array []");
  // A nested query over an object: one result, not an array; WHERE may leave it out.
  EXPECT_EQ(eval("(select a from data2)"), R"(Object {"a":"first attribute"})");
  EXPECT_EQ(eval("(select value b from data2)"), R"(String "second attribute")");
  EXPECT_EQ(eval("(select a from data2 where b = 'no')"), "undefined");
  EXPECT_EQ(eval("(select a from data2.a)"), "undefined");  // a string
  // A literal mode that cannot work is refused with the rule.
  auto bad = Expression::Compile("transform('enrich', attributes, values)");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("\"enrich\" is not a transformation mode ('enrichArray')"),
            std::string::npos)
      << bad.status().message();
}

// Over 128 KiB of JSON (AWS's limit for transform's result): Undefined.
TEST(EvalTest, TransformIsLimitedTo128KiB) {
  std::string many = "[";
  for (int i = 0; i < 3000; ++i)
    many += std::string(i ? "," : "") + "{\"i\":" + std::to_string(i) + "}";
  many += "]";
  const std::string payload = R"({"big": ")" + std::string(40, 'x') + R"(", "rows": )" + many + "}";
  auto fits = Expression::Compile("transform('enrichArray', {'k': 1}, rows)");
  auto over = Expression::Compile("transform('enrichArray', {'k': big}, rows)");
  ASSERT_TRUE(fits.ok() && over.ok());
  Message m("t", payload);
  EXPECT_TRUE(fits->Evaluate(m).is_array());      // ~45 KiB
  EXPECT_TRUE(over->Evaluate(m).is_undefined());  // ~170 KiB
}

// What one evaluation may build is bounded (kBuildBudgetBytes, 1 MiB): past it a
// function gives Undefined without building, and the message is marked over budget.
TEST(EvalTest, BuildingIsBoundedPerEvaluation) {
  const std::string payload = R"({"msg": ")" + Repeat("{name}", 20000) + R"(", "name": ")" +
                              std::string(5000, 'n') + R"(", "aaa": ")" + std::string(120000, 'a') +
                              R"("})";
  RunTableOn(
      payload,
      {
          {"length(replace(msg, '{name}', name))", "undefined"},  // 100 MB
          {"length(replace(msg, '{name}', 'ab'))", "Int 40000"},
          {"length(regexp_replace(msg, '[{]name[}]', name))", "undefined"},
          {"length(regexp_replace(msg, '[{](name)[}]', '$1'))", "Int 80000"},
          {"length(concat(msg, msg))", "Int 240000"},
          {"length(concat(msg, msg, msg, msg, msg, msg, msg, msg, msg))", "undefined"},
          {"length(msg + msg + msg + msg + msg + msg + msg + msg + msg)", "undefined"},
          {"length(concat(msg, msg) + concat(msg, msg) + concat(msg, msg) + msg)", "undefined"},
          {"length(encode(concat(msg, msg, msg, msg, msg, msg), 'base64'))", "undefined"},
          {"length(encode(concat(msg, msg, msg), 'base64'))", "Int 480000"},
          {"isUndefined([msg, msg, msg, msg, msg, msg, msg, msg, msg])", "Boolean true"},
          {"isUndefined({'a': [msg, msg, msg, msg], 'b': [msg, msg, msg, msg, msg]})",
           "Boolean true"},
          {"length(concat([msg, msg], [msg, msg], [msg, msg], [msg, msg], [msg]))", "undefined"},
          {"length(lpad(msg, 10))", "Int 120010"},
          // Matching is linear per match but may read to the end of the text for each one:
          // a replacement that would take seconds gives Undefined instead.
          {"length(regexp_replace(aaa, 'a[^z]*z|a', 'b'))", "undefined"},
          {"length(regexp_replace(aaa, 'a', 'bb'))", "Int 240000"},
      });
  // A nested query's rows are charged as they are made: ten elements of 12 KB, each
  // repeated ten times, would be 1.2 MB.
  std::string rows = R"({"arr": [)";
  for (int i = 0; i < 10; ++i)
    rows += std::string(i ? "," : "") + R"({"v": ")" + std::string(12000, 'v') + R"("})";
  rows += "]}";
  std::string ten, five;
  for (char c = 'a'; c < 'k'; ++c) {
    ten += std::string(ten.empty() ? "" : ", ") + "v AS " + c;
    if (c < 'f') five += std::string(five.empty() ? "" : ", ") + "v AS " + c;
  }
  const std::string fits = "length(get((SELECT " + five + " FROM arr), 9).e)";
  const std::string over = "isUndefined((SELECT " + ten + " FROM arr))";
  const std::string one_row = "isUndefined((SELECT *, " + ten + " FROM arr[0]))";
  RunTableOn(rows, {
                       {fits.c_str(), "Int 12000"},
                       {over.c_str(), "Boolean true"},
                       {one_row.c_str(), "Boolean false"},
                   });

  Message m("t", payload);
  auto e = Expression::Compile("length(replace(msg, '{name}', name))");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->Evaluate(m).is_undefined());
  EXPECT_TRUE(m.BuildBudgetExceeded());
  // A constant that would build too much is refused when it is compiled.
  auto folded =
      Expression::Compile("replace(replace(lpad('', 1000), ' ', 'xx'), 'x', lpad('', 1000))");
  ASSERT_FALSE(folded.ok());
  EXPECT_NE(folded.status().message().find("builds more than 1048576 bytes"), std::string::npos)
      << folded.status().message();
}

// The rows nested queries read are bounded per evaluation (kNestedQueryRowBudget), all
// of them together, kept by WHERE or not: ten rows that each read an array of n read
// 10 + 10 * n rows, so n = 99,999 fits in 1,000,000 and n = 100,000 does not.
TEST(EvalTest, NestedQueriesReadBoundedRows) {
  auto rows_of = [](int n) {
    std::string inner = "[0" + Repeat(",0", n - 1) + "]";
    return R"({"a": [{"b": )" + inner + Repeat(R"(}, {"b": )" + inner, 9) + "}]}";
  };
  auto e = Expression::Compile(
      "(SELECT VALUE 1 FROM a WHERE isUndefined((SELECT VALUE 1 FROM b WHERE false)))");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::string fits = rows_of(99999);
  Message under("t", fits);
  EXPECT_EQ(e->Evaluate(under).DebugString(), "Array []");  // every row read, none kept
  EXPECT_FALSE(under.NestedRowsExceeded());
  std::string too_many = rows_of(100000);
  Message over("t", too_many);
  EXPECT_EQ(e->Evaluate(over).DebugString(), "undefined");
  EXPECT_TRUE(over.NestedRowsExceeded());
  EXPECT_FALSE(over.BuildBudgetExceeded());
}

}  // namespace
}  // namespace tributary::expr
