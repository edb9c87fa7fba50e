// Buckets' lifecycle configurations (lifecycle.h), kept in the metadata database so that
// every server of a deployment sees the same. Thread-safe (the database serialises).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/status.h"
#include "lake/lifecycle.h"

namespace tributary::metadata {
class Database;
}

namespace tributary::lake {

class LifecycleStore {
 public:
  // Creates the table on first use. `db` must outlive the store.
  static Result<std::unique_ptr<LifecycleStore>> Open(metadata::Database* db);

  // Replaces the bucket's configuration.
  Status Put(const std::string& bucket, const LifecycleConfiguration& config);
  // NotFound when the bucket has none.
  Result<LifecycleConfiguration> Get(const std::string& bucket) const;
  // NotFound when the bucket has none.
  Status Delete(const std::string& bucket);
  // Every bucket's, by bucket.
  Result<std::map<std::string, LifecycleConfiguration>> List() const;

 private:
  explicit LifecycleStore(metadata::Database* db) : db_(db) {}
  metadata::Database* db_;
};

}  // namespace tributary::lake
