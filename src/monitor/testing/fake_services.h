// Test-only: MonitorServices over a small world kept in memory. The "lake table" is a
// set of series (prepared into test.json as forecast prepare would), every model
// forecasts a flat level of its own, training jobs end as told, and the endpoint
// serves one config whose first variant's model answers.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "monitor/services.h"

namespace tributary::monitor::testing {

class FakeServices : public MonitorServices {
 public:
  using json = nlohmann::json;

  FakeServices() {
    jobs["base"] = Completed("base", 0.1);
    configs["c1"] = serving::EndpointConfig{"c1", {serving::VariantConfig{"v1", "m1"}}, 0, std::nullopt};
    model_level["m1"] = 10;
    endpoint_config = "c1";
  }

  static json Completed(const std::string& name, double wql) {
    return {{"TrainingJobName", name},
            {"TrainingJobStatus", "Completed"},
            {"AlgorithmSpecification", {{"TrainingImage", "forecasting-deepar"}}},
            {"HyperParameters", {{"prediction_length", "2"}, {"epochs", "3"}}},
            {"OutputDataConfig", {{"S3OutputPath", "s3://data/models/"}}},
            {"StoppingCondition", {{"MaxRuntimeInSeconds", 600}}},
            {"ModelArtifacts", {{"S3ModelArtifacts", "s3://data/models/" + name + "/output/model/"}}},
            {"FinalMetricDataList", {{{"MetricName", "test:mean_wQuantileLoss"}, {"Value", wql}}}}};
  }

  // Three series at `level` (4 values each; the last 2 are held out).
  void SetWorldLevel(double level) {
    std::lock_guard<std::mutex> lock(mu);
    world_level = level;
  }

  Result<forecast::PrepareSummary> Prepare(const forecast::PrepareRequest& r) override {
    std::lock_guard<std::mutex> lock(mu);
    prepared.push_back(r.out);
    if (!prepare_error.ok()) return prepare_error;
    forecast::PrepareSummary s;
    s.split = "2026-01-01 02:00:00";
    s.end = "2026-01-01 04:00:00";
    s.objects = 2;
    s.rows = 12;
    s.objects_skipped = objects_skipped;
    if (objects_skipped > 0) s.skipped_objects = {"data/raw/stray.json"};
    s.bad_records = bad_records;
    if (r.out.rfind("s3://", 0) == 0) return s;  // channels for a retraining: only noted
    if (r.out.empty() || r.out.front() != '/') {    // as forecast prepare refuses it
      return InvalidArgument("out: '" + r.out +
                             "' must be an absolute directory or a lake path s3://bucket/prefix/");
    }
    std::string lines, groups;
    for (int i = 0; i < 3; ++i) {
      lines += json{{"start", "2026-01-01 00:00:00"}, {"target", {10, 10, world_level, world_level}}}.dump() + "\n";
      groups += std::string(groups.empty() ? "" : ",") + "{\"group\":\"sensor-" + std::to_string(i) + "\"}";
    }
    std::filesystem::create_directories(r.out + "/test");
    TRY(WriteFileAtomic(r.out + "/test/test.json", lines));
    TRY(WriteFileAtomic(r.out + "/series.json", "{\"series\":[" + groups + "]}"));
    return s;
  }

  Result<json> CreateTrainingJob(const json& request) override {
    std::lock_guard<std::mutex> lock(mu);
    std::string name = request["TrainingJobName"];
    created_jobs.push_back(request);
    json job = Completed(name, next_job_metric);
    job["TrainingJobStatus"] = next_job_status;
    if (next_job_status == "Failed") job["FailureReason"] = "the trainer said no";
    jobs[name] = job;
    return job;
  }
  Result<json> DescribeTrainingJob(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = jobs.find(name);
    if (it == jobs.end()) return NotFound("training job '" + name + "' does not exist");
    return it->second;
  }
  Status CreateModel(const std::string& name, const std::string& artifact_uri) override {
    std::lock_guard<std::mutex> lock(mu);
    model_artifacts[name] = artifact_uri;
    model_level[name] = new_model_level;
    return Status::Ok();
  }
  Result<serving::EndpointConfig> GetEndpointConfig(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = configs.find(name);
    if (it == configs.end()) return NotFound("endpoint config '" + name + "' does not exist");
    return it->second;
  }
  Status CreateEndpointConfig(const serving::EndpointConfig& c) override {
    std::lock_guard<std::mutex> lock(mu);
    configs[c.name] = c;
    return Status::Ok();
  }
  Result<json> DescribeEndpoint(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu);
    if (name != "ep") return NotFound("endpoint '" + name + "' does not exist");
    json d = {{"EndpointName", "ep"}, {"EndpointConfigName", endpoint_config}, {"EndpointStatus", "InService"}};
    if (!failure_reason.empty()) d["FailureReason"] = failure_reason;
    return d;
  }
  Status UpdateEndpoint(const std::string&, const std::string& config, const serving::DeploymentConfig& d) override {
    std::lock_guard<std::mutex> lock(mu);
    deployments.push_back(d);
    if (roll_back) {
      failure_reason = "update to endpoint config '" + config + "' rolled back: alarm errors";
    } else {
      endpoint_config = config;
    }
    return Status::Ok();
  }
  Result<std::string> Invoke(const std::string& endpoint, const std::string& body) override {
    std::lock_guard<std::mutex> lock(mu);
    ++invocations;
    if (endpoint != "ep") return NotFound("endpoint '" + endpoint + "' does not exist");
    double level = model_level[configs[endpoint_config].variants.at(0).model];
    json req = json::parse(body);
    json predictions = json::array();
    for (size_t i = 0; i < req["instances"].size(); ++i) {
      std::vector<double> v(2, level);
      json q = json::object();
      for (const auto& k : req["configuration"]["quantiles"]) q[k.get<std::string>()] = v;
      predictions.push_back({{"mean", v}, {"quantiles", q}});
    }
    return json{{"predictions", predictions}}.dump();
  }

  void Publish(const std::string& topic, const std::string& payload) override {
    std::lock_guard<std::mutex> lock(mu);
    published.emplace_back(topic, json::parse(payload));
  }

  std::mutex mu;
  std::vector<std::pair<std::string, json>> published;
  double world_level = 10;
  std::map<std::string, json> jobs;
  std::map<std::string, serving::EndpointConfig> configs;
  std::map<std::string, double> model_level;
  std::map<std::string, std::string> model_artifacts;
  std::string endpoint_config;
  std::string failure_reason;
  std::vector<std::string> prepared;
  std::vector<json> created_jobs;
  std::vector<serving::DeploymentConfig> deployments;
  std::string next_job_status = "Completed";
  double next_job_metric = 0.12;
  double new_model_level = 50;
  bool roll_back = false;
  Status prepare_error;
  int64_t objects_skipped = 0, bad_records = 0;  // what Prepare reports having left out
  int invocations = 0;
};

}  // namespace tributary::monitor::testing
