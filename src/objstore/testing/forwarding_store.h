// Test-only: an ObjectStore that forwards every call to another, so that a test
// overrides only the calls it changes (a failing write, a slow read), and a provider
// that wraps each bucket of another provider in one.
//
//   class SlowBucket : public objstore::testing::ForwardingStore {
//     using ForwardingStore::ForwardingStore;
//     Result<std::string> Get(const std::string& key, std::optional<ByteRange> r) override {
//       std::this_thread::sleep_for(100ms);
//       return ForwardingStore::Get(key, r);
//     }
//   };
//   WrappingProvider lake(real.get(), [](auto bucket) { return std::make_shared<SlowBucket>(bucket); });
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "objstore/object_store.h"

namespace tributary::objstore::testing {

class ForwardingStore : public ObjectStore {
 public:
  explicit ForwardingStore(std::shared_ptr<ObjectStore> inner) : inner_(std::move(inner)) {}
  Result<std::unique_ptr<ObjectWriter>> NewWriter(const std::string& key, const PutOptions& options) override {
    return inner_->NewWriter(key, options);
  }
  Result<std::string> Get(const std::string& key, std::optional<ByteRange> range) override {
    return inner_->Get(key, range);
  }
  Result<ObjectInfo> Head(const std::string& key) override { return inner_->Head(key); }
  Result<ListResult> List(const std::string& prefix, const std::string& delimiter,
                          const ListOptions& options) override {
    return inner_->List(prefix, delimiter, options);
  }
  Status Delete(const std::string& key) override { return inner_->Delete(key); }
  Status DeleteIf(const std::string& key, const std::string& if_match) override {
    return inner_->DeleteIf(key, if_match);
  }
  std::string Describe() const override { return "wrapped " + inner_->Describe(); }
  Status CheckKey(const std::string& key) const override { return inner_->CheckKey(key); }
  bool IsPermanentRefusal(const Status& status) const override {
    return inner_->IsPermanentRefusal(status);
  }

 private:
  std::shared_ptr<ObjectStore> inner_;
};

// Every bucket of `inner` (which must outlive this) as `wrap` makes it.
class WrappingProvider : public ObjectStoreProvider {
 public:
  using Wrap = std::function<std::shared_ptr<ObjectStore>(std::shared_ptr<ObjectStore>)>;
  WrappingProvider(ObjectStoreProvider* inner, Wrap wrap) : inner_(inner), wrap_(std::move(wrap)) {}
  Result<std::shared_ptr<ObjectStore>> Bucket(const std::string& name) override {
    TRY_ASSIGN(auto bucket, inner_->Bucket(name));
    return wrap_(std::move(bucket));
  }

 private:
  ObjectStoreProvider* inner_;
  Wrap wrap_;
};

}  // namespace tributary::objstore::testing
