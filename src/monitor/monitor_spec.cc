#include "monitor/monitor_spec.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "forecast/metrics.h"
#include "lake/catalog.h"
#include "mqtt/topic.h"
#include "serving/resources.h"
#include "training/job_spec.h"

namespace tributary::monitor {

namespace {

using nlohmann::json;

Status Bad(const std::string& field, const std::string& problem) { return InvalidArgument(field + ": " + problem); }

Status OnlyKnownKeys(const json& object, const std::string& where, const std::set<std::string>& known) {
  for (const auto& [key, value] : object.items()) {
    if (known.count(key) == 0) return InvalidArgument(where + "unknown field '" + key + "'");
  }
  return Status::Ok();
}

Result<std::string> RequiredString(const json& body, const std::string& field, const std::string& where = "") {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return Bad(where + field, "is required");
  if (!it->is_string()) return Bad(where + field, "must be a string");
  return it->get<std::string>();
}

// An integer field in [lo, hi], or `fallback` when absent.
Result<int64_t> IntegerField(const json& body, const std::string& field, int64_t fallback, int64_t lo, int64_t hi) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) return Bad(field, "must be an integer");
  int64_t v = it->get<int64_t>();
  if (v < lo || v > hi) return Bad(field, std::to_string(v) + " is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
  return v;
}

Status ParseData(const json& body, MonitorSpec& spec) {
  auto it = body.find("Data");
  if (it == body.end() || it->is_null()) return Bad("Data", "is required (a forecast prepare request without 'out')");
  if (!it->is_object()) return Bad("Data", "must be an object (a forecast prepare request without 'out')");
  for (const char* field : {"out", "overwrite", "end"}) {
    if (it->contains(field)) {
      return Bad(std::string("Data.") + field, "not allowed: a monitor always evaluates the newest data, in a place of its own");
    }
  }
  json request = *it;
  request["out"] = "monitor";  // required by the parser; each evaluation sets its own
  auto parsed = forecast::PrepareRequest::FromJson(request);
  if (!parsed.ok()) return Bad("Data", parsed.status().message());
  if (parsed->prediction_length < 1) return Bad("Data.prediction_length", "must be at least 1");
  spec.data = *it;
  spec.prepare = std::move(*parsed);
  spec.prepare.out.clear();
  return Status::Ok();
}

Status ParseQuantiles(const json& body, MonitorSpec& spec) {
  auto it = body.find("Quantiles");
  if (it != body.end() && !it->is_null()) {
    if (!it->is_array() || it->empty()) return Bad("Quantiles", "must be a non-empty array of strings like \"0.1\"");
    spec.quantiles.clear();
    for (size_t i = 0; i < it->size(); ++i) {
      const json& q = (*it)[i];
      if (!q.is_string()) return Bad("Quantiles[" + std::to_string(i) + "]", "must be a string like \"0.1\"");
      spec.quantiles.push_back(q.get<std::string>());
    }
  }
  spec.quantile_values.clear();
  for (size_t i = 0; i < spec.quantiles.size(); ++i) {
    const std::string& text = spec.quantiles[i];
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || !(v > 0 && v < 1)) {
      return Bad("Quantiles[" + std::to_string(i) + "]", "'" + text + "' is not a number between 0 and 1");
    }
    // The worker keys its answer by the spelling asked for and the scoring looks answers
    // up by QuantileKey: "0.50" is asked for, and kept, as "0.5".
    std::string key = forecast::QuantileKey(v);
    for (size_t k = 0; k < i; ++k) {
      if (spec.quantiles[k] == key) {
        return Bad("Quantiles[" + std::to_string(i) + "]",
                   "'" + text + "' is the same quantile as Quantiles[" + std::to_string(k) + "]");
      }
    }
    spec.quantiles[i] = std::move(key);
    spec.quantile_values.push_back(v);
  }
  return Status::Ok();
}

Status ParseMetric(const json& body, MonitorSpec& spec) {
  auto it = body.find("Metric");
  if (it != body.end() && !it->is_null()) {
    if (!it->is_string()) return Bad("Metric", "must be a string");
    spec.metric = it->get<std::string>();
  }
  // The names the scoring produces for these quantiles are the ones allowed.
  std::map<std::string, double> names = forecast::MetricsAccumulator(spec.quantile_values).ToMap();
  if (names.count(spec.metric) == 0) {
    std::string list;
    for (const auto& [name, value] : names) list += (list.empty() ? "" : ", ") + name;
    return Bad("Metric", "'" + spec.metric + "' is not one of " + list);
  }
  return Status::Ok();
}

Status ParseBaseline(const json& body, MonitorSpec& spec) {
  auto it = body.find("Baseline");
  if (it == body.end() || it->is_null()) return Status::Ok();  // the first evaluation
  if (!it->is_object()) return Bad("Baseline", "must be an object: {\"Value\": x} or {\"TrainingJobName\": \"job\"}");
  TRY(OnlyKnownKeys(*it, "Baseline: ", {"Value", "TrainingJobName"}));
  if (it->contains("Value") == it->contains("TrainingJobName")) {
    return Bad("Baseline", "give exactly one of 'Value' and 'TrainingJobName'");
  }
  if (it->contains("Value")) {
    const json& v = (*it)["Value"];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() <= 0) {
      return Bad("Baseline.Value", "must be a number above 0");
    }
    spec.baseline.kind = BaselineSpec::Kind::kValue;
    spec.baseline.value = v.get<double>();
    return Status::Ok();
  }
  TRY_ASSIGN(std::string job, RequiredString(*it, "TrainingJobName", "Baseline."));
  Status valid = training::ValidateTrainingJobName(job);
  if (!valid.ok()) return Bad("Baseline", valid.message());
  spec.baseline.kind = BaselineSpec::Kind::kTrainingJob;
  spec.baseline.training_job = job;
  return Status::Ok();
}

Status ParseRetraining(const json& body, MonitorSpec& spec) {
  auto it = body.find("Retraining");
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_object()) return Bad("Retraining", "must be an object");
  TRY(OnlyKnownKeys(*it, "Retraining: ", {"TrainingJobTemplate", "ChannelsUri", "DeploymentConfig"}));
  RetrainingSpec r;
  TRY_ASSIGN(r.template_job, RequiredString(*it, "TrainingJobTemplate", "Retraining."));
  Status valid = training::ValidateTrainingJobName(r.template_job);
  if (!valid.ok()) return Bad("Retraining.TrainingJobTemplate", valid.message());
  TRY_ASSIGN(std::string uri, RequiredString(*it, "ChannelsUri", "Retraining."));
  auto path = lake::LakePath::Parse(uri);
  if (!path.ok()) return Bad("Retraining.ChannelsUri", path.status().message());
  r.channels_uri = path->ToUri();
  if (auto d = it->find("DeploymentConfig"); d != it->end() && !d->is_null()) {
    auto parsed = serving::ParseDeploymentConfig(*d);
    if (!parsed.ok()) return Bad("Retraining.DeploymentConfig", parsed.status().message());
    r.deployment = *d;
  }
  spec.retraining = std::move(r);
  return Status::Ok();
}

}  // namespace

Status ValidateMonitorName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxMonitorNameLength && name.front() != '-' && name.back() != '-';
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
  if (!ok) {
    return Bad("MonitorName", "'" + name + "' is not valid: use 1.." + std::to_string(kMaxMonitorNameLength) +
                                  " letters, digits and '-', not starting or ending with '-'");
  }
  return Status::Ok();
}

Result<MonitorSpec> MonitorSpec::FromJson(const json& body) {
  if (!body.is_object()) return InvalidArgument("monitor: expected a JSON object");
  TRY(OnlyKnownKeys(body, "",
                    {"MonitorName", "EndpointName", "Data", "ScheduleIntervalSeconds", "Metric", "Quantiles",
                     "NumSamples", "Baseline", "DriftThreshold", "ConsecutiveBreaches", "Retraining", "AlertTopic"}));
  MonitorSpec spec;
  TRY_ASSIGN(spec.name, RequiredString(body, "MonitorName"));
  TRY(ValidateMonitorName(spec.name));
  TRY_ASSIGN(spec.endpoint, RequiredString(body, "EndpointName"));
  if (spec.endpoint.empty()) return Bad("EndpointName", "must not be empty");
  TRY(ParseData(body, spec));
  TRY_ASSIGN(spec.interval_s, IntegerField(body, "ScheduleIntervalSeconds", 0, 0, kMaxIntervalSeconds));
  if (spec.interval_s != 0 && spec.interval_s < kMinIntervalSeconds) {
    return Bad("ScheduleIntervalSeconds", "must be 0 (on demand only) or " + std::to_string(kMinIntervalSeconds) +
                                              ".." + std::to_string(kMaxIntervalSeconds));
  }
  TRY(ParseQuantiles(body, spec));
  TRY(ParseMetric(body, spec));
  TRY_ASSIGN(int64_t samples, IntegerField(body, "NumSamples", 100, 1, 1000));
  spec.num_samples = static_cast<int>(samples);
  TRY(ParseBaseline(body, spec));
  if (auto it = body.find("DriftThreshold"); it != body.end() && !it->is_null()) {
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 1) {
      return Bad("DriftThreshold", "must be a number of at least 1 (a multiple of the baseline)");
    }
    spec.threshold = it->get<double>();
  }
  TRY_ASSIGN(int64_t breaches, IntegerField(body, "ConsecutiveBreaches", 1, 1, 100));
  spec.consecutive_breaches = static_cast<int>(breaches);
  TRY(ParseRetraining(body, spec));
  spec.alert_topic = "$SYS/monitors/" + spec.name;
  if (auto it = body.find("AlertTopic"); it != body.end() && !it->is_null()) {
    if (!it->is_string() || !mqtt::IsValidTopicName(it->get<std::string>())) {
      return Bad("AlertTopic", "must be an MQTT topic name (no wildcards, not empty)");
    }
    spec.alert_topic = it->get<std::string>();
  }
  return spec;
}

json MonitorSpec::ToJson() const {
  json j = {{"MonitorName", name},
            {"EndpointName", endpoint},
            {"Data", data},
            {"ScheduleIntervalSeconds", interval_s},
            {"Metric", metric},
            {"Quantiles", quantiles},
            {"NumSamples", num_samples},
            {"DriftThreshold", threshold},
            {"ConsecutiveBreaches", consecutive_breaches},
            {"AlertTopic", alert_topic}};
  switch (baseline.kind) {
    case BaselineSpec::Kind::kFirstEvaluation: j["Baseline"] = nullptr; break;
    case BaselineSpec::Kind::kValue: j["Baseline"] = {{"Value", baseline.value}}; break;
    case BaselineSpec::Kind::kTrainingJob: j["Baseline"] = {{"TrainingJobName", baseline.training_job}}; break;
  }
  if (retraining) {
    j["Retraining"] = {{"TrainingJobTemplate", retraining->template_job},
                       {"ChannelsUri", retraining->channels_uri},
                       {"DeploymentConfig", retraining->deployment}};
  }
  return j;
}

}  // namespace tributary::monitor
