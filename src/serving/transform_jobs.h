// Batch transform (SageMaker's CreateTransformJob): a model over every object under a
// lake prefix. Each input object is JSON Lines (one series per line); its forecasts go
// to <output prefix><key relative to the input prefix>.out, one line per input line in
// the same order. Lines are sent to a fleet of the model's workers in batches
// (application/jsonlines), several batches in flight. A batch the model refuses or
// fails ends the job Failed, naming the object and its lines; outputs already written
// stay (as in SageMaker). Jobs are kept in the metadata database (component
// "serving.transform"); a job left InProgress by a stopped server is marked Failed at Open.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "metadata/database.h"
#include "objstore/object_store.h"
#include "serving/endpoint_manager.h"

namespace tributary::serving {

class TransformJobs {
 public:
  static Result<std::unique_ptr<TransformJobs>> Open(metadata::Database* db, EndpointManager* endpoints,
                                                     objstore::ObjectStoreProvider* lake);
  ~TransformJobs();  // Stop()

  // {"TransformJobName", "ModelName", "TransformInput": {"Bucket", "Prefix"},
  //  "TransformOutput": {"Bucket", "Prefix"}, "InstanceCount"?, "Configuration"?,
  //  "MaxRecordsPerBatch"? (1..1000, default 32)}. Returns once the job is recorded.
  Status Start(const nlohmann::json& request);
  Result<nlohmann::json> Describe(const std::string& name) const;
  Result<nlohmann::json> List() const;
  // Asks a running job to stop (it ends Stopped once its batches in flight are answered;
  // Describe says Stopping until then). NotFound for no such job, FailedPrecondition for
  // one that has ended.
  Status StopJob(const std::string& name);
  // Stops running jobs (they end Stopped) and waits for them. Idempotent.
  void Stop();

 private:
  struct Job;
  TransformJobs(metadata::Database* db, EndpointManager* endpoints, objstore::ObjectStoreProvider* lake)
      : db_(db), endpoints_(endpoints), lake_(lake) {}
  void Run(std::shared_ptr<Job> job);
  Status Save(const Job& job);
  Status TransformObject(Job& job, Fleet& fleet, objstore::ObjectStore& in, objstore::ObjectStore& out,
                         const std::string& key);

  metadata::Database* db_;
  EndpointManager* endpoints_;
  objstore::ObjectStoreProvider* lake_;
  mutable std::mutex mu_;
  bool stopping_ = false;
  std::map<std::string, std::shared_ptr<Job>> running_;
};

}  // namespace tributary::serving
