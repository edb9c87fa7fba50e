#include "forecast/artifact.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "base/files.h"

namespace tributary::forecast {
namespace {

using nlohmann::json;
constexpr int kFormatVersion = 1;

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
  return info;
}

Status WriteMetrics(const std::string& dir, const std::map<std::string, double>& metrics) {
  json j = json::object();
  for (const auto& [k, v] : metrics) j[k] = std::isfinite(v) ? json(v) : json(nullptr);
  return WriteFileAtomic(dir + "/" + kMetricsFile, j.dump(2) + "\n");
}

}  // namespace tributary::forecast
