// Monitors in the metadata database (component "monitor"): each monitor's definition
// (MonitorSpec::ToJson) and its state (baseline, breaches, the last evaluations and
// retrainings) as JSON documents, written after every change.
//
// Thread-safety: as metadata::Database, every method from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "metadata/database.h"

namespace tributary::monitor {

struct StoredMonitor {
  std::string name;
  int64_t created_ms = 0;
  nlohmann::json spec;
  nlohmann::json state;
};

class MonitorStore {
 public:
  static Result<std::unique_ptr<MonitorStore>> Open(metadata::Database* db);

  Status Insert(const StoredMonitor& m);  // AlreadyExists when the name is taken
  Status SaveState(const std::string& name, const nlohmann::json& state);
  Status Delete(const std::string& name);
  Result<std::vector<StoredMonitor>> List() const;  // oldest first

 private:
  explicit MonitorStore(metadata::Database* db) : db_(db) {}
  metadata::Database* db_;
};

}  // namespace tributary::monitor
