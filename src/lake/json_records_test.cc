#include "lake/json_records.h"

#include <gtest/gtest.h>

namespace tributary::lake {
namespace {

std::vector<std::string> Split(std::string_view text, Status* status = nullptr) {
  std::vector<std::string> out;
  Status st = SplitJsonRecords(text, [&](std::string_view r, RecordPosition) {
    out.emplace_back(r);
    return true;
  });
  if (status) *status = st;
  return out;
}

TEST(JsonRecords, Separators) {
  std::vector<std::string> two = {R"({"a":1})", R"({"a":2})"};
  EXPECT_EQ(Split("{\"a\":1}\n{\"a\":2}\n"), two);
  EXPECT_EQ(Split("{\"a\":1}{\"a\":2}"), two);
  EXPECT_EQ(Split("{\"a\":1},{\"a\":2}"), two);
  EXPECT_EQ(Split("\xEF\xBB\xBF{\"a\":1}\r\n{\"a\":2}"), two);
}

TEST(JsonRecords, BracesInsideStringsAndNesting) {
  std::vector<std::string> expect = {R"({"s":"}{\"","n":{"x":[1,{"y":2}]}})", "[1,2]"};
  EXPECT_EQ(Split(expect[0] + expect[1]), expect);
}

TEST(JsonRecords, PositionsAndUnclosedValue) {
  std::vector<RecordPosition> positions;
  Status st = SplitJsonRecords("{\"a\":1}\n\n{\"a\":\n2}\n{\"b\":",
                               [&](std::string_view, RecordPosition p) {
                                 positions.push_back(p);
                                 return true;
                               });
  ASSERT_EQ(positions.size(), 2u);
  EXPECT_EQ(positions[1].line, 3u);
  EXPECT_EQ(positions[1].offset, 9u);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("line 5"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("offset 18"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace tributary::lake
