// Batch transform over a local lake with stand-in model workers (testdata/model_worker.js).
#include "serving/transform_jobs.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "base/fault_points.h"
#include "base/testing/temp_dir.h"
#include "metadata/testing/test_database.h"

namespace tributary::serving {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class TransformJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db").value();
    store_ = ServingStore::Open(db_.get()).value();
    objstore::ObjectStoreConfig lake;
    lake.local_root = dir_.path() + "/lake";
    auto provider = objstore::OpenObjectStores(lake);
    ASSERT_TRUE(provider.ok()) << provider.status().ToString();
    lake_ = std::move(*provider);
    ServingOptions o;
    o.metrics = &metrics_;
    endpoints_ = EndpointManager::Open(store_.get(), o).value();
    auto jobs = TransformJobs::Open(db_.get(), endpoints_.get(), lake_.get());
    ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
    jobs_ = std::move(*jobs);
    for (const char* mode : {"ok", "fail"}) {
      Model m;
      m.name = mode;
      m.command = std::string("exec node ") + SERVING_TESTDATA_DIR + "/model_worker.js " + mode;
      ASSERT_TRUE(store_->CreateModel(m).ok());
    }
    auto bucket = *lake_->Bucket("data");
    // 5 series in one object, 2 in another: batches of 2 lines.
    ASSERT_TRUE(bucket->Put("in/a.jsonl", "{\"s\":1}\n{\"s\":2}\n\n{\"s\":3}\n{\"s\":4}\n{\"s\":5}\n").ok());
    ASSERT_TRUE(bucket->Put("in/b/c.jsonl", "{\"s\":6}\n{\"s\":7}").ok());
  }

  json WaitDone(const std::string& name) {
    for (int i = 0; i < 400; ++i) {
      auto d = jobs_->Describe(name);
      if (d.ok() && (*d)["TransformJobStatus"] != "InProgress") return *d;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << name << " did not finish";
    return {};
  }

  json Request(const std::string& name, const std::string& model) {
    return {{"TransformJobName", name},
            {"ModelName", model},
            {"TransformInput", {{"Bucket", "data"}, {"Prefix", "in/"}}},
            {"TransformOutput", {{"Bucket", "data"}, {"Prefix", "out/" + name + "/"}}},
            {"InstanceCount", 2},
            {"MaxRecordsPerBatch", 2},
            {"Configuration", {{"num_samples", 10}}}};
  }

  testing_support::TempDir dir_;
  MetricsRegistry metrics_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<ServingStore> store_;
  std::unique_ptr<objstore::ObjectStoreProvider> lake_;
  std::unique_ptr<EndpointManager> endpoints_;
  std::unique_ptr<TransformJobs> jobs_;
};

TEST_F(TransformJobsTest, WritesOneOutputPerObjectInOrder) {
  ASSERT_TRUE(jobs_->Start(Request("t1", "ok")).ok());
  EXPECT_FALSE(jobs_->Start(Request("t1", "ok")).ok());  // names are unique
  json d = WaitDone("t1");
  ASSERT_EQ(d["TransformJobStatus"], "Completed") << d.dump();
  EXPECT_EQ(d["RecordsProcessed"], 7);
  EXPECT_EQ(d["ObjectsProcessed"], 2);
  auto bucket = *lake_->Bucket("data");
  auto a = bucket->Get("out/t1/a.jsonl.out");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  // The stand-in answers one line per batch, echoing the batch: 3 batches, in order.
  std::vector<std::string> bodies;
  size_t at = 0;
  while (at < a->size()) {
    size_t nl = a->find('\n', at);
    bodies.push_back(json::parse(a->substr(at, nl - at))["body"]);
    at = nl + 1;
  }
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[0], "{\"s\":1}\n{\"s\":2}\n");
  EXPECT_EQ(bodies[1], "{\"s\":3}\n{\"s\":4}\n");
  EXPECT_EQ(bodies[2], "{\"s\":5}\n");
  EXPECT_TRUE(bucket->Get("out/t1/b/c.jsonl.out").ok());
  auto list = jobs_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)[0]["TransformJobName"], "t1");
}

// A job whose thread the system refuses (the server at its limit of threads) is not created,
// as SageMaker refuses a job past its limits: the answer names the thread, and the name is
// free for a job started again.
TEST_F(TransformJobsTest, AJobWhoseThreadTheSystemRefusesIsNotCreated) {
  testing_support::ArmFault("thread.start:transform", EAGAIN);
  Status refused = jobs_->Start(Request("t1", "ok"));
  EXPECT_EQ(refused.code(), ErrorCode::kResourceExhausted) << refused.ToString();
  EXPECT_NE(
      refused.message().find("transform job 't1' not created: cannot start thread 'transform'"),
      std::string::npos)
      << refused.ToString();
  EXPECT_FALSE(jobs_->Describe("t1").ok());
  ASSERT_TRUE(jobs_->Start(Request("t1", "ok")).ok());
  EXPECT_EQ(WaitDone("t1")["TransformJobStatus"], "Completed");
}

TEST_F(TransformJobsTest, AFailingModelFailsTheJobNamingTheLines) {
  ASSERT_TRUE(jobs_->Start(Request("t2", "fail")).ok());
  json d = WaitDone("t2");
  EXPECT_EQ(d["TransformJobStatus"], "Failed");
  std::string why = d.value("FailureReason", "");
  // Batches run in parallel: whichever failed first is named.
  EXPECT_NE(why.find("in/a.jsonl lines "), std::string::npos) << why;
  EXPECT_NE(why.find(": the model answered 500: this model always fails"), std::string::npos) << why;

  // An object whose only batch fails (the failure arrives after the last submission).
  json one = Request("t5", "fail");
  one["MaxRecordsPerBatch"] = 100;
  ASSERT_TRUE(jobs_->Start(one).ok());
  json d5 = WaitDone("t5");
  EXPECT_EQ(d5["TransformJobStatus"], "Failed") << d5.dump();
  EXPECT_NE(d5.value("FailureReason", "").find("in/a.jsonl lines 1..6: the model answered 500"), std::string::npos)
      << d5.dump();

  json bad = Request("t3", "ok");
  bad["TransformInput"] = {{"Prefix", "x"}};
  Status st = jobs_->Start(bad);
  EXPECT_NE(st.message().find("TransformInput: needs"), std::string::npos) << st.ToString();
  ASSERT_TRUE(jobs_->Start(Request("t4", "missing-model")).ok());
  EXPECT_NE(WaitDone("t4").value("FailureReason", "").find("missing-model"), std::string::npos);
}

// A wrongly typed count is the client's error, named; it used to escape as a json
// type_error (500 "internal").
TEST_F(TransformJobsTest, CountsOfTheWrongTypeAreRefusedByName) {
  struct Case {
    const char* key;
    json value;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"InstanceCount", "2", "InstanceCount: must be an integer 1..16, got \"2\""},
      {"InstanceCount", 1.5, "InstanceCount: must be an integer 1..16, got 1.5"},
      {"InstanceCount", 17, "InstanceCount: must be an integer 1..16, got 17"},
      {"InstanceCount", json(18446744073709551615ull),
       "InstanceCount: must be an integer 1..16, got 18446744073709551615"},
      {"MaxRecordsPerBatch", json::array({2}),
       "MaxRecordsPerBatch: must be an integer 1..1000, got [2]"},
      {"MaxRecordsPerBatch", 0, "MaxRecordsPerBatch: must be an integer 1..1000, got 0"},
  };
  for (const Case& c : cases) {
    json request = Request("typed", "ok");
    request[c.key] = c.value;
    Status st = jobs_->Start(request);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << c.message;
    EXPECT_EQ(st.message(), c.message);
  }
}

}  // namespace
}  // namespace tributary::serving
