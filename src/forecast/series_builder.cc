#include "forecast/series_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tributary::forecast {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Fills NaN periods with the previous value, the leading ones with the first value.
bool FillForward(std::vector<float>* values) {
  auto first = std::find_if(values->begin(), values->end(), [](float v) { return !std::isnan(v); });
  if (first == values->end()) return false;
  float last = *first;
  for (float& v : *values) {
    if (std::isnan(v)) {
      v = last;
    } else {
      last = v;
    }
  }
  return true;
}

}  // namespace

Result<Aggregation> ParseAggregation(std::string_view name) {
  if (name == "mean") return Aggregation::kMean;
  if (name == "sum") return Aggregation::kSum;
  if (name == "last") return Aggregation::kLast;
  if (name == "max") return Aggregation::kMax;
  return InvalidArgument("aggregation '" + std::string(name) + "': expected mean, sum, last or max");
}

std::string_view AggregationName(Aggregation agg) {
  switch (agg) {
    case Aggregation::kMean: return "mean";
    case Aggregation::kSum: return "sum";
    case Aggregation::kLast: return "last";
    case Aggregation::kMax: return "max";
  }
  return "?";
}

Result<SeriesBuilder> SeriesBuilder::Create(SeriesBuildOptions options) {
  if (options.prediction_length < 1) {
    return InvalidArgument("prediction_length must be >= 1, got " + std::to_string(options.prediction_length));
  }
  if (options.min_train_points < 1) return InvalidArgument("min_train_points must be >= 1");
  if (options.start && options.end && *options.start >= *options.end) {
    return InvalidArgument("the start (" + FormatTimestamp(*options.start) + ") must be before the end (" +
                           FormatTimestamp(*options.end) + ")");
  }
  return SeriesBuilder(std::move(options));
}

void SeriesBuilder::Add(std::string_view group, int64_t seconds, double target, const std::vector<double>& features) {
  if ((options_.start && seconds < *options_.start) || (options_.end && seconds >= *options_.end)) {
    ++out_of_range_;
    return;
  }
  auto it = groups_.find(group);
  if (it == groups_.end()) it = groups_.emplace(std::string(group), Group{}).first;
  Group& g = it->second;
  ++g.points;
  std::vector<Acc>& accs = g.periods[FloorToPeriod(seconds, options_.freq)];
  if (accs.empty()) accs.resize(1 + options_.dynamic_feat.size());
  for (size_t c = 0; c < accs.size(); ++c) {
    double v = c == 0 ? target : (c - 1 < features.size() ? features[c - 1] : NAN);
    if (std::isnan(v)) continue;
    Acc& a = accs[c];
    a.sum += v;
    a.max = a.count == 0 ? v : std::max(a.max, v);
    if (a.count == 0 || seconds >= a.last_time) {
      a.last = v;
      a.last_time = seconds;
    }
    ++a.count;
  }
}

double SeriesBuilder::Value(const Acc& a) const {
  if (a.count == 0) return NAN;
  switch (options_.agg) {
    case Aggregation::kMean: return a.sum / static_cast<double>(a.count);
    case Aggregation::kSum: return a.sum;
    case Aggregation::kLast: return a.last;
    case Aggregation::kMax: return a.max;
  }
  return NAN;
}

Result<BuiltChannels> SeriesBuilder::Finish() const {
  const Frequency& freq = options_.freq;
  BuiltChannels out;
  out.points_out_of_range = out_of_range_;
  // The common end: the last period with a target value, or the one before `end`.
  std::optional<int64_t> last;
  for (const auto& [name, g] : groups_) {
    for (auto it = g.periods.rbegin(); it != g.periods.rend(); ++it) {
      if (it->second[0].count > 0) {
        last = std::max(last.value_or(it->first), it->first);
        break;
      }
    }
  }
  if (!last) return InvalidArgument("no row in the time range has a target value");
  out.end = options_.end ? FloorToPeriod(*options_.end - 1, freq) : *last;
  out.split = AddSteps(out.end, freq, -(options_.prediction_length - 1));
  const int64_t pl = options_.prediction_length;
  const size_t channels = 1 + options_.dynamic_feat.size();

  for (const auto& [name, g] : groups_) {
    auto first = std::find_if(g.periods.begin(), g.periods.end(), [](const auto& p) { return p.second[0].count > 0; });
    if (first == g.periods.end() || first->first >= out.split) {
      out.skipped.push_back(name);
      continue;
    }
    BuiltSeries s;
    s.group = name;
    s.start = first->first;
    s.points = g.points;
    s.train_length = StepsBetween(s.start, out.split, freq);
    const int64_t length = s.train_length + pl;
    std::vector<std::vector<float>> values(channels, std::vector<float>(length, kNaN));
    for (auto it = first; it != g.periods.end(); ++it) {
      int64_t i = StepsBetween(s.start, it->first, freq);
      if (i >= length) break;
      for (size_t c = 0; c < channels; ++c) values[c][i] = static_cast<float>(Value(it->second[c]));
    }
    int64_t observed = std::count_if(values[0].begin(), values[0].begin() + s.train_length,
                                     [](float v) { return !std::isnan(v); });
    if (observed < options_.min_train_points) {
      out.skipped.push_back(name);
      continue;
    }
    for (size_t c = 1; c < channels; ++c) {
      if (!FillForward(&values[c])) {
        return InvalidArgument("group '" + name + "' has no value for dynamic feature '" +
                               options_.dynamic_feat[c - 1] + "' between " + FormatTimestamp(s.start) + " and " +
                               FormatTimestamp(out.end));
      }
    }
    s.target = std::move(values[0]);
    s.dynamic_feat.assign(std::make_move_iterator(values.begin() + 1), std::make_move_iterator(values.end()));
    out.train_values += s.train_length;
    out.train_nan += s.train_length - observed;
    out.test_values += length;
    out.test_nan += std::count_if(s.target.begin(), s.target.end(), [](float v) { return std::isnan(v); });
    out.series.push_back(std::move(s));
  }
  if (out.series.empty()) {
    return InvalidArgument("every group was skipped: none has " + std::to_string(options_.min_train_points) +
                           " target value(s) before the test window, which starts at " + FormatTimestamp(out.split) +
                           " (" + std::to_string(pl) + " periods of " + freq.ToString() + " before " +
                           FormatTimestamp(AddSteps(out.end, freq, 1)) + ")");
  }
  out.first_start = out.series.front().start;
  for (const auto& s : out.series) out.first_start = std::min(out.first_start, s.start);
  return out;
}

}  // namespace tributary::forecast
