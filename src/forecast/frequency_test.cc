#include "forecast/frequency.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tributary::forecast {
namespace {

bool Has(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

TEST(FrequencyTest, ParsesSageMakerSpellings) {
  EXPECT_EQ(ParseFrequency("5min")->unit, FreqUnit::kMinute);
  EXPECT_EQ(ParseFrequency("5min")->multiple, 5);
  EXPECT_EQ(ParseFrequency("H")->unit, FreqUnit::kHour);
  EXPECT_EQ(ParseFrequency("2D")->multiple, 2);
  EXPECT_EQ(ParseFrequency("W")->unit, FreqUnit::kWeek);
  EXPECT_EQ(ParseFrequency("M")->unit, FreqUnit::kMonth);
  EXPECT_EQ(ParseFrequency("30min")->ToString(), "30min");
  EXPECT_EQ(ParseFrequency("1H")->ToString(), "H");
  for (const char* bad : {"", "5", "h", "0H", "5sec", "-1D", "Hmin"}) {
    auto f = ParseFrequency(bad);
    EXPECT_FALSE(f.ok()) << bad;
  }
  EXPECT_NE(ParseFrequency("5sec").status().message().find("5sec"), std::string::npos);
}

TEST(FrequencyTest, TimestampsRoundTripAndStep) {
  auto t = ParseTimestamp("2021-02-05 13:45:10");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatTimestamp(*t), "2021-02-05 13:45:10");
  EXPECT_EQ(*ParseTimestamp("1970-01-02"), 86400);
  EXPECT_FALSE(ParseTimestamp("2021-02-30 00:00:00").ok());
  EXPECT_FALSE(ParseTimestamp("2021-02-05 25:00:00").ok());
  EXPECT_FALSE(ParseTimestamp("2021-02-05 00:00:00+01:00").ok());
  EXPECT_FALSE(ParseTimestamp("yesterday").ok());
  Frequency h{FreqUnit::kHour, 1}, m{FreqUnit::kMonth, 1}, five{FreqUnit::kMinute, 5};
  EXPECT_EQ(FormatTimestamp(AddSteps(*t, h, 11)), "2021-02-06 00:45:10");
  EXPECT_EQ(FormatTimestamp(AddSteps(*t, five, -3)), "2021-02-05 13:30:10");
  auto jan31 = *ParseTimestamp("2021-01-31 00:00:00");
  EXPECT_EQ(FormatTimestamp(AddSteps(jan31, m, 1)), "2021-02-28 00:00:00");
  EXPECT_EQ(FormatTimestamp(AddSteps(jan31, m, 13)), "2022-02-28 00:00:00");
  EXPECT_EQ(FormatTimestamp(AddSteps(jan31, m, -2)), "2020-11-30 00:00:00");
}

TEST(FrequencyTest, LagsFollowTheSeasonality) {
  auto hourly = LagsFor({FreqUnit::kHour, 1});
  for (int l : {1, 2, 7, 24, 48, 72, 168}) EXPECT_TRUE(Has(hourly, l)) << l;
  auto two_hourly = LagsFor({FreqUnit::kHour, 2});
  for (int l : {12, 24, 36, 84}) EXPECT_TRUE(Has(two_hourly, l)) << l;
  EXPECT_FALSE(Has(two_hourly, 168));
  auto daily = LagsFor({FreqUnit::kDay, 1});
  for (int l : {1, 7, 14, 21, 28, 365}) EXPECT_TRUE(Has(daily, l)) << l;
  auto five_min = LagsFor({FreqUnit::kMinute, 5});
  for (int l : {1, 12, 288, 2016}) EXPECT_TRUE(Has(five_min, l)) << l;  // 1h, 1 day, 1 week
  auto monthly = LagsFor({FreqUnit::kMonth, 1});
  EXPECT_TRUE(Has(monthly, 12));
  auto weekly = LagsFor({FreqUnit::kWeek, 1});
  EXPECT_TRUE(Has(weekly, 52));
  for (const auto& v : {hourly, daily, five_min, monthly, weekly}) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    EXPECT_GE(v.front(), 1);
  }
}

TEST(FrequencyTest, TimeFeaturesPerFrequencyAndRange) {
  EXPECT_EQ(TimeFeaturesFor({FreqUnit::kHour, 1}).front(), TimeFeature::kHourOfDay);
  EXPECT_EQ(TimeFeaturesFor({FreqUnit::kMinute, 5}).front(), TimeFeature::kMinuteOfHour);
  EXPECT_EQ(TimeFeaturesFor({FreqUnit::kMonth, 1}).size(), 1u);
  // 2021-02-01 was a Monday.
  int64_t mon = *ParseTimestamp("2021-02-01 00:00:00");
  EXPECT_FLOAT_EQ(TimeFeatureValue(TimeFeature::kHourOfDay, mon), -0.5f);
  EXPECT_FLOAT_EQ(TimeFeatureValue(TimeFeature::kHourOfDay, mon + 23 * 3600), 0.5f);
  EXPECT_FLOAT_EQ(TimeFeatureValue(TimeFeature::kDayOfWeek, mon), -0.5f);
  EXPECT_FLOAT_EQ(TimeFeatureValue(TimeFeature::kDayOfWeek, mon + 6 * 86400), 0.5f);
  EXPECT_FLOAT_EQ(TimeFeatureValue(TimeFeature::kMonthOfYear, mon), 1.0f / 11 - 0.5f);
  EXPECT_FLOAT_EQ(TimeFeatureValue(TimeFeature::kDayOfMonth, mon), -0.5f);
  EXPECT_FLOAT_EQ(TimeFeatureValue(TimeFeature::kDayOfYear, *ParseTimestamp("2021-01-01")), -0.5f);
  for (int64_t s = mon; s < mon + 400 * 86400; s += 3 * 3600 + 7 * 60) {
    for (TimeFeature f : TimeFeaturesFor({FreqUnit::kMinute, 1})) {
      float v = TimeFeatureValue(f, s);
      ASSERT_GE(v, -0.5f);
      ASSERT_LE(v, 0.5f);
    }
  }
  EXPECT_EQ(*ParseTimeFeature(TimeFeatureName(TimeFeature::kWeekOfYear)), TimeFeature::kWeekOfYear);
}

}  // namespace
TEST(FrequencyTest, FloorsToPeriodStartsAndCountsSteps) {
  auto ts = [](const char* t) { return *ParseTimestamp(t); };
  auto floor = [&](const char* t, const char* f) { return FormatTimestamp(FloorToPeriod(ts(t), *ParseFrequency(f))); };
  EXPECT_EQ(floor("2026-03-04 10:07:30", "5min"), "2026-03-04 10:05:00");
  EXPECT_EQ(floor("2026-03-04 10:59:59", "H"), "2026-03-04 10:00:00");
  EXPECT_EQ(floor("2026-03-04 03:59:00", "2H"), "2026-03-04 02:00:00");
  EXPECT_EQ(floor("2026-03-04 23:59:59", "D"), "2026-03-04 00:00:00");
  EXPECT_EQ(floor("2026-03-08 12:00:00", "W"), "2026-03-02 00:00:00");  // a Sunday -> its Monday
  EXPECT_EQ(floor("2026-03-02 00:00:00", "W"), "2026-03-02 00:00:00");
  EXPECT_EQ(floor("1969-12-31 23:00:00", "W"), "1969-12-29 00:00:00");
  EXPECT_EQ(floor("2026-03-31 23:00:00", "M"), "2026-03-01 00:00:00");
  EXPECT_EQ(floor("1969-12-31 23:00:00", "H"), "1969-12-31 23:00:00");

  Frequency h = *ParseFrequency("H"), m = *ParseFrequency("M"), w = *ParseFrequency("W"), five = *ParseFrequency("5min");
  EXPECT_EQ(StepsBetween(ts("2026-03-04 00:00:00"), ts("2026-03-05 02:00:00"), h), 26);
  EXPECT_EQ(StepsBetween(ts("2026-03-05 02:00:00"), ts("2026-03-04 00:00:00"), h), -26);
  EXPECT_EQ(StepsBetween(ts("2025-11-01"), ts("2026-03-01"), m), 4);
  EXPECT_EQ(StepsBetween(ts("2026-03-02"), ts("2026-03-16"), w), 2);
  EXPECT_EQ(StepsBetween(ts("2026-03-04 10:00:00"), ts("2026-03-04 10:25:00"), five), 5);
  for (const char* f : {"5min", "H", "2H", "D", "W", "M", "3M"}) {
    Frequency freq = *ParseFrequency(f);
    int64_t start = FloorToPeriod(ts("2026-01-31 13:17:00"), freq);
    for (int64_t k : {0, 1, 7, 30}) {
      int64_t later = AddSteps(start, freq, k);
      EXPECT_EQ(FloorToPeriod(later, freq), later) << f << " " << k;
      EXPECT_EQ(StepsBetween(start, later, freq), k) << f << " " << k;
    }
  }
}

}  // namespace tributary::forecast
