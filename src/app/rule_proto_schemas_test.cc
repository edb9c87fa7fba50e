// What rules' decode(v, 'proto', bucket, key, file, type) reads from the lake: the
// FileDescriptorSet at bucket/key, kept between messages and read again once old (by the
// class's own thread, the kept set answering meanwhile), a missing or broken one given as
// an error (and tried again after a while), a set it had kept when reading it again fails,
// and a first read the lake is slow to answer waited for only so long.
#include "app/rule_proto_schemas.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <thread>

#include "base/fault_points.h"
#include "base/testing/temp_dir.h"
#include "expr/testing/reading_proto.h"
#include "objstore/testing/forwarding_store.h"

namespace tributary::app {
namespace {

using expr::testing::ReadingBytes;
using expr::testing::ReadingFile;
using expr::testing::SetOf;

class RuleProtoSchemasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    objstore::ObjectStoreConfig config;
    config.local_root = dir_.path() + "/lake";
    auto lake = objstore::OpenObjectStores(config);
    ASSERT_TRUE(lake.ok()) << lake.status().ToString();
    lake_ = std::move(lake).value();
    schemas_ = std::make_unique<RuleProtoSchemas>(lake_.get(), 60000, 10000,
                                                  [this] { return now_ms_.load(); });
  }
  void Upload(const std::string& key, const std::string& bytes) {
    auto bucket = lake_->Bucket("schemas");
    ASSERT_TRUE(bucket.ok());
    ASSERT_TRUE((*bucket)->Put(key, bytes).ok());
  }
  Result<std::string> Decode(const std::string& type, const std::string& bytes) {
    return schemas_->Decode("schemas", "reading.desc", "reading", type, bytes);
  }
  // Whether `done` holds within 10 s (the thread reads a local file in far less).
  static bool Eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 1000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  }

  testing_support::TempDir dir_;
  std::unique_ptr<objstore::ObjectStoreProvider> lake_;
  std::unique_ptr<RuleProtoSchemas> schemas_;
  std::atomic<int64_t> now_ms_ = 1'000'000;  // read by the class's thread too
};

TEST_F(RuleProtoSchemasTest, ReadsTheSetFromTheLakeAndKeepsIt) {
  Upload("reading.desc", SetOf(ReadingFile()));
  auto json = Decode("Reading", ReadingBytes("pm-7", 12.5, 42, false));
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_NE(json->find(R"("deviceId":"pm-7","pm25":12.5,"seq":"42")"), std::string::npos) << *json;

  // Replaced by a set without Reading: the kept one answers until it is a minute old.
  expr::testing::pb::FileDescriptorProto renamed = ReadingFile();
  renamed.mutable_message_type(0)->set_name("Sample");
  renamed.mutable_message_type(0)->mutable_field(3)->set_type_name(".sensors.v1.Sample.Kind");
  renamed.mutable_message_type(0)->mutable_field(4)->set_type_name(".sensors.v1.Sample.Location");
  Upload("reading.desc", SetOf(renamed));
  now_ms_ += 59'000;
  EXPECT_TRUE(Decode("Reading", "").ok());
  // A minute old: this call still has the kept set and has the thread read it again.
  now_ms_ += 1'000;
  EXPECT_TRUE(Decode("Reading", "").ok());
  ASSERT_TRUE(Eventually([&] { return !Decode("Reading", "").ok(); }));
  auto gone = Decode("Reading", "");
  EXPECT_EQ(gone.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(gone.status().message(),
            "no message type Reading in sensors/reading.proto (package sensors.v1)");
  EXPECT_TRUE(Decode("Sample", "").ok());

  // Gone from the lake: reading it again fails, and the set it had goes on answering.
  auto bucket = lake_->Bucket("schemas");
  ASSERT_TRUE(bucket.ok());
  ASSERT_TRUE((*bucket)->Delete("reading.desc").ok());
  now_ms_ += 60'000;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(Decode("Sample", "").ok()) << "call " << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TEST_F(RuleProtoSchemasTest, AMissingOrBrokenSetIsAnErrorTriedAgainLater) {
  auto missing = Decode("Reading", "");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "s3://schemas/reading.desc: no such object (upload the FileDescriptorSet there)");
  // Uploaded now: still the error until the retry time has passed, then read again.
  Upload("reading.desc", "not a descriptor set");
  now_ms_ += 9'999;
  EXPECT_EQ(Decode("Reading", "").status().code(), ErrorCode::kNotFound);
  now_ms_ += 1;
  ASSERT_TRUE(Eventually(
      [&] { return Decode("Reading", "").status().code() == ErrorCode::kFailedPrecondition; }));
  auto broken = Decode("Reading", "");
  EXPECT_NE(broken.status().message().find("s3://schemas/reading.desc: not a FileDescriptorSet"),
            std::string::npos)
      << broken.status().message();
  Upload("reading.desc", SetOf(ReadingFile()));
  now_ms_ += 10'000;
  ASSERT_TRUE(Eventually([&] { return Decode("Reading", ReadingBytes("pm-8", 1, 2, true)).ok(); }));
  // Bytes that are not a Reading: InvalidArgument, the set stays.
  EXPECT_EQ(Decode("Reading", std::string("\x0a\x09pm", 4)).status().code(),
            ErrorCode::kInvalidArgument);
  // A set over the size taken is refused whole, not cut.
  Upload("big.desc", std::string(expr::ProtoSchema::kMaxDescriptorBytes + 1, '\0'));
  auto big = schemas_->Decode("schemas", "big.desc", "reading", "Reading", "");
  EXPECT_NE(big.status().message().find("over the 1048576 taken"), std::string::npos)
      << big.status().message();
}

// A reader thread the system refuses (the server at its limit of threads) is an error like a
// failed read: decodes give it, and the set is read once the retry time has passed.
TEST_F(RuleProtoSchemasTest, AReaderTheSystemRefusesIsAnErrorTriedAgainLater) {
  Upload("reading.desc", SetOf(ReadingFile()));
  testing_support::ArmFault("thread.start:rules:protos", EAGAIN);
  auto refused = Decode("Reading", "");
  EXPECT_EQ(refused.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("cannot start thread 'rules:protos'"),
            std::string::npos)
      << refused.status().ToString();
  now_ms_ += 10'000;
  ASSERT_TRUE(Eventually([&] { return Decode("Reading", ReadingBytes("pm-9", 1, 2, true)).ok(); }));
}

// A bucket whose reads wait until the test opens it: a lake that does not answer.
class GatedBucket : public objstore::testing::ForwardingStore {
 public:
  GatedBucket(std::shared_ptr<objstore::ObjectStore> inner, std::atomic<bool>* open,
              std::atomic<int>* gets)
      : ForwardingStore(std::move(inner)), open_(open), gets_(gets) {}
  Result<std::string> Get(const std::string& key,
                          std::optional<objstore::ByteRange> range) override {
    ++*gets_;
    while (!open_->load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return ForwardingStore::Get(key, range);
  }

 private:
  std::atomic<bool>* open_;
  std::atomic<int>* gets_;
};

TEST_F(RuleProtoSchemasTest, AFirstReadTheLakeIsSlowToAnswerIsWaitedForOnlySoLong) {
  Upload("reading.desc", SetOf(ReadingFile()));
  std::atomic<bool> open{false};
  std::atomic<int> gets{0};
  objstore::testing::WrappingProvider gated(lake_.get(), [&](auto bucket) {
    return std::make_shared<GatedBucket>(std::move(bucket), &open, &gets);
  });
  RuleProtoSchemas schemas(
      &gated, 60000, 10000, [this] { return now_ms_.load(); },
      /*first_wait_ms=*/200);
  auto decode = [&] {
    return schemas.Decode("schemas", "reading.desc", "reading", "Reading",
                          ReadingBytes("pm-9", 3.5, 7, false));
  };
  // Two threads' first uses (two I/O threads' messages): both answer by the one deadline,
  // with the read still under way, and the set is asked of the lake once.
  const auto start = std::chrono::steady_clock::now();
  Result<std::string> other = Unavailable("not run");
  std::thread second([&] { other = decode(); });
  Result<std::string> first = decode();
  second.join();
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::milliseconds(2000));
  for (const auto* r : {&first, &other}) {
    EXPECT_EQ(r->status().code(), ErrorCode::kUnavailable);
    EXPECT_EQ(r->status().message(),
              "s3://schemas/reading.desc: not read yet (the lake is slow to answer)");
  }
  EXPECT_EQ(gets.load(), 1);
  // Past the deadline, a use does not wait at all.
  const auto later = std::chrono::steady_clock::now();
  EXPECT_EQ(decode().status().code(), ErrorCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - later, std::chrono::milliseconds(100));
  // The lake answers: the read ends and the set is kept.
  open = true;
  ASSERT_TRUE(Eventually([&] { return decode().ok(); }));
  EXPECT_NE(decode()->find(R"("deviceId":"pm-9")"), std::string::npos);
  EXPECT_EQ(gets.load(), 1);
}

}  // namespace
}  // namespace tributary::app
