// Applies buckets' lifecycle configurations (lifecycle.h): deletes the objects whose
// expiry has come. A thread sweeps every configured bucket at start, every `interval`
// after, and as soon as a configuration is put (Wake); SweepBucket sweeps one bucket now
// and says what it deleted. S3 applies lifecycle rules once a day, and an expired object
// may live on for a while there too: here it lives at most `interval` past its expiry.
//
// Runs in the control server only (one sweeper per deployment). An object that cannot be
// deleted is counted, the first reason kept, and tried again at the next sweep; the
// others go on. Only the object listed is deleted: one replaced or deleted since the
// listing is left (counted as changed), checked by HEAD and by deleting on the listed
// ETag (ObjectStore::DeleteIf; a plain Delete after the HEAD where the store cannot).
// Thread-safe; one sweep at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/metrics.h"
#include "base/status.h"
#include "lake/lifecycle.h"
#include "lake/lifecycle_store.h"
#include "objstore/object_store.h"

namespace tributary::lake {

struct ExpirySummary {
  int64_t finished_ms = 0;  // when the sweep ended (Unix ms)
  int64_t examined = 0;  // objects under the rules' prefixes
  int64_t expired = 0;   // deleted
  int64_t bytes = 0;     // their size
  int64_t failed = 0;    // expired but not deleted (the store refused)
  int64_t changed = 0;   // expired as listed, but replaced or deleted since: left alone
  std::string first_error;
};

// Deletes the objects of `bucket` that `config` has expired by `now_ms` (Unix ms); stops
// early, between two objects, once `stop` (if given) says so.
ExpirySummary ExpireObjects(objstore::ObjectStore& bucket, const LifecycleConfiguration& config,
                            int64_t now_ms, const std::function<bool()>& stop = {});

class LifecycleSweeper {
 public:
  struct Options {
    std::chrono::milliseconds interval = std::chrono::hours(1);
    MetricsRegistry* metrics = nullptr;  // optional
    std::function<int64_t()> now = nullptr;  // Unix ms; default the wall clock
  };

  // `store` and `lake` must outlive the sweeper.
  LifecycleSweeper(LifecycleStore* store, objstore::ObjectStoreProvider* lake, Options options);
  ~LifecycleSweeper();

  Status Start();  // an error when its thread cannot start (base/start_thread.h)
  void Stop();  // ends a sweep in progress after the object it is deleting

  // Sweeps `bucket` now by its configuration (NotFound when it has none).
  Result<ExpirySummary> SweepBucket(const std::string& bucket);
  // Has the thread sweep every bucket now.
  void Wake();
  // The last sweep of `bucket` since the server started (hourly, after a put, or asked
  // for), if any.
  std::optional<ExpirySummary> LastSweep(const std::string& bucket) const;

 private:
  void Loop();
  void SweepAll();
  Result<ExpirySummary> Sweep(const std::string& bucket, const LifecycleConfiguration& config);

  LifecycleStore* store_;
  objstore::ObjectStoreProvider* lake_;
  Options options_;
  Counter* expired_ = nullptr;
  Counter* expired_bytes_ = nullptr;
  Counter* failures_ = nullptr;

  std::mutex sweep_mu_;  // one sweep at a time
  mutable std::mutex mu_;
  std::map<std::string, ExpirySummary> last_;  // by bucket
  std::condition_variable cv_;
  std::atomic<bool> stop_{
      false};  // set under mu_ (the wait reads it there); a sweep reads it between objects
  bool wake_ = false;
  std::thread thread_;
};

}  // namespace tributary::lake
