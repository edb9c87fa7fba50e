#include "lake/lifecycle_sweeper.h"

#include <optional>
#include <set>

#include "base/clock.h"
#include "base/log.h"
#include "base/start_thread.h"

namespace tributary::lake {
namespace {

// What became of an expired object.
enum class Expiry { kDeleted, kChanged, kFailed };

// Deletes the object `listed` (as the listing described it, expired) only if it is still
// that object: one replaced since the listing holds new data, and one deleted since is
// nobody's failure. The check and the delete are one step where the store can make them
// one (DeleteIf, with the listed ETag: the local lake, S3 stores that take If-Match on
// DeleteObject); a HEAD just before narrows the window on stores that ignore the
// condition, and stands in for it where the store cannot check one (kUnimplemented).
Expiry DeleteAsListed(objstore::ObjectStore& bucket, const objstore::ObjectInfo& listed,
                      Status* error) {
  // In whole seconds: S3 lists times to the millisecond, but HEAD's Last-Modified has
  // seconds only.
  auto changed = [&](const objstore::ObjectInfo& now) {
    return now.etag != listed.etag || now.size != listed.size ||
           now.modified_ms / 1000 != listed.modified_ms / 1000;
  };
  Result<objstore::ObjectInfo> now = bucket.Head(listed.key);
  if (!now.ok()) {
    if (now.status().code() == ErrorCode::kNotFound) return Expiry::kChanged;
    *error = now.status();
    return Expiry::kFailed;
  }
  if (changed(*now)) return Expiry::kChanged;
  Status st = listed.etag.empty() ? Unimplemented("no ETag to delete on")
                                  : bucket.DeleteIf(listed.key, listed.etag);
  if (st.code() == ErrorCode::kUnimplemented) st = bucket.Delete(listed.key);
  if (st.ok()) return Expiry::kDeleted;
  // Replaced (the ETag differs) or deleted between the HEAD and the delete.
  if (st.code() == ErrorCode::kFailedPrecondition || st.code() == ErrorCode::kNotFound)
    return Expiry::kChanged;
  *error = st;
  return Expiry::kFailed;
}

}  // namespace

ExpirySummary ExpireObjects(objstore::ObjectStore& bucket, const LifecycleConfiguration& config,
                            int64_t now_ms, const std::function<bool()>& stop) {
  ExpirySummary s;
  std::set<std::string> prefixes;  // each listed once; a prefix under another is listed with it
  for (const LifecycleRule& r : config.rules) {
    if (r.enabled) prefixes.insert(r.prefix);
  }
  std::optional<std::string> covering;  // the last prefix listed, which lists those under it too
  for (const std::string& prefix : prefixes) {
    if (covering && prefix.starts_with(*covering)) continue;
    covering = prefix;
    Result<objstore::ListResult> listing = bucket.List(prefix, "");
    if (!listing.ok()) {
      ++s.failed;
      if (s.first_error.empty())
        s.first_error = "listing '" + prefix + "': " + listing.status().message();
      continue;
    }
    for (const objstore::ObjectInfo& o : listing->objects) {
      if (stop && stop()) return s;
      ++s.examined;
      const LifecycleRule* rule = RuleFor(config, o.key);
      if (rule == nullptr || ExpiresAtMs(o.modified_ms, rule->days) > now_ms) continue;
      Status error;
      switch (DeleteAsListed(bucket, o, &error)) {
        case Expiry::kDeleted:
          ++s.expired;
          s.bytes += static_cast<int64_t>(o.size);
          break;
        case Expiry::kChanged:
          ++s.changed;
          break;
        case Expiry::kFailed:
          ++s.failed;
          if (s.first_error.empty()) s.first_error = "deleting '" + o.key + "': " + error.message();
          break;
      }
    }
  }
  return s;
}

LifecycleSweeper::LifecycleSweeper(LifecycleStore* store, objstore::ObjectStoreProvider* lake,
                                   Options options)
    : store_(store), lake_(lake), options_(std::move(options)) {
  if (!options_.now) options_.now = WallMillis;
  if (options_.metrics != nullptr) {
    expired_ = options_.metrics->NewCounter("tributary_lake_lifecycle_expired_objects_total",
                                            "objects deleted by buckets' lifecycle rules");
    expired_bytes_ =
        options_.metrics->NewCounter("tributary_lake_lifecycle_expired_bytes_total",
                                     "bytes of the objects deleted by buckets' lifecycle rules");
    failures_ = options_.metrics->NewCounter(
        "tributary_lake_lifecycle_failures_total",
        "expired objects (or listings) the lake refused to delete (or give)");
  }
}

LifecycleSweeper::~LifecycleSweeper() { Stop(); }

Status LifecycleSweeper::Start() {
  TRY_ASSIGN(thread_, StartThread("lake-lifecycle", [this] { Loop(); }));
  return Status::Ok();
}

void LifecycleSweeper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LifecycleSweeper::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

void LifecycleSweeper::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    wake_ = false;
    lock.unlock();
    SweepAll();
    lock.lock();
    cv_.wait_for(lock, options_.interval, [this] { return stop_ || wake_; });
  }
}

void LifecycleSweeper::SweepAll() {
  static auto log = Logger("lake");
  Result<std::map<std::string, LifecycleConfiguration>> configs = store_->List();
  if (!configs.ok()) {
    log->warn("lifecycle: cannot read the buckets' configurations: {}", configs.status().message());
    return;
  }
  for (const auto& [bucket, config] : *configs) {
    if (stop_) return;
    (void)Sweep(bucket, config);
  }
}

std::optional<ExpirySummary> LifecycleSweeper::LastSweep(const std::string& bucket) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = last_.find(bucket);
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

Result<ExpirySummary> LifecycleSweeper::SweepBucket(const std::string& bucket) {
  TRY_ASSIGN(LifecycleConfiguration config, store_->Get(bucket));
  return Sweep(bucket, config);
}

Result<ExpirySummary> LifecycleSweeper::Sweep(const std::string& bucket,
                                              const LifecycleConfiguration& config) {
  static auto log = Logger("lake");
  std::lock_guard<std::mutex> one_at_a_time(sweep_mu_);
  Result<std::shared_ptr<objstore::ObjectStore>> store = lake_->Bucket(bucket);
  if (!store.ok()) {
    log->warn("lifecycle: bucket '{}': {}", bucket, store.status().message());
    if (failures_ != nullptr) failures_->Add();
    std::lock_guard<std::mutex> lock(mu_);
    last_[bucket] = ExpirySummary{
        .finished_ms = options_.now(), .failed = 1, .first_error = store.status().message()};
    return store.status();
  }
  ExpirySummary s = ExpireObjects(**store, config, options_.now(), [this] { return stop_.load(); });
  s.finished_ms = options_.now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_[bucket] = s;
  }
  if (expired_ != nullptr) {
    expired_->Add(static_cast<uint64_t>(s.expired));
    expired_bytes_->Add(static_cast<uint64_t>(s.bytes));
    failures_->Add(static_cast<uint64_t>(s.failed));
  }
  if (s.expired > 0)
    log->info("lifecycle: bucket '{}': {} objects ({} bytes) expired", bucket, s.expired, s.bytes);
  if (s.failed > 0) {
    log->warn(
        "lifecycle: bucket '{}': {} expired objects not deleted (tried again at the next sweep): "
        "{}",
        bucket, s.failed, s.first_error);
  }
  return s;
}

}  // namespace tributary::lake
