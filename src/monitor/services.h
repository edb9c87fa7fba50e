// What a monitor needs from the rest of the server, as one narrow interface: the
// composition root (app/monitor_services.cc) implements it over the catalog, the lake,
// training jobs and model hosting; tests implement it with stand-ins. Every method may
// be called from any thread.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "forecast/prepare.h"
#include "serving/resources.h"

namespace tributary::monitor {

class MonitorServices {
 public:
  virtual ~MonitorServices() = default;

  // forecast/prepare.h's PrepareFromTable.
  virtual Result<forecast::PrepareSummary> Prepare(const forecast::PrepareRequest& request) = 0;

  // Training jobs (training/training_jobs.h): CreateTrainingJob's request in, descriptions out.
  virtual Result<nlohmann::json> CreateTrainingJob(const nlohmann::json& request) = 0;
  virtual Result<nlohmann::json> DescribeTrainingJob(const std::string& name) = 0;

  // Model hosting (serving/): a model from a lake artifact URI (copied locally as
  // `model create --artifact s3://...` does), endpoint configs, endpoints.
  virtual Status CreateModel(const std::string& name, const std::string& artifact_uri) = 0;
  virtual Result<serving::EndpointConfig> GetEndpointConfig(const std::string& name) = 0;
  virtual Status CreateEndpointConfig(const serving::EndpointConfig& config) = 0;
  virtual Result<nlohmann::json> DescribeEndpoint(const std::string& name) = 0;
  virtual Status UpdateEndpoint(const std::string& name, const std::string& config,
                                const serving::DeploymentConfig& deployment) = 0;
  // One JSON request to the endpoint, routed by weight; the answer's body on 2xx,
  // otherwise an error with the status and the endpoint's message.
  virtual Result<std::string> Invoke(const std::string& endpoint, const std::string& body) = 0;

  // Publishes an event to MQTT subscribers (QoS 1, not retained), from inside the server.
  virtual void Publish(const std::string& topic, const std::string& payload) = 0;
};

}  // namespace tributary::monitor
