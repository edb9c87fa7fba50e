#include "base/time_zone.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "base/files.h"
#include "base/testing/temp_dir.h"

namespace tributary {
namespace {

// A few instants (Unix seconds, UTC).
constexpr int64_t kJan15_2026Noon = 1768478400;  // 2026-01-15T12:00:00Z
constexpr int64_t kUsSpring2026 = 1772953200;    // 2026-03-08T07:00:00Z, 02:00 EST
constexpr int64_t kUsFall2026 = 1793512800;      // 2026-11-01T06:00:00Z, 02:00 EDT
constexpr int64_t kUsSpring2040 = 2215062000;    // 2040-03-11T07:00:00Z
constexpr int64_t kUsFall2040 = 2235621600;      // 2040-11-04T06:00:00Z
constexpr int64_t kAuAutumn2026 = 1775318400;    // 2026-04-04T16:00:00Z, 03:00 AEDT
constexpr int64_t kAuSpring2026 = 1791043200;    // 2026-10-03T16:00:00Z, 02:00 AEST
constexpr int64_t kAuAutumn2040 = 2216822400;    // 2040-03-31T16:00:00Z
constexpr int64_t kAuSpring2040 = 2233152000;    // 2040-10-06T16:00:00Z
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;
constexpr int64_t k400Years = 146097 * kDay;

PosixTimeZone MustParse(std::string_view text) {
  auto zone = PosixTimeZone::Parse(text);
  EXPECT_TRUE(zone.ok()) << text << ": " << zone.status().ToString();
  return zone.ok() ? *zone : PosixTimeZone();
}

// "EST -18000" for a period, to compare periods in one go.
std::string Describe(const TimeZone::Period& p) {
  return p.abbreviation + " " + std::to_string(p.utc_offset_seconds) + (p.is_dst ? " dst" : "");
}

TEST(PosixTimeZoneTest, ParsesTheNamesOffsetsAndRules) {
  struct Case {
    const char* text;
    const char* std_name;
    int32_t std_offset;
    const char* dst_name;  // nullptr: no DST
    int32_t dst_offset;
    std::string start, end;  // "M3.2.0/7200", "J60/0", "59/7200"
  };
  auto date = [](const PosixTimeZone::Date& d) {
    std::string time = "/" + std::to_string(d.time_seconds);
    switch (d.kind) {
      case PosixTimeZone::Date::kMonthWeekDay:
        return "M" + std::to_string(d.month) + "." + std::to_string(d.week) + "." +
               std::to_string(d.weekday) + time;
      case PosixTimeZone::Date::kJulianNoLeap:
        return "J" + std::to_string(d.day) + time;
      case PosixTimeZone::Date::kDayOfYear:
        return std::to_string(d.day) + time;
    }
    return std::string("?");
  };
  const Case cases[] = {
      {"EST5EDT,M3.2.0,M11.1.0", "EST", -5 * 3600, "EDT", -4 * 3600, "M3.2.0/7200", "M11.1.0/7200"},
      {"<+0330>-3:30", "+0330", 12600, nullptr, 0, "", ""},
      {"<-03>3", "-03", -3 * 3600, nullptr, 0, "", ""},
      {"IST-2IDT,M3.4.4/26,M10.5.0", "IST", 7200, "IDT", 10800, "M3.4.4/93600", "M10.5.0/7200"},
      {"EST5EDT,0/0,J365/25", "EST", -18000, "EDT", -14400, "0/0", "J365/90000"},
      {"AEST-10AEDT,M10.1.0,M4.1.0/3", "AEST", 36000, "AEDT", 39600, "M10.1.0/7200",
       "M4.1.0/10800"},
      // Greenland: negative rule times (RFC 8536's extension).
      {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "-02", -7200, "-01", -3600, "M3.5.0/-3600", "M10.5.0/0"},
      // An explicit DST offset (Lord Howe's half hour), seconds, signs and 167 hours.
      {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "+1030", 37800, "+11", 39600, "M10.1.0/7200",
       "M4.1.0/7200"},
      {"XST+4:05:06XDT+3,J60/167,J300/-167:59:59", "XST", -(4 * 3600 + 5 * 60 + 6), "XDT", -10800,
       "J60/601200", "J300/-604799"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto zone = PosixTimeZone::Parse(c.text);
    ASSERT_TRUE(zone.ok()) << zone.status().ToString();
    EXPECT_EQ(zone->standard().abbreviation, c.std_name);
    EXPECT_EQ(zone->standard().utc_offset_seconds, c.std_offset);
    EXPECT_FALSE(zone->standard().is_dst);
    EXPECT_EQ(zone->has_dst(), c.dst_name != nullptr);
    if (c.dst_name == nullptr) continue;
    EXPECT_EQ(zone->daylight().abbreviation, c.dst_name);
    EXPECT_EQ(zone->daylight().utc_offset_seconds, c.dst_offset);
    EXPECT_TRUE(zone->daylight().is_dst);
    EXPECT_EQ(date(zone->dst_start()), c.start);
    EXPECT_EQ(date(zone->dst_end()), c.end);
  }
}

TEST(PosixTimeZoneTest, MalformedStringsSayWhatAndWhere) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"", "expected the standard time name (letters, or <...>) at the end"},
      {"5EST",
       "unexpected '5' (expected the standard time name (letters, or <...>)) at position 1"},
      {"EST", "expected the standard time offset ([+|-]hh[:mm[:ss]]) at the end"},
      {"EST25", "hours 25 of the standard time offset are more than 24 at position 4"},
      {"EST5:60", "minutes 60 of the standard time offset are not 00-59 at position 6"},
      {"EST5:00:075", "seconds 75 of the standard time offset are not 00-59 at position 9"},
      {"EST5:", "expected minutes of the standard time offset at the end"},
      {"<+0330", "unterminated '<' of the standard time name at position 1"},
      {"<+03:30>-3:30",
       "unexpected ':' (expected letters, digits, '+', '-' or '>' in the standard time name) at "
       "position 5"},
      {"<>5", "empty standard time name at position 1"},
      {"EST5EDT",
       "expected ',' and the rule of when daylight saving time starts and ends at the end"},
      {"EST5,M3.2.0,M11.1.0",
       "unexpected ',' (expected the daylight saving time name (letters, or <...>)) at position 5"},
      {"EST5EDT25,M3.2.0,M11.1.0",
       "hours 25 of the daylight saving time offset are more than 24 at position 8"},
      {"EST5EDT,M13.2.0,M11.1.0", "month 13 is not 1-12 at position 10"},
      {"EST5EDT,M0.2.0,M11.1.0", "month 0 is not 1-12 at position 10"},
      {"EST5EDT,M3.6.0,M11.1.0", "week 6 is not 1-5 at position 12"},
      {"EST5EDT,M3.2.7,M11.1.0", "weekday 7 is not 0-6 at position 14"},
      {"EST5EDT,M3.2,M11.1.0",
       "unexpected ',' (expected '.' after the week of the start of daylight saving time) at "
       "position 13"},
      {"EST5EDT,M3.2.0", "expected ',' and the end of daylight saving time at the end"},
      {"EST5EDT,M3.2.0,", "expected the end of daylight saving time (Mm.w.d, Jn or n) at the end"},
      {"EST5EDT,X3.2.0,M11.1.0",
       "unexpected 'X' (expected the start of daylight saving time (Mm.w.d, Jn or n)) at "
       "position 9"},
      {"EST5EDT,J0,J365", "day 0 is not 1-365 at position 10"},
      {"EST5EDT,0,366", "day 366 is not 0-365 at position 11"},
      {"EST5EDT,M3.2.0/168,M11.1.0",
       "hours 168 of the time of the start of daylight saving time are more than 167 at position "
       "16"},
      {"EST5EDT,M3.2.0/2,M11.1.0/",
       "expected the time of the end of daylight saving time "
       "([+|-]hh[:mm[:ss]]) at the end"},
      {"EST5EDT,M3.2.0,M11.1.0x", "unexpected 'x' (expected the end of the rule) at position 23"},
      {"EST5EDT,M3.2.0,M11.1.0,", "unexpected ',' (expected the end of the rule) at position 23"},
  };
  for (const Case& c : cases) {
    auto zone = PosixTimeZone::Parse(c.text);
    ASSERT_FALSE(zone.ok()) << c.text;
    EXPECT_EQ(zone.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(zone.status().message(),
              std::string(c.error) + " of the TZ string \"" + c.text + "\"");
  }
}

TEST(PosixTimeZoneTest, NorthernRule) {
  PosixTimeZone ny = MustParse("EST5EDT,M3.2.0,M11.1.0");
  EXPECT_FALSE(ny.dst_all_year());
  int64_t start = 0, end = 0;
  ny.DstChanges(2026, &start, &end);
  EXPECT_EQ(start, kUsSpring2026);
  EXPECT_EQ(end, kUsFall2026);
  ny.DstChanges(2040, &start, &end);
  EXPECT_EQ(start, kUsSpring2040);
  EXPECT_EQ(end, kUsFall2040);
  EXPECT_EQ(Describe(ny.PeriodAt(kJan15_2026Noon)), "EST -18000");
  EXPECT_EQ(Describe(ny.PeriodAt(kUsSpring2026 - 1)), "EST -18000");
  EXPECT_EQ(Describe(ny.PeriodAt(kUsSpring2026)), "EDT -14400 dst");
  EXPECT_EQ(Describe(ny.PeriodAt(kUsFall2026 - 1)), "EDT -14400 dst");
  EXPECT_EQ(Describe(ny.PeriodAt(kUsFall2026)), "EST -18000");
  // Far off, both ways: the calendar repeats every 400 years.
  for (int64_t t : {kUsSpring2026 - 1, kUsSpring2026, kUsFall2026 - 1, kUsFall2026}) {
    for (int64_t cycles : {-30, -5, -1, 1, 20}) {
      EXPECT_EQ(Describe(ny.PeriodAt(t + cycles * k400Years)), Describe(ny.PeriodAt(t)))
          << t << " " << cycles;
    }
  }
}

TEST(PosixTimeZoneTest, IsraelsThursdayAt26IsFridayAt2) {
  PosixTimeZone il = MustParse("IST-2IDT,M3.4.4/26,M10.5.0");
  int64_t start = 0, end = 0;
  il.DstChanges(2026, &start, &end);
  EXPECT_EQ(start, 1774569600);  // 2026-03-27T00:00:00Z, Friday 02:00 IST
  EXPECT_EQ(end, 1792882800);    // 2026-10-24T23:00:00Z, Sunday 02:00 IDT
  EXPECT_EQ(Describe(il.PeriodAt(start - 1)), "IST 7200");
  EXPECT_EQ(Describe(il.PeriodAt(start)), "IDT 10800 dst");
  EXPECT_EQ(Describe(il.PeriodAt(end - 1)), "IDT 10800 dst");
  EXPECT_EQ(Describe(il.PeriodAt(end)), "IST 7200");
}

TEST(PosixTimeZoneTest, SouthernRuleHasDstAcrossTheNewYear) {
  PosixTimeZone au = MustParse("AEST-10AEDT,M10.1.0,M4.1.0/3");
  int64_t start = 0, end = 0;
  au.DstChanges(2026, &start, &end);
  EXPECT_EQ(start, kAuSpring2026);
  EXPECT_EQ(end, kAuAutumn2026);
  EXPECT_EQ(Describe(au.PeriodAt(kJan15_2026Noon)), "AEDT 39600 dst");
  EXPECT_EQ(Describe(au.PeriodAt(kAuAutumn2026 - 1)), "AEDT 39600 dst");
  EXPECT_EQ(Describe(au.PeriodAt(kAuAutumn2026)), "AEST 36000");
  EXPECT_EQ(Describe(au.PeriodAt(kAuSpring2026 - 1)), "AEST 36000");
  EXPECT_EQ(Describe(au.PeriodAt(kAuSpring2026)), "AEDT 39600 dst");
  EXPECT_EQ(Describe(au.PeriodAt(1798761600)), "AEDT 39600 dst");  // 2027-01-01T00:00:00Z
}

TEST(PosixTimeZoneTest, AllYearDst) {
  PosixTimeZone all = MustParse("EST5EDT,0/0,J365/25");
  EXPECT_TRUE(all.dst_all_year());
  // Around the new year (of a common and of a leap year), and mid-year.
  for (int64_t t : {int64_t{1767243600}, int64_t{1735707600}, int64_t{1704085200}, kJan15_2026Noon,
                    kUsSpring2026, kUsFall2026 + 90 * kDay}) {
    for (int64_t d : {-kHour, int64_t{-1}, int64_t{0}, int64_t{1}, kHour}) {
      EXPECT_EQ(Describe(all.PeriodAt(t + d)), "EDT -14400 dst") << t + d;
    }
  }
  // One hour short of all year: an hour of EST each new year (January 1, 04:00-05:00Z).
  PosixTimeZone almost = MustParse("EST5EDT,0/0,J365/24");
  EXPECT_FALSE(almost.dst_all_year());
  EXPECT_EQ(Describe(almost.PeriodAt(1767243600 - 3601)), "EDT -14400 dst");  // 03:59:59Z
  EXPECT_EQ(Describe(almost.PeriodAt(1767243600 - 3600)), "EST -18000");
  EXPECT_EQ(Describe(almost.PeriodAt(1767243600 - 1)), "EST -18000");
  EXPECT_EQ(Describe(almost.PeriodAt(1767243600)), "EDT -14400 dst");  // 2026-01-01T05:00Z
}

TEST(PosixTimeZoneTest, NoDstIsOnePeriod) {
  PosixTimeZone tehran = MustParse("<+0330>-3:30");
  for (int64_t t : {int64_t{-5'000'000'000'000}, int64_t{0}, kJan15_2026Noon, kUsSpring2040}) {
    EXPECT_EQ(Describe(tehran.PeriodAt(t)), "+0330 12600");
  }
}

// A TimeZone whose transitions end (or that has none) uses its rule: the table it keeps
// for the years to 2100 gives what computing gives, at and around every change.
TEST(TimeZoneTest, RuleAfterTheTransitionsMatchesTheComputedRule) {
  for (const char* text :
       {"EST5EDT,M3.2.0,M11.1.0", "AEST-10AEDT,M10.1.0,M4.1.0/3", "IST-2IDT,M3.4.4/26,M10.5.0",
        "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "EST5EDT,0/0,J365/24", "XST3XDT,J59/167,J60/-167"}) {
    SCOPED_TRACE(text);
    PosixTimeZone rule = MustParse(text);
    const TimeZone::Period& standard = rule.standard();
    // With no transitions, and with the last one in 2007 (standard time: it holds until
    // the rule's next change).
    TimeZone none("none", {}, {}, {standard}, rule);
    constexpr int64_t kLast = 1173596400;  // 2007-03-11T07:00:00Z
    TimeZone some("some", {kLast}, {0}, {standard}, rule);
    const int64_t next = rule.NextChange(kLast);
    EXPECT_GT(next, kLast);
    EXPECT_LT(next, kLast + 366 * kDay);
    for (int64_t year = 1960; year <= 2110; ++year) {
      int64_t start = 0, end = 0;
      rule.DstChanges(year, &start, &end);
      for (int64_t change : {start, end}) {
        for (int64_t t : {change - kDay, change - 1, change, change + 1}) {
          const std::string want = Describe(rule.PeriodAt(t));
          EXPECT_EQ(Describe(none.PeriodAt(t)), want) << t;
          if (t >= next) {
            EXPECT_EQ(Describe(some.PeriodAt(t)), want) << t;
          } else if (t > kLast) {
            EXPECT_EQ(Describe(some.PeriodAt(t)), Describe(standard)) << t;
          }
        }
      }
    }
  }
}

TEST(TimeZoneTest, TransitionsComeFirstUpToTheLastOne) {
  // Types a table might have that the rule does not: the table decides up to (and at)
  // its last transition.
  PosixTimeZone rule = MustParse("EST5EDT,M3.2.0,M11.1.0");
  TimeZone zone("z", {1000, 2000}, {1, 0}, {{-18000, false, "EST"}, {-10800, false, "XXX"}}, rule);
  EXPECT_EQ(Describe(zone.PeriodAt(999)), "EST -18000");
  EXPECT_EQ(Describe(zone.PeriodAt(1000)), "XXX -10800");
  EXPECT_EQ(Describe(zone.PeriodAt(2000)), "EST -18000");
  EXPECT_EQ(Describe(zone.PeriodAt(kUsSpring2026)), "EDT -14400 dst");
  // Without a rule, the last type stays (a version 1 file, an empty footer).
  TimeZone bare("z", {1000, 2000}, {1, 0}, {{-18000, false, "EST"}, {-10800, false, "XXX"}});
  EXPECT_EQ(Describe(bare.PeriodAt(kUsSpring2026)), "EST -18000");
}

TEST(TimeZoneTest, LastTransitionHoldsUntilTheRulesNextChange) {
  // America/Ojinaga's slim file: MDT until 2022-10-30T08:00Z, then CST without DST until
  // the US rule of its footer, whose CDT would last until 2022-11-06T07:00Z.
  constexpr int64_t kToCst = 1667116800, kRuleEndsCdt = 1667718000;
  constexpr int64_t kCdt2023 = 1678608000;  // 2023-03-12T08:00:00Z
  PosixTimeZone rule = MustParse("CST6CDT,M3.2.0,M11.1.0");
  EXPECT_EQ(rule.NextChange(kToCst), kRuleEndsCdt);
  EXPECT_EQ(rule.NextChange(kRuleEndsCdt - 1), kRuleEndsCdt);
  EXPECT_EQ(rule.NextChange(kRuleEndsCdt), kCdt2023);
  TimeZone zone("z", {1647162000, kToCst}, {1, 0}, {{-21600, false, "CST"}, {-21600, true, "MDT"}},
                rule);
  EXPECT_EQ(Describe(zone.PeriodAt(kToCst - 1)), "MDT -21600 dst");
  EXPECT_EQ(Describe(zone.PeriodAt(kToCst)), "CST -21600");
  EXPECT_EQ(Describe(zone.PeriodAt(kToCst + kHour)), "CST -21600");
  EXPECT_EQ(Describe(zone.PeriodAt(kRuleEndsCdt - 1)), "CST -21600");
  EXPECT_EQ(Describe(zone.PeriodAt(kRuleEndsCdt)), "CST -21600");
  EXPECT_EQ(Describe(zone.PeriodAt(kCdt2023 - 1)), "CST -21600");
  EXPECT_EQ(Describe(zone.PeriodAt(kCdt2023)), "CDT -18000 dst");
  // A rule that never changes leaves the last type (zic writes one that agrees with it).
  TimeZone fixed("z", {kToCst}, {0}, {{-21600, false, "CST"}}, MustParse("<-05>5"));
  EXPECT_EQ(Describe(fixed.PeriodAt(kCdt2023)), "CST -21600");
  // With no transitions, the rule decides everywhere.
  TimeZone none("z", {}, {}, {{-21600, false, "CST"}}, MustParse("<-05>5"));
  EXPECT_EQ(Describe(none.PeriodAt(kCdt2023)), "-05 -18000");
}

// --- TZif files made by zic ---

// zic is in libc-bin (Essential on Debian; scripts/install-deps lists it).
std::string FindZic() {
  for (const char* path : {"/usr/sbin/zic", "/usr/bin/zic", "/sbin/zic"}) {
    if (std::filesystem::exists(path)) return path;
  }
  return "";
}

// Runs `command`, returns its exit status, its output in *output.
int RunShell(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) output->append(buf, n);
  return pclose(pipe);
}

// Zones in zic's source format: the US's rules since 1990 (Eastern), Australia's since
// 2001 (Sydney), the US's with a change of zone a week before the end of DST (Ojinaga,
// as America/Ojinaga in 2022) and DST from 2000 on, all year (AllYear).
constexpr const char* kZoneSource = R"(
Rule	TestUS	1990	2006	-	Apr	Sun>=1	2:00	1:00	D
Rule	TestUS	1990	2006	-	Oct	lastSun	2:00	0	S
Rule	TestUS	2007	max	-	Mar	Sun>=8	2:00	1:00	D
Rule	TestUS	2007	max	-	Nov	Sun>=1	2:00	0	S
Zone	Test/Eastern	-5:00	TestUS	E%sT

Rule	TestAU	2001	2007	-	Oct	lastSun	2:00s	1:00	D
Rule	TestAU	2001	2005	-	Mar	lastSun	2:00s	0	S
Rule	TestAU	2006	only	-	Apr	Sun>=1	2:00s	0	S
Rule	TestAU	2007	only	-	Mar	lastSun	2:00s	0	S
Rule	TestAU	2008	max	-	Apr	Sun>=1	2:00s	0	S
Rule	TestAU	2008	max	-	Oct	Sun>=1	2:00s	1:00	D
Zone	Test/Sydney	10:00	TestAU	AE%sT

Zone	Test/Ojinaga	-7:00	TestUS	M%sT	2022 Oct 30 2:00
			-6:00	-	CST	2022 Nov 30 0:00
			-6:00	TestUS	C%sT

Rule	TestAll	2000	max	-	Jan	1	0:00	1:00	D
Rule	TestAll	2000	max	-	Dec	31	25:00	0	S
Zone	Test/AllYear	-5:00	TestAll	E%sT
)";

class ZicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string zic = FindZic();
    if (zic.empty()) {
      GTEST_SKIP() << "zic is not installed (Debian's libc-bin has it: scripts/install-deps); "
                      "the slim and fat TZif tests need it";
    }
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/zones.txt", kZoneSource).ok());
    for (const char* bloat : {"slim", "fat"}) {
      std::string output;
      int status = RunShell(zic + " -b " + bloat + " -d '" + dir_.path() + "/" + bloat + "' '" +
                                dir_.path() + "/zones.txt'",
                            &output);
      ASSERT_EQ(status, 0) << "zic -b " << bloat << ": " << output;
    }
  }

  std::string Tzif(const std::string& bloat, const std::string& zone) {
    auto data = ReadFile(dir_.path() + "/" + bloat + "/" + zone);
    EXPECT_TRUE(data.ok()) << data.status().ToString();
    return data.ok() ? *data : "";
  }

  std::shared_ptr<const TimeZone> Load(const std::string& bloat, const std::string& zone) {
    auto tz = TimeZone::FromTzif(zone, Tzif(bloat, zone));
    EXPECT_TRUE(tz.ok()) << bloat << " " << zone << ": " << tz.status().ToString();
    return tz.ok() ? *tz : TimeZone::Utc();
  }

  testing_support::TempDir dir_;
};

TEST_F(ZicTest, SlimFileUsesItsRuleAfterItsLastTransition) {
  auto slim = Load("slim", "Test/Eastern");
  // The reviewer's case: FormatTime(2026-01-15T12:00Z, "HH") in New York is 07, not 08.
  EXPECT_EQ(Describe(slim->PeriodAt(kJan15_2026Noon)), "EST -18000");
  // The slim file really stops in 2007: it ends with the rule, and is much smaller.
  const std::string data = Tzif("slim", "Test/Eastern");
  EXPECT_EQ(data.substr(data.size() - 24), "\nEST5EDT,M3.2.0,M11.1.0\n");
  EXPECT_LT(data.size() * 2, Tzif("fat", "Test/Eastern").size());
}

TEST_F(ZicTest, SlimAndFatFilesAgreeAroundEveryChange) {
  struct Check {
    int64_t at;
    const char* before;  // the period at at - 1
    const char* after;   // the period at at
  };
  struct Zone {
    const char* name;
    std::vector<Check> checks;
  };
  const Zone zones[] = {
      {"Test/Eastern",
       {{kUsSpring2026, "EST -18000", "EDT -14400 dst"},
        {kUsFall2026, "EDT -14400 dst", "EST -18000"},
        {kUsSpring2040, "EST -18000", "EDT -14400 dst"},
        {kUsFall2040, "EDT -14400 dst", "EST -18000"}}},
      {"Test/Sydney",
       {{kAuAutumn2026, "AEDT 39600 dst", "AEST 36000"},
        {kAuSpring2026, "AEST 36000", "AEDT 39600 dst"},
        {kAuAutumn2040, "AEDT 39600 dst", "AEST 36000"},
        {kAuSpring2040, "AEST 36000", "AEDT 39600 dst"}}},
      {"Test/Ojinaga",
       {{1667116800, "MDT -21600 dst", "CST -21600"},  // 2022-10-30T08:00:00Z
        {1667718000, "CST -21600", "CST -21600"},      // the rule's end of CDT
        {1678608000, "CST -21600", "CDT -18000 dst"},  // 2023-03-12T08:00:00Z
        {kUsSpring2026 + kHour, "CST -21600", "CDT -18000 dst"},
        {kUsFall2040 + kHour, "CDT -18000 dst", "CST -21600"}}},
      {"Test/AllYear",
       {{1767243600, "EDT -14400 dst", "EDT -14400 dst"},    // 2026-01-01T05:00:00Z
        {2208992400, "EDT -14400 dst", "EDT -14400 dst"}}},  // 2040-01-01T05:00:00Z
  };
  for (const Zone& z : zones) {
    SCOPED_TRACE(z.name);
    auto slim = Load("slim", z.name);
    auto fat = Load("fat", z.name);
    for (const Check& c : z.checks) {
      for (const auto& tz : {slim, fat}) {
        // The hours around the change, and the change itself.
        for (int64_t d = -2 * kHour; d < 0; d += kHour / 2) {
          EXPECT_EQ(Describe(tz->PeriodAt(c.at + d)), c.before) << c.at + d;
        }
        EXPECT_EQ(Describe(tz->PeriodAt(c.at - 1)), c.before) << c.at - 1;
        EXPECT_EQ(Describe(tz->PeriodAt(c.at)), c.after) << c.at;
        for (int64_t d = kHour / 2; d <= 2 * kHour; d += kHour / 2) {
          EXPECT_EQ(Describe(tz->PeriodAt(c.at + d)), c.after) << c.at + d;
        }
      }
    }
    // Every hour (and the second before it) of 2008-2045: the fat file's transitions
    // (to 2037) and the slim file's rule say the same, and both rules after 2037.
    int mismatches = 0;
    for (int64_t t = 1199145600; t < 2366841600 && mismatches < 5; t += kHour) {  // 2008-2045
      for (int64_t u : {t - 1, t}) {
        if (Describe(slim->PeriodAt(u)) != Describe(fat->PeriodAt(u))) {
          ++mismatches;
          ADD_FAILURE() << "at " << u << " slim says " << Describe(slim->PeriodAt(u))
                        << ", fat says " << Describe(fat->PeriodAt(u));
        }
      }
    }
  }
}

TEST_F(ZicTest, BadFootersAreErrorsThatSayWhatAndWhere) {
  const std::string data = Tzif("slim", "Test/Eastern");
  const std::string footer = "\nEST5EDT,M3.2.0,M11.1.0\n";
  ASSERT_EQ(data.substr(data.size() - footer.size()), footer);
  const std::string body = data.substr(0, data.size() - footer.size());

  auto bad = TimeZone::FromTzif("Test/Eastern", body + "\nEST5EDT,M3.2.0,M11.1.9\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kDataLoss);
  EXPECT_EQ(bad.status().message(),
            "time zone file for 'Test/Eastern' ends with a rule that does not parse: weekday 9 "
            "is not 0-6 at position 22 of the TZ string \"EST5EDT,M3.2.0,M11.1.9\"");

  for (const std::string& cut : {body, body + "\nEST5EDT,M3.2.0,M11.1.0", body + "EST5EDT\n"}) {
    auto missing = TimeZone::FromTzif("Test/Eastern", cut);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().message(),
              "time zone file for 'Test/Eastern' has no footer (the TZ string between newlines "
              "that ends TZif files of version 2 and later)");
  }

  // An empty footer: nothing known past the last transition, whose type stays.
  auto empty = TimeZone::FromTzif("Test/Eastern", body + "\n\n");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(Describe((*empty)->PeriodAt(kJan15_2026Noon)), "EDT -14400 dst");
}

// The system's zones, when it has them (Debian's tzdata files are fat; slim elsewhere).
TEST(TimeZoneTest, SystemNewYork) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/America/New_York")) {
    GTEST_SKIP() << "no tzdata on this machine (apt-get install tzdata)";
  }
  auto ny = TimeZone::Find("America/New_York");
  ASSERT_TRUE(ny.ok()) << ny.status().ToString();
  EXPECT_EQ(Describe((*ny)->PeriodAt(kJan15_2026Noon)), "EST -18000");
  EXPECT_EQ(Describe((*ny)->PeriodAt(kUsSpring2040)), "EDT -14400 dst");
  EXPECT_EQ(Describe((*ny)->PeriodAt(kUsFall2040)), "EST -18000");
}

}  // namespace
}  // namespace tributary
