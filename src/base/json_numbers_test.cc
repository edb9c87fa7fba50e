// ReadableNumbers: the numbers simdjson refuses become ones it reads; the rest of the
// text, strings above all, is left as it is.
#include "base/json_numbers.h"

#include <gtest/gtest.h>

namespace tributary {
namespace {

TEST(ReadableNumbersTest, RewritesOnlyWhatADoubleCannotHold) {
  EXPECT_EQ(ReadableNumbers(R"({"a":1e400,"b":-2E+999,"c":[1e-400,12.5,-7,0]})", "null"),
            R"({"a":null,"b":null,"c":[0.0,12.5,-7,0]})");
  // An integer beyond 64 bits: the nearest double; one within 64 bits stays an integer.
  EXPECT_EQ(
      ReadableNumbers("[18446744073709551616,18446744073709551615,-9223372036854775808]", "null"),
      "[1.8446744073709552e+19,18446744073709551615,-9223372036854775808]");
  // The caller's value for a number too large.
  EXPECT_EQ(ReadableNumbers("[49E851]", R"("marker")"), R"(["marker"])");
}

TEST(ReadableNumbersTest, StringsAndMalformedNumbersAreLeftAsTheyAre) {
  EXPECT_EQ(ReadableNumbers(R"({"1e400":"x 1e400 \" 2e999","n":1.})", "null"),
            R"({"1e400":"x 1e400 \" 2e999","n":1.})");
  EXPECT_EQ(ReadableNumbers("[007,-,1e]", "null"), "[007,-,1e]");
}

}  // namespace
}  // namespace tributary
