// What model hosting keeps in the metadata database (component "serving"): models,
// endpoint configs (immutable once created) and endpoints (the config they serve, their
// status and the variant weights set by update-weights), so that endpoints come back
// after a restart. Live state (worker fleets, traffic shares, metrics) is in memory.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "metadata/database.h"
#include "serving/resources.h"

namespace tributary::serving {

struct EndpointRecord {
  std::string name;
  std::string config;  // the config whose variants serve (an update switches it at the end)
  std::string status;  // Creating, InService, Updating, RollingBack, Failed, Deleting
  std::string failure_reason;
  std::map<std::string, double> weights;  // variant -> weight (update-weights), else the config's
  std::string last_deployment;            // DeploymentConfig JSON of the last update, or ""
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
};

class ServingStore {
 public:
  static Result<std::unique_ptr<ServingStore>> Open(metadata::Database* db);

  Status CreateModel(const Model& m);  // AlreadyExists
  Result<Model> GetModel(const std::string& name) const;
  Result<std::vector<Model>> ListModels() const;
  Status DeleteModel(const std::string& name);  // FailedPrecondition while a config names it

  Status CreateConfig(const EndpointConfig& c);  // every model must exist
  Result<EndpointConfig> GetConfig(const std::string& name) const;
  Result<std::vector<EndpointConfig>> ListConfigs() const;
  Status DeleteConfig(const std::string& name);  // FailedPrecondition while an endpoint uses it

  Status PutEndpoint(const EndpointRecord& e);  // insert or replace
  Result<std::optional<EndpointRecord>> FindEndpoint(const std::string& name) const;
  Result<std::vector<EndpointRecord>> ListEndpoints() const;
  Status DeleteEndpoint(const std::string& name);

 private:
  explicit ServingStore(metadata::Database* db) : db_(db) {}
  metadata::Database* db_;
};

}  // namespace tributary::serving
