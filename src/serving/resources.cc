#include "serving/resources.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "base/clock.h"
#include "lake/catalog.h"

namespace tributary::serving {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

Status Bad(const std::string& field, const std::string& problem) {
  return InvalidArgument(field + ": " + problem);
}

Result<std::string> RequiredString(const json& j, const std::string& key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) return Bad(where + key, "missing");
  if (!it->is_string()) return Bad(where + key, "must be a string");
  return it->get<std::string>();
}

Result<double> OptionalNumber(const json& j, const std::string& key, const std::string& where,
                              double fallback, double lo, double hi) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number()) return Bad(where + key, "must be a number");
  double v = it->get<double>();
  if (!(v >= lo && v <= hi)) {
    return Bad(where + key, "must be " + json(lo).dump() + ".." + json(hi).dump() + ", got " + it->dump());
  }
  return v;
}

Result<int> OptionalInt(const json& j, const std::string& key, const std::string& where, int fallback,
                        int lo, int hi) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) return Bad(where + key, "must be an integer");
  int64_t v = it->get<int64_t>();
  if (v < lo || v > hi) {
    return Bad(where + key, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                                std::to_string(v));
  }
  return static_cast<int>(v);
}

// "application/json" style: a type, '/', a subtype; lower-cased.
Result<std::vector<std::string>> ContentTypes(const json& j, const std::string& key, const std::string& where) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array() || it->empty() || it->size() > 10) {
    return Bad(where + key, "must be an array of 1..10 content types");
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const json& t = (*it)[i];
    std::string at = where + key + "[" + std::to_string(i) + "]";
    if (!t.is_string()) return Bad(at, "must be a string");
    std::string type = t.get<std::string>();
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
    size_t slash = type.find('/');
    bool ok = type.size() <= 256 && slash != std::string::npos && slash > 0 && slash + 1 < type.size() &&
              type.find('/', slash + 1) == std::string::npos;
    for (char c : type) {
      ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || std::string_view("/.+-_*").find(c) != std::string_view::npos);
    }
    if (!ok) return Bad(at, "'" + t.get<std::string>() + "' is not a content type such as application/json");
    out.push_back(type);
  }
  return out;
}

bool IsArtifact(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "model.json", ec);
}

}  // namespace

Status ValidateResourceName(const std::string& kind, const std::string& name) {
  bool ok = !name.empty() && name.size() <= 63 && name.front() != '-' && name.back() != '-';
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
  if (!ok) {
    return InvalidArgument(kind + " name '" + name +
                           "' is not valid: use 1..63 letters, digits and '-', not starting or "
                           "ending with '-'");
  }
  return Status::Ok();
}

Result<Model> ParseModel(const json& j) {
  if (!j.is_object()) return InvalidArgument("model: expected a JSON object");
  Model m;
  TRY_ASSIGN(m.name, RequiredString(j, "ModelName", ""));
  TRY(ValidateResourceName("model", m.name));
  if (j.contains("Artifact") && !j["Artifact"].is_null()) {
    TRY_ASSIGN(m.artifact, RequiredString(j, "Artifact", ""));
  }
  if (j.contains("Command") && !j["Command"].is_null()) {
    TRY_ASSIGN(m.command, RequiredString(j, "Command", ""));
  }
  if (j.contains("MultiModel")) {
    if (!j["MultiModel"].is_boolean()) return Bad("MultiModel", "must be true or false");
    m.multi_model = j["MultiModel"].get<bool>();
  }
  if (m.artifact.empty() && m.command.empty()) {
    return InvalidArgument("model '" + m.name + "' needs 'Artifact' (a trained model directory) or "
                           "'Command' (a program speaking the worker protocol)");
  }
  if (m.artifact.find("://") != std::string::npos) {
    Result<lake::LakePath> uri = lake::LakePath::Parse(m.artifact);
    if (!uri.ok()) return Bad("Artifact", uri.status().message());
    m.artifact_uri = uri->ToUri();
    m.artifact.clear();  // the local copy is made by FetchModelArtifact
  } else if (!m.artifact.empty()) {
    if (!fs::path(m.artifact).is_absolute()) {
      return Bad("Artifact", "'" + m.artifact + "' must be an absolute path or a lake URI (s3://bucket/prefix/)");
    }
    TRY(CheckArtifactDirectory(m));
  }
  if (m.multi_model && !m.command.empty()) {
    return InvalidArgument("model '" + m.name + "': a multi-model model serves DeepAR artifacts; "
                           "it cannot have a Command");
  }
  m.created_ms = WallMillis();
  return m;
}

Status CheckArtifactDirectory(const Model& m) {
  const std::string shown = m.artifact_uri.empty() ? m.artifact : m.artifact_uri;
  fs::path dir(m.artifact);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Bad("Artifact", "'" + shown + "' is not a directory");
  if (m.multi_model) {
    bool any = false;
    for (const auto& e : fs::directory_iterator(dir, ec)) any = any || IsArtifact(e.path());
    if (!any) {
      return Bad("Artifact", "'" + shown +
                                 "' holds no model directory (a multi-model artifact is a directory "
                                 "of trained model directories)");
    }
  } else if (m.command.empty() && !IsArtifact(dir)) {
    return Bad("Artifact", "'" + shown + "' has no model.json: not a trained model directory "
                                         "(the --output of 'tributary train', or a training job's "
                                         "S3ModelArtifacts)");
  }
  return Status::Ok();
}

json ToJson(const Model& m) {
  json j = {{"ModelName", m.name},
            {"MultiModel", m.multi_model},
            {"CreationTime", FormatIso8601Millis(m.created_ms)},
            {"CreatedMs", m.created_ms}};
  if (!m.artifact_uri.empty()) {
    j["Artifact"] = m.artifact_uri;
    j["ArtifactCache"] = m.artifact;
  } else if (!m.artifact.empty()) {
    j["Artifact"] = m.artifact;
  }
  if (!m.command.empty()) j["Command"] = m.command;
  return j;
}

Result<EndpointConfig> ParseEndpointConfig(const json& j) {
  if (!j.is_object()) return InvalidArgument("endpoint config: expected a JSON object");
  EndpointConfig c;
  TRY_ASSIGN(c.name, RequiredString(j, "EndpointConfigName", ""));
  TRY(ValidateResourceName("endpoint config", c.name));
  auto it = j.find("ProductionVariants");
  if (it == j.end() || !it->is_array() || it->empty() || it->size() > 10) {
    return Bad("ProductionVariants", "must be an array of 1..10 variants");
  }
  double total = 0;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    std::string where = "ProductionVariants[" + std::to_string(i) + "].";
    if (!v.is_object()) return Bad(where.substr(0, where.size() - 1), "must be an object");
    VariantConfig vc;
    TRY_ASSIGN(vc.name, RequiredString(v, "VariantName", where));
    TRY(ValidateResourceName("variant", vc.name).WithContext(where + "VariantName"));
    TRY_ASSIGN(vc.model, RequiredString(v, "ModelName", where));
    TRY_ASSIGN(vc.initial_weight, OptionalNumber(v, "InitialVariantWeight", where, 1, 0, 1e6));
    TRY_ASSIGN(vc.instances, OptionalInt(v, "InitialInstanceCount", where, 1, 1, 16));
    TRY_ASSIGN(vc.max_queued_per_instance, OptionalInt(v, "MaxQueuedRequestsPerInstance", where, 16, 1, 10000));
    TRY_ASSIGN(vc.memory_budget_mib, OptionalInt(v, "MemoryBudgetMiB", where, 2048, 64, 1 << 20));
    for (const auto& other : c.variants) {
      if (other.name == vc.name) return Bad(where + "VariantName", "'" + vc.name + "' appears twice");
    }
    total += vc.initial_weight;
    c.variants.push_back(std::move(vc));
  }
  if (total <= 0) return Bad("ProductionVariants", "the weights add up to 0: no variant would get traffic");
  if (auto dc = j.find("DataCaptureConfig"); dc != j.end() && !dc->is_null()) {
    TRY_ASSIGN(c.data_capture, ParseDataCaptureConfig(*dc, "DataCaptureConfig."));
  }
  c.created_ms = WallMillis();
  return c;
}

Result<DataCaptureConfig> ParseDataCaptureConfig(const json& j, const std::string& where) {
  if (!j.is_object()) return Bad(where.substr(0, where.size() - 1), "must be an object");
  DataCaptureConfig c;
  if (auto it = j.find("EnableCapture"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return Bad(where + "EnableCapture", "must be true or false");
    c.enabled = it->get<bool>();
  }
  if (!j.contains("InitialSamplingPercentage")) return Bad(where + "InitialSamplingPercentage", "missing (0..100)");
  TRY_ASSIGN(c.sampling_percentage, OptionalInt(j, "InitialSamplingPercentage", where, 0, 0, 100));
  TRY_ASSIGN(std::string uri, RequiredString(j, "DestinationS3Uri", where));
  Result<lake::LakePath> dest = lake::LakePath::Parse(uri);
  if (!dest.ok()) return Bad(where + "DestinationS3Uri", dest.status().message());
  c.bucket = dest->bucket;
  c.prefix = dest->prefix;
  auto options = j.find("CaptureOptions");
  if (options == j.end() || !options->is_array() || options->empty() || options->size() > 32) {
    return Bad(where + "CaptureOptions", "must be an array of 1..32 {\"CaptureMode\": \"Input\" | \"Output\" | "
                                        "\"InputAndOutput\"}");
  }
  for (size_t i = 0; i < options->size(); ++i) {
    const json& o = (*options)[i];
    std::string at = where + "CaptureOptions[" + std::to_string(i) + "].";
    if (!o.is_object()) return Bad(at.substr(0, at.size() - 1), "must be an object");
    TRY_ASSIGN(std::string mode, RequiredString(o, "CaptureMode", at));
    if (mode == "Input" || mode == "InputAndOutput") c.capture_input = true;
    if (mode == "Output" || mode == "InputAndOutput") c.capture_output = true;
    if (mode != "Input" && mode != "Output" && mode != "InputAndOutput") {
      return Bad(at + "CaptureMode", "'" + mode + "' is not Input, Output or InputAndOutput");
    }
  }
  if (auto h = j.find("CaptureContentTypeHeader"); h != j.end() && !h->is_null()) {
    std::string at = where + "CaptureContentTypeHeader.";
    if (!h->is_object()) return Bad(at.substr(0, at.size() - 1), "must be an object");
    TRY_ASSIGN(c.json_content_types, ContentTypes(*h, "JsonContentTypes", at));
    TRY_ASSIGN(c.csv_content_types, ContentTypes(*h, "CsvContentTypes", at));
  }
  if (auto k = j.find("KmsKeyId"); k != j.end() && !k->is_null()) {
    return Bad(where + "KmsKeyId", "not supported: captured objects are written as the lake stores every object "
                                   "(encrypt the lake's disk or bucket instead)");
  }
  TRY_ASSIGN(c.flush_interval_s, OptionalInt(j, "FlushIntervalInSeconds", where, 60, 1, 900));
  return c;
}

json ToJson(const DataCaptureConfig& c) {
  json options = json::array();
  if (c.capture_input && c.capture_output) {
    options.push_back({{"CaptureMode", "InputAndOutput"}});
  } else {
    options.push_back({{"CaptureMode", c.capture_input ? "Input" : "Output"}});
  }
  json j = {{"EnableCapture", c.enabled},
            {"InitialSamplingPercentage", c.sampling_percentage},
            {"DestinationS3Uri", c.DestinationUri()},
            {"CaptureOptions", options},
            {"FlushIntervalInSeconds", c.flush_interval_s}};
  json header = json::object();
  if (!c.json_content_types.empty()) header["JsonContentTypes"] = c.json_content_types;
  if (!c.csv_content_types.empty()) header["CsvContentTypes"] = c.csv_content_types;
  if (!header.empty()) j["CaptureContentTypeHeader"] = header;
  return j;
}

json ToJson(const EndpointConfig& c) {
  json variants = json::array();
  for (const auto& v : c.variants) {
    variants.push_back({{"VariantName", v.name},
                        {"ModelName", v.model},
                        {"InitialVariantWeight", v.initial_weight},
                        {"InitialInstanceCount", v.instances},
                        {"MaxQueuedRequestsPerInstance", v.max_queued_per_instance},
                        {"MemoryBudgetMiB", v.memory_budget_mib}});
  }
  json j = {{"EndpointConfigName", c.name},
            {"ProductionVariants", variants},
            {"CreationTime", FormatIso8601Millis(c.created_ms)},
            {"CreatedMs", c.created_ms}};
  if (c.data_capture) j["DataCaptureConfig"] = ToJson(*c.data_capture);
  return j;
}

Result<DeploymentConfig> ParseDeploymentConfig(const json& j) {
  DeploymentConfig d;
  if (j.is_null()) return d;
  if (!j.is_object()) return InvalidArgument("DeploymentConfig: expected a JSON object");
  if (auto bg = j.find("BlueGreenUpdatePolicy"); bg != j.end()) {
    const std::string w = "DeploymentConfig.BlueGreenUpdatePolicy.";
    if (!bg->is_object()) return Bad(w.substr(0, w.size() - 1), "must be an object");
    if (auto tr = bg->find("TrafficRoutingConfiguration"); tr != bg->end()) {
      const std::string t = w + "TrafficRoutingConfiguration.";
      if (!tr->is_object()) return Bad(t.substr(0, t.size() - 1), "must be an object");
      TRY_ASSIGN(std::string type, RequiredString(*tr, "Type", t));
      if (type == "ALL_AT_ONCE") {
        d.type = TrafficType::kAllAtOnce;
      } else if (type == "CANARY") {
        d.type = TrafficType::kCanary;
      } else if (type == "LINEAR") {
        d.type = TrafficType::kLinear;
      } else {
        return Bad(t + "Type", "'" + type + "' is not ALL_AT_ONCE, CANARY or LINEAR");
      }
      TRY_ASSIGN(d.wait_interval_s, OptionalInt(*tr, "WaitIntervalInSeconds", t, 0, 0, 3600));
      for (auto [key, target] : {std::pair<const char*, double*>{"CanarySize", &d.canary_percent},
                                 std::pair<const char*, double*>{"LinearStepSize", &d.linear_step_percent}}) {
        auto size = tr->find(key);
        if (size == tr->end()) continue;
        std::string s = t + key + ".";
        if (!size->is_object()) return Bad(t + key, "must be an object");
        TRY_ASSIGN(std::string size_type, RequiredString(*size, "Type", s));
        if (size_type != "CAPACITY_PERCENT") {
          return Bad(s + "Type", "'" + size_type + "' is not supported; use CAPACITY_PERCENT");
        }
        TRY_ASSIGN(*target, OptionalNumber(*size, "Value", s, *target, 1, 99));
      }
    }
    TRY_ASSIGN(d.termination_wait_s, OptionalInt(*bg, "TerminationWaitInSeconds", w, 0, 0, 3600));
    TRY_ASSIGN(d.max_execution_timeout_s,
               OptionalInt(*bg, "MaximumExecutionTimeoutInSeconds", w, 3600, 10, 28800));
  }
  if (auto ar = j.find("AutoRollbackConfiguration"); ar != j.end()) {
    const std::string w = "DeploymentConfig.AutoRollbackConfiguration.Alarms";
    auto alarms = ar->find("Alarms");
    if (!ar->is_object() || alarms == ar->end() || !alarms->is_array()) return Bad(w, "must be an array");
    for (size_t i = 0; i < alarms->size(); ++i) {
      const json& a = (*alarms)[i];
      std::string where = w + "[" + std::to_string(i) + "].";
      if (!a.is_object()) return Bad(where, "must be an object");
      RollbackAlarm alarm;
      TRY_ASSIGN(alarm.name, RequiredString(a, "AlarmName", where));
      TRY_ASSIGN(std::string metric, RequiredString(a, "Metric", where));
      if (metric == "ErrorRate") {
        alarm.metric = RollbackAlarm::Metric::kErrorRate;
        TRY_ASSIGN(alarm.threshold, OptionalNumber(a, "Threshold", where, 0.05, 0, 1));
      } else if (metric == "ModelLatencyP99Ms") {
        alarm.metric = RollbackAlarm::Metric::kModelLatencyP99Ms;
        TRY_ASSIGN(alarm.threshold, OptionalNumber(a, "Threshold", where, 1000, 0.001, 3.6e6));
      } else {
        return Bad(where + "Metric", "'" + metric + "' is not ErrorRate or ModelLatencyP99Ms");
      }
      d.alarms.push_back(std::move(alarm));
    }
  }
  return d;
}

json ToJson(const DeploymentConfig& d) {
  const char* type = d.type == TrafficType::kCanary   ? "CANARY"
                     : d.type == TrafficType::kLinear ? "LINEAR"
                                                      : "ALL_AT_ONCE";
  json routing = {{"Type", type}, {"WaitIntervalInSeconds", d.wait_interval_s}};
  if (d.type == TrafficType::kCanary) routing["CanarySize"] = {{"Type", "CAPACITY_PERCENT"}, {"Value", d.canary_percent}};
  if (d.type == TrafficType::kLinear) {
    routing["LinearStepSize"] = {{"Type", "CAPACITY_PERCENT"}, {"Value", d.linear_step_percent}};
  }
  json alarms = json::array();
  for (const auto& a : d.alarms) {
    alarms.push_back({{"AlarmName", a.name},
                      {"Metric", a.metric == RollbackAlarm::Metric::kErrorRate ? "ErrorRate" : "ModelLatencyP99Ms"},
                      {"Threshold", a.threshold}});
  }
  return {{"BlueGreenUpdatePolicy",
           {{"TrafficRoutingConfiguration", routing},
            {"TerminationWaitInSeconds", d.termination_wait_s},
            {"MaximumExecutionTimeoutInSeconds", d.max_execution_timeout_s}}},
          {"AutoRollbackConfiguration", {{"Alarms", alarms}}}};
}

}  // namespace tributary::serving
