// Test-only: an ObjectStore and ObjectStoreProvider in memory, with failure injection
// (every Put whose key matches a predicate fails, with Unavailable unless told). Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "objstore/object_store.h"

namespace tributary::streams::testing {

struct StoredObject {
  std::string data;
  objstore::PutOptions options;
};

class MemoryObjectStore : public objstore::ObjectStore {
 public:
  // Keys for which Put fails, with `code` (Unavailable: a store that is down; InvalidArgument:
  // one that refuses the key); null: none.
  void FailPutsWhere(std::function<bool(const std::string& key)> pred,
                     ErrorCode code = ErrorCode::kUnavailable) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_ = std::move(pred);
    fail_code_ = code;
  }
  std::map<std::string, StoredObject> Objects() const {
    std::lock_guard<std::mutex> lock(mu_);
    return objects_;
  }
  int put_attempts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return put_attempts_;
  }

  Status Put(const std::string& key, std::string_view data,
             const objstore::PutOptions& options = {}) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++put_attempts_;
    if (fail_ && fail_(key)) return Status(fail_code_, "injected failure for " + key);
    objects_[key] = {std::string(data), options};
    return Status::Ok();
  }
  Result<std::unique_ptr<objstore::ObjectWriter>> NewWriter(
      const std::string& key, const objstore::PutOptions& options) override {
    return Unimplemented("MemoryObjectStore: use Put");
  }
  Result<std::string> Get(const std::string& key, std::optional<objstore::ByteRange>) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return NotFound(key);
    return it->second.data;
  }
  Result<objstore::ObjectInfo> Head(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return NotFound(key);
    objstore::ObjectInfo info;
    info.key = key;
    info.size = it->second.data.size();
    return info;
  }
  // Every object under the prefix: the delimiter and paging are not applied.
  Result<objstore::ListResult> List(const std::string& prefix, const std::string&,
                                    const objstore::ListOptions&) override {
    std::lock_guard<std::mutex> lock(mu_);
    objstore::ListResult r;
    for (const auto& [k, o] : objects_) {
      if (k.compare(0, prefix.size(), prefix) != 0) continue;
      objstore::ObjectInfo info;
      info.key = k;
      info.size = o.data.size();
      r.objects.push_back(std::move(info));
    }
    return r;
  }
  Status Delete(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    objects_.erase(key);
    return Status::Ok();
  }
  std::string Describe() const override { return "memory"; }

 private:
  mutable std::mutex mu_;
  std::map<std::string, StoredObject> objects_;
  std::function<bool(const std::string&)> fail_;
  ErrorCode fail_code_ = ErrorCode::kUnavailable;
  int put_attempts_ = 0;
};

class MemoryObjectStores : public objstore::ObjectStoreProvider {
 public:
  Result<std::shared_ptr<objstore::ObjectStore>> Bucket(const std::string& name) override {
    return std::static_pointer_cast<objstore::ObjectStore>(Get(name));
  }
  std::shared_ptr<MemoryObjectStore> Get(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& b = buckets_[name];
    if (!b) b = std::make_shared<MemoryObjectStore>();
    return b;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<MemoryObjectStore>> buckets_;
};

}  // namespace tributary::streams::testing
