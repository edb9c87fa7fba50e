#include "forecast/series_builder.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tributary::forecast {
namespace {

int64_t T(const char* text) { return *ParseTimestamp(text); }

SeriesBuildOptions Options(const char* freq, Aggregation agg, int64_t prediction_length) {
  SeriesBuildOptions o;
  o.freq = *ParseFrequency(freq);
  o.agg = agg;
  o.prediction_length = prediction_length;
  return o;
}

// "1 NaN 2.5" for comparisons that see NaN.
std::string Text(const std::vector<float>& v) {
  std::string out;
  for (float x : v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(x));
    out += (out.empty() ? "" : " ") + std::string(std::isnan(x) ? "NaN" : buf);
  }
  return out;
}

BuiltChannels Build(SeriesBuilder& b) {
  auto r = b.Finish();
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : BuiltChannels{};
}

TEST(SeriesBuilderTest, OneSeriesPerGroupWithGapsAsNaNAndATimeSplit) {
  auto b = *SeriesBuilder::Create(Options("H", Aggregation::kMean, 2));
  b.Add("d1", T("2026-03-01 00:10:00"), 1, {});
  b.Add("d1", T("2026-03-01 00:50:00"), 3, {});  // same hour: mean 2
  b.Add("d1", T("2026-03-01 02:00:00"), 5, {});  // 01:00 is a gap
  b.Add("d1", T("2026-03-01 04:30:00"), 7, {});
  b.Add("d2", T("2026-03-01 01:00:00"), 10, {});
  b.Add("d2", T("2026-03-01 02:00:00"), NAN, {});  // a row without a target value
  BuiltChannels c = Build(b);
  ASSERT_EQ(c.series.size(), 2u);
  EXPECT_EQ(FormatTimestamp(c.end), "2026-03-01 04:00:00");
  EXPECT_EQ(FormatTimestamp(c.split), "2026-03-01 03:00:00");
  const BuiltSeries& d1 = c.series[0];
  EXPECT_EQ(d1.group, "d1");
  EXPECT_EQ(FormatTimestamp(d1.start), "2026-03-01 00:00:00");
  EXPECT_EQ(d1.train_length, 3);
  EXPECT_EQ(Text(d1.target), "2 NaN 5 NaN 7");  // train: the first 3; test: all 5
  EXPECT_EQ(d1.points, 4);
  const BuiltSeries& d2 = c.series[1];
  EXPECT_EQ(FormatTimestamp(d2.start), "2026-03-01 01:00:00");
  EXPECT_EQ(d2.train_length, 2);
  EXPECT_EQ(Text(d2.target), "10 NaN NaN NaN");  // runs to the common end
  EXPECT_EQ(c.train_values, 5);
  EXPECT_EQ(c.train_nan, 2);
  EXPECT_EQ(c.test_values, 9);
  EXPECT_EQ(c.test_nan, 5);
}

TEST(SeriesBuilderTest, EachAggregationOverUnsortedPointsAndDuplicateTimestamps) {
  struct Case {
    Aggregation agg;
    const char* expected;
  } cases[] = {
      {Aggregation::kMean, "2 4"},
      {Aggregation::kSum, "6 12"},
      {Aggregation::kMax, "4 5"},
      {Aggregation::kLast, "1 5"},  // latest time wins; on a tie the later added
  };
  for (const Case& k : cases) {
    auto b = *SeriesBuilder::Create(Options("D", k.agg, 1));
    b.Add("d", T("2026-03-01 23:00:00"), 4, {});
    b.Add("d", T("2026-03-02 10:00:00"), 3, {});
    b.Add("d", T("2026-03-01 01:00:00"), 1, {});
    b.Add("d", T("2026-03-02 12:00:00"), 4, {});  // day 2 noon, twice
    b.Add("d", T("2026-03-01 23:00:00"), 1, {});  // the same instant as the 4
    b.Add("d", T("2026-03-02 12:00:00"), 5, {});
    BuiltChannels c = Build(b);
    ASSERT_EQ(c.series.size(), 1u);
    EXPECT_EQ(Text(c.series[0].target), k.expected) << AggregationName(k.agg);
  }
  EXPECT_FALSE(ParseAggregation("median").ok());
  EXPECT_EQ(*ParseAggregation("last"), Aggregation::kLast);
}

TEST(SeriesBuilderTest, FrequenciesPutPointsOnTheirGrid) {
  struct Case {
    const char* freq;
    std::vector<const char*> times;
    const char* start;
    const char* target;
  } cases[] = {
      {"5min", {"2026-03-01 10:01:00", "2026-03-01 10:04:59", "2026-03-01 10:16:00"}, "2026-03-01 10:00:00", "2 NaN NaN 3"},
      {"H", {"2026-03-01 10:01:00", "2026-03-01 10:59:00", "2026-03-01 12:00:00"}, "2026-03-01 10:00:00", "2 NaN 3"},
      {"D", {"2026-03-01 00:00:00", "2026-03-01 23:59:59", "2026-03-03 05:00:00"}, "2026-03-01 00:00:00", "2 NaN 3"},
      {"W", {"2026-03-02 00:00:00", "2026-03-08 23:00:00", "2026-03-16 09:00:00"}, "2026-03-02 00:00:00", "2 NaN 3"},
      {"M", {"2026-01-01 00:00:00", "2026-01-31 23:00:00", "2026-03-15 00:00:00"}, "2026-01-01 00:00:00", "2 NaN 3"},
  };
  for (const Case& k : cases) {
    auto b = *SeriesBuilder::Create(Options(k.freq, Aggregation::kMean, 1));
    const double values[] = {1, 3, 3};  // the first two share a period: mean 2
    for (size_t i = 0; i < k.times.size(); ++i) b.Add("d", T(k.times[i]), values[i], {});
    BuiltChannels c = Build(b);
    ASSERT_EQ(c.series.size(), 1u) << k.freq;
    EXPECT_EQ(FormatTimestamp(c.series[0].start), k.start) << k.freq;
    EXPECT_EQ(Text(c.series[0].target), k.target) << k.freq;
    EXPECT_EQ(c.series[0].train_length, static_cast<int64_t>(c.series[0].target.size()) - 1) << k.freq;
  }
}

TEST(SeriesBuilderTest, StartAndEndBoundTheRangeAndTheEndFixesTheTestWindow) {
  auto o = Options("H", Aggregation::kMean, 2);
  o.start = T("2026-03-01 01:00:00");
  o.end = T("2026-03-01 06:00:00");
  auto b = *SeriesBuilder::Create(o);
  b.Add("d", T("2026-03-01 00:30:00"), 100, {});  // before start
  b.Add("d", T("2026-03-01 01:00:00"), 1, {});
  b.Add("d", T("2026-03-01 03:00:00"), 3, {});
  b.Add("d", T("2026-03-01 06:00:00"), 100, {});  // at the end: out
  BuiltChannels c = Build(b);
  EXPECT_EQ(c.points_out_of_range, 2);
  EXPECT_EQ(FormatTimestamp(c.end), "2026-03-01 05:00:00");  // the last hour before the end, empty
  EXPECT_EQ(FormatTimestamp(c.split), "2026-03-01 04:00:00");
  EXPECT_EQ(Text(c.series[0].target), "1 NaN 3 NaN NaN");

  o.start = o.end;
  EXPECT_FALSE(SeriesBuilder::Create(o).ok());
  o = Options("H", Aggregation::kMean, 0);
  EXPECT_FALSE(SeriesBuilder::Create(o).ok());
}

TEST(SeriesBuilderTest, GroupsWithTooFewTrainingValuesAreSkippedAndListed) {
  auto o = Options("H", Aggregation::kMean, 1);
  o.min_train_points = 2;
  auto b = *SeriesBuilder::Create(o);
  for (int h = 0; h < 4; ++h) b.Add("long", T("2026-03-01 00:00:00") + h * 3600, h, {});
  b.Add("short", T("2026-03-01 01:00:00"), 1, {});               // one training value
  b.Add("late", T("2026-03-01 03:00:00"), 1, {});                // only in the test window
  BuiltChannels c = Build(b);
  ASSERT_EQ(c.series.size(), 1u);
  EXPECT_EQ(c.series[0].group, "long");
  EXPECT_EQ(c.skipped, (std::vector<std::string>{"late", "short"}));

  auto only_late = *SeriesBuilder::Create(Options("H", Aggregation::kMean, 3));
  only_late.Add("d", T("2026-03-01 03:00:00"), 1, {});
  auto r = only_late.Finish();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("every group was skipped"), std::string::npos) << r.status().ToString();
  auto empty = *SeriesBuilder::Create(Options("H", Aggregation::kMean, 1));
  empty.Add("d", T("2026-03-01 03:00:00"), NAN, {});
  EXPECT_NE(empty.Finish().status().message().find("no row in the time range has a target value"), std::string::npos);
}

TEST(SeriesBuilderTest, DynamicFeaturesUseTheAggregationAndAreFilledForward) {
  auto o = Options("H", Aggregation::kMax, 1);
  o.dynamic_feat = {"humidity", "temp"};
  auto b = *SeriesBuilder::Create(o);
  b.Add("d", T("2026-03-01 00:00:00"), 1, {NAN, 20});
  b.Add("d", T("2026-03-01 00:30:00"), 2, {50, 22});
  b.Add("d", T("2026-03-01 02:00:00"), 3, {NAN, NAN});
  b.Add("d", T("2026-03-01 03:00:00"), 4, {70, 23});
  BuiltChannels c = Build(b);
  ASSERT_EQ(c.series[0].dynamic_feat.size(), 2u);
  EXPECT_EQ(Text(c.series[0].target), "2 NaN 3 4");
  EXPECT_EQ(Text(c.series[0].dynamic_feat[0]), "50 50 50 70");
  EXPECT_EQ(Text(c.series[0].dynamic_feat[1]), "22 22 22 23");

  auto none = *SeriesBuilder::Create(o);
  none.Add("d", T("2026-03-01 00:00:00"), 1, {NAN, 1});
  none.Add("d", T("2026-03-01 01:00:00"), 1, {NAN, 1});
  auto r = none.Finish();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("group 'd' has no value for dynamic feature 'humidity'"), std::string::npos)
      << r.status().ToString();
}

}  // namespace
}  // namespace tributary::forecast
