#include "base/status.h"

#include <gtest/gtest.h>

#include <set>
#include <string_view>

namespace tributary {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  TRY_ASSIGN(int h, Half(x));
  TRY_ASSIGN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  TRY(Half(x).status());
  return Status::Ok();
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kOk);
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status s = NotFound("thing 'x' does not exist");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "not_found: thing 'x' does not exist");
  EXPECT_EQ(s.WithContext("describe").message(), "describe: thing 'x' does not exist");
  EXPECT_EQ(HttpStatusFor(s.code()), 404);
}

// Every code has a name of its own, which the CLI reads back from the API's error bodies.
TEST(StatusTest, EachCodeHasANameAndAStatus) {
  std::set<std::string_view> names;
  for (int c = 0; c <= static_cast<int>(kLastErrorCode); ++c) {
    EXPECT_TRUE(names.insert(ErrorCodeName(static_cast<ErrorCode>(c))).second) << c;
  }
  EXPECT_EQ(names.count("unknown"), 0u);
  EXPECT_EQ(ErrorCodeName(OutOfRange("offset 7 is past the end").code()), "out_of_range");
  EXPECT_EQ(HttpStatusFor(ErrorCode::kOutOfRange), 416);
}

TEST(ResultTest, PropagatesThroughMacros) {
  EXPECT_EQ(*Quarter(12), 3);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd: 3");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(5).code(), ErrorCode::kInvalidArgument);
}

TEST(ResultTest, OkStatusBecomesInternalError) {
  Result<int> r{Status::Ok()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace tributary
