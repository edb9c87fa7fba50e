// How repeatable free-text flags take what was typed.
#include "cli/flag_checks.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tributary::cli {
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

}  // namespace
}  // namespace tributary::cli
