#include "forecast/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tributary::forecast {
namespace {

TEST(MetricsTest, QuantileInterpolatesOrderStatistics) {
  std::vector<double> v = {1, 2, 3, 4, 5};
  EXPECT_DOUBLE_EQ(QuantileOfSorted(v, 0.5), 3);
  EXPECT_DOUBLE_EQ(QuantileOfSorted(v, 0.1), 1.4);
  EXPECT_DOUBLE_EQ(QuantileOfSorted(v, 0.0), 1);
  EXPECT_DOUBLE_EQ(QuantileOfSorted(v, 1.0), 5);
}

TEST(MetricsTest, HandComputedExample) {
  // Two series. Quantiles 0.1 and 0.9.
  MetricsAccumulator m({0.1, 0.9});
  // y = [10, 20], mean = [12, 18], q0.1 = [8, 15], q0.9 = [13, 19]
  m.Add({10, 20}, {12, 18}, {{8, 15}, {13, 19}});
  // y = [5, NaN]: the NaN step is skipped. mean = [5], q0.1 = [6], q0.9 = [4]
  m.Add({5, std::nan("")}, {5, 100}, {{6, 100}, {4, 100}});
  // RMSE: errors 2, -2, 0 -> sqrt(8/3)
  EXPECT_NEAR(m.Rmse(), std::sqrt(8.0 / 3), 1e-12);
  // sum |y| = 35.
  // q=0.1: y>=yhat: 0.1*(10-8)=0.2, 0.1*(20-15)=0.5; y<yhat: 0.9*(6-5)=0.9 -> 1.6
  EXPECT_NEAR(m.WeightedQuantileLoss(0), 2 * 1.6 / 35, 1e-12);
  // q=0.9: y<yhat: 0.1*(13-10)=0.3; y>=yhat: 0.9*(20-19)=0.9, 0.9*(5-4)=0.9 -> 2.1
  EXPECT_NEAR(m.WeightedQuantileLoss(1), 2 * 2.1 / 35, 1e-12);
  EXPECT_NEAR(m.MeanWeightedQuantileLoss(), (3.2 / 35 + 4.2 / 35) / 2, 1e-12);
  auto map = m.ToMap();
  EXPECT_EQ(map.count("test:RMSE"), 1u);
  EXPECT_EQ(map.count("test:wQuantileLoss[0.1]"), 1u);
  EXPECT_EQ(map.count("test:wQuantileLoss[0.9]"), 1u);
  EXPECT_NEAR(map["test:mean_wQuantileLoss"], m.MeanWeightedQuantileLoss(), 1e-15);
}

TEST(MetricsTest, PerfectForecastScoresZero) {
  MetricsAccumulator m({0.5});
  m.Add({1, 2, 3}, {1, 2, 3}, {{1, 2, 3}});
  EXPECT_EQ(m.Rmse(), 0);
  EXPECT_EQ(m.MeanWeightedQuantileLoss(), 0);
}

}  // namespace
}  // namespace tributary::forecast
