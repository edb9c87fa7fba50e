#include "app/lake_lifecycle.h"

#include "app/server.h"
#include "lake/lifecycle_store.h"

namespace tributary::app {

namespace {

Result<lake::LifecycleStore*> Store(Server* server) {
  if (server->lifecycle() == nullptr) {
    return FailedPrecondition(
        "buckets' lifecycle rules are the control server's (role 'all'): ask it");
  }
  return server->lifecycle();
}

}  // namespace

Status PutLifecycle(Server* server, const std::string& bucket,
                    const lake::LifecycleConfiguration& config) {
  TRY_ASSIGN(lake::LifecycleStore * store, Store(server));
  TRY(store->Put(bucket, config));
  server->lifecycle_sweeper()->Wake();
  return Status::Ok();
}

Result<lake::LifecycleConfiguration> GetLifecycle(Server* server, const std::string& bucket) {
  TRY_ASSIGN(lake::LifecycleStore * store, Store(server));
  return store->Get(bucket);
}

Status DeleteLifecycle(Server* server, const std::string& bucket) {
  TRY_ASSIGN(lake::LifecycleStore * store, Store(server));
  return store->Delete(bucket);
}

Result<lake::ExpirySummary> SweepLifecycle(Server* server, const std::string& bucket) {
  TRY(Store(server).status());
  return server->lifecycle_sweeper()->SweepBucket(bucket);
}

}  // namespace tributary::app
