#include "expr/time_parse.h"

#include <gtest/gtest.h>

#include <random>

#include "expr/time_format.h"

namespace tributary::expr {
namespace {

std::string Parse(std::string_view text, std::string_view pattern) {
  auto r = ParseTimeText(text, pattern);
  return r.ok() ? std::to_string(*r) : "ERROR " + r.status().message();
}

// Whatever parse_time writes with a pattern that keeps every field, time_to_epoch reads
// back to the same millisecond, in zones with and without daylight saving.
TEST(TimeParseTest, ReadsBackWhatFormatTimeWrites) {
  std::mt19937_64 rng(20261203);
  // 1932 to 2096: before that the zones' local mean times have offsets in seconds,
  // which ZZ does not write.
  std::uniform_int_distribution<int64_t> when(-1'200'000'000'000, 4'000'000'000'000);
  const char* patterns[] = {"yyyy-MM-dd'T'HH:mm:ss.SSSZZ", "yyyyMMddHHmmssSSSZ",
                            "EEEE dd MMMM yyyy hh:mm:ss.SSS a ZZ", "G yyyy-DDD HH:mm:ss.SSS ZZ"};
  for (const char* zone : {"UTC", "Europe/Paris", "America/New_York", "+05:30"}) {
    for (const char* pattern : patterns) {
      for (int i = 0; i < 300; ++i) {
        int64_t ms = when(rng);
        auto text = FormatTime(pattern, ms, zone);
        ASSERT_TRUE(text.ok()) << text.status().message();
        EXPECT_EQ(Parse(*text, pattern), std::to_string(ms)) << *text << " with " << pattern;
      }
    }
  }
}

TEST(TimeParseTest, ZonesReadTheLocalTime) {
  // 02:30 on 2026-03-29 does not exist in Paris (clocks go from 02:00 to 03:00): one of
  // the offsets around the change is taken, so the answer is 00:30 or 01:30 UTC.
  std::string gap = Parse("2026-03-29 02:30 Europe/Paris", "yyyy-MM-dd HH:mm z");
  EXPECT_TRUE(gap == "1774744200000" || gap == "1774747800000") << gap;
  EXPECT_EQ(Parse("2026-12-03 10:00 Z", "yyyy-MM-dd HH:mm X"), "1796292000000");
  EXPECT_EQ(Parse("2026-12-03 10:00 GMT-3", "yyyy-MM-dd HH:mm O"), "1796302800000");
  EXPECT_EQ(Parse("1970", "yyyy"), "0");
}

TEST(TimeParseTest, ErrorsSayWhereTheTextDeparts) {
  EXPECT_EQ(Parse("2026-12-03", "yyyy/MM/dd"),
            "ERROR expected '/' at position 5 of '2026-12-03', found '-12-03'");
  EXPECT_EQ(Parse("2026-Dez-03", "yyyy-MMM-dd"),
            "ERROR expected a month name at position 6 of '2026-Dez-03', found 'Dez-03'");
  EXPECT_EQ(Parse("2026-12", "yyyy-MM-dd"),
            "ERROR expected '-' at position 8 of '2026-12', found the end of the text");
  EXPECT_EQ(Parse("2026-02-30", "yyyy-MM-dd"), "ERROR day 30 in '2026-02-30' is out of range");
  EXPECT_EQ(Parse("25:00", "HH:mm"), "ERROR hour 25 in '25:00' is out of range");
  EXPECT_EQ(Parse("10 Mars/Base", "HH z"),
            "ERROR expected a time zone (UTC, +01:00 or an IANA name like Europe/Paris) at "
            "position 4 of '10 Mars/Base', found 'Mars/Base'");
  EXPECT_EQ(Parse("10 PM", "HH a"), "ERROR AM/PM in '10 PM' needs a 12-hour clock (h or K)");
  EXPECT_EQ(Parse("2026", "yyyy 'x"), "ERROR unterminated quote at position 6 of the time pattern");
  EXPECT_TRUE(CheckParsePattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX VV").ok());
  EXPECT_EQ(CheckParsePattern("yyyy-qq").message(),
            "unsupported letter 'q' at position 6 of the time pattern (quote literal text: 'T')");
  // Widths that could overflow the arithmetic are refused, not computed.
  EXPECT_EQ(Parse("100000101", "yyyyyyyMM"), "ERROR year 1000001 in '100000101' is out of range");
  EXPECT_EQ(Parse(std::string(22, '9'), std::string(20, 'y') + "MM"),
            "ERROR expected a year at position 1 of '" + std::string(22, '9') + "', found '" +
                std::string(12, '9') + "'");
  EXPECT_EQ(Parse("999999-01-01", "yyyy-MM-dd"),
            "ERROR '999999-01-01' is out of range (at most 8.64e15 ms from 1970-01-01)");
}

}  // namespace
}  // namespace tributary::expr
