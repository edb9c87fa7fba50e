#include "forecast/metrics.h"

#include <cmath>

#include <fmt/format.h>

namespace tributary::forecast {

std::string QuantileKey(double q) { return fmt::format("{}", q); }

double QuantileOfSorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::nan("");
  double pos = q * static_cast<double>(sorted.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

MetricsAccumulator::MetricsAccumulator(std::vector<double> quantiles)
    : quantiles_(std::move(quantiles)), pinball_(quantiles_.size(), 0.0) {}

void MetricsAccumulator::Add(const std::vector<double>& actual, const std::vector<double>& mean,
                             const std::vector<std::vector<double>>& quantile_forecasts) {
  for (size_t t = 0; t < actual.size(); ++t) {
    double y = actual[t];
    if (std::isnan(y)) continue;
    double e = mean[t] - y;
    squared_error_ += e * e;
    abs_actual_ += std::fabs(y);
    ++count_;
    for (size_t i = 0; i < quantiles_.size(); ++i) {
      double q = quantiles_[i];
      double yhat = quantile_forecasts[i][t];
      pinball_[i] += y >= yhat ? q * (y - yhat) : (1 - q) * (yhat - y);
    }
  }
}

double MetricsAccumulator::Rmse() const {
  return count_ == 0 ? std::nan("") : std::sqrt(squared_error_ / static_cast<double>(count_));
}

double MetricsAccumulator::WeightedQuantileLoss(size_t i) const {
  return abs_actual_ == 0 ? std::nan("") : 2 * pinball_[i] / abs_actual_;
}

double MetricsAccumulator::MeanWeightedQuantileLoss() const {
  double sum = 0;
  for (size_t i = 0; i < quantiles_.size(); ++i) sum += WeightedQuantileLoss(i);
  return quantiles_.empty() ? std::nan("") : sum / static_cast<double>(quantiles_.size());
}

std::map<std::string, double> MetricsAccumulator::ToMap() const {
  std::map<std::string, double> m;
  m["test:RMSE"] = Rmse();
  m["test:mean_wQuantileLoss"] = MeanWeightedQuantileLoss();
  for (size_t i = 0; i < quantiles_.size(); ++i) {
    m["test:wQuantileLoss[" + QuantileKey(quantiles_[i]) + "]"] = WeightedQuantileLoss(i);
  }
  return m;
}

}  // namespace tributary::forecast
