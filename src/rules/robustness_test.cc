// Random statements and payloads must give errors or results, never crashes or hangs:
// a bounded, deterministic stand-in for the fuzz target (same seeds every run).
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>

#include "rules/compiled_rule.h"

namespace tributary::rules {
namespace {

const std::vector<std::string> kPieces = {
    "SELECT", "*", ",", "FROM", "'a/+'", "'#'", "WHERE", "AS", "x", "a", "b.c", "[", "]", "(",
    ")", "{", "}", ":", "0", "1", "-", "+", "/", "%", "=", "<>", "<", ">=", "AND", "OR", "NOT",
    "CASE", "WHEN", "THEN", "ELSE", "END", "'s'", "\"t\"", "NULL", "true", "topic(", "topic(2)",
    "abs(", "concat(", "substring(", "cast(", "Int", "String", "parse_time(", "'yyyy'",
    "timestamp()", "1e308", "9223372036854775807", "get(", "trunc(", "lpad(", "VALUE", ".", "'",
    "`k`", "\\", "$", "${", "mod(", "round(", "length(", "nanvl("};

const std::vector<std::string> kPayloads = {
    R"({"a": 1, "x": "s", "b": {"c": [1, 2, {"d": null}]}})",
    R"([1, "two", 3.5])",
    R"({"a": -9223372036854775808, "x": 1e308, "b": {"c": "1e400"}})",
    "\x01\x02\xff",
    "",
    R"({"a": {"a": {"a": {"a": [[[[]]]]}}}, "x": true})",
};

TEST(RobustnessTest, RandomStatementsNeverCrash) {
  std::mt19937 rng(20261129);
  int compiled = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string sql;
    if (i % 2 == 0) sql = "SELECT ";
    int n = 1 + static_cast<int>(rng() % 14);
    for (int k = 0; k < n; ++k) {
      sql += kPieces[rng() % kPieces.size()];
      sql += (rng() % 3 == 0) ? "" : " ";
    }
    if (i % 2 == 0) sql += " FROM 'a/+'";
    auto rule = CompiledRule::CompileSql(sql);
    if (!rule.ok()) {
      EXPECT_FALSE(rule.status().message().empty()) << sql;
      continue;
    }
    ++compiled;
    for (const std::string& p : kPayloads) {
      expr::Message m("a/b", p);
      m.client_id = "c";
      auto out = (*rule)->Evaluate(m);
      if (out.ok() && *out && (*out)->is_json && !(*out)->payload.empty()) {
        // Every JSON record we emit must parse.
        EXPECT_FALSE(nlohmann::json::parse((*out)->payload, nullptr, false).is_discarded())
            << sql << " on " << p << " gave " << (*out)->payload;
      }
    }
  }
  EXPECT_GT(compiled, 100) << "the generator should produce some valid statements";
}

}  // namespace
}  // namespace tributary::rules

namespace tributary::rules {
namespace {

// OutputIsPayload lets the engine skip parsing: it must say yes only when Evaluate's
// output is the payload byte for byte.
TEST(RobustnessTest, OutputIsPayloadOnlyWhenEvaluateGivesThePayloadBack) {
  auto star = CompiledRule::CompileSql("SELECT * FROM 'a/#'");
  auto where = CompiledRule::CompileSql("SELECT * FROM 'a/#' WHERE a = 1");
  auto listed = CompiledRule::CompileSql("SELECT *, 1 AS one FROM 'a/#'");
  ASSERT_TRUE(star.ok() && where.ok() && listed.ok());
  std::vector<std::string> payloads = kPayloads;
  payloads.insert(payloads.end(),
                  {R"({"a":1,"x":"s"})", R"({"a":1,"x":"two words"})", "[1,2]", "raw-bytes",
                   "\x01\x02", "{\"a\":\n1}", "{\"a\":1}\r", "\t{}", "not json at all",
                   std::string(200, 'x') + "\n", std::string(300, 'y'),
                   "{\"k\":\"" + std::string(kMaxOutputBytes, 'z') + "\"}"});
  int shortcuts = 0;
  for (const std::string& p : payloads) {
    expr::Message m("a/b", p);
    if ((*star)->OutputIsPayload(p)) {
      ++shortcuts;
      auto out = (*star)->Evaluate(m);
      ASSERT_TRUE(out.ok()) << p;
      ASSERT_TRUE(out->has_value()) << p;
      EXPECT_EQ((*out)->payload, p);
    }
    EXPECT_FALSE((*where)->OutputIsPayload(p)) << p;
    EXPECT_FALSE((*listed)->OutputIsPayload(p)) << p;
  }
  EXPECT_EQ(shortcuts, 7) << "compact JSON, raw bytes and the long run of y's";
  EXPECT_FALSE((*star)->OutputIsPayload(R"({"a": 1})"));
  EXPECT_FALSE((*star)->OutputIsPayload("{\"a\":1}\n"));
  // Each whitespace byte at every position of payloads around the 16-byte blocks the
  // check reads, next to bytes below 0x20 that are not whitespace.
  for (size_t size : {1, 15, 16, 17, 31, 32, 33, 250}) {
    std::string compact(size, 'a');
    compact[size / 2] = '\x1f';
    EXPECT_TRUE((*star)->OutputIsPayload(compact)) << size;
    for (size_t at = 0; at < size; ++at) {
      for (char c : {' ', '\n', '\r', '\t'}) {
        std::string spaced = compact;
        spaced[at] = c;
        EXPECT_FALSE((*star)->OutputIsPayload(spaced)) << size << " " << at << " " << int(c);
      }
    }
  }
}

}  // namespace
}  // namespace tributary::rules

namespace tributary::rules {
namespace {

// A nested query that reads its array again for each element (WHERE dropping every row)
// would read 900,000,000 rows of a 60 KB payload, for seconds on the broker thread: the
// rows an evaluation's nested queries read are bounded, and the rule fails at once for
// its error action. A nested query within the bound still answers.
TEST(RobustnessTest, NestedQueriesCannotStallTheBroker) {
  auto rule = CompiledRule::CompileSql(
      "SET @a = a SELECT (SELECT VALUE 1 FROM @a WHERE isUndefined((SELECT VALUE 1 FROM @a "
      "WHERE false))) AS r FROM 'dos/#'");
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  std::string payload = R"({"a":[0)";
  for (int i = 1; i < 30000; ++i) payload += ",0";
  payload += "]}";
  expr::Message m("dos/1", payload);
  auto start = std::chrono::steady_clock::now();
  auto out = (*rule)->Evaluate(m);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(out.status().message().find("nested queries would read more than 1000000 rows"),
            std::string::npos)
      << out.status().message();
  EXPECT_LT(took, std::chrono::seconds(1));

  expr::Message small("dos/2", R"({"a":[0,0,0]})");  // 3 + 3 * 3 rows, none kept
  auto fine = (*rule)->Evaluate(small);
  ASSERT_TRUE(fine.ok() && *fine) << fine.status().ToString();
  EXPECT_EQ((*fine)->payload, R"({"r":[]})");
}

}  // namespace
}  // namespace tributary::rules
