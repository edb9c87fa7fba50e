#include "expr/time_format.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace tributary::expr {
namespace {

// 2017-06-09T17:19:46.123Z, a Friday.
constexpr int64_t kFriday = 1497028786123;

std::string Format(std::string_view pattern, int64_t ms, std::string_view zone = "UTC") {
  auto r = FormatTime(pattern, ms, zone);
  return r.ok() ? *r : "ERROR " + r.status().message();
}

TEST(TimeFormatTest, PatternLetters) {
  EXPECT_EQ(Format("yyyy-MM-dd'T'HH:mm:ss.SSSZ", kFriday), "2017-06-09T17:19:46.123+0000");
  EXPECT_EQ(Format("yy/M/d", kFriday), "17/6/9");
  EXPECT_EQ(Format("MMM MMMM", kFriday), "Jun June");
  EXPECT_EQ(Format("E EEEE e", kFriday), "Fri Friday 5");
  EXPECT_EQ(Format("D DDD", kFriday), "160 160");
  EXPECT_EQ(Format("h:mm a, K k", kFriday), "5:19 PM, 5 17");
  EXPECT_EQ(Format("S SS SSS SSSS", kFriday), "1 12 123 1230");
  EXPECT_EQ(Format("G yyyy", kFriday), "AD 2017");
  EXPECT_EQ(Format("ZZ ZZZ z", kFriday), "+00:00 UTC UTC");
  EXPECT_EQ(Format("'It''s' HH 'o''clock'", kFriday), "It's 17 o'clock");
  EXPECT_EQ(Format("hh a", 0), "12 AM");
  EXPECT_EQ(Format("kk", 0), "24");
}

// Joda's ISO week date letters: weekyear (x), week of weekyear (w), and century (C).
TEST(TimeFormatTest, WeekDateAndCentury) {
  struct {
    int64_t ms;
    const char* pattern;
    const char* want;
  } cases[] = {
      {kFriday, "xxxx-'W'ww-e", "2017-W23-5"},
      {1609459200000, "xxxx-'W'ww-e", "2020-W53-5"},  // 2021-01-01, a Friday
      {1546214400000, "xxxx-'W'ww-e", "2019-W01-1"},  // 2018-12-31, a Monday
      {1230508800000, "xx w", "09 1"},                // 2008-12-29
      {1262304000000, "x-w", "2009-53"},              // 2010-01-01
      {1483142400000, "x-w yyyy", "2016-52 2016"},    // 2016-12-31, a Saturday
      {kFriday, "C CC", "20 20"},
      {0, "C", "19"},
      {-62135596800001, "C G yyyy", "0 BC 0001"},  // 0000-12-31
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Format(c.pattern, c.ms), c.want) << c.pattern << " at " << c.ms;
  }
}

TEST(TimeFormatTest, EdgesOfTheCalendar) {
  EXPECT_EQ(Format("yyyy-MM-dd HH:mm:ss.SSS", 0), "1970-01-01 00:00:00.000");
  EXPECT_EQ(Format("yyyy-MM-dd HH:mm:ss.SSS", -1), "1969-12-31 23:59:59.999");
  EXPECT_EQ(Format("yyyy-MM-dd E D", 951782400000), "2000-02-29 Tue 60");  // leap day
  EXPECT_EQ(Format("yyyy-MM-dd E D", 978220800000), "2000-12-31 Sun 366");
  EXPECT_EQ(Format("yyyy-MM-dd", 4102444800000), "2100-01-01");
}

TEST(TimeFormatTest, FixedOffsets) {
  EXPECT_EQ(Format("HH:mm Z", kFriday, "+05:30"), "22:49 +0530");
  EXPECT_EQ(Format("yyyy-MM-dd HH:mm ZZ", kFriday, "-0800"), "2017-06-09 09:19 -08:00");
  EXPECT_EQ(Format("HH z", kFriday, "UTC+01:00"), "18 +01:00");
  EXPECT_EQ(Format("HH", kFriday, "GMT-3"), "14");
}

TEST(TimeFormatTest, IanaZones) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Paris")) {
    GTEST_SKIP() << "no tzdata on this machine (apt-get install tzdata)";
  }
  EXPECT_EQ(Format("yyyy-MM-dd HH:mm z Z", kFriday, "Europe/Paris"),
            "2017-06-09 19:19 CEST +0200");
  EXPECT_EQ(Format("HH:mm z", 1485000000000, "Europe/Paris"), "13:00 CET");  // January
  EXPECT_EQ(Format("HH:mm z ZZZ", kFriday, "America/New_York"), "13:19 EDT America/New_York");
  EXPECT_EQ(Format("yyyy.MM.dd G 'at' HH:mm:ss z", 100000000, "America/Belize"),
            "1970.01.01 AD at 21:46:40 CST");
}

// zzzz is the zone's long name, as Joda writes it (CLDR's, through ICU): standard or
// daylight by the instant, the offset for a fixed zone.
TEST(TimeFormatTest, LongZoneNames) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/America/Los_Angeles")) {
    GTEST_SKIP() << "no tzdata on this machine (apt-get install tzdata)";
  }
  EXPECT_EQ(Format("HH:mm zzzz", 1485000000000, "America/Los_Angeles"),
            "04:00 Pacific Standard Time");  // January
  EXPECT_EQ(Format("HH:mm zzzz", kFriday, "America/Los_Angeles"),
            "10:19 Pacific Daylight Time");  // June
  EXPECT_EQ(Format("zzzz", kFriday, "Europe/Paris"), "Central European Summer Time");
  EXPECT_EQ(Format("zzzz", kFriday, "Asia/Kolkata"), "India Standard Time");
  EXPECT_EQ(Format("zzzz z", kFriday), "Coordinated Universal Time UTC");
  EXPECT_EQ(Format("zzzzz", kFriday, "Europe/London"), "British Summer Time");
  EXPECT_EQ(Format("zzzz", kFriday, "+05:30"), "+05:30");
  EXPECT_EQ(Format("zzzz", kFriday, "-0800"), "-08:00");
  EXPECT_EQ(Format("zzz", kFriday, "America/New_York"), "EDT");
}

TEST(TimeFormatTest, Errors) {
  EXPECT_EQ(Format("yyyy", 0, "Nowhere/Special"),
            "ERROR unknown time zone 'Nowhere/Special' (use UTC, an offset like +05:30, or an "
            "IANA name like Europe/Paris)");
  EXPECT_EQ(Format("yyyy", 0, "../../etc/passwd"),
            "ERROR invalid time zone name '../../etc/passwd'");
  EXPECT_EQ(Format("yyyy-'T", 0), "ERROR unterminated quote at position 6 of the time pattern");
  EXPECT_EQ(Format("yyyy-qq", 0),
            "ERROR unsupported letter 'q' at position 6 of the time pattern (quote literal text: "
            "'T')");
}

}  // namespace
}  // namespace tributary::expr
