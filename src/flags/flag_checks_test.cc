// How repeatable free-text flags, whole-number flags and decimal flags take what was typed.
#include "flags/flag_checks.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace tributary {
namespace {

// Parses `args` (after the program's name) with a --data flag made OneValueEach, a --json
// flag and a positional name; returns the --data values in order.
std::vector<std::string> DataOf(std::vector<std::string> args, bool* json = nullptr,
                                std::string* name = nullptr) {
  CLI::App app;
  std::vector<std::string> data;
  bool json_flag = false;
  std::string positional;
  app.add_option("name", positional);
  OneValueEach(app.add_option("--data", data));
  app.add_flag("--json", json_flag);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  app.parse(reversed);
  if (json != nullptr) *json = json_flag;
  if (name != nullptr) *name = positional;
  return data;
}

// CLI11 alone made '[1,2]' two values 1 and 2, took the word after '[]' (--json) as the
// value, and kept taking words after a value until the next option.
TEST(FlagChecksTest, ARepeatableFlagTakesEachValueAsTyped) {
  using Values = std::vector<std::string>;
  EXPECT_EQ(DataOf({"--data", "[1,2]", "--data", "plain"}), (Values{"[1,2]", "plain"}));
  bool json = false;
  EXPECT_EQ(DataOf({"--data", "[]", "--json"}, &json), (Values{"[]"}));
  EXPECT_TRUE(json);
  EXPECT_EQ(DataOf({"--data=[a,b]"}), (Values{"[a,b]"}));
  EXPECT_EQ(DataOf({"--data", "{}", "--data", ""}), (Values{"{}", ""}));
  EXPECT_EQ(DataOf({"--data", "--json"}), (Values{"--json"}));
  std::string name;
  EXPECT_EQ(DataOf({"--data", "a", "stream"}, nullptr, &name), (Values{"a"}));
  EXPECT_EQ(name, "stream");
}

TEST(FlagChecksTest, AWholeNumberOutsideItsRangeSaysWhichRange) {
  EXPECT_EQ(*ParseWholeNumberIn("5", 1, 10), 5);
  EXPECT_EQ(*ParseWholeNumberIn("010", 1, 10), 10);
  EXPECT_EQ(*ParseWholeNumberIn("-3", -5, 0), -3);
  EXPECT_EQ(ParseWholeNumberIn("-5", 1, 365000).status().message(), "-5 is not in 1..365000");
  EXPECT_EQ(ParseWholeNumberIn("0", 1, 365000).status().message(), "0 is not in 1..365000");
  EXPECT_EQ(ParseWholeNumberIn("18446744073709551615", 0, INT64_MAX).status().message(),
            "18446744073709551615 is not in 0..9223372036854775807");
  EXPECT_EQ(ParseWholeNumberIn("-99999999999999999999", 0, 1).status().message(),
            "-99999999999999999999 is not in 0..1");
  for (const char* bad : {"", "-", "1.5", "1e3", "0x10", " 1", "+1", "one"}) {
    Result<int64_t> r = ParseWholeNumberIn(bad, 0, 9);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "'" + std::string(bad) + "' is not a whole number in 0..9");
  }
}

// Unsigned flags took -1 as 18446744073709551615 and 010 as 8.
TEST(FlagChecksTest, AWholeNumberFlagIsCheckedAsTyped) {
  auto parse = [](std::vector<std::string> args, uint64_t* out) -> std::string {
    CLI::App app;
    WholeNumberIn(app.add_option("--offset", *out), 0, INT64_MAX);
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
      app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      return e.what();
    }
    return "";
  };
  uint64_t offset = 0;
  EXPECT_EQ(parse({"--offset", "-1"}, &offset), "--offset: -1 is not in 0..9223372036854775807");
  EXPECT_EQ(parse({"--offset", "0x10"}, &offset),
            "--offset: '0x10' is not a whole number in 0..9223372036854775807");
  EXPECT_EQ(parse({"--offset", "010"}, &offset), "");
  EXPECT_EQ(offset, 10u);
}

TEST(FlagChecksTest, ADecimalOutsideItsRangeSaysWhichRange) {
  EXPECT_EQ(*ParseDecimalIn("25", 1, 99), 25);
  EXPECT_EQ(*ParseDecimalIn("12.5", 1, 99), 12.5);
  EXPECT_EQ(*ParseDecimalIn("010", 1, 99), 10);
  EXPECT_EQ(*ParseDecimalIn("0.05", 0, 1), 0.05);
  EXPECT_EQ(*ParseDecimalIn(".5", 0, 1), 0.5);
  EXPECT_EQ(*ParseDecimalIn("1e-3", 0, 1), 0.001);
  EXPECT_EQ(*ParseDecimalIn("2.5E+2", 0, 1000), 250);
  EXPECT_EQ(*ParseDecimalIn("-0.5", -1, 0), -0.5);
  EXPECT_EQ(ParseDecimalIn("200", 1, 99).status().message(), "200 is not in 1..99");
  EXPECT_EQ(ParseDecimalIn("0", 0.001, 3.6e6).status().message(), "0 is not in 0.001..3600000");
  EXPECT_EQ(ParseDecimalIn("1.0000001", 0, 1).status().message(), "1.0000001 is not in 0..1");
  EXPECT_EQ(ParseDecimalIn("1e999", 0, 1).status().message(), "1e999 is not in 0..1");
  EXPECT_EQ(ParseDecimalIn("-2", 0, std::numeric_limits<double>::max()).status().message(),
            "-2 is not in 0..1.7976931348623157e+308");
  for (const char* bad : {"", "-", ".", "e3", "1e", "1.2.3", "inf", "-inf", "nan", "NaN",
                          "infinity", "0x10", "0x1p3", " 1", "1 ", "+1", "1,5", "one"}) {
    Result<double> r = ParseDecimalIn(bad, 0, 9);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "'" + std::string(bad) + "' is not a decimal number in 0..9");
  }
}

// CLI11's Range said "Value 200 not in range 0.000000 to 100.000000" and let nan through.
TEST(FlagChecksTest, ADecimalFlagIsCheckedAsTyped) {
  auto parse = [](std::vector<std::string> args, double* out) -> std::string {
    CLI::App app;
    DecimalIn(app.add_option("--canary-percent", *out), 1, 99);
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
      app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      return e.what();
    }
    return "";
  };
  double percent = 0;
  EXPECT_EQ(parse({"--canary-percent", "200"}, &percent), "--canary-percent: 200 is not in 1..99");
  EXPECT_EQ(parse({"--canary-percent", "nan"}, &percent),
            "--canary-percent: 'nan' is not a decimal number in 1..99");
  EXPECT_EQ(parse({"--canary-percent", "12.5"}, &percent), "");
  EXPECT_EQ(percent, 12.5);
  EXPECT_EQ(parse({"--canary-percent", "1e1"}, &percent), "");
  EXPECT_EQ(percent, 10);
}

}  // namespace
}  // namespace tributary
