#include "lake/partition_filter.h"

#include <gtest/gtest.h>

namespace tributary::lake {
namespace {

// A table partitioned by dt (string, dates), hour (int) and site (string).
const std::vector<Column> kKeys = {{"dt", "string"}, {"hour", "int"}, {"site", "string"}};
const std::vector<std::vector<std::string>> kPartitions = {
    {"2026-11-29", "9", "north"},  {"2026-11-30", "10", "north"}, {"2026-11-30", "23", "south-1"},
    {"2026-12-01", "0", "South"},  {"2026-12-01", "__HIVE_DEFAULT_PARTITION__", "north"},
    {"2026-12-02", "x", "it's"},
};

// The partitions (by index) the expression is true of, or the parse error.
std::string Matching(const std::string& expression) {
  auto f = PartitionFilter::Parse(expression, kKeys);
  if (!f.ok()) return "error: " + f.status().message();
  std::string out;
  for (size_t i = 0; i < kPartitions.size(); ++i) {
    if (f->Matches(kPartitions[i])) out += std::to_string(i);
  }
  return out;
}

TEST(PartitionFilterTest, Table) {
  struct Case {
    const char* expression;
    const char* want;
  } cases[] = {
      {"dt = '2026-11-30'", "12"},
      {"dt >= '2026-11-30' AND dt < '2026-12-02'", "1234"},  // text order: dates in time
      {"dt BETWEEN '2026-11-30' AND '2026-12-01'", "1234"},
      {"dt NOT BETWEEN '2026-11-30' AND '2026-12-01'", "05"},
      {"hour > 9", "12"},  // numbers for a key typed int: "10" > "9"
      {"hour >= '9'", "012"},
      {"hour < 10 OR site = 'South'", "03"},
      {"hour IN (0, 23)", "23"},
      {"hour NOT IN (0, 23)", "01"},  // the NULL hours are neither in nor out
      {"hour IS NULL", "45"},       // the default partition, and a value that is no number
      {"hour IS NOT NULL", "0123"},
      {"site LIKE 'south%'", "2"},  // case-sensitive
      {"site LIKE '_orth'", "014"},
      {"site NOT LIKE '%h'", "25"},
      {"site = 'it''s'", "5"},
      {"NOT (dt = '2026-11-30') AND NOT hour = 0", "0"},
      {"(site = 'north' OR site = 'South') AND hour <> 9", "13"},
      {"SITE = 'north' and Dt = '2026-11-29'", "0"},  // keywords and keys in any case
      {"`site` = 'north' AND \"hour\" = 10", "1"},
      {"site <> 'north' AND site != 'South'", "25"},
      {"'2026-11-30' = dt", "12"},
      {"hour = hour", "0123"},
      {"dt > 5", ""},  // text, as dt is a string: every dt sorts before "5"
  };
  for (const Case& c : cases) EXPECT_EQ(Matching(c.expression), c.want) << c.expression;
}

TEST(PartitionFilterTest, ErrorsNameTheColumnAndWhatWasExpected) {
  struct Case {
    const char* expression;
    const char* want;
  } cases[] = {
      {"dt = = '2026'", "column 6: expected a partition key (dt, hour, site), 'text' or a number, found '='"},
      {"year = '2026'", "column 1: expected a partition key (dt, hour, site), 'text' or a number, found 'year'"},
      {"dt = '2026", "column 6: ' is never closed"},
      {"dt '2026'", "column 4: expected a comparison (=, <>, <, <=, >, >=), IN, BETWEEN, LIKE or IS, found '2026'"},
      {"dt IN '2026'", "column 7: expected '(' after IN, found '2026'"},
      {"dt IN ('a' 'b')", "column 12: expected ',' or ')', found 'b'"},
      {"dt BETWEEN 'a' OR 'b'", "column 16: expected AND in BETWEEN, found 'OR'"},
      {"(dt = 'a'", "column 10: expected ')', found the end"},
      {"dt = 'a' site = 'b'", "column 10: expected AND, OR or the end, found 'site'"},
      {"hour IS 5", "column 9: expected NULL, found '5'"},
      {"dt NOT = 'a'", "column 8: expected IN, BETWEEN or LIKE after NOT, found '='"},
      {"dt = 'a' ; drop", "column 10: unexpected ';'"},
      {"hour = 1e", "column 8: '1e' is not a number"},
      {"", "column 1: expected a partition key (dt, hour, site), 'text' or a number, found the end"},
  };
  for (const Case& c : cases) EXPECT_EQ(Matching(c.expression), std::string("error: ") + c.want) << c.expression;
  std::string deep(70, '(');
  EXPECT_NE(Matching(deep + "dt = 'a'" + std::string(70, ')')).find("nested deeper than 64 levels"), std::string::npos);
}

}  // namespace
}  // namespace tributary::lake
