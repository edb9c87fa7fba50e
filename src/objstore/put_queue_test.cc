// PutQueue over the local backend: objects land, the limits refuse at once, a failed put
// says why, and Stop writes what is queued before it returns.
#include "objstore/put_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "base/testing/temp_dir.h"
#include "objstore/local_object_store.h"

namespace tributary::objstore {
namespace {

class PutQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto provider = LocalObjectStoreProvider::Open(dir_.path());
    ASSERT_TRUE(provider.ok()) << provider.status().ToString();
    stores_ = std::move(*provider);
  }
  std::string Read(const std::string& bucket, const std::string& key) {
    auto b = stores_->Bucket(bucket);
    if (!b.ok()) return "<" + b.status().ToString() + ">";
    auto data = (*b)->Get(key);
    return data.ok() ? *data : "<" + data.status().ToString() + ">";
  }

  testing_support::TempDir dir_;
  std::unique_ptr<LocalObjectStoreProvider> stores_;
};

TEST_F(PutQueueTest, WritesEveryObjectAndAnswersEachPut) {
  PutQueue q(stores_.get(), {.threads = 3});
  constexpr int kObjects = 200;
  std::atomic<int> ok{0}, answered{0};
  std::promise<void> all;
  for (int i = 0; i < kObjects; ++i) {
    q.Put("frames", "cam/" + std::to_string(i) + ".json", "{\"i\":" + std::to_string(i) + "}",
          [&](const Status& s) {
            if (s.ok()) ++ok;
            if (++answered == kObjects) all.set_value();
          });
  }
  all.get_future().wait();
  EXPECT_EQ(ok.load(), kObjects);
  for (int i = 0; i < kObjects; i += 37) {
    EXPECT_EQ(Read("frames", "cam/" + std::to_string(i) + ".json"),
              "{\"i\":" + std::to_string(i) + "}");
  }
  // An object is counted until its answer returns: the last answers may still be
  // returning on the workers.
  for (int i = 0; i < 500 && q.objects() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(q.objects(), 0u);
  EXPECT_EQ(q.bytes(), 0u);
}

TEST_F(PutQueueTest, RefusesPastItsLimitsAndReportsTheStoresErrors) {
  // One thread held on the first put's answer keeps the queue full.
  PutQueue q(stores_.get(), {.threads = 1, .max_objects = 2, .max_bytes = 100});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<Status> first;
  q.Put("b-1", "first", "x", [&](const Status& s) {
    first.set_value(s);
    released.wait();
  });
  ASSERT_TRUE(first.get_future().get().ok());  // the worker is now inside `done`
  // "first" is written but counted until its answer is given: one more fits, the next is
  // refused.
  Status second, third, big;
  q.Put("b-1", "second", "y", [&](const Status& s) { second = s; });
  q.Put("b-1", "third", "z", [&](const Status& s) { third = s; });
  EXPECT_EQ(third.code(), ErrorCode::kResourceExhausted) << third.ToString();
  EXPECT_EQ(third.message(),
            "object queue full: 2 objects of 2 bytes wait (limits 2 objects, 100 bytes); retry "
            "later");
  EXPECT_EQ(q.objects(), 2u);
  release.set_value();
  q.Stop();  // writes "second" before it returns
  EXPECT_TRUE(second.ok()) << second.ToString();
  EXPECT_EQ(Read("b-1", "second"), "y");
  EXPECT_NE(Read("b-1", "third"), "z");
  EXPECT_EQ(q.objects(), 0u);

  PutQueue small(stores_.get(), {.threads = 1, .max_objects = 10, .max_bytes = 4});
  small.Put("b-1", "big", "12345", [&](const Status& s) { big = s; });
  EXPECT_EQ(big.code(), ErrorCode::kResourceExhausted);

  // The store's own refusals come back as they are.
  std::promise<Status> bad_bucket, bad_key;
  small.Put("NOT_A_BUCKET", "k", "v", [&](const Status& s) { bad_bucket.set_value(s); });
  small.Put("b-1", "a/../../k", "v", [&](const Status& s) { bad_key.set_value(s); });
  EXPECT_EQ(bad_bucket.get_future().get().code(), ErrorCode::kInvalidArgument);
  Status key_status = bad_key.get_future().get();
  EXPECT_EQ(key_status.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(key_status.message().find("'..'"), std::string::npos) << key_status.message();

  Status after;
  small.Stop();
  small.Put("b-1", "late", "v", [&](const Status& s) { after = s; });
  EXPECT_EQ(after.code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace tributary::objstore
