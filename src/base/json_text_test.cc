#include "base/json_text.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace tributary {
namespace {

TEST(JsonText, ParsesJson) {
  auto doc = ParseJsonText(R"({"a": [1, 2.5, "x"]})", "'doc.json'");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["a"][1], 2.5);
}

TEST(JsonText, TheErrorSaysWhatAndWhere) {
  auto doc = ParseJsonText("{\n  \"a\": 1,\n  \"b\": [1, 2}\n}\n", "'rule.json'");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(doc.status().message(),
            "'rule.json' is not valid JSON: line 3, column 13: syntax error while parsing array - "
            "unexpected '}'; expected ']'");
}

TEST(JsonText, OneLineIsPlacedByColumn) {
  auto doc = ParseJsonText(R"({"start": "x", "target": [1,2})", "in.jsonl:2");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(),
            "in.jsonl:2 is not valid JSON: column 30: syntax error while parsing array - "
            "unexpected '}'; expected ']'");
}

TEST(JsonText, EmptyTextAndHugeNumbers) {
  auto empty = ParseJsonText("", "'hp.json'");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("'hp.json' is not valid JSON: column 1: "),
            std::string::npos)
      << empty.status().message();
  EXPECT_NE(empty.status().message().find("unexpected end of input"), std::string::npos);
  auto huge = ParseJsonText(R"({"x": 1e999})", "the request body");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().message(),
            "the request body is not valid JSON: number overflow parsing '1e999'");
}

// Deep nesting is refused before anything recurses over it; brackets inside strings do
// not count.
TEST(JsonText, NestingHasALimit) {
  std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJsonText(ok, "the body").ok());
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto doc = ParseJsonText(deep, "the request body");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(),
            "the request body nests arrays and objects more than 512 deep (at byte 512)");
  std::string quoted = R"({"a": "[[[[{{{{\"[[[[", "b": [{"c": 1}]})";
  EXPECT_TRUE(CheckJsonDepth(quoted, "x", 3).ok());
  EXPECT_FALSE(CheckJsonDepth(quoted, "x", 2).ok());
}

// An object that gives a key twice is refused naming the key's path: nlohmann alone kept
// the last value and dropped the first without a word.
TEST(JsonText, AKeyGivenTwiceIsRefusedNamingItsPath) {
  for (const auto& [text, path] : std::vector<std::pair<std::string, std::string>>{
           {R"({"sql": "a", "sql": "b"})", "sql"},
           {R"({"topicRulePayload": {"sql": "a", "actions": [], "sql": "b"}})",
            "topicRulePayload.sql"},
           {R"({"actions": [{"s3": {}}, {"republish": {"topic": "a", "qos": 0, "topic": "b"}}]})",
            "actions[1].republish.topic"},
           {R"([1, [2, 3], {"x": {}, "x": []}])", "[2].x"},
           {R"({"a": {"b": 1}, "a": {"b": 1}})", "a"},
       }) {
    auto doc = ParseJsonText(text, "'rule.json'");
    ASSERT_FALSE(doc.ok()) << text;
    EXPECT_EQ(doc.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(doc.status().message(), "'rule.json' gives " + path + " twice; keep one") << text;
  }
  // The same key in different objects, and a key equal to a value, are fine.
  auto doc = ParseJsonText(R"({"a": {"a": 1}, "b": [{"a": 2}, {"a": "a"}], "c": {"b": 3}})", "x");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["b"][1]["a"], "a");
}

}  // namespace
}  // namespace tributary
