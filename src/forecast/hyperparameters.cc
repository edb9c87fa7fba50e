#include "forecast/hyperparameters.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "base/json_text.h"

namespace tributary::forecast {
namespace {

using nlohmann::json;

const std::set<std::string>& KnownNames() {
  static const std::set<std::string> kNames = {
      "time_freq",          "context_length",     "prediction_length",  "epochs",
      "num_cells",          "num_layers",         "likelihood",         "mini_batch_size",
      "learning_rate",      "dropout_rate",       "early_stopping_patience",
      "embedding_dimension", "cardinality",       "num_dynamic_feat",   "num_eval_samples",
      "test_quantiles",     "_tuning_objective_metric"};
  return kNames;
}

Status Bad(std::string_view name, std::string_view value, std::string_view why) {
  return InvalidArgument(fmt::format("hyperparameter '{}': '{}' {}", name, value, why));
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

Result<int64_t> ParseInt(std::string_view name, std::string_view text, int64_t lo, int64_t hi) {
  std::string t = Trim(text);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size()) return Bad(name, text, "is not an integer");
  if (v < lo || v > hi) {
    return Bad(name, text, hi == INT32_MAX ? fmt::format("is out of range: must be >= {}", lo)
                                           : fmt::format("is out of range {}..{}", lo, hi));
  }
  return v;
}

Result<double> ParseDouble(std::string_view name, std::string_view text) {
  std::string t = Trim(text);
  double v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size() || !std::isfinite(v)) {
    return Bad(name, text, "is not a number");
  }
  return v;
}

// "[0.1, 0.5]" or "0.1,0.5" -> list of strings.
std::vector<std::string> SplitList(std::string_view text) {
  std::string t = Trim(text);
  if (!t.empty() && t.front() == '[' && t.back() == ']') t = t.substr(1, t.size() - 2);
  std::vector<std::string> out;
  size_t b = 0;
  while (b <= t.size()) {
    size_t e = t.find(',', b);
    if (e == std::string::npos) e = t.size();
    std::string item = Trim(std::string_view(t).substr(b, e - b));
    if (item.size() >= 2 && (item.front() == '"' || item.front() == '\'')) item = item.substr(1, item.size() - 2);
    if (!item.empty()) out.push_back(item);
    b = e + 1;
  }
  return out;
}

}  // namespace

std::string_view LikelihoodName(Likelihood l) {
  switch (l) {
    case Likelihood::kStudentT: return "student-T";
    case Likelihood::kGaussian: return "gaussian";
    case Likelihood::kNegativeBinomial: return "negative-binomial";
    case Likelihood::kBeta: return "beta";
    case Likelihood::kDeterministicL1: return "deterministic-L1";
  }
  return "unknown";
}

Result<Likelihood> ParseLikelihood(std::string_view name) {
  for (Likelihood l : {Likelihood::kStudentT, Likelihood::kGaussian, Likelihood::kNegativeBinomial,
                       Likelihood::kBeta, Likelihood::kDeterministicL1}) {
    if (LikelihoodName(l) == name) return l;
  }
  return Bad("likelihood", name,
             "is not one of gaussian, beta, negative-binomial, student-T, deterministic-L1");
}

std::map<std::string, std::string> Hyperparameters::ToStrings() const {
  std::map<std::string, std::string> m;
  m["time_freq"] = time_freq.ToString();
  m["context_length"] = std::to_string(context_length);
  m["prediction_length"] = std::to_string(prediction_length);
  m["epochs"] = std::to_string(epochs);
  m["num_cells"] = std::to_string(num_cells);
  m["num_layers"] = std::to_string(num_layers);
  m["likelihood"] = std::string(LikelihoodName(likelihood));
  m["mini_batch_size"] = std::to_string(mini_batch_size);
  m["learning_rate"] = fmt::format("{}", learning_rate);
  m["dropout_rate"] = fmt::format("{}", dropout_rate);
  if (early_stopping_patience) m["early_stopping_patience"] = std::to_string(*early_stopping_patience);
  m["embedding_dimension"] = std::to_string(embedding_dimension);
  switch (cardinality_mode) {
    case FeatureMode::kAuto: m["cardinality"] = "auto"; break;
    case FeatureMode::kIgnore: m["cardinality"] = "ignore"; break;
    case FeatureMode::kExplicit: m["cardinality"] = fmt::format("[{}]", fmt::join(cardinality, ", ")); break;
  }
  switch (num_dynamic_feat_mode) {
    case FeatureMode::kAuto: m["num_dynamic_feat"] = "auto"; break;
    case FeatureMode::kIgnore: m["num_dynamic_feat"] = "ignore"; break;
    case FeatureMode::kExplicit: m["num_dynamic_feat"] = std::to_string(num_dynamic_feat); break;
  }
  m["num_eval_samples"] = std::to_string(num_eval_samples);
  std::vector<std::string> qs;
  for (double q : test_quantiles) qs.push_back(QuantileKey(q));
  m["test_quantiles"] = fmt::format("[{}]", fmt::join(qs, ", "));
  return m;
}

Result<Hyperparameters> ParseHyperparameters(const std::map<std::string, std::string>& values) {
  for (const auto& [name, value] : values) {
    if (!KnownNames().contains(name)) {
      return InvalidArgument("unknown hyperparameter '" + name + "' (DeepAR has no such setting)");
    }
  }
  auto get = [&](const char* name) -> const std::string* {
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
  };
  Hyperparameters h;
  for (const char* required : {"time_freq", "context_length", "prediction_length", "epochs"}) {
    if (get(required) == nullptr) return InvalidArgument(fmt::format("hyperparameter '{}' is required", required));
  }
  {
    auto f = ParseFrequency(Trim(*get("time_freq")));
    if (!f.ok()) return InvalidArgument("hyperparameter 'time_freq': " + f.status().message());
    h.time_freq = *f;
  }
  auto int_param = [&](const char* name, int& out, int64_t lo, int64_t hi) -> Status {
    if (const std::string* v = get(name)) {
      TRY_ASSIGN(int64_t x, ParseInt(name, *v, lo, hi));
      out = static_cast<int>(x);
    }
    return Status::Ok();
  };
  TRY(int_param("context_length", h.context_length, 1, INT32_MAX));
  TRY(int_param("prediction_length", h.prediction_length, 1, INT32_MAX));
  TRY(int_param("epochs", h.epochs, 1, INT32_MAX));
  TRY(int_param("num_cells", h.num_cells, 1, 200));
  TRY(int_param("num_layers", h.num_layers, 1, 8));
  TRY(int_param("mini_batch_size", h.mini_batch_size, 1, 1000000));
  TRY(int_param("embedding_dimension", h.embedding_dimension, 1, 1000000));
  TRY(int_param("num_eval_samples", h.num_eval_samples, 1, INT32_MAX));
  if (get("early_stopping_patience") != nullptr) {
    int p = 0;
    TRY(int_param("early_stopping_patience", p, 1, INT32_MAX));
    h.early_stopping_patience = p;
  }
  if (const std::string* v = get("likelihood")) {
    TRY_ASSIGN(h.likelihood, ParseLikelihood(Trim(*v)));
  }
  if (const std::string* v = get("learning_rate")) {
    TRY_ASSIGN(h.learning_rate, ParseDouble("learning_rate", *v));
    if (h.learning_rate < 1e-6 || h.learning_rate > 1.0) return Bad("learning_rate", *v, "is out of range 1e-6..1");
  }
  if (const std::string* v = get("dropout_rate")) {
    TRY_ASSIGN(h.dropout_rate, ParseDouble("dropout_rate", *v));
    if (h.dropout_rate < 0 || h.dropout_rate >= 1) return Bad("dropout_rate", *v, "is out of range [0, 1)");
  }
  if (const std::string* v = get("cardinality")) {
    std::string t = Trim(*v);
    if (t == "auto" || t.empty()) {
      h.cardinality_mode = FeatureMode::kAuto;
    } else if (t == "ignore") {
      h.cardinality_mode = FeatureMode::kIgnore;
    } else {
      h.cardinality_mode = FeatureMode::kExplicit;
      for (const std::string& item : SplitList(t)) {
        TRY_ASSIGN(int64_t c, ParseInt("cardinality", item, 1, INT32_MAX));
        h.cardinality.push_back(c);
      }
      if (h.cardinality.empty()) return Bad("cardinality", *v, "is not auto, ignore or an array of positive integers");
    }
  }
  if (const std::string* v = get("num_dynamic_feat")) {
    std::string t = Trim(*v);
    if (t == "auto" || t.empty()) {
      h.num_dynamic_feat_mode = FeatureMode::kAuto;
    } else if (t == "ignore") {
      h.num_dynamic_feat_mode = FeatureMode::kIgnore;
    } else {
      h.num_dynamic_feat_mode = FeatureMode::kExplicit;
      TRY(int_param("num_dynamic_feat", h.num_dynamic_feat, 0, INT32_MAX));
    }
  }
  if (const std::string* v = get("test_quantiles")) {
    h.test_quantiles.clear();
    for (const std::string& item : SplitList(*v)) {
      TRY_ASSIGN(double q, ParseDouble("test_quantiles", item));
      if (q <= 0 || q >= 1) return Bad("test_quantiles", item, "is not a quantile in (0, 1)");
      h.test_quantiles.push_back(q);
    }
    if (h.test_quantiles.empty()) return Bad("test_quantiles", *v, "holds no quantile");
  }
  return h;
}

Result<Hyperparameters> ParseHyperparametersJson(std::string_view text, const std::string& origin) {
  TRY_ASSIGN(json j, ParseJsonText(text, origin));
  if (!j.is_object()) {
    return InvalidArgument(origin + ": expected a JSON object of hyperparameter names to values");
  }
  std::map<std::string, std::string> values;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const json& v = it.value();
    if (v.is_string()) {
      values[it.key()] = v.get<std::string>();
    } else if (v.is_number() || v.is_array()) {
      values[it.key()] = v.dump();
    } else {
      return InvalidArgument(origin + ": hyperparameter '" + it.key() + "': expected a string or number, got " +
                             v.dump());
    }
  }
  auto h = ParseHyperparameters(values);
  if (!h.ok()) return h.status().WithContext(origin);
  return h;
}

}  // namespace tributary::forecast
