#include "forecast/series.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "base/json_text.h"
#include "forecast/frequency.h"

namespace tributary::forecast {
namespace {

using nlohmann::json;

Status FieldError(const std::string& origin, std::string_view field, const std::string& what) {
  return InvalidArgument(origin + ": field '" + std::string(field) + "': " + what);
}

// One number of a target or dynamic_feat array; NaN for "NaN" / null.
Result<float> ParseValue(const json& v, const std::string& origin, const std::string& field) {
  if (v.is_number()) {
    double d = v.get<double>();
    if (!IsSeriesValueInRange(d)) return FieldError(origin, field, SeriesValueOutOfRange(d));
    return static_cast<float>(d);
  }
  if (v.is_null()) return std::numeric_limits<float>::quiet_NaN();
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    std::transform(s.begin(), s.end(), s.begin(), ::tolower);
    if (s == "nan") return std::numeric_limits<float>::quiet_NaN();
  }
  return FieldError(origin, field, "expected a number, \"NaN\" or null, got " + v.dump());
}

Result<std::vector<float>> ParseArray(const json& a, const std::string& origin, const std::string& field) {
  if (!a.is_array()) return FieldError(origin, field, "expected an array");
  std::vector<float> out;
  out.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    TRY_ASSIGN(float x, ParseValue(a[i], origin, field + "[" + std::to_string(i) + "]"));
    out.push_back(x);
  }
  return out;
}

// One `cat` value: an integer in 0..kMaxCat, written as an integer or as a whole
// double (2.0). A negative or fractional value would index outside the embeddings.
Result<int64_t> ParseCat(const json& c, const std::string& origin, const std::string& field) {
  auto bad = [&] {
    return FieldError(origin, field,
                      "expected an integer in 0.." + std::to_string(kMaxCat) + ", got " + c.dump());
  };
  if (c.is_number_unsigned()) {
    uint64_t u = c.get<uint64_t>();
    if (u > static_cast<uint64_t>(kMaxCat)) return bad();
    return static_cast<int64_t>(u);
  }
  if (c.is_number_integer()) {
    int64_t i = c.get<int64_t>();
    if (i < 0 || i > kMaxCat) return bad();
    return i;
  }
  if (c.is_number_float()) {
    // Compared as doubles before the cast: the cast of one above 2^63 is undefined.
    double d = c.get<double>();
    if (!(d >= 0 && d <= static_cast<double>(kMaxCat)) || d != std::floor(d)) return bad();
    return static_cast<int64_t>(d);
  }
  return bad();
}

Status CheckCrossSeries(const std::vector<TimeSeries>& all) {
  if (all.empty()) return Status::Ok();
  const TimeSeries& first = all.front();
  for (const TimeSeries& s : all) {
    if (s.cat.size() != first.cat.size()) {
      return FieldError(s.origin, "cat",
                        "has " + std::to_string(s.cat.size()) + " values but " + first.origin + " has " +
                            std::to_string(first.cat.size()) + "; every series needs the same number");
    }
    if (s.dynamic_feat.size() != first.dynamic_feat.size()) {
      return FieldError(s.origin, "dynamic_feat",
                        "has " + std::to_string(s.dynamic_feat.size()) + " features but " + first.origin +
                            " has " + std::to_string(first.dynamic_feat.size()));
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsSeriesValueInRange(double v) { return std::isnan(v) || std::fabs(v) <= kMaxSeriesValue; }

std::string SeriesValueOutOfRange(double v) {
  static_assert(kMaxSeriesValue == 1e30, "the message below names the bound");
  std::string text = std::isinf(v) ? (v > 0 ? "infinity" : "-infinity") : json(v).dump();
  return text + " is out of range; values must be at most 1e30 in magnitude";
}

Result<TimeSeries> ParseSeriesLine(std::string_view line, const std::string& origin) {
  TRY_ASSIGN(json j, ParseJsonText(line, origin));
  if (!j.is_object()) return InvalidArgument(origin + ": expected a JSON object per line");
  return ParseSeriesJson(j, origin);
}

Result<TimeSeries> ParseSeriesJson(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_object()) return InvalidArgument(origin + ": expected a JSON object");
  TimeSeries s;
  s.origin = origin;
  auto start = j.find("start");
  if (start == j.end()) return FieldError(origin, "start", "missing");
  if (!start->is_string()) return FieldError(origin, "start", "expected a string");
  auto ts = ParseTimestamp(start->get<std::string>());
  if (!ts.ok()) return FieldError(origin, "start", ts.status().message());
  s.start = *ts;

  auto target = j.find("target");
  if (target == j.end()) return FieldError(origin, "target", "missing");
  TRY_ASSIGN(s.target, ParseArray(*target, origin, "target"));
  if (s.target.empty()) return FieldError(origin, "target", "is empty");

  if (auto cat = j.find("cat"); cat != j.end() && !cat->is_null()) {
    if (cat->is_number()) {
      TRY_ASSIGN(int64_t c, ParseCat(*cat, origin, "cat"));  // SageMaker accepts a single integer
      s.cat.push_back(c);
    } else if (cat->is_array()) {
      for (size_t i = 0; i < cat->size(); ++i) {
        TRY_ASSIGN(int64_t c, ParseCat((*cat)[i], origin, "cat[" + std::to_string(i) + "]"));
        s.cat.push_back(c);
      }
    } else {
      return FieldError(origin, "cat", "expected an array of non-negative integers");
    }
  }

  if (auto dyn = j.find("dynamic_feat"); dyn != j.end() && !dyn->is_null()) {
    if (!dyn->is_array()) return FieldError(origin, "dynamic_feat", "expected an array of arrays");
    for (size_t i = 0; i < dyn->size(); ++i) {
      std::string field = "dynamic_feat[" + std::to_string(i) + "]";
      TRY_ASSIGN(std::vector<float> f, ParseArray((*dyn)[i], origin, field));
      for (size_t t = 0; t < f.size(); ++t) {
        if (std::isnan(f[t])) {
          return FieldError(origin, field + "[" + std::to_string(t) + "]",
                            "missing values are not allowed in dynamic features");
        }
      }
      if (f.size() < s.target.size()) {
        return FieldError(origin, field,
                          "has " + std::to_string(f.size()) + " values, fewer than the target's " +
                              std::to_string(s.target.size()));
      }
      if (!s.dynamic_feat.empty() && f.size() != s.dynamic_feat.front().size()) {
        return FieldError(origin, field,
                          "has " + std::to_string(f.size()) + " values but dynamic_feat[0] has " +
                              std::to_string(s.dynamic_feat.front().size()) + " (ragged)");
      }
      s.dynamic_feat.push_back(std::move(f));
    }
  }
  return s;
}

namespace {

// True if the file starts with Parquet's magic "PAR1".
bool IsParquetFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char magic[4] = {};
  bool parquet = std::fread(magic, 1, 4, f) == 4 && std::memcmp(magic, "PAR1", 4) == 0;
  std::fclose(f);
  return parquet;
}

}  // namespace

Result<std::vector<TimeSeries>> ReadSeriesFile(const std::string& path) {
  if (IsParquetFile(path)) {
    TRY_ASSIGN(std::vector<TimeSeries> series, ReadParquetSeriesFile(path));
    TRY(CheckCrossSeries(series));
    return series;
  }
  gzFile f = gzopen(path.c_str(), "rb");  // reads plain files transparently
  if (f == nullptr) return NotFound("cannot open '" + path + "'");
  std::vector<TimeSeries> out;
  std::string pending;
  char buf[1 << 16];
  size_t line_no = 0;
  Status error;
  auto handle_line = [&](std::string_view line) -> Status {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) return Status::Ok();
    TRY_ASSIGN(TimeSeries s, ParseSeriesLine(line, path + ":" + std::to_string(line_no)));
    out.push_back(std::move(s));
    return Status::Ok();
  };
  while (error.ok()) {
    int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int errnum = 0;
      error = DataLoss("cannot read '" + path + "': " + gzerror(f, &errnum));
      break;
    }
    if (n == 0) break;
    pending.append(buf, static_cast<size_t>(n));
    size_t begin = 0;
    for (size_t nl; error.ok() && (nl = pending.find('\n', begin)) != std::string::npos; begin = nl + 1) {
      error = handle_line(std::string_view(pending).substr(begin, nl - begin));
    }
    pending.erase(0, begin);
  }
  gzclose(f);
  if (error.ok() && !pending.empty()) error = handle_line(pending);
  TRY(error);
  TRY(CheckCrossSeries(out));
  return out;
}

Result<std::vector<TimeSeries>> ReadChannel(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<TimeSeries> all;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> files;
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it); it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (!it->is_regular_file() || name.starts_with(".") || name == "_SUCCESS") continue;
      files.push_back(it->path().string());
    }
    if (ec) return IoError("cannot list '" + path + "': " + ec.message());
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      TRY_ASSIGN(std::vector<TimeSeries> part, ReadSeriesFile(file));
      for (TimeSeries& s : part) all.push_back(std::move(s));
    }
  } else {
    TRY_ASSIGN(all, ReadSeriesFile(path));
  }
  if (all.empty()) return InvalidArgument("channel '" + path + "' holds no time series");
  TRY(CheckCrossSeries(all));
  return all;
}

Status CheckShapes(const std::vector<TimeSeries>& series, size_t num_cat, size_t num_dyn,
                   size_t extra_dyn_len) {
  for (const TimeSeries& s : series) {
    if (s.cat.size() != num_cat) {
      return FieldError(s.origin, "cat",
                        "has " + std::to_string(s.cat.size()) + " values, the model expects " +
                            std::to_string(num_cat));
    }
    if (s.dynamic_feat.size() != num_dyn) {
      return FieldError(s.origin, "dynamic_feat",
                        "has " + std::to_string(s.dynamic_feat.size()) + " features, the model expects " +
                            std::to_string(num_dyn));
    }
    for (size_t i = 0; i < s.dynamic_feat.size(); ++i) {
      if (s.dynamic_feat[i].size() != s.target.size() + extra_dyn_len) {
        return FieldError(s.origin, "dynamic_feat[" + std::to_string(i) + "]",
                          "has " + std::to_string(s.dynamic_feat[i].size()) + " values, expected " +
                              std::to_string(s.target.size() + extra_dyn_len) + " (target length" +
                              (extra_dyn_len ? " + prediction_length)" : ")"));
      }
    }
  }
  return Status::Ok();
}

namespace {

// The double whose shortest text is the float's own shortest text: 20.92f is written
// "20.92", not "20.920000076293945" (what the float is exactly, as a double).
double ShortestDouble(float x) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  if (ec != std::errc()) return x;
  double d = x;
  std::from_chars(buf, end, d);
  return d;
}

}  // namespace

std::string SeriesToJson(const TimeSeries& s) {
  auto values = [](const std::vector<float>& v) {
    json a = json::array();
    for (float x : v) a.push_back(std::isnan(x) ? json("NaN") : json(ShortestDouble(x)));
    return a;
  };
  json j;
  j["start"] = FormatTimestamp(s.start);
  j["target"] = values(s.target);
  if (!s.cat.empty()) j["cat"] = s.cat;
  if (!s.dynamic_feat.empty()) {
    j["dynamic_feat"] = json::array();
    for (const auto& f : s.dynamic_feat) j["dynamic_feat"].push_back(values(f));
  }
  return j.dump();
}

}  // namespace tributary::forecast
