// Records taken apart as Firehose's RecordDeAggregation does: JSON objects one after
// another, or pieces between a delimiter.
#include "streams/record_split.h"

#include <gtest/gtest.h>

#include <string>

namespace tributary::streams {
namespace {

Deaggregation Json() { return {Deaggregation::Kind::kJson, ""}; }
Deaggregation Delimited(std::string d) { return {Deaggregation::Kind::kDelimited, std::move(d)}; }

std::vector<std::string> Parts(std::string_view record, const Deaggregation& how) {
  auto r = SplitRecord(record, how);
  EXPECT_TRUE(r.ok()) << record << ": " << r.status().ToString();
  return r.ok() ? std::vector<std::string>(r->begin(), r->end()) : std::vector<std::string>{};
}

TEST(RecordSplitTest, JsonObjectsOneAfterAnother) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Parts(R"({"a":1}{"a":2})", Json()), (V{R"({"a":1})", R"({"a":2})"}));
  EXPECT_EQ(Parts("{\"a\":1}\n{\"a\":2}\n", Json()), (V{R"({"a":1})", R"({"a":2})"}));
  EXPECT_EQ(Parts(" \t{\"a\":1}\r\n", Json()), (V{R"({"a":1})"}));
  // Braces in strings, escaped quotes, nested objects and arrays are inside their object.
  EXPECT_EQ(Parts(R"({"s":"}{","q":"a\"}","n":{"m":[{"x":1}]}}{"b":[]})", Json()),
            (V{R"({"s":"}{","q":"a\"}","n":{"m":[{"x":1}]}})", R"({"b":[]})"}));
  EXPECT_EQ(Parts("x", Deaggregation{}), (V{"x"}));  // off: the record as it is
}

TEST(RecordSplitTest, DelimitedPieces) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Parts("x##y##", Delimited("##")), (V{"x", "y"}));
  EXPECT_EQ(Parts("####x", Delimited("##")), (V{"x"}));
  EXPECT_EQ(Parts("a|b|c", Delimited("|")), (V{"a", "b", "c"}));
  EXPECT_EQ(Parts("no delimiter", Delimited("#")), (V{"no delimiter"}));
}

TEST(RecordSplitTest, ErrorsSayWhatAndWhere) {
  const std::pair<std::string, std::string> cases[] = {
      {R"([{"a":1},{"a":2}])", "record: byte 0 is not the start of a JSON object (deaggregation json "
                               "takes objects one after another, not arrays or other values)"},
      {R"({"a":1},{"a":2})", "record: byte 7 is not the start of a JSON object"},
      {R"({"a":1}{"a":)", "record: the JSON object starting at byte 7 is not closed"},
      {R"({"a":"})", "record: the JSON object starting at byte 0 is not closed"},
      {"  \n", "record: holds no record to take apart"},
  };
  for (const auto& [record, want] : cases) {
    auto r = SplitRecord(record, Json());
    ASSERT_FALSE(r.ok()) << record;
    EXPECT_EQ(r.status().message().rfind(want, 0), 0u) << r.status().message();
  }
  EXPECT_EQ(SplitRecord("####", Delimited("##")).status().message(), "record: holds no record to take apart");
  std::string many;
  for (size_t i = 0; i <= kMaxSubRecords; ++i) many += "{}";
  EXPECT_EQ(SplitRecord(many, Json()).status().message(), "record: more than 500 JSON objects");
  std::string pieces;
  for (size_t i = 0; i <= kMaxSubRecords; ++i) pieces += "x|";
  EXPECT_EQ(SplitRecord(pieces, Delimited("|")).status().message(), "record: more than 500 delimited pieces");
}

}  // namespace
}  // namespace tributary::streams
