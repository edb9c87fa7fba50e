// What the evaluator's table tests share: a payload, a case (expression -> expected
// DebugString), and runners that compile and evaluate each case on its own message.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "expr/compiled.h"
#include "expr/message.h"

namespace tributary::expr::testing {

inline constexpr std::string_view kPayload =
    R"({"temp": 21.5, "count": 3, "name": "Sensor", "ok": true, "nothing": null,
        "tags": ["a", "b", "c"], "nested": {"x": {"y": [10, {"z": "deep"}]}},
        "whole": 10.0, "numstr": "42", "list": [1, 2, 3], "neg": -2.5})";

struct Case {
  const char* expr;
  const char* want;  // DebugString of the result
};

inline void Fill(Message* m) {
  m->client_id = "client-1";
  m->received_at_ms = 1700000000123;
  m->principal = "abc123";
  m->trace_id = "11111111-2222-3333-4444-555555555555";
}

inline void RunTable(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    auto e = Expression::Compile(c.expr);
    ASSERT_TRUE(e.ok()) << c.expr << ": " << e.status().ToString();
    Message m("devices/dev-7/pollution", kPayload);
    Fill(&m);
    EXPECT_EQ(e->Evaluate(m).DebugString(), c.want) << "expression: " << c.expr;
  }
}

// Runs `cases` against `payload`, each expression an evaluation of its own.
inline void RunTableOn(std::string_view payload, const std::vector<Case>& cases) {
  Message m("devices/dev-7/pollution", payload);
  for (const Case& c : cases) {
    auto e = Expression::Compile(c.expr);
    ASSERT_TRUE(e.ok()) << c.expr << ": " << e.status().ToString();
    EXPECT_EQ(e->Evaluate(m).DebugString(), c.want) << "expression: " << c.expr;
  }
}

inline std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace tributary::expr::testing
