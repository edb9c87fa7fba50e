#include "forecast/artifact.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "base/files.h"

namespace tributary::forecast {
namespace {

using nlohmann::json;
constexpr int kFormatVersion = 1;

// The largest lag a model may name: no frequency's lags reach it (frequency.h: a week of
// 5-minute steps is 2016), and the window a forecast builds grows with it.
constexpr int kMaxLag = 100000;

// What inference takes on trust from model.json, checked: the sampler indexes the
// target by lags.back() as the largest lag and embeddings by cardinality, and the
// window lengths must be the ones the network was trained with.
Status CheckFeatureSpec(const FeatureSpec& s, const Hyperparameters& hp, const std::string& path) {
  auto bad = [&](const std::string& what) { return DataLoss(path + ": " + what); };
  if (s.context_length < 1)
    return bad("context_length " + std::to_string(s.context_length) + " is below 1");
  if (s.prediction_length < 1) {
    return bad("prediction_length " + std::to_string(s.prediction_length) + " is below 1");
  }
  if (s.context_length != hp.context_length || s.prediction_length != hp.prediction_length) {
    return bad("context_length " + std::to_string(s.context_length) + " and prediction_length " +
               std::to_string(s.prediction_length) + " differ from " + kHyperparametersFile +
               "'s " + std::to_string(hp.context_length) + " and " +
               std::to_string(hp.prediction_length));
  }
  if (s.lags.empty()) return bad("lags is empty");
  for (size_t i = 0; i < s.lags.size(); ++i) {
    int lag = s.lags[i];
    std::string where = "lags[" + std::to_string(i) + "]: " + std::to_string(lag);
    if (lag < 1 || lag > kMaxLag) return bad(where + " is not in 1.." + std::to_string(kMaxLag));
    if (i > 0 && lag <= s.lags[i - 1]) {
      return bad(where + " is not above lags[" + std::to_string(i - 1) + "] (lags must increase)");
    }
  }
  if (s.num_dynamic_feat < 0) return bad("num_dynamic_feat is negative");
  for (size_t i = 0; i < s.cardinality.size(); ++i) {
    if (s.cardinality[i] < 1) {
      return bad("cardinality[" + std::to_string(i) + "]: " + std::to_string(s.cardinality[i]) +
                 " is below 1");
    }
  }
  return Status::Ok();
}

}  // namespace

Status WriteModelInfo(const std::string& dir, const ModelInfo& info) {
  TRY(MakeDirs(dir));
  const FeatureSpec& s = info.spec;
  json j;
  j["format"] = "tributary-deepar";
  j["version"] = kFormatVersion;
  j["time_freq"] = s.freq.ToString();
  j["context_length"] = s.context_length;
  j["prediction_length"] = s.prediction_length;
  j["lags"] = s.lags;
  j["time_features"] = json::array();
  for (TimeFeature f : s.time_features) j["time_features"].push_back(TimeFeatureName(f));
  j["num_dynamic_feat"] = s.num_dynamic_feat;
  j["cardinality"] = s.cardinality;
  j["num_real_features"] = s.NumRealFeatures();
  j["likelihood"] = LikelihoodName(info.hyperparameters.likelihood);
  j["weights"] = kWeightsFile;
  json hp = info.hyperparameters.ToStrings();
  TRY(WriteFileAtomic(dir + "/" + kHyperparametersFile, hp.dump(2) + "\n"));
  return WriteFileAtomic(dir + "/" + kModelInfoFile, j.dump(2) + "\n");
}

Result<ModelInfo> ReadModelInfo(const std::string& dir) {
  std::string path = dir + "/" + kModelInfoFile;
  TRY_ASSIGN(std::string text, ReadFile(path));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataLoss(path + ": not a JSON object");
  if (j.value("format", "") != "tributary-deepar" || j.value("version", 0) != kFormatVersion) {
    return DataLoss(path + ": not a tributary-deepar model of format version " + std::to_string(kFormatVersion));
  }
  std::string hp_path = dir + "/" + kHyperparametersFile;
  TRY_ASSIGN(std::string hp_text, ReadFile(hp_path));
  auto hp = ParseHyperparametersJson(hp_text, hp_path);
  if (!hp.ok()) return DataLoss(hp.status().message());
  ModelInfo info;
  info.hyperparameters = *hp;
  try {
    FeatureSpec& s = info.spec;
    auto freq = ParseFrequency(j.at("time_freq").get<std::string>());
    if (!freq.ok()) return DataLoss(path + ": " + freq.status().message());
    s.freq = *freq;
    s.context_length = j.at("context_length").get<int>();
    s.prediction_length = j.at("prediction_length").get<int>();
    s.lags = j.at("lags").get<std::vector<int>>();
    for (const auto& name : j.at("time_features")) {
      auto f = ParseTimeFeature(name.get<std::string>());
      if (!f.ok()) return DataLoss(path + ": " + f.status().message());
      s.time_features.push_back(*f);
    }
    s.num_dynamic_feat = j.at("num_dynamic_feat").get<int>();
    s.cardinality = j.at("cardinality").get<std::vector<int64_t>>();
    if (j.at("num_real_features").get<int>() != s.NumRealFeatures()) {
      return DataLoss(path + ": num_real_features does not match the lags and features listed");
    }
  } catch (const json::exception& e) {
    return DataLoss(path + ": " + e.what());
  }
  TRY(CheckFeatureSpec(info.spec, info.hyperparameters, path));
  return info;
}

Status WriteMetrics(const std::string& dir, const std::map<std::string, double>& metrics) {
  json j = json::object();
  for (const auto& [k, v] : metrics) j[k] = std::isfinite(v) ? json(v) : json(nullptr);
  return WriteFileAtomic(dir + "/" + kMetricsFile, j.dump(2) + "\n");
}

}  // namespace tributary::forecast
