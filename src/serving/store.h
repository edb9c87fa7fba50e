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
  std::string deploying_config;  // the config an update is rolling out, else ""
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
  // FailedPrecondition while a config names it (a config an endpoint serves or is being
  // updated to cannot go first, see DeleteConfig).
  Status DeleteModel(const std::string& name);

  Status CreateConfig(const EndpointConfig& c);  // every model must exist
  Result<EndpointConfig> GetConfig(const std::string& name) const;
  Result<std::vector<EndpointConfig>> ListConfigs() const;
  // FailedPrecondition, naming the endpoint, while an endpoint serves it or an update
  // is rolling it out (EndpointRecord::deploying_config).
  Status DeleteConfig(const std::string& name);

  // Insert or replace. With a deploying_config, checks in the same transaction that the
  // config still exists (NotFound): a delete cannot slip in between an update's start
  // and its record.
  Status PutEndpoint(const EndpointRecord& e);
  Result<std::optional<EndpointRecord>> FindEndpoint(const std::string& name) const;
  Result<std::vector<EndpointRecord>> ListEndpoints() const;
  Status DeleteEndpoint(const std::string& name);

 private:
  explicit ServingStore(metadata::Database* db) : db_(db) {}
  metadata::Database* db_;
};

}  // namespace tributary::serving
