// The evaluator's semantics as a table: expression, payload -> expected value (as
// Value::DebugString, so the type is checked too: "Int 3" differs from "Decimal 3").
#include <gtest/gtest.h>

#include <charconv>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "expr/compiled.h"
#include "expr/functions.h"
#include "expr/testing/eval_table.h"
#include "expr/value.h"

namespace tributary::expr {
namespace {

using testing::Case;
using testing::RunTable;
using testing::RunTableOn;

TEST(EvalTest, LiteralsAndFields) {
  RunTable({
      {"42", "Int 42"},
      {"-7", "Int -7"},
      {"4.25", "Decimal 4.25"},
      {"'single'", "String \"single\""},
      {"\"double\"", "String \"double\""},
      {"true", "Boolean true"},
      {"NULL", "Null null"},
      {"temp", "Decimal 21.5"},
      {"count", "Int 3"},
      {"whole", "Int 10"},  // 2016-03-23: whole numbers are Int
      {"nothing", "Null null"},
      {"missing", "undefined"},
      {"nested.x.y[0]", "Int 10"},
      {"nested.x.y[1].z", "String \"deep\""},
      {"nested.x.y[2]", "undefined"},
      {"tags[-1]", "undefined"},
      {"tags", "Array [\"a\",\"b\",\"c\"]"},
      {"name.x", "undefined"},
      {"nested['x'].y[0]", "Int 10"},
      {"tags[count - 2]", "String \"b\""},
      {"[1, 'a', [true]]", "Array [1,\"a\",[true]]"},
      {"{'k': count, \"m\": missing}", "Object {\"k\":3}"},
      {"{'k': 1}.k", "Int 1"},
      {"[10, 20][1]", "Int 20"},
  });
}

TEST(EvalTest, Arithmetic) {
  RunTable({
      {"1 + 2", "Int 3"},
      {"count * 2", "Int 6"},
      {"temp + 1", "Decimal 22.5"},
      {"7 / 2", "Int 3"},
      {"-7 / 2", "Int -3"},
      {"7.0 / 2", "Decimal 3.5"},
      {"7 % 3", "Int 1"},
      {"-7 % 3", "Int -1"},
      {"7.5 % 2", "Decimal 1.5"},
      {"1 / 0", "undefined"},
      {"1 % 0", "undefined"},
      {"(temp - 32) * 5 / 9", "Decimal -5.833333333333333"},
      {"2 + 3 * 4", "Int 14"},
      {"(2 + 3) * 4", "Int 20"},
      {"'a' + 1", "String \"a1\""},
      {"1 + 'a'", "String \"1a\""},
      {"name + '-' + count", "String \"Sensor-3\""},
      {"numstr - 2", "Decimal 40"},
      {"numstr * 'x'", "undefined"},
      {"true + 1", "undefined"},
      {"missing + 1", "undefined"},
      {"nothing + 1", "undefined"},
      {"'a' + missing", "undefined"},
      {"-count", "Int -3"},
      {"-neg", "Decimal 2.5"},
      {"-'3'", "Decimal -3"},
      {"-tags", "undefined"},
      {"9223372036854775807 + 1", "Decimal 9223372036854775808"},
      // The least Int can be written; its magnitude alone is beyond int64, a Decimal.
      {"-9223372036854775808", "Int -9223372036854775808"},
      {"-9223372036854775808 / 10", "Int -922337203685477580"},
      {"- 9223372036854775808 + 1", "Int -9223372036854775807"},
      {"9223372036854775808", "Decimal 9223372036854775808"},
      {"- -9223372036854775808", "Decimal 9223372036854775808"},
      {"-9223372036854775809 / 10", "Decimal -922337203685477632"},
      {"-9223372036854775808.0 / 10", "Decimal -922337203685477632"},
      {"-(9223372036854775808) / 10", "Decimal -922337203685477632"},
      {"1 - 9223372036854775808 < 0", "Boolean true"},
  });
}

TEST(EvalTest, ComparisonAndLogic) {
  RunTable({
      {"1 = 1.0", "Boolean true"},
      {"'1' = 1", "Boolean false"},
      {"name = 'Sensor'", "Boolean true"},
      {"name <> 'Sensor'", "Boolean false"},
      {"name != 'x'", "Boolean true"},
      {"missing = 1", "undefined"},
      {"nothing = NULL", "Boolean true"},
      {"tags = ['a', 'b', 'c']", "Boolean true"},
      {"tags = ['c', 'b', 'a']", "Boolean false"},
      {"{'a': 1, 'b': 2} = {'b': 2, 'a': 1}", "Boolean true"},
      {"temp > 20", "Boolean true"},
      {"temp <= 21.5", "Boolean true"},
      {"numstr > 41", "Boolean true"},
      {"name > 1", "undefined"},
      {"missing < 1", "undefined"},
      {"true AND false", "Boolean false"},
      {"true AND 'TRUE'", "Boolean true"},
      {"true OR 1", "Boolean true"},
      {"false OR 1", "undefined"},
      {"false AND missing", "Boolean false"},
      {"true AND missing", "undefined"},
      {"false OR missing", "undefined"},
      {"NOT ok", "Boolean false"},
      {"NOT 'false'", "Boolean true"},
      {"NOT 5", "undefined"},
      {"temp > 20 AND count = 3 OR false", "Boolean true"},
      {"NOT count = 3", "Boolean false"},
      // IN: an element equal to the left side, as '=' has it.
      {"'b' IN tags", "Boolean true"},
      {"'z' IN tags", "Boolean false"},
      {"3 IN [1, 2, 3.0]", "Boolean true"},
      {"'3' IN [3]", "Boolean false"},
      {"[1, 2] IN [[1, 2], 3]", "Boolean true"},
      {"count + 1 IN [4, 5]", "Boolean true"},
      {"'z' NOT IN tags", "Boolean true"},
      {"'a' not in tags AND true", "Boolean false"},
      {"NOT 'a' IN tags", "Boolean false"},
      {"nothing IN [NULL]", "Boolean true"},
      {"missing IN tags", "undefined"},
      {"'a' IN name", "undefined"},
      {"'a' IN missing", "undefined"},
      {"'a' IN []", "Boolean false"},
  });
}

TEST(EvalTest, Case) {
  RunTable({
      {"CASE count WHEN 1 THEN 'one' WHEN 3 THEN 'three' ELSE 'many' END", "String \"three\""},
      {"CASE count WHEN 1 THEN 'one' END", "undefined"},
      {"CASE count WHEN 1 THEN 'one' ELSE 'other' END", "String \"other\""},
      {"CASE WHEN temp > 30 THEN 'hot' WHEN temp > 20 THEN 'warm' ELSE 'cold' END",
       "String \"warm\""},
      {"CASE missing WHEN 1 THEN 'x' ELSE 'y' END", "undefined"},  // AWS: an Undefined subject
      {"CASE WHEN missing THEN 'x' END", "undefined"},
  });
}

TEST(EvalTest, MessageFunctions) {
  RunTable({
      {"topic()", "String \"devices/dev-7/pollution\""},
      {"topic(1)", "String \"devices\""},
      {"topic(2)", "String \"dev-7\""},
      {"topic(3)", "String \"pollution\""},
      {"topic(4)", "undefined"},
      {"topic(0)", "undefined"},
      {"topic('2')", "String \"dev-7\""},
      {"clientid()", "String \"client-1\""},
      {"timestamp()", "Int 1700000000123"},
      {"principal()", "String \"abc123\""},
      {"traceid()", "String \"11111111-2222-3333-4444-555555555555\""},
      {"sql_version()", "String \"2016-03-23\""},
      {"length(newuuid())", "Int 36"},
  });
  Message m("t", "");
  auto e = Expression::Compile("clientid()");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->Evaluate(m).DebugString(), "String \"n/a\"");
  e = Expression::Compile("newuuid() = newuuid()");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->Evaluate(m).DebugString(), "Boolean false");  // not folded as a constant
}

TEST(EvalTest, NumberFunctions) {
  RunTable({
      {"abs(-5)", "Int 5"},
      {"abs(-5.5)", "Decimal 5.5"},
      {"abs('-5.123')", "Decimal 5.123"},
      {"abs('x')", "undefined"},
      {"abs(true)", "undefined"},
      {"round(1.5)", "Int 2"},
      {"round(-1.5)", "Int -2"},
      {"round(1.2)", "Int 1"},
      {"round(7)", "Int 7"},
      {"floor(-1.2)", "Int -2"},
      {"floor('3.9')", "Int 3"},
      {"ceil(1.2)", "Int 2"},
      {"ceil(-1.2)", "Int -1"},
      {"ceil(tags)", "undefined"},
      {"trunc(2.3123, 2)", "Decimal 2.31"},
      {"trunc(2.888, 2)", "Decimal 2.88"},
      {"trunc(2.3, 0)", "Int 2"},
      {"trunc(-2.789, 1)", "Decimal -2.7"},
      {"trunc(5, 2)", "Int 5"},
      {"mod(8, 3)", "Int 2"},
      {"mod(8.5, 3)", "Decimal 2.5"},
      {"mod('x', 3)", "undefined"},
      {"sign(-7)", "Int -1"},
      {"sqrt(9)", "Decimal 3"},
      {"sqrt(-1)", "undefined"},
      {"power(2, 5)", "Decimal 32"},
      {"log(100)", "Decimal 2"},
      // Infinities are not real numbers either: Undefined, not a Decimal.
      {"ln(0)", "undefined"},
      {"log(0)", "undefined"},
      {"exp(1000)", "undefined"},
      {"power(0, -1)", "undefined"},
      {"1e308 * 10", "undefined"},
      {"-1e308 - 1e308", "undefined"},
      {"isUndefined(ln(0))", "Boolean true"},
      // The bit functions work on int64: an operand beyond it has no bits to give.
      {"bitand(13.9, 5)", "Int 5"},
      {"bitnot(9.2e18)", "Int -9200000000000000001"},
      {"bitand(1e30, 1)", "undefined"},
      {"bitor(1, -1e19)", "undefined"},
      {"bitxor('1e19', 1)", "undefined"},
      {"bitnot(1e19)", "undefined"},
      // A position or count past every string stays one.
      {"substring('012345', -1e30, 1e30)", "String \"012345\""},
      {"substring('012345', 1e30)", "String \"\""},
      {"trunc(2.5, 1e30)", "Decimal 2.5"},
  });
}

TEST(EvalTest, StringFunctions) {
  RunTable({
      {"lower('HeLLo')", "String \"hello\""},
      {"upper(name)", "String \"SENSOR\""},
      {"upper(['a'])", "String \"[\\\"A\\\"]\""},
      {"lower(missing)", "undefined"},
      {"lower(nothing)", "undefined"},
      {"concat()", "undefined"},
      {"concat(1)", "Int 1"},
      {"concat('con', 'cat')", "String \"concat\""},
      {"concat(1, 'hello')", "String \"1hello\""},
      {"concat([1, 2], 3, ['x'])", "Array [1,2,3,\"x\"]"},
      {"concat('a', missing)", "undefined"},
      {"length('hi')", "Int 2"},
      {"length(false)", "Int 5"},
      {"length('h\\u00e9')", "Int 2"},
      {"numbytes('h\\u00e9')", "Int 3"},
      {"substring('012345', 2)", "String \"2345\""},
      {"substring('012345', 1, 3)", "String \"12\""},
      {"substring('012345', -50, 50)", "String \"012345\""},
      {"substring('012345', 3, 1)", "String \"\""},
      {"substring(123, 2)", "String \"3\""},
      {"substring(true, 1.2)", "String \"rue\""},
      {"trim('  hi ')", "String \"hi\""},
      {"ltrim(' h i ')", "String \"h i \""},
      {"rtrim(' h i ')", "String \" h i\""},
      {"lpad('x', 2)", "String \"  x\""},
      {"startswith('ranger', 'ran')", "Boolean true"},
      {"endswith('cat', 'at')", "Boolean true"},
      {"endswith(missing, 'at')", "undefined"},
      {"indexof('abcd', 'bc')", "Int 1"},
      {"replace('abcdabcd', 'b', 'x')", "String \"axcdaxcd\""},
      {"encode('hello', 'base64')", "String \"aGVsbG8=\""},
      // decode: a JSON document comes back as its value, to be read by paths (a number,
      // true, a quoted string are documents too); other text as a string; what is not
      // base64 is Null.
      {"decode('eyAidGVtcGVyYXR1cmUiOiAzMyB9Cg==', 'base64').temperature", "Int 33"},
      {"decode('WzEsIDJd', 'base64')", "Array [1,2]"},
      {"decode('ODA=', 'base64')", "Int 80"},             // 80
      {"decode('Mi41', 'base64')", "Decimal 2.5"},        // 2.5
      {"decode('dHJ1ZQ==', 'base64')", "Boolean true"},   // true
      {"decode('ICJoaSIg', 'base64')", "String \"hi\""},  // "hi" with spaces around
      {"decode('ODAgYXBwbGVz', 'base64')", "String \"80 apples\""},
      {"decode('aGVsbG8=', 'base64')", "String \"hello\""},
      {"decode('eyJub3QganNvbg==', 'base64')", "String \"{\\\"not json\""},
      {"decode('!!!', 'base64')", "Null null"},
      {"decode(5, 'base64')", "undefined"},
  });
}

TEST(EvalTest, CastAndPredicates) {
  RunTable({
      {"cast(true AS Int)", "Int 1"},
      {"cast(2.7 AS Int)", "Int 2"},
      {"cast('3.9' AS Integer)", "Int 3"},
      {"cast('x' AS Int)", "undefined"},
      {"cast(3 AS Decimal)", "Int 3"},
      {"cast('2.5' AS Decimal)", "Decimal 2.5"},
      {"cast(false AS Double)", "Int 0"},
      {"cast(0 AS Boolean)", "Boolean false"},
      {"cast(0.5 AS Bool)", "Boolean true"},
      {"cast('TRUE' AS Boolean)", "Boolean true"},
      {"cast('yes' AS Boolean)", "undefined"},
      {"cast(21.5 AS String)", "String \"21.5\""},
      {"cast(tags AS String)", "String \"[\\\"a\\\",\\\"b\\\",\\\"c\\\"]\""},
      {"cast(nothing AS String)", "undefined"},
      {"cast(missing AS Int)", "undefined"},
      // Beyond int64 (AWS's Int has 34 digits): the whole number, as a Decimal.
      {"cast(1e30 AS Int)", "Decimal 1e+30"},
      {"cast('-1.5e19' AS Int)", "Decimal -15000000000000000000"},
      {"cast(-1e19 - 0.5 AS Int)", "Decimal -10000000000000000000"},
      {"cast(9.2e18 AS Int)", "Int 9200000000000000000"},
      {"cast(-9223372036854775807 - 1 AS Int)", "Int -9223372036854775808"},
      {"isNull(nothing)", "Boolean true"},
      {"isNull(missing)", "Boolean false"},
      {"isUndefined(missing)", "Boolean true"},
      {"isUndefined(floor(tags))", "Boolean true"},
      {"isUndefined(nothing)", "Boolean false"},
      {"get(tags, 1)", "String \"b\""},
      {"get(nested, 'x').y[0]", "Int 10"},
      {"get('abc', 1)", "String \"b\""},
      {"nanvl(missing, 3)", "Int 3"},
      {"get_or_default(missing, 3)", "Int 3"},
      {"get_or_default(nothing, 'none')", "String \"none\""},
      {"get_or_default(nested.x.nope, [1])", "Array [1]"},
      {"get_or_default(missing)", "undefined"},
      {"get_or_default(false, true)", "Boolean false"},
      {"get_or_default(0, 1)", "Int 0"},
      {"get_or_default('', 'x')", "String \"\""},
      {"get_or_default(floor(tags), -1)", "Int -1"},
      {"get_or_default(get_or_default(missing, nothing), 7)", "Int 7"},
  });
}

// A number text beyond a double's range ("1e400") converts to no Decimal: whatever
// would be computed from it is Undefined, never null, "null" or a clamped Int.
TEST(EvalTest, NonFiniteDecimalsAreUndefined) {
  RunTableOn(R"({"s": "1e400", "n": "-1e400", "tiny": "1e-400"})",
             {
                 {"cast(s AS Decimal)", "undefined"},
                 {"abs(s)", "undefined"},
                 {"-s", "undefined"},
                 {"isNull(cast(s AS Decimal))", "Boolean false"},
                 {"isUndefined(cast(s AS Decimal))", "Boolean true"},
                 {"cast(cast(s AS Decimal) AS String)", "undefined"},
                 {"cast(s AS Int)", "undefined"},
                 {"cast(n AS Int)", "undefined"},
                 {"s > 1", "undefined"},
                 {"s + 1", "String \"1e4001\""},
                 {"s * 1", "undefined"},
                 {"floor(s)", "undefined"},
                 {"sign(n)", "undefined"},
                 {"cast(tiny AS Decimal)", "Int 0"},
                 {"{'v': cast(s AS Decimal)}", "Object {}"},
             });
}

// A whole number is an Int (2016-03-23) wherever it fits in int64, as every whole double
// below 2^63 does: x / 3 divides as Ints. 2^63 itself does not fit.
TEST(EvalTest, WholeDecimalsWithinInt64AreInts) {
  RunTableOn(R"({"x": 10000000000000000.0, "top": 9223372036854774784.0,
                 "over": 9223372036854775808.0, "least": -9223372036854775808.0})",
             {
                 {"x", "Int 10000000000000000"},
                 {"x / 3", "Int 3333333333333333"},
                 {"top", "Int 9223372036854774784"},
                 {"over", "Decimal 9223372036854775808"},
                 {"least", "Int -9223372036854775808"},
                 {"cast('1e17' AS Decimal)", "Int 100000000000000000"},
                 {"cast(9223372036854775808.0 AS Decimal)", "Decimal 9223372036854775808"},
                 {"round(9.22e18)", "Int 9220000000000000000"},
                 {"floor(-9.22e18)", "Int -9220000000000000000"},
                 {"ceil(9223372036854775808.0)", "Decimal 9223372036854775808"},
                 {"trunc(1e17, 2)", "Int 100000000000000000"},
             });
}

// AWS's Decimal has no negative zero: a zero computed from a negative operand, the
// literal -0.0 and the text "-0" are all 0, and read, print and compare as 0.
TEST(EvalTest, NoNegativeZero) {
  RunTable({
      {"0 * -1.5", "Decimal 0"},
      {"-0.0", "Decimal 0"},
      {"-(count * 0.0)", "Decimal 0"},
      {"-5 % 5.0", "Decimal 0"},
      {"-1e-200 * 1e-200", "Decimal 0"},
      {"cast(0 * -1.5 AS String)", "String \"0\""},
      {"concat('v=', 0 * -1.5)", "String \"v=0\""},
      {"atan2(0, 0 * -1.5)", "Decimal 0"},  // pi for a negative zero
      {"atan2(0, '-0.0')", "Decimal 0"},
      {"atan2(0, '-1e-400')", "Decimal 0"},
      {"'-0' * 1", "Decimal 0"},
      {"sqrt('-0')", "Decimal 0"},
      {"round(-0.4)", "Int 0"},
      {"ceil(-0.5)", "Int 0"},
      {"floor(-0.0)", "Int 0"},
      {"trunc(-0.5, 0)", "Int 0"},
      {"trunc(-0.04, 1)", "Int 0"},
      {"cast('-0.0' AS Decimal)", "Int 0"},
  });
  RunTableOn(R"({"z": -0.0})", {{"z", "Int 0"}, {"z * -1.5", "Decimal 0"}});
}

TEST(EvalTest, ParseTimeFunction) {
  RunTable({
      {"parse_time('yyyy-MM-dd''T''HH:mm:ss.SSSZ', 1700000000123)",
       "String \"2023-11-14T22:13:20.123+0000\""},
      {"parse_time('yyyy', timestamp(), 'UTC')", "String \"2023\""},
      {"parse_time('yyyy.MM.dd G ''at'' HH:mm:ss z', 100000000, 'America/Belize')",
       "String \"1970.01.01 AD at 21:46:40 CST\""},
      {"parse_time('zzzz', 1485000000000, 'America/Los_Angeles')",
       "String \"Pacific Standard Time\""},
      {"parse_time('HH:mm', 0, '+05:30')", "String \"05:30\""},
      // Not literals (a literal is checked when compiled, below): Undefined.
      {"parse_time('HH:mm', 0, concat('Mars/', 'Olympus'))", "undefined"},
      {"parse_time(concat('yyyy-', 'qq'), 0)", "undefined"},
      {"parse_time(1, 0)", "undefined"},
  });
}

// An expression on its own (an ETL filter, a template checked before its rule) has no
// SET clause: a variable is an error naming it, and '@' must start a name.
TEST(EvalTest, VariablesNeedASetClause) {
  auto e = Expression::Compile("count + @x");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(),
            "column 9: unknown variable '@x': only a rule's SET clause sets variables (SET @x = "
            "<expression> SELECT ...)");
  auto at = Expression::Compile("count + @");
  ASSERT_FALSE(at.ok());
  EXPECT_EQ(at.status().message(),
            "column 9: '@' must be followed by a variable name (letters, digits, '_')");
}

// A number simdjson cannot read leaves the rest of the payload readable: an integer
// beyond 64 bits is a Decimal, one beyond a double's range Undefined.
TEST(EvalTest, OutOfRangeNumbersSpoilOnlyThemselves) {
  RunTableOn(R"({"id": 18446744073709551616, "temp": 21, "x": 1e400, "y": 1,
                 "arr": [1, -1E+400, 2], "neg": -99999999999999999999, "tiny": 1e-400,
                 "s": "1e400 \" 123456789012345678901234567890", "o": {"big": 1e999}})",
             {
                 {"temp > 20", "Boolean true"},
                 {"id", "Decimal 18446744073709551616"},
                 {"neg", "Decimal -100000000000000000000"},
                 {"x", "undefined"},
                 {"isUndefined(x)", "Boolean true"},
                 {"y", "Int 1"},
                 {"arr", "Array [1,2]"},
                 {"arr[2]", "Int 2"},
                 {"tiny", "Int 0"},
                 {"s", "String \"1e400 \\\" 123456789012345678901234567890\""},
                 {"o", "Object {}"},
                 {"decode(encode('{\"a\": 1e400, \"b\": 2}', 'base64'), 'base64').b", "Int 2"},
             });
}

// Out-of-range numbers are read again rewritten; what is no JSON number at all (a leading
// zero, a bare '-', a point without digits) still makes the payload not JSON.
TEST(EvalTest, NumbersJsonDoesNotAllowStayRefused) {
  for (const char* payload :
       {R"({"a": 007})", R"({"a": 007, "b": 1e400})", R"({"a": 1., "b": 1e400})",
        R"({"a": -, "b": 1e400})", R"([01, 18446744073709551616])"}) {
    Message m("t", payload);
    EXPECT_FALSE(m.PayloadIsJson()) << payload;
  }
  for (const char* payload : {R"({"a": 7, "b": 1e400})", R"([0, -0.5e-3, 18446744073709551616])"}) {
    Message m("t", payload);
    EXPECT_TRUE(m.PayloadIsJson()) << payload;
  }
}

TEST(EvalTest, LiteralArgumentsThatCannotWorkAreRefused) {
  auto bad_letter = Expression::Compile("parse_time('yyyy-qq', 0)");
  ASSERT_FALSE(bad_letter.ok());
  EXPECT_EQ(bad_letter.status().message(),
            "column 12: parse_time(): unsupported letter 'q' at position 6 of the time pattern "
            "(quote literal text: 'T')");
  auto bad_zone = Expression::Compile("parse_time('HH:mm', ts, 'Mars/Olympus')");
  ASSERT_FALSE(bad_zone.ok());
  EXPECT_NE(bad_zone.status().message().find("column 25: parse_time(): unknown time zone "
                                             "'Mars/Olympus'"),
            std::string::npos)
      << bad_zone.status().message();
  EXPECT_FALSE(Expression::Compile("regexp_substr(s, '[')").ok());
  EXPECT_FALSE(Expression::Compile("time_to_epoch(s, 'yyyy-qq')").ok());
  EXPECT_TRUE(Expression::Compile("time_to_epoch(s, 'yyyy-MM-dd''T''HH:mm X')").ok());
}

TEST(EvalTest, NonJsonPayloadGivesUndefinedFields) {
  Message m("a/b", std::string_view("\x01\x02not json", 10));
  auto field = Expression::Compile("temp");
  auto star = Expression::Compile("length(*)");
  ASSERT_TRUE(field.ok() && star.ok());
  EXPECT_TRUE(field->Evaluate(m).is_undefined());
  EXPECT_EQ(star->Evaluate(m).DebugString(), "Int 10");
  EXPECT_FALSE(m.PayloadIsJson());
}

TEST(EvalTest, ConstantsAreFoldedAndPayloadParsedOnce) {
  // A constant expression never needs the payload: an unparseable payload is fine.
  auto e = Expression::Compile("upper('a') + (2 * 3)");
  ASSERT_TRUE(e.ok());
  Message m("t", "{bad");
  EXPECT_EQ(e->Evaluate(m).DebugString(), "String \"A6\"");
  EXPECT_FALSE(m.PayloadIsJson());
  // Two messages alive at once on one thread each keep their own parsed document.
  Message a("t", R"({"v": 1})");
  Message b("t", R"({"v": 2})");
  auto v = Expression::Compile("v");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->Evaluate(a).DebugString(), "Int 1");
  EXPECT_EQ(v->Evaluate(b).DebugString(), "Int 2");
  EXPECT_EQ(v->Evaluate(a).DebugString(), "Int 1");
}

TEST(EvalTest, DatePartFunctions) {
  // 1700000000123 ms = 2023-11-14T22:13:20.123Z, a Tuesday.
  RunTable({
      {"hour(1700000000123)", "Int 22"},
      {"year(1700000000123)", "Int 2023"},
      {"month(1700000000123)", "Int 11"},
      {"day(1700000000123)", "Int 14"},
      {"minute(1700000000123)", "Int 13"},
      {"second(1700000000123)", "Int 20"},
      {"dayofweek(1700000000123)", "Int 2"},
      {"hour(timestamp())", "Int 22"},
      {"hour('2026-11-30T14:02:11.5Z')", "Int 14"},
      {"hour('2026-11-30 23:59:59+01:00')", "Int 22"},
      {"day('2026-11-30T23:30-0130')", "Int 1"},
      {"month('2026-11-30T23:30-0130')", "Int 12"},
      {"year('2024-02-29')", "Int 2024"},
      {"hour('1969-12-31T23:00:00Z')", "Int 23"},
      {"year(-1)", "Int 1969"},
      {"dayofweek('1970-01-01')", "Int 4"},
      {"hour('2023-02-29T00:00Z')", "undefined"},  // not a leap year
      {"hour('2026-13-01')", "undefined"},
      {"hour('14:02')", "undefined"},
      {"hour('2026-11-30T14:02Zjunk')", "undefined"},
      {"hour(name)", "undefined"},
      {"hour(ok)", "undefined"},
      {"hour(missing)", "undefined"},
  });
}

TEST(EvalTest, Iso8601Parsing) {
  EXPECT_EQ(ParseIso8601Micros("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseIso8601Micros("1970-01-01T00:00:00.000001Z"), 1);
  EXPECT_EQ(ParseIso8601Micros("1970-01-01T00:00:00.1234567Z"), 123456);
  EXPECT_EQ(ParseIso8601Micros("2023-11-14T22:13:20.123Z"), 1700000000123000);
  EXPECT_EQ(ParseIso8601Micros("2023-11-14T23:13:20.123+01:00"), 1700000000123000);
  EXPECT_EQ(ParseIso8601Micros("2023-11-14"), 1699920000000000);
  EXPECT_EQ(ParseIso8601Micros("1969-12-31T23:59:59Z"), -1000000);
  EXPECT_FALSE(ParseIso8601Micros(""));
  EXPECT_FALSE(ParseIso8601Micros("2023-11-14T"));
  EXPECT_FALSE(ParseIso8601Micros("2023-11-14T25:00Z"));
  EXPECT_FALSE(ParseIso8601Micros("2023-11-14T10:00:00."));
  EXPECT_FALSE(ParseIso8601Micros("hello"));
}

TEST(ValueTest, JsonRoundTrip) {
  auto v = ValueFromJson(R"({"a": [1, 2.5, "x\n", null, true], "b": {"c": 10.0}, "d": -0.5})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->ToJson(), R"({"a":[1,2.5,"x\n",null,true],"b":{"c":10},"d":-0.5})");
  EXPECT_TRUE(v->Member("b").Member("c").is_int());
  EXPECT_EQ(Value::String(std::string("\x01\"q\"", 4)).ToJson(), R"("\u0001\"q\"")");
  EXPECT_EQ(Value::Decimal(1e21).ToJson(), "1e+21");
  EXPECT_EQ(Value::Decimal(0.1).ToJson(), "0.1");
}

// Plain notation from 1e-6 up to below 1e21, exponent form outside; the shortest digits
// that read back as the same double either way.
TEST(ValueTest, DecimalsPrintPlainBetweenTheExponentsMinus6And20) {
  const std::pair<double, const char*> cases[] = {
      {0.0001, "0.0001"},
      {-0.00025, "-0.00025"},
      {1e-6, "0.000001"},
      {1.2345e-6, "0.0000012345"},
      {9.99e-7, "9.99e-07"},
      {1e-7, "1e-07"},
      {5e-324, "5e-324"},
      {0.1 + 0.2, "0.30000000000000004"},
      {22.5, "22.5"},
      {1e19, "10000000000000000000"},
      {1.8446744073709552e19, "18446744073709551616"},
      {1.25e20, "125000000000000000000"},
      {1e21, "1e+21"},
      {-1.5e300, "-1.5e+300"},
      {0.0, "0"},
  };
  for (const auto& [d, text] : cases) {
    std::string out;
    AppendDecimal(d, &out);
    EXPECT_EQ(out, text) << d;
    double back = 0;
    std::from_chars(out.data(), out.data() + out.size(), back);
    EXPECT_EQ(back, d) << out << " does not read back";
  }
  EXPECT_EQ(Value::Undefined().ToJson(), "");
  auto bad = ValueFromJson("{\"a\": }");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().message().starts_with("not JSON: ")) << bad.status().message();
}

TEST(JsonOutputTest, StringsAreAlwaysValidUtf8) {
  auto json = [](std::string_view s) {
    std::string out;
    AppendJsonString(s, &out);
    return out;
  };
  EXPECT_EQ(json("plain"), R"("plain")");
  EXPECT_EQ(json("Zürich €5 \xF0\x9F\x98\x80"), "\"Zürich €5 \xF0\x9F\x98\x80\"");  // kept as is
  EXPECT_EQ(json("q\"b\\\n\x01"), R"("q\"b\\\n\u0001")");
  // Bytes of no well-formed sequence become U+FFFD, one each.
  EXPECT_EQ(json("a\xFF" "b"), R"("a\ufffdb")");
  EXPECT_EQ(json("\xC3"), R"("\ufffd")");                      // cut short
  EXPECT_EQ(json("\xC0\x80"), R"("\ufffd\ufffd")");            // overlong NUL
  EXPECT_EQ(json("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");  // a surrogate
  EXPECT_EQ(json("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // past U+10FFFF
  EXPECT_EQ(json("\xE2\x82"), R"("\ufffd\ufffd")");
}

}  // namespace
}  // namespace tributary::expr
