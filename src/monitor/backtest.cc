#include "monitor/backtest.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "forecast/metrics.h"

namespace tributary::monitor {

namespace {

using nlohmann::json;

struct HeldOut {
  json instance;               // the series without its last prediction_length values
  std::vector<double> actual;  // those values (NaN where missing)
  std::string name;            // "series 3 (sensor-2)", for errors
  std::string group;
};

double Number(const json& v) {
  if (v.is_number()) return v.get<double>();
  return std::numeric_limits<double>::quiet_NaN();  // "NaN", null: missing
}

Result<std::vector<double>> NumberArray(const json& parent, const std::string& key, size_t want,
                                        const std::string& where) {
  auto it = parent.find(key);
  if (it == parent.end() || !it->is_array()) return InvalidArgument(where + ": no '" + key + "' array");
  if (it->size() != want) {
    return InvalidArgument(where + ": '" + key + "' has " + std::to_string(it->size()) + " values, expected " +
                           std::to_string(want) + " (the monitor's prediction_length)");
  }
  std::vector<double> out;
  out.reserve(want);
  for (const json& v : *it) out.push_back(Number(v));
  return out;
}

Result<HeldOut> HoldOut(const std::string& line, size_t index, const std::vector<std::string>& groups, size_t pl) {
  HeldOut h;
  h.group = index < groups.size() ? groups[index] : "";
  h.name = "series " + std::to_string(index + 1) + (h.group.empty() ? "" : " (" + h.group + ")");
  json series = json::parse(line, nullptr, false);
  if (series.is_discarded() || !series.is_object()) return InvalidArgument(h.name + ": not a JSON object");
  auto target = series.find("target");
  if (target == series.end() || !target->is_array()) return InvalidArgument(h.name + ": no 'target' array");
  if (target->size() <= pl) return h;  // too short: skipped by the caller (empty instance)
  size_t keep = target->size() - pl;
  json history = json::array();
  for (size_t i = 0; i < target->size(); ++i) {
    if (i < keep) {
      history.push_back((*target)[i]);
    } else {
      h.actual.push_back(Number((*target)[i]));
    }
  }
  h.instance = std::move(series);
  h.instance["target"] = std::move(history);  // dynamic_feat keeps its full length: it covers the forecast
  return h;
}

json Request(const std::vector<HeldOut>& batch, const BacktestOptions& o) {
  json instances = json::array();
  for (const HeldOut& h : batch) instances.push_back(h.instance);
  return {{"instances", std::move(instances)},
          {"configuration",
           {{"num_samples", o.num_samples}, {"output_types", {"mean", "quantiles"}}, {"quantiles", o.quantiles}}}};
}

// Scores one batch's answer into `total` and one accumulator per series.
Status Score(const std::vector<HeldOut>& batch, const std::string& answer, const BacktestOptions& o,
             forecast::MetricsAccumulator& total, std::vector<SeriesScore>& scores) {
  json a = json::parse(answer, nullptr, false);
  auto predictions = a.is_object() ? a.find("predictions") : a.end();
  if (a.is_discarded() || !a.is_object() || predictions == a.end() || !predictions->is_array()) {
    return InvalidArgument("the endpoint's answer has no 'predictions' array: " + answer.substr(0, 200));
  }
  if (predictions->size() != batch.size()) {
    return InvalidArgument("the endpoint answered " + std::to_string(predictions->size()) + " predictions for " +
                           std::to_string(batch.size()) + " instances");
  }
  size_t pl = static_cast<size_t>(o.prediction_length);
  for (size_t i = 0; i < batch.size(); ++i) {
    const json& p = (*predictions)[i];
    const std::string where = "prediction for " + batch[i].name;
    if (!p.is_object()) return InvalidArgument(where + ": not an object");
    TRY_ASSIGN(std::vector<double> mean, NumberArray(p, "mean", pl, where));
    auto q = p.find("quantiles");
    if (q == p.end() || !q->is_object()) return InvalidArgument(where + ": no 'quantiles' object");
    std::vector<std::vector<double>> quantiles;
    for (double value : o.quantile_values) {
      TRY_ASSIGN(auto values, NumberArray(*q, forecast::QuantileKey(value), pl, where + ": quantiles"));
      quantiles.push_back(std::move(values));
    }
    total.Add(batch[i].actual, mean, quantiles);
    forecast::MetricsAccumulator one(o.quantile_values);
    one.Add(batch[i].actual, mean, quantiles);
    scores.push_back({batch[i].group, one.ToMap()[o.metric]});
  }
  return Status::Ok();
}

}  // namespace

Result<BacktestResult> RunBacktest(const std::vector<std::string>& test_lines, const std::vector<std::string>& groups,
                                   const BacktestOptions& options, const InvokeFn& invoke) {
  if (options.prediction_length < 1) return InvalidArgument("prediction_length must be at least 1");
  const size_t pl = static_cast<size_t>(options.prediction_length);
  BacktestResult result;
  std::vector<HeldOut> series;
  for (size_t i = 0; i < test_lines.size(); ++i) {
    TRY_ASSIGN(HeldOut h, HoldOut(test_lines[i], i, groups, pl));
    if (h.actual.empty()) {
      ++result.skipped;
    } else {
      series.push_back(std::move(h));
    }
  }
  if (series.empty()) {
    return FailedPrecondition("no series has more than prediction_length (" + std::to_string(pl) +
                              ") values to hold out (" + std::to_string(test_lines.size()) + " series in the data)");
  }

  forecast::MetricsAccumulator total(options.quantile_values);
  std::vector<SeriesScore> scores;
  const size_t batch_size = std::max<size_t>(1, options.batch_size);
  for (size_t first = 0; first < series.size(); first += batch_size) {
    if (options.cancelled && options.cancelled()) return Status(ErrorCode::kCancelled, "the evaluation was stopped");
    std::vector<HeldOut> batch(series.begin() + static_cast<std::ptrdiff_t>(first),
                               series.begin() + static_cast<std::ptrdiff_t>(std::min(series.size(), first + batch_size)));
    auto answer = invoke(Request(batch, options).dump());
    if (!answer.ok()) {
      return Status(answer.status().code(), "forecasting " + batch.front().name +
                                                (batch.size() > 1 ? " .. " + batch.back().name : "") + ": " +
                                                answer.status().message());
    }
    TRY(Score(batch, *answer, options, total, scores));
  }
  result.metrics = total.ToMap();
  result.value = result.metrics[options.metric];
  result.series = static_cast<int64_t>(series.size());
  if (!std::isfinite(result.value)) {
    return FailedPrecondition(options.metric + " is undefined for this data (every held-out value missing or zero)");
  }
  std::stable_sort(scores.begin(), scores.end(), [](const SeriesScore& a, const SeriesScore& b) {
    return std::isfinite(a.value) && (!std::isfinite(b.value) || a.value > b.value);
  });
  scores.resize(std::min<size_t>(scores.size(), 5));
  result.worst = std::move(scores);
  return result;
}

}  // namespace tributary::monitor
