// One evaluation of a forecasting endpoint on the newest data (README.md): every test
// series loses its last `prediction_length` values, which the endpoint is asked to
// forecast from the rest; the forecasts are scored against the values held out with
// forecast/metrics.h, as training scores its test channel.
//
//   test.json line  {"start": "2026-03-01 00:00:00", "target": [.. n ..], "cat": [0], "dynamic_feat": [[.. n ..]]}
//   instance        {"start": ..., "target": [.. n - pl ..], "cat": [0], "dynamic_feat": [[.. n ..]]}
//   request         {"instances": [<= batch_size of them], "configuration": {"num_samples": N,
//                    "output_types": ["mean", "quantiles"], "quantiles": ["0.1", ...]}}
//   answer          {"predictions": [{"mean": [.. pl ..], "quantiles": {"0.1": [.. pl ..], ...}}, ...]}
//
// A series with no more than `prediction_length` values is skipped (counted). Pure: the
// endpoint is a function, so the scoring is tested without a server.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace tributary::monitor {

// Sends one request body to the endpoint; the answer's body, or an error that says why
// (the HTTP status and the endpoint's message).
using InvokeFn = std::function<Result<std::string>(const std::string& body)>;

struct BacktestOptions {
  int64_t prediction_length = 0;
  std::string metric = "test:mean_wQuantileLoss";  // the value judged (a key of the metrics)
  std::vector<std::string> quantiles;              // as sent ("0.1")
  std::vector<double> quantile_values;             // the same, as numbers
  int num_samples = 100;
  size_t batch_size = 32;                          // instances per request
  std::function<bool()> cancelled;                 // checked between requests; may be empty
};

struct SeriesScore {
  std::string group;  // series.json's name for it ("" when not known)
  double value = 0;   // the judged metric over this series alone
};

struct BacktestResult {
  std::map<std::string, double> metrics;  // test:RMSE, test:mean_wQuantileLoss, test:wQuantileLoss[q]
  double value = 0;                       // metrics[metric]
  int64_t series = 0;                     // scored
  int64_t skipped = 0;                    // too short to hold out prediction_length values
  std::vector<SeriesScore> worst;         // up to 5, worst first
};

// `test_lines`: the test channel's JSON lines; `groups`: the name of each (same order,
// may be shorter). Errors name the series (line and group) or the request involved.
Result<BacktestResult> RunBacktest(const std::vector<std::string>& test_lines, const std::vector<std::string>& groups,
                                   const BacktestOptions& options, const InvokeFn& invoke);

}  // namespace tributary::monitor
