#include "base/metrics.h"

#include <charconv>
#include <cmath>
#include <sstream>

namespace tributary {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<uint64_t>(std::max(0.0, v) * 1e6), std::memory_order_relaxed);
}

double Histogram::Sum() const { return sum_micro_.load(std::memory_order_relaxed) / 1e6; }

double Histogram::Quantile(double q) const {
  uint64_t total = Count();
  if (total == 0) return 0;
  double rank = q * static_cast<double>(total);
  uint64_t seen = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    uint64_t in_bucket = BucketCount(i);
    if (in_bucket > 0 && static_cast<double>(seen + in_bucket) >= rank) {
      double lower = i == 0 ? 0 : bounds_[i - 1];
      double upper = i < bounds_.size() ? bounds_[i] : lower * 2;
      double frac = (rank - static_cast<double>(seen)) / static_cast<double>(in_bucket);
      return lower + (upper - lower) * std::clamp(frac, 0.0, 1.0);
    }
    seen += in_bucket;
  }
  return bounds_.empty() ? 0 : bounds_.back();
}

std::vector<double> LatencyBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
          0.025,   0.05,   0.1,     0.25,   0.5,   1,      2.5,    5,    10};
}

MetricsRegistry::Series* MetricsRegistry::AddSeries(const std::string& name,
                                                    const std::string& help, Kind kind,
                                                    const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& fam = families_[name];
  if (fam.series.empty()) {
    fam.kind = kind;
    fam.help = help;
  }
  fam.series.push_back(std::make_unique<Series>());
  fam.series.back()->labels = labels;
  return fam.series.back().get();
}

Counter* MetricsRegistry::NewCounter(const std::string& name, const std::string& help,
                                     const Labels& labels) {
  Series* s = AddSeries(name, help, Kind::kCounter, labels);
  s->counter = std::make_unique<Counter>();
  return s->counter.get();
}

Gauge* MetricsRegistry::NewGauge(const std::string& name, const std::string& help,
                                 const Labels& labels) {
  Series* s = AddSeries(name, help, Kind::kGauge, labels);
  s->gauge = std::make_unique<Gauge>();
  return s->gauge.get();
}

Histogram* MetricsRegistry::NewHistogram(const std::string& name, const std::string& help,
                                         std::vector<double> bounds, const Labels& labels) {
  Series* s = AddSeries(name, help, Kind::kHistogram, labels);
  s->histogram = std::make_unique<Histogram>(std::move(bounds));
  return s->histogram.get();
}

std::shared_ptr<void> MetricsRegistry::RemoveSeries(std::string_view name_prefix,
                                                    const Labels& labels) {
  auto removed = std::make_shared<std::vector<std::unique_ptr<Series>>>();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto fam = families_.begin(); fam != families_.end();) {
    std::vector<std::unique_ptr<Series>>& series = fam->second.series;
    if (std::string_view(fam->first).substr(0, name_prefix.size()) != name_prefix) {
      ++fam;
      continue;
    }
    for (auto s = series.begin(); s != series.end();) {
      if ((*s)->labels == labels) {
        removed->push_back(std::move(*s));
        s = series.erase(s);
      } else {
        ++s;
      }
    }
    // A family left without series is not rendered at all (no HELP without samples).
    fam = series.empty() ? families_.erase(fam) : std::next(fam);
  }
  return removed;
}

void MetricsRegistry::NewCallbackGauge(const std::string& name, const std::string& help,
                                       const Labels& labels, std::function<double()> fn) {
  Series* s = AddSeries(name, help, Kind::kCallback, labels);
  s->callback = std::move(fn);
}

void MetricsRegistry::NewCallbackCounter(const std::string& name, const std::string& help,
                                         const Labels& labels, std::function<uint64_t()> fn) {
  Series* s = AddSeries(name, help, Kind::kCallbackCounter, labels);
  s->counter_callback = std::move(fn);
}

namespace {

std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string LabelText(const Labels& labels, const std::string& extra = "") {
  if (labels.empty() && extra.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + EscapeLabel(v) + "\"";
  }
  if (!extra.empty()) {
    if (!first) out += ",";
    out += extra;
  }
  return out + "}";
}

std::string Num(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";  // the exposition format's spelling
  // The shortest text that reads back as the same double: 0.05, not 0.050000000000000003.
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

}  // namespace

std::string MetricsRegistry::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, fam] : families_) {
    static const char* kTypes[] = {"counter", "gauge", "histogram", "gauge", "counter"};
    out += "# HELP " + name + " " + fam.help + "\n";
    out += "# TYPE " + name + " " + kTypes[static_cast<int>(fam.kind)] + "\n";
    for (const auto& s : fam.series) {
      switch (fam.kind) {
        case Kind::kCounter:
          out += name + LabelText(s->labels) + " " + std::to_string(s->counter->Value()) + "\n";
          break;
        case Kind::kGauge:
          out += name + LabelText(s->labels) + " " + std::to_string(s->gauge->Value()) + "\n";
          break;
        case Kind::kCallback:
          out += name + LabelText(s->labels) + " " + Num(s->callback()) + "\n";
          break;
        case Kind::kCallbackCounter:
          out += name + LabelText(s->labels) + " " + std::to_string(s->counter_callback()) + "\n";
          break;
        case Kind::kHistogram: {
          const Histogram& h = *s->histogram;
          uint64_t cumulative = 0;
          for (size_t i = 0; i <= h.bounds().size(); ++i) {
            cumulative += h.BucketCount(i);
            std::string le = i < h.bounds().size() ? Num(h.bounds()[i]) : "+Inf";
            out += name + "_bucket" + LabelText(s->labels, "le=\"" + le + "\"") + " " +
                   std::to_string(cumulative) + "\n";
          }
          out += name + "_sum" + LabelText(s->labels) + " " + Num(h.Sum()) + "\n";
          out += name + "_count" + LabelText(s->labels) + " " + std::to_string(h.Count()) + "\n";
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace tributary
