// Endpoints end to end inside one process, with real worker processes: stand-in model
// servers (testdata/model_worker.js) speak the worker protocol, so deployments, rollback,
// routing and restarts are exercised without LibTorch. The DeepAR worker itself is
// tested in src/forecast/ and the whole path over HTTP in tests/integration/serving.
#include "serving/endpoint_manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "base/fault_points.h"
#include "base/testing/temp_dir.h"
#include "metadata/database.h"
#include "metadata/testing/test_database.h"
#include "streams/testing/memory_object_store.h"

namespace tributary::serving {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kWorker = std::string(SERVING_TESTDATA_DIR) + "/model_worker.js";

class EndpointManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    auto store = ServingStore::Open(db_.get());
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    // Multi-model variants run `<tool> serve --model DIR`: a script that runs the stand-in.
    tool_ = dir_.path() + "/tool.sh";
    std::ofstream(tool_) << "#!/bin/sh\nexec node " << kWorker << " ok \"$@\"\n";
    std::filesystem::permissions(tool_, std::filesystem::perms::owner_all);
    OpenManager();
  }

  void OpenManager() {
    manager_.reset();
    ServingOptions o;
    o.forecast_tool = tool_;
    o.metrics = &metrics_;
    o.startup_timeout_ms = 20000;
    o.lake = &lake_;
    auto m = EndpointManager::Open(store_.get(), o);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    manager_ = std::move(*m);
  }

  void AddModel(const std::string& name, const std::string& mode) {
    Model m;
    m.name = name;
    m.command = "exec node " + kWorker + " " + mode;
    m.artifact = "/models/" + name;
    ASSERT_TRUE(store_->CreateModel(m).ok());
  }

  void AddConfig(const std::string& name, std::vector<std::pair<std::string, std::string>> variants,
                 int max_queued = 64, json data_capture = nullptr) {
    json v = json::array();
    for (auto& [variant, model] : variants) {
      v.push_back({{"VariantName", variant}, {"ModelName", model}, {"MaxQueuedRequestsPerInstance", max_queued}});
    }
    auto c = ParseEndpointConfig(
        {{"EndpointConfigName", name}, {"ProductionVariants", v}, {"DataCaptureConfig", data_capture}});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE(store_->CreateConfig(*c).ok());
  }

  // Waits until the endpoint leaves the busy statuses; returns its description.
  json WaitSettled(const std::string& name, std::chrono::seconds limit = 30s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    json d;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = manager_->Describe(name);
      if (!r.ok()) return json{{"error", r.status().ToString()}};
      d = *r;
      std::string s = d["EndpointStatus"];
      if (s == "InService" || s == "Failed") return d;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "endpoint " << name << " did not settle: " << d.dump();
    return d;
  }

  InvokeAnswer Call(const std::string& endpoint, const std::string& body, const std::string& variant = "",
                    const std::string& model = "", const std::string& inference_id = "") {
    InvokeRequest r;
    r.endpoint = endpoint;
    r.inference_id = inference_id;
    r.target_variant = variant;
    r.target_model = model;
    r.invocation.body = body;
    std::promise<InvokeAnswer> p;
    auto f = p.get_future();
    manager_->Invoke(std::move(r), [&p](InvokeAnswer a) { p.set_value(std::move(a)); });
    EXPECT_EQ(f.wait_for(20s), std::future_status::ready);
    return f.get();
  }

  testing_support::TempDir dir_;
  streams::testing::MemoryObjectStores lake_;
  std::string tool_;
  MetricsRegistry metrics_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<ServingStore> store_;
  std::unique_ptr<EndpointManager> manager_;
};

// Runs `threads` callers against the endpoint until stopped; counts answers by status.
class Load {
 public:
  Load(EndpointManager* m, const std::string& endpoint, int threads) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this, m, endpoint] {
        while (!stop_) {
          InvokeRequest r;
          r.endpoint = endpoint;
          r.invocation.body = "load";
          std::promise<InvokeAnswer> p;
          auto f = p.get_future();
          m->Invoke(std::move(r), [&p](InvokeAnswer a) { p.set_value(std::move(a)); });
          InvokeAnswer a = f.get();
          std::lock_guard<std::mutex> lock(mu_);
          ++by_status_[a.status];
          ++by_variant_[a.variant];
        }
      });
    }
  }
  std::map<int, int> Stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
    return by_status_;
  }
  ~Load() { Stop(); }
  std::map<std::string, int> by_variant() {
    std::lock_guard<std::mutex> lock(mu_);
    return by_variant_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::map<int, int> by_status_;
  std::map<std::string, int> by_variant_;
};

TEST_F(EndpointManagerTest, ServesTwoVariantsByWeightAndPinsOne) {
  AddModel("m1", "ok");
  AddModel("m2", "ok");
  AddConfig("c1", {{"blue", "m1"}, {"green", "m2"}});
  ASSERT_TRUE(manager_->Create("ep", "c1").ok());
  json d = WaitSettled("ep");
  ASSERT_EQ(d["EndpointStatus"], "InService") << d.dump();
  ASSERT_EQ(d["ProductionVariants"].size(), 2u);

  std::map<std::string, int> served;
  for (int i = 0; i < 100; ++i) {
    InvokeAnswer a = Call("ep", "x" + std::to_string(i));
    ASSERT_EQ(a.status, 200) << a.body;
    json body = json::parse(a.body);
    EXPECT_EQ(body["model"], a.variant == "blue" ? "/models/m1" : "/models/m2");
    EXPECT_EQ(body["body"], "x" + std::to_string(i));
    ++served[a.variant];
  }
  EXPECT_GT(served["blue"], 20);
  EXPECT_GT(served["green"], 20);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Call("ep", "p", "green").variant, "green");

  InvokeAnswer a = Call("ep", "p", "purple");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.body.find("no variant 'purple'"), std::string::npos) << a.body;
  EXPECT_EQ(Call("nope", "p").status, 404);
  EXPECT_EQ(Call("ep", "p", "", "some-model").status, 400);  // not a multi-model endpoint

  // A/B: new weights without a redeploy.
  ASSERT_TRUE(manager_->UpdateWeights("ep", {{"blue", 0.9}, {"green", 0.1}}).ok());
  served.clear();
  for (int i = 0; i < 200; ++i) ++served[Call("ep", "w").variant];
  EXPECT_GT(served["blue"], 150) << served["blue"] << " of 200";
  EXPECT_FALSE(manager_->UpdateWeights("ep", {{"purple", 1}}).ok());
  EXPECT_FALSE(manager_->UpdateWeights("ep", {{"blue", 0}, {"green", 0}}).ok());

  json metrics = (*manager_->Describe("ep"))["ProductionVariants"][0]["Metrics"];
  EXPECT_GT(metrics["Invocations"].get<int>(), 0);
  EXPECT_NE(metrics_.Render().find("tributary_endpoint_invocations_total{endpoint=\"ep\",variant=\"blue\"}"),
            std::string::npos);
}

TEST_F(EndpointManagerTest, CanaryUpdateUnderLoadLosesNoRequest) {
  AddModel("m1", "ok");
  AddModel("m2", "ok");
  AddConfig("c1", {{"blue", "m1"}});
  AddConfig("c2", {{"green", "m2"}});
  ASSERT_TRUE(manager_->Create("ep", "c1").ok());
  ASSERT_EQ(WaitSettled("ep")["EndpointStatus"], "InService");

  Load load(manager_.get(), "ep", 4);
  std::this_thread::sleep_for(200ms);
  DeploymentConfig d;
  d.type = TrafficType::kCanary;
  d.canary_percent = 20;
  d.wait_interval_s = 1;
  d.termination_wait_s = 1;
  d.alarms.push_back({"errors", RollbackAlarm::Metric::kErrorRate, 0.05});
  ASSERT_TRUE(manager_->Update("ep", "c2", d).ok());
  json during = *manager_->Describe("ep");
  EXPECT_EQ(during["EndpointStatus"], "Updating");
  EXPECT_EQ(during["PendingDeploymentSummary"]["EndpointConfigName"], "c2") << during.dump();
  EXPECT_EQ(during["EndpointConfigName"], "c1");  // until the update ends
  EXPECT_FALSE(manager_->Update("ep", "c2", d).ok());  // one update at a time
  // While the canary bakes, the summary says so: a fifth of the traffic, until when.
  json baking;
  for (auto deadline = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < deadline;) {
    baking = *manager_->Describe("ep");
    if (baking.contains("PendingDeploymentSummary") && baking["PendingDeploymentSummary"]["Stage"] == "Baking") break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(baking["PendingDeploymentSummary"]["Stage"], "Baking") << baking.dump();
  EXPECT_DOUBLE_EQ(baking["PendingDeploymentSummary"]["TrafficShare"].get<double>(), 0.2);
  EXPECT_TRUE(baking["PendingDeploymentSummary"].contains("StageEndTime"));
  json after = WaitSettled("ep");
  std::this_thread::sleep_for(200ms);
  auto by_status = load.Stop();

  EXPECT_EQ(after["EndpointStatus"], "InService");
  EXPECT_EQ(after["EndpointConfigName"], "c2");
  EXPECT_FALSE(after.contains("FailureReason")) << after.dump();
  EXPECT_FALSE(after.contains("PendingDeploymentSummary")) << after.dump();
  ASSERT_EQ(after["ProductionVariants"].size(), 1u);
  EXPECT_EQ(after["ProductionVariants"][0]["VariantName"], "green");
  EXPECT_EQ(by_status.size(), 1u) << "non-2xx answers during the update";
  EXPECT_GT(by_status[200], 50);
  auto variants = load.by_variant();
  EXPECT_GT(variants["blue"], 0);
  EXPECT_GT(variants["green"], 0);
}

TEST_F(EndpointManagerTest, FailingModelRollsBackAndClientsSeeNoError) {
  AddModel("m1", "ok");
  AddModel("bad", "fail");
  AddConfig("c1", {{"blue", "m1"}});
  AddConfig("c3", {{"broken", "bad"}});
  ASSERT_TRUE(manager_->Create("ep", "c1").ok());
  ASSERT_EQ(WaitSettled("ep")["EndpointStatus"], "InService");

  Load load(manager_.get(), "ep", 4);
  DeploymentConfig d;
  d.type = TrafficType::kLinear;
  d.linear_step_percent = 50;
  d.wait_interval_s = 5;
  d.alarms.push_back({"errors", RollbackAlarm::Metric::kErrorRate, 0.05});
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(manager_->Update("ep", "c3", d).ok());
  json after = WaitSettled("ep");
  auto took = std::chrono::steady_clock::now() - start;
  std::this_thread::sleep_for(200ms);
  auto by_status = load.Stop();

  EXPECT_EQ(after["EndpointStatus"], "InService");
  EXPECT_EQ(after["EndpointConfigName"], "c1");
  EXPECT_NE(after.value("FailureReason", "").find("rolled back: alarm 'errors' fired: ErrorRate"),
            std::string::npos)
      << after.dump();
  EXPECT_LT(took, 5s) << "the alarm should end the bake early";
  EXPECT_EQ(by_status.size(), 1u) << "a client saw the broken model's error";
  EXPECT_GT(by_status[200], 10);
  EXPECT_EQ(load.by_variant().count("broken"), 0u);
  // The failures were counted against the new variant.
  EXPECT_NE(metrics_.Render().find("tributary_endpoint_invocation_5xx_total{endpoint=\"ep\",variant=\"broken\"}"),
            std::string::npos);
}

TEST_F(EndpointManagerTest, UpdateThatCannotStartKeepsServing) {
  AddModel("m1", "ok");
  Model broken;
  broken.name = "nostart";
  broken.command = "echo '{\"ready\": false, \"error\": \"weights missing\"}'; exit 1";
  ASSERT_TRUE(store_->CreateModel(broken).ok());
  AddConfig("c1", {{"blue", "m1"}});
  AddConfig("c4", {{"x", "nostart"}});
  ASSERT_TRUE(manager_->Create("ep", "c1").ok());
  ASSERT_EQ(WaitSettled("ep")["EndpointStatus"], "InService");
  ASSERT_TRUE(manager_->Update("ep", "c4", DeploymentConfig{}).ok());
  json after = WaitSettled("ep");
  EXPECT_EQ(after["EndpointStatus"], "InService");
  EXPECT_EQ(after["EndpointConfigName"], "c1");
  EXPECT_NE(after.value("FailureReason", "").find("weights missing"), std::string::npos) << after.dump();
  EXPECT_EQ(Call("ep", "still").status, 200);

  // An endpoint whose config cannot start is Failed and answers 503.
  ASSERT_TRUE(manager_->Create("ep2", "c4").ok());
  json failed = WaitSettled("ep2");
  EXPECT_EQ(failed["EndpointStatus"], "Failed");
  EXPECT_NE(failed.value("FailureReason", "").find("variant 'x' (model 'nostart')"), std::string::npos);
  InvokeAnswer failed_answer = Call("ep2", "x");
  EXPECT_EQ(failed_answer.status, 503);
  EXPECT_EQ(failed_answer.retry_after_s, 0);  // Failed does not end by waiting
}

// A thread the system refuses (the server at its limit of threads) is an answer: a create
// whose operation cannot start creates nothing (as SageMaker refuses one past its limits);
// an update so refused keeps the endpoint serving as before, with the reason; a variant
// whose second instance cannot start serves with the first.
TEST_F(EndpointManagerTest, OperationsAndInstancesTheSystemRefusesAreAnswered) {
  AddModel("m1", "ok");
  AddConfig("c1", {{"blue", "m1"}});
  testing_support::ArmFault("thread.start:endpoint-op", EAGAIN);
  Status refused = manager_->Create("ep", "c1");
  EXPECT_EQ(refused.code(), ErrorCode::kResourceExhausted) << refused.ToString();
  EXPECT_NE(refused.message().find("endpoint 'ep' not created: cannot start thread 'endpoint-op'"),
            std::string::npos)
      << refused.ToString();
  EXPECT_EQ(manager_->Describe("ep").status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(manager_->Create("ep", "c1").ok()) << "created again, with threads to spare";
  EXPECT_EQ(WaitSettled("ep")["EndpointStatus"], "InService");

  auto two = ParseEndpointConfig(
      {{"EndpointConfigName", "c2"},
       {"ProductionVariants",
        {{{"VariantName", "blue"}, {"ModelName", "m1"}, {"InitialInstanceCount", 2}}}}});
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  ASSERT_TRUE(store_->CreateConfig(*two).ok());
  testing_support::ArmFault("thread.start:fleet-1", EAGAIN);
  ASSERT_TRUE(manager_->Create("ep2", "c2").ok());
  json served = WaitSettled("ep2");
  ASSERT_EQ(served["EndpointStatus"], "InService") << served.dump();
  EXPECT_EQ(served["ProductionVariants"][0]["CurrentInstanceCount"], 1) << served.dump();
  EXPECT_EQ(Call("ep2", "x").status, 200);

  testing_support::ArmFault("thread.start:endpoint-op", EAGAIN);
  refused = manager_->Update("ep2", "c1", DeploymentConfig{});
  EXPECT_EQ(refused.code(), ErrorCode::kResourceExhausted) << refused.ToString();
  EXPECT_NE(refused.message().find("endpoint 'ep2' not updated (it serves as before)"),
            std::string::npos)
      << refused.ToString();
  json kept = WaitSettled("ep2");
  EXPECT_EQ(kept["EndpointStatus"], "InService") << kept.dump();
  EXPECT_EQ(kept["EndpointConfigName"], "c2");
  EXPECT_NE(kept.value("FailureReason", "").find("cannot start thread 'endpoint-op'"),
            std::string::npos)
      << kept.dump();
  EXPECT_EQ(Call("ep2", "still").status, 200);
}

TEST_F(EndpointManagerTest, OverloadedVariantAnswers503Quickly) {
  AddModel("slow", "slow");
  AddConfig("c1", {{"only", "slow"}}, /*max_queued=*/1);
  ASSERT_TRUE(manager_->Create("ep", "c1").ok());
  ASSERT_EQ(WaitSettled("ep")["EndpointStatus"], "InService");
  std::vector<std::future<InvokeAnswer>> answers;
  std::atomic<int> refused{0};
  for (int i = 0; i < 6; ++i) {
    auto p = std::make_shared<std::promise<InvokeAnswer>>();
    answers.push_back(p->get_future());
    InvokeRequest r;
    r.endpoint = "ep";
    auto t0 = std::chrono::steady_clock::now();
    manager_->Invoke(std::move(r), [p, t0, &refused](InvokeAnswer a) {
      if (a.status == 503) {
        EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);  // the model takes 1000
        EXPECT_EQ(a.retry_after_s, 1) << a.body;  // a full queue drains by itself
        ++refused;
      }
      p->set_value(std::move(a));
    });
  }
  int ok = 0;
  for (auto& f : answers) ok += f.get().status == 200;
  EXPECT_GE(refused.load(), 3);
  EXPECT_GE(ok, 1);
  EXPECT_EQ(ok + refused.load(), 6);
  // Refusals count as the variant's 5xx invocations.
  json m = (*manager_->Describe("ep"))["ProductionVariants"][0]["Metrics"];
  EXPECT_EQ(m["Invocations"].get<int>(), 6) << m.dump();
  EXPECT_EQ(m["Invocation5XXErrors"].get<int>(), refused.load()) << m.dump();
}

// The config an update is rolling out lives only in memory until the update ends; the
// store must still refuse to delete it (or its model), or the endpoint would end up
// serving a config that no longer exists and fail at its next start.
TEST_F(EndpointManagerTest, ConfigAndModelBeingRolledOutCannotBeDeleted) {
  AddModel("m1", "ok");
  AddModel("m2", "ok");
  AddConfig("c1", {{"blue", "m1"}});
  AddConfig("c2", {{"green", "m2"}});
  ASSERT_TRUE(manager_->Create("ep", "c1").ok());
  ASSERT_EQ(WaitSettled("ep")["EndpointStatus"], "InService");
  DeploymentConfig d;
  d.wait_interval_s = 1;
  ASSERT_TRUE(manager_->Update("ep", "c2", d).ok());
  Status st = store_->DeleteConfig("c2");
  EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(
      st.message(),
      "endpoint config 'c2' is being rolled out to endpoint 'ep'; wait until its update ends");
  st = store_->DeleteModel("m2");
  EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("used by endpoint config 'c2'"), std::string::npos) << st.message();
  EXPECT_EQ(store_->DeleteConfig("c1").code(), ErrorCode::kFailedPrecondition);  // still serving

  json after = WaitSettled("ep");
  EXPECT_EQ(after["EndpointConfigName"], "c2");
  EXPECT_EQ(store_->DeleteConfig("c2").code(), ErrorCode::kFailedPrecondition);  // now it serves
  EXPECT_TRUE(store_->DeleteConfig("c1").ok());
  EXPECT_TRUE(store_->DeleteModel("m1").ok());
  // It still starts after a restart: its config is there.
  OpenManager();
  EXPECT_EQ(WaitSettled("ep")["EndpointStatus"], "InService");
}

// An update whose config was deleted between its start and its record starts nothing.
TEST_F(EndpointManagerTest, UpdateToADeletedConfigIsRefused) {
  AddModel("m1", "ok");
  AddConfig("c1", {{"blue", "m1"}});
  ASSERT_TRUE(manager_->Create("ep", "c1").ok());
  ASSERT_EQ(WaitSettled("ep")["EndpointStatus"], "InService");
  auto record = store_->FindEndpoint("ep");
  ASSERT_TRUE(record.ok() && record->has_value());
  EndpointRecord r = **record;
  r.deploying_config = "gone";
  EXPECT_EQ(store_->PutEndpoint(r).code(), ErrorCode::kNotFound);
  EXPECT_EQ(manager_->Update("ep", "gone", DeploymentConfig{}).code(), ErrorCode::kNotFound);
  EXPECT_EQ(WaitSettled("ep")["EndpointStatus"], "InService");
}

// SageMaker's real-time payload limit: a larger body never reaches a worker.
TEST_F(EndpointManagerTest, BodyPastTheInvocationLimitIs413) {
  AddModel("m1", "ok");
  AddConfig("c1", {{"blue", "m1"}});
  ASSERT_TRUE(manager_->Create("ep", "c1").ok());
  ASSERT_EQ(WaitSettled("ep")["EndpointStatus"], "InService");
  InvokeAnswer a = Call("ep", std::string(kMaxInvocationBodyBytes + 1, 'x'));
  EXPECT_EQ(a.status, 413);
  EXPECT_EQ(a.variant, "");
  EXPECT_NE(a.body.find("the request body is 6291457 bytes, more than an invocation may carry"),
            std::string::npos)
      << a.body;
  // One byte less passes the check (and meets no such endpoint).
  EXPECT_EQ(Call("none", std::string(kMaxInvocationBodyBytes, 'x')).status, 404);
}

TEST(AlarmTest, NeedsAMinimumOfRequestsBeforeFiring) {
  RollbackAlarm errors{"errors", RollbackAlarm::Metric::kErrorRate, 0.05};
  RollbackAlarm latency{"latency", RollbackAlarm::Metric::kModelLatencyP99Ms, 100};
  AlarmWindow w;
  // One failure and one slow answer among the first few requests: too few to judge.
  w.Record(500, 5000);
  for (int i = 0; i < 3; ++i) w.Record(200, 1);
  EXPECT_FALSE(AlarmFires(errors, w.Read()));
  for (int i = 0; i < 11; ++i) w.Record(200, 1);
  ASSERT_EQ(w.Read().invocations, kMinLatencyAlarmRequests - 5);
  EXPECT_GT(w.Read().p99_model_ms, 100);  // the slow one is the p99 of 15
  EXPECT_FALSE(AlarmFires(latency, w.Read()));
  EXPECT_TRUE(AlarmFires(errors, w.Read()));  // 1 of 15 > 5%
  for (int i = 0; i < 5; ++i) w.Record(200, 1);
  EXPECT_TRUE(AlarmFires(latency, w.Read()));  // 20 requests, p99 still the slow one
}

TEST_F(EndpointManagerTest, EndpointsComeBackAfterARestart) {
  AddModel("m1", "ok");
  AddModel("m2", "ok");
  AddConfig("c1", {{"blue", "m1"}, {"green", "m2"}});
  ASSERT_TRUE(manager_->Create("ep", "c1").ok());
  ASSERT_EQ(WaitSettled("ep")["EndpointStatus"], "InService");
  ASSERT_TRUE(manager_->UpdateWeights("ep", {{"blue", 1}, {"green", 0}}).ok());
  ASSERT_TRUE(manager_->Create("gone", "c1").ok());
  ASSERT_EQ(WaitSettled("gone")["EndpointStatus"], "InService");
  ASSERT_TRUE(manager_->Delete("gone").ok());
  for (int i = 0; i < 100 && manager_->Describe("gone").ok(); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(manager_->Describe("gone").ok());

  OpenManager();
  json d = WaitSettled("ep");
  EXPECT_EQ(d["EndpointStatus"], "InService");
  EXPECT_FALSE(manager_->Describe("gone").ok());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Call("ep", "again").variant, "blue");  // weights kept
}

TEST_F(EndpointManagerTest, MultiModelLoadsOnFirstUseAndUnloadsLeastRecentlyUsed) {
  std::string root = dir_.path() + "/mm";
  for (const char* name : {"a", "b", "c"}) {
    std::filesystem::create_directories(root + "/" + name);
    std::ofstream(root + "/" + name + "/model.json") << "{}";
  }
  json model = {{"ModelName", "many"}, {"Artifact", root}, {"MultiModel", true}};
  auto m = ParseModel(model);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_TRUE(store_->CreateModel(*m).ok());
  // A budget below two workers' memory: loading a second model unloads the first.
  auto c = ParseEndpointConfig({{"EndpointConfigName", "mmc"},
                                {"ProductionVariants",
                                 {{{"VariantName", "all"}, {"ModelName", "many"}, {"MemoryBudgetMiB", 64}}}}});
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(store_->CreateConfig(*c).ok());
  ASSERT_TRUE(manager_->Create("mm", "mmc").ok());
  ASSERT_EQ(WaitSettled("mm")["EndpointStatus"], "InService");

  InvokeAnswer a = Call("mm", "1", "", "a");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(json::parse(a.body)["model"], root + "/a");
  a = Call("mm", "2", "", "b");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(json::parse(a.body)["model"], root + "/b");
  EXPECT_EQ(Call("mm", "3").status, 400);               // no target model
  EXPECT_EQ(Call("mm", "4", "", "zzz").status, 404);    // not in the artifact
  EXPECT_EQ(Call("mm", "5", "", "../mm/a").status, 400);  // not a name
  json mm = (*manager_->Describe("mm"))["ProductionVariants"][0]["MultiModel"];
  EXPECT_EQ(mm["Loads"], 2);
  EXPECT_EQ(mm["Unloads"], 1) << mm.dump();
  ASSERT_EQ(mm["LoadedModels"].size(), 1u);
  EXPECT_EQ(mm["LoadedModels"][0]["ModelName"], "b");

  // A load whose thread the system refuses (the server at its limit of threads) is answered
  // at once, saying so; the next request for the model loads it.
  testing_support::ArmFault("thread.start:model-load", EAGAIN);
  a = Call("mm", "6", "", "c");
  EXPECT_EQ(a.status, 503);
  EXPECT_NE(a.body.find("cannot start thread 'model-load'"), std::string::npos) << a.body;
  a = Call("mm", "7", "", "c");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(json::parse(a.body)["model"], root + "/c");
}

// Data capture: the answers an endpoint gives, sampled into the lake in SageMaker's
// format (capture_writer_test.cc has the format and the writer itself).
TEST_F(EndpointManagerTest, CapturesTheSampledAnswersOfItsConfigInTheLake) {
  AddModel("m1", "ok");
  AddModel("bad", "fail");
  json all = {{"InitialSamplingPercentage", 100},
              {"DestinationS3Uri", "s3://lake/capture"},
              {"CaptureOptions", {{{"CaptureMode", "Input"}}, {{"CaptureMode", "Output"}}}},
              {"CaptureContentTypeHeader", {{"JsonContentTypes", {"application/json"}}}}};
  AddConfig("c1", {{"blue", "m1"}, {"broken", "bad"}}, 64, all);
  ASSERT_TRUE(manager_->Create("ep", "c1").ok());
  ASSERT_EQ(WaitSettled("ep")["EndpointStatus"], "InService");
  std::map<std::string, std::string> answers;  // request body -> answer body
  for (int i = 0; i < 20; ++i) {
    std::string body = "{\"n\":" + std::to_string(i) + "}";
    InvokeAnswer a = Call("ep", body, "blue", "", "id-" + std::to_string(i));
    ASSERT_EQ(a.status, 200);
    answers[body] = a.body;
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Call("ep", "{}", "broken").status, 500);  // errors are not captured
  json d = *manager_->Describe("ep");
  EXPECT_EQ(d["DataCaptureConfig"]["CaptureStatus"], "Started") << d.dump();
  EXPECT_EQ(d["DataCaptureConfig"]["CurrentSamplingPercentage"], 100);
  EXPECT_EQ(d["DataCaptureConfig"]["DestinationS3Uri"], "s3://lake/capture/");
  EXPECT_EQ(d["ProductionVariants"][0]["Metrics"]["CapturedInvocations"], 20) << d.dump();
  EXPECT_EQ(d["ProductionVariants"][1]["Metrics"]["CapturedInvocations"], 0);

  ASSERT_TRUE(manager_->FlushCapture().ok());
  auto objects = lake_.Get("lake")->Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->first.rfind("capture/ep/blue/", 0), 0u) << objects.begin()->first;
  std::istringstream in(objects.begin()->second.data);
  std::string line;
  std::set<std::string> ids;
  while (std::getline(in, line)) {
    json j = json::parse(line);
    std::string input = j["captureData"]["endpointInput"]["data"];
    ASSERT_TRUE(answers.count(input)) << line;
    EXPECT_EQ(j["captureData"]["endpointOutput"]["data"], answers[input]);
    EXPECT_EQ(j["captureData"]["endpointOutput"]["encoding"], "JSON");
    ids.insert(j["eventMetadata"]["inferenceId"].get<std::string>());
    answers.erase(input);
  }
  EXPECT_TRUE(answers.empty()) << answers.size() << " answers not captured";
  EXPECT_EQ(ids.size(), 20u);

  // Half the traffic of a new config: about half is captured; a stop writes what is buffered.
  json half = all;
  half["InitialSamplingPercentage"] = 50;
  AddConfig("c2", {{"green", "m1"}}, 64, half);
  ASSERT_TRUE(manager_->Update("ep", "c2", {}).ok());
  ASSERT_EQ(WaitSettled("ep")["EndpointConfigName"], "c2");
  for (int i = 0; i < 200; ++i) ASSERT_EQ(Call("ep", "{}").status, 200);
  manager_->Stop();
  size_t green_lines = 0;
  for (const auto& [key, o] : lake_.Get("lake")->Objects()) {
    if (key.rfind("capture/ep/green/", 0) == 0) green_lines += std::count(o.data.begin(), o.data.end(), '\n');
  }
  EXPECT_GT(green_lines, 60u);
  EXPECT_LT(green_lines, 140u);

  // Capture off (EnableCapture false, or no lake): nothing is captured, and describe says so.
  json off = all;
  off["EnableCapture"] = false;
  AddConfig("c3", {{"blue", "m1"}}, 64, off);
  OpenManager();
  ASSERT_TRUE(manager_->Create("ep3", "c3").ok());
  ASSERT_EQ(WaitSettled("ep3")["EndpointStatus"], "InService");
  ASSERT_EQ(Call("ep3", "{}").status, 200);
  json d3 = (*manager_->Describe("ep3"))["DataCaptureConfig"];
  EXPECT_EQ(d3["EnableCapture"], false) << d3.dump();
  EXPECT_EQ(d3["CaptureStatus"], "Stopped");
  EXPECT_EQ((*manager_->Describe("ep3"))["ProductionVariants"][0]["Metrics"]["CapturedInvocations"], 0);
  ASSERT_TRUE(manager_->FlushCapture().ok());
  for (const auto& [key, o] : lake_.Get("lake")->Objects()) EXPECT_EQ(key.find("/ep3/"), std::string::npos) << key;
}

TEST(ResourcesTest, ParseErrorsNameTheField) {
  auto c = ParseEndpointConfig({{"EndpointConfigName", "c"},
                                {"ProductionVariants", {{{"VariantName", "a"}, {"ModelName", "m"},
                                                         {"InitialInstanceCount", 99}}}}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("ProductionVariants[0].InitialInstanceCount: must be 1..16"), std::string::npos)
      << c.status().message();
  c = ParseEndpointConfig({{"EndpointConfigName", "bad name"}, {"ProductionVariants", json::array()}});
  EXPECT_FALSE(c.ok());
  c = ParseEndpointConfig({{"EndpointConfigName", "c"},
                           {"ProductionVariants", {{{"VariantName", "a"}, {"ModelName", "m"}},
                                                   {{"VariantName", "a"}, {"ModelName", "m"}}}}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("appears twice"), std::string::npos);

  auto d = ParseDeploymentConfig(
      {{"BlueGreenUpdatePolicy", {{"TrafficRoutingConfiguration", {{"Type", "SOMETIMES"}}}}}});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("TrafficRoutingConfiguration.Type: 'SOMETIMES'"), std::string::npos);
  d = ParseDeploymentConfig({{"AutoRollbackConfiguration", {{"Alarms", {{{"AlarmName", "a"}, {"Metric", "Cpu"}}}}}}});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("Alarms[0].Metric"), std::string::npos);
  d = ParseDeploymentConfig(
      {{"BlueGreenUpdatePolicy",
        {{"TrafficRoutingConfiguration",
          {{"Type", "CANARY"}, {"WaitIntervalInSeconds", 30}, {"CanarySize", {{"Type", "CAPACITY_PERCENT"}, {"Value", 10}}}}},
         {"TerminationWaitInSeconds", 5}}},
       {"AutoRollbackConfiguration", {{"Alarms", {{{"AlarmName", "e"}, {"Metric", "ErrorRate"}, {"Threshold", 0.1}}}}}}});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->type, TrafficType::kCanary);
  EXPECT_EQ(d->canary_percent, 10);
  EXPECT_EQ(d->wait_interval_s, 30);
  EXPECT_EQ(d->termination_wait_s, 5);
  ASSERT_EQ(d->alarms.size(), 1u);
  auto again = ParseDeploymentConfig(ToJson(*d));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ToJson(*again), ToJson(*d));

  auto m = ParseModel({{"ModelName", "m"}, {"Artifact", "/does/not/exist"}});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("Artifact: '/does/not/exist' is not a directory"), std::string::npos);
  m = ParseModel({{"ModelName", "m"}});
  EXPECT_FALSE(m.ok());
}

}  // namespace
}  // namespace tributary::serving
