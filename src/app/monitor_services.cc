#include "app/monitor_services.h"

#include <chrono>
#include <future>

#include "app/server.h"
#include "broker/broker.h"
#include "serving/artifact_fetch.h"
#include "serving/endpoint_manager.h"
#include "serving/store.h"
#include "training/training_jobs.h"

namespace tributary::app {

namespace {

using nlohmann::json;

class ServerMonitorServices : public monitor::MonitorServices {
 public:
  explicit ServerMonitorServices(Server* server) : s_(server) {}

  Result<forecast::PrepareSummary> Prepare(const forecast::PrepareRequest& request) override {
    return forecast::PrepareFromTable(request, &s_->catalog(), &s_->lake());
  }
  Result<json> CreateTrainingJob(const json& request) override { return s_->training().Create(request); }
  Result<json> DescribeTrainingJob(const std::string& name) override { return s_->training().Describe(name); }
  Status CreateModel(const std::string& name, const std::string& artifact_uri) override {
    return serving::RegisterModel({{"ModelName", name}, {"Artifact", artifact_uri}}, s_->serving_store(), s_->lake(),
                                  s_->config().data_dir + "/models")
        .status();
  }
  Result<serving::EndpointConfig> GetEndpointConfig(const std::string& name) override {
    return s_->serving_store().GetConfig(name);
  }
  Status CreateEndpointConfig(const serving::EndpointConfig& config) override {
    return s_->serving_store().CreateConfig(config);
  }
  Result<json> DescribeEndpoint(const std::string& name) override { return s_->endpoints().Describe(name); }
  Status UpdateEndpoint(const std::string& name, const std::string& config,
                        const serving::DeploymentConfig& deployment) override {
    return s_->endpoints().Update(name, config, deployment);
  }

  Result<std::string> Invoke(const std::string& endpoint, const std::string& body) override {
    serving::InvokeRequest request;
    request.endpoint = endpoint;
    request.invocation.body = body;
    auto answer = std::make_shared<std::promise<serving::InvokeAnswer>>();
    std::future<serving::InvokeAnswer> future = answer->get_future();
    s_->endpoints().Invoke(std::move(request), [answer](serving::InvokeAnswer a) { answer->set_value(std::move(a)); });
    // The endpoint's own request timeout ends every request; this only guards against a lost answer.
    if (future.wait_for(std::chrono::minutes(5)) != std::future_status::ready) {
      return Status(ErrorCode::kDeadlineExceeded, "endpoint '" + endpoint + "' did not answer within 5 minutes");
    }
    serving::InvokeAnswer a = future.get();
    if (a.status >= 200 && a.status < 300) return std::move(a.body);
    std::string message = a.body;
    if (json j = json::parse(a.body, nullptr, false); j.is_object() && j.contains("error")) {
      const json& e = j["error"];
      message = e.is_string() ? e.get<std::string>() : (e.is_object() && e.contains("message") ? e["message"].dump() : e.dump());
    }
    ErrorCode code = a.status == 404 ? ErrorCode::kNotFound
                     : a.status == 503 ? ErrorCode::kUnavailable
                     : a.status < 500 ? ErrorCode::kInvalidArgument
                                      : ErrorCode::kInternal;
    return Status(code, "endpoint '" + endpoint + "' answered " + std::to_string(a.status) + ": " + message);
  }

  void Publish(const std::string& topic, const std::string& payload) override {
    s_->PublishInternal(topic, payload, 1);
  }

 private:
  Server* s_;
};

}  // namespace

std::unique_ptr<monitor::MonitorServices> MakeMonitorServices(Server* server) {
  return std::make_unique<ServerMonitorServices>(server);
}

}  // namespace tributary::app
