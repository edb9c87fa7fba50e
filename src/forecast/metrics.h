// Forecast accuracy as SageMaker DeepAR reports it for the `test` channel, and
// quantiles of sample paths. Pure functions; thread-compatible accumulator. Torch-free:
// training reports with it and the server's drift monitors (monitor/) score with it.
//
//   test:RMSE               sqrt(mean over all series and steps of (mean forecast - y)^2)
//   test:wQuantileLoss[q]   2 * sum pinball_q(y, yhat_q) / sum |y|, summed over all series and steps,
//                           pinball_q(y, yhat) = q * (y - yhat) if y >= yhat else (1 - q) * (yhat - y)
//   test:mean_wQuantileLoss mean of test:wQuantileLoss[q] over the test quantiles
//
// Steps whose actual value is missing (NaN) are left out of every sum.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace tributary::forecast {

// Renders a quantile as SageMaker keys it ("0.1", "0.5", "0.95").
std::string QuantileKey(double q);

// The q-quantile of `values` (sorted ascending), linearly interpolated between
// order statistics (numpy's default, "type 7").
double QuantileOfSorted(const std::vector<double>& sorted, double q);

class MetricsAccumulator {
 public:
  explicit MetricsAccumulator(std::vector<double> quantiles);

  // One series' forecast: `mean` and one vector per quantile (same order as the
  // constructor's), each as long as `actual`.
  void Add(const std::vector<double>& actual, const std::vector<double>& mean,
           const std::vector<std::vector<double>>& quantile_forecasts);

  double Rmse() const;
  double WeightedQuantileLoss(size_t quantile_index) const;
  double MeanWeightedQuantileLoss() const;
  // {"test:RMSE": .., "test:mean_wQuantileLoss": .., "test:wQuantileLoss[0.1]": ..}
  std::map<std::string, double> ToMap() const;

 private:
  std::vector<double> quantiles_;
  double squared_error_ = 0;
  double abs_actual_ = 0;
  long count_ = 0;
  std::vector<double> pinball_;
};

}  // namespace tributary::forecast
