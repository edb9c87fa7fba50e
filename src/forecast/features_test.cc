#include "forecast/features.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tributary::forecast {
namespace {

TEST(FeaturesTest, ScaleIsOnePlusMeanAbsoluteOfObservedContext) {
  float nan = std::nanf("");
  std::vector<float> z = {100, -2, nan, 4, 6};
  EXPECT_FLOAT_EQ(ComputeScale(z, 1, 4), 1 + 3.0f);    // |-2|, |4| observed
  EXPECT_FLOAT_EQ(ComputeScale(z, -5, 1), 1 + 100.0f);  // padding ignored
  EXPECT_FLOAT_EQ(ComputeScale({nan, nan}, 0, 2), 1.0f);
  EXPECT_FLOAT_EQ(ComputeScale({0, 0, 0}, 0, 3), 1.0f);
}

TEST(FeaturesTest, WindowRowsHoldScaledLagsCovariatesAndMask) {
  TimeSeries s;
  s.start = *ParseTimestamp("2021-02-01 00:00:00");  // Monday midnight
  for (int t = 0; t < 60; ++t) s.target.push_back(static_cast<float>(t));
  s.target[50] = std::nanf("");
  s.dynamic_feat = {std::vector<float>(60, 0.0f)};
  for (int t = 0; t < 60; ++t) s.dynamic_feat[0][t] = 1000.0f + t;
  FeatureSpec spec = FeatureSpec::For({FreqUnit::kHour, 1}, 4, 2, 1, {});
  EXPECT_EQ(spec.NumRealFeatures(), spec.NumLags() + 4 + 1 + 1 + 1);
  WindowData w;
  BuildWindow(spec, s, 46, w);  // context 46..49, prediction 50..51
  EXPECT_FLOAT_EQ(w.scale, 1 + (46 + 47 + 48 + 49) / 4.0f);
  EXPECT_EQ(w.observed, (std::vector<float>{1, 1, 1, 1, 0, 1}));
  EXPECT_EQ(w.target[5], 51.0f);
  const int nf = spec.NumRealFeatures();
  const float* row = w.features.data() + 1 * nf;  // step 47
  EXPECT_FLOAT_EQ(row[0], 46 / w.scale);          // lag 1
  int lag24 = -1, lag48 = -1;
  for (int i = 0; i < spec.NumLags(); ++i) {
    if (spec.lags[i] == 24) lag24 = i;
    if (spec.lags[i] == 48) lag48 = i;
  }
  ASSERT_GE(lag24, 0);
  EXPECT_FLOAT_EQ(row[lag24], 23 / w.scale);
  EXPECT_FLOAT_EQ(row[lag48], 0.0f);                // before the series start
  EXPECT_FLOAT_EQ(w.features[5 * nf + 0], 0.0f);    // lag 1 of step 51 is the missing step 50
  const float* cov = row + spec.NumLags();
  EXPECT_FLOAT_EQ(cov[0], 23.0f / 23 - 0.5f);        // 47h after Monday 00:00 is 23:00
  EXPECT_FLOAT_EQ(cov[1], 1.0f / 6 - 0.5f);          // Tuesday
  EXPECT_FLOAT_EQ(cov[4], std::log10(2.0f + 47));    // age
  EXPECT_FLOAT_EQ(cov[5], 1047.0f);                  // dynamic feature
  EXPECT_FLOAT_EQ(cov[6], std::log(w.scale));
}

}  // namespace
}  // namespace tributary::forecast
