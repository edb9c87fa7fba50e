#include "monitor/retraining.h"

#include <chrono>
#include <thread>

#include "base/clock.h"
#include "expr/functions.h"

namespace tributary::monitor {

namespace {

using nlohmann::json;

int64_t ParseTime(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return 0;
  auto micros = expr::ParseIso8601Micros(it->get<std::string>());
  return micros ? *micros / 1000 : 0;
}

std::string StringOr(const json& j, const char* key, const std::string& fallback = "") {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// Sleeps `ms` in short steps; false when the monitor is stopping.
bool Pause(const RetrainingContext& c, int ms) {
  for (int waited = 0; waited < ms; waited += 50) {
    if (c.stopping && c.stopping()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return !(c.stopping && c.stopping());
}

class Run {
 public:
  Run(const MonitorSpec& spec, const std::string& stamp, double trigger, const RetrainingContext& c)
      : spec_(spec), c_(c), name_(spec.name + "-" + stamp), channels_(spec.retraining->channels_uri + stamp + "/") {
    r_.start_ms = c_.now_ms();
    r_.trigger_value = trigger;
  }

  RetrainingRecord Go() {
    r_.steps.push_back({"Preparing", r_.start_ms, 0});
    r_.status = "Preparing";
    c_.progress(r_);
    Status st = Prepare();
    if (st.ok()) st = Train();
    if (st.ok()) st = Deploy();
    if (!st.ok()) {
      if (r_.status != "RolledBack") r_.status = "Failed";
      r_.failure_reason = st.message();
    }
    r_.end_ms = c_.now_ms();
    EndStep(r_.end_ms);
    r_.steps.push_back({r_.status, r_.end_ms, r_.end_ms});
    c_.progress(r_);
    return r_;
  }

 private:
  void EndStep(int64_t now) {
    if (!r_.steps.empty() && r_.steps.back().end_ms == 0) r_.steps.back().end_ms = now;
  }

  void Step(const std::string& status) {
    int64_t now = c_.now_ms();
    EndStep(now);
    r_.steps.push_back({status, now, 0});
    r_.status = status;
    c_.progress(r_);
  }

  Status Stopped() const {
    return Status(ErrorCode::kCancelled, "the monitor stopped during the retraining (step " + r_.status + ")");
  }

  Status Prepare() {
    forecast::PrepareRequest request = spec_.prepare;
    request.out = channels_;
    request.overwrite = false;
    auto summary = c_.services->Prepare(request);
    if (!summary.ok()) return summary.status().WithContext("preparing channels in " + channels_);
    return Status::Ok();
  }

  Status Train() {
    auto tmpl = c_.services->DescribeTrainingJob(spec_.retraining->template_job);
    if (!tmpl.ok()) return tmpl.status().WithContext("the template training job");
    auto created = c_.services->CreateTrainingJob(RetrainingJobRequest(*tmpl, name_, channels_));
    if (!created.ok()) return created.status().WithContext("creating training job '" + name_ + "'");
    r_.training_job = name_;
    Step("Training");
    for (;;) {
      auto d = c_.services->DescribeTrainingJob(name_);
      if (!d.ok()) return d.status().WithContext("training job '" + name_ + "'");
      std::string status = StringOr(*d, "TrainingJobStatus");
      if (status == "Completed") {
        job_ = std::move(*d);
        return Status::Ok();
      }
      if (status != "InProgress" && status != "Stopping") {
        return FailedPrecondition("training job '" + name_ + "' ended " + status + ": " +
                                  StringOr(*d, "FailureReason", "no reason given"));
      }
      if (!Pause(c_, c_.poll_ms)) return Stopped();
    }
  }

  Status Deploy() {
    std::string artifact = job_.contains("ModelArtifacts") ? StringOr(job_["ModelArtifacts"], "S3ModelArtifacts") : "";
    if (artifact.empty()) return FailedPrecondition("training job '" + name_ + "' completed without a model artifact");
    Step("Deploying");
    TRY(c_.services->CreateModel(name_, artifact).WithContext("creating model '" + name_ + "'"));
    r_.model = name_;
    auto endpoint = c_.services->DescribeEndpoint(spec_.endpoint);
    if (!endpoint.ok()) return endpoint.status();
    r_.previous_endpoint_config = StringOr(*endpoint, "EndpointConfigName");
    auto current = c_.services->GetEndpointConfig(r_.previous_endpoint_config);
    if (!current.ok()) return current.status().WithContext("the endpoint's config");
    TRY(c_.services->CreateEndpointConfig(ConfigServing(*current, name_, name_))
            .WithContext("creating endpoint config '" + name_ + "'"));
    r_.endpoint_config = name_;
    auto deployment = serving::ParseDeploymentConfig(spec_.retraining->deployment);
    if (!deployment.ok()) return deployment.status().WithContext("Retraining.DeploymentConfig");
    TRY(c_.services->UpdateEndpoint(spec_.endpoint, name_, *deployment)
            .WithContext("updating endpoint '" + spec_.endpoint + "'"));
    c_.progress(r_);
    return AwaitRollout();
  }

  // Until the endpoint is no longer Updating: Deployed if it serves the new config.
  Status AwaitRollout() {
    for (;;) {
      if (!Pause(c_, c_.poll_ms)) return Stopped();
      auto d = c_.services->DescribeEndpoint(spec_.endpoint);
      if (!d.ok()) return d.status().WithContext("endpoint '" + spec_.endpoint + "' during the update");
      std::string status = StringOr(*d, "EndpointStatus");
      if (status == "Updating" || status == "Creating") continue;
      if (status == "InService" && StringOr(*d, "EndpointConfigName") == name_) {
        r_.status = "Deployed";
        r_.new_baseline = FinalMetric(job_, spec_.metric);
        return Status::Ok();
      }
      r_.status = "RolledBack";
      return FailedPrecondition("endpoint '" + spec_.endpoint + "' is " + status + " with config '" +
                                StringOr(*d, "EndpointConfigName") + "': " +
                                StringOr(*d, "FailureReason", "the update did not take"));
    }
  }

  const MonitorSpec& spec_;
  const RetrainingContext& c_;
  const std::string name_;
  const std::string channels_;
  RetrainingRecord r_;
  json job_;
};

}  // namespace

json RetrainingRecord::ToJson() const {
  json j = {{"StartTime", FormatIso8601Millis(start_ms)},
            {"Status", status},
            {"TriggerValue", trigger_value}};
  if (end_ms != 0) j["EndTime"] = FormatIso8601Millis(end_ms);
  if (!failure_reason.empty()) j["FailureReason"] = failure_reason;
  if (!training_job.empty()) j["TrainingJobName"] = training_job;
  if (!model.empty()) j["ModelName"] = model;
  if (!endpoint_config.empty()) j["EndpointConfigName"] = endpoint_config;
  if (!previous_endpoint_config.empty()) j["PreviousEndpointConfigName"] = previous_endpoint_config;
  if (new_baseline) j["NewBaseline"] = *new_baseline;
  json steps = json::array();
  for (const RetrainingStep& s : this->steps) {
    json t = {{"Status", s.status}, {"StartTime", FormatIso8601Millis(s.start_ms)}};
    if (s.end_ms != 0) t["EndTime"] = FormatIso8601Millis(s.end_ms);
    steps.push_back(t);
  }
  j["StatusTransitions"] = steps;
  return j;
}

RetrainingRecord RetrainingRecord::FromJson(const json& j) {
  RetrainingRecord r;
  r.start_ms = ParseTime(j, "StartTime");
  r.end_ms = ParseTime(j, "EndTime");
  r.status = StringOr(j, "Status", "Failed");
  r.failure_reason = StringOr(j, "FailureReason");
  r.training_job = StringOr(j, "TrainingJobName");
  r.model = StringOr(j, "ModelName");
  r.endpoint_config = StringOr(j, "EndpointConfigName");
  r.previous_endpoint_config = StringOr(j, "PreviousEndpointConfigName");
  if (auto it = j.find("TriggerValue"); it != j.end() && it->is_number()) r.trigger_value = it->get<double>();
  if (auto it = j.find("NewBaseline"); it != j.end() && it->is_number()) r.new_baseline = it->get<double>();
  if (auto it = j.find("StatusTransitions"); it != j.end() && it->is_array()) {
    for (const json& t : *it) {
      if (t.is_object()) r.steps.push_back({StringOr(t, "Status"), ParseTime(t, "StartTime"), ParseTime(t, "EndTime")});
    }
  }
  return r;
}

json RetrainingJobRequest(const json& tmpl, const std::string& job_name, const std::string& channels_uri) {
  json request = {{"TrainingJobName", job_name}};
  for (const char* key : {"AlgorithmSpecification", "HyperParameters", "OutputDataConfig", "StoppingCondition"}) {
    if (auto it = tmpl.find(key); it != tmpl.end()) request[key] = *it;
  }
  auto channel = [&](const char* name) {
    return json{{"ChannelName", name},
                {"DataSource",
                 {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", channels_uri + name + "/"}}}}}};
  };
  request["InputDataConfig"] = json::array({channel("train"), channel("test")});
  return request;
}

serving::EndpointConfig ConfigServing(const serving::EndpointConfig& current, const std::string& name,
                                      const std::string& model) {
  serving::EndpointConfig c = current;
  c.name = name;
  c.created_ms = 0;
  for (auto& v : c.variants) v.model = model;
  return c;
}

std::optional<double> FinalMetric(const json& job, const std::string& metric) {
  auto list = job.find("FinalMetricDataList");
  if (list == job.end() || !list->is_array()) return std::nullopt;
  for (const json& m : *list) {
    if (m.is_object() && StringOr(m, "MetricName") == metric && m.contains("Value") && m["Value"].is_number()) {
      return m["Value"].get<double>();
    }
  }
  return std::nullopt;
}

RetrainingRecord RunRetraining(const MonitorSpec& spec, const std::string& stamp, double trigger_value,
                               const RetrainingContext& context) {
  return Run(spec, stamp, trigger_value, context).Go();
}

}  // namespace tributary::monitor
