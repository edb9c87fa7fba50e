// Fleet against real worker processes (testdata/test_worker.js under node).
#include "serving/fleet.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/testing/temp_dir.h"

namespace tributary::serving {
namespace {

FleetOptions Options(int instances, const std::string& mode, const std::string& arg = "") {
  FleetOptions o;
  o.name = "ep/" + mode;
  o.command = {"node", SERVING_TESTDATA_DIR "/test_worker.js", mode};
  if (!arg.empty()) o.command.push_back(arg);
  o.instances = instances;
  o.startup_timeout_ms = 10000;
  o.request_timeout_ms = 10000;
  o.restart_backoff_ms = 20;
  return o;
}

Invocation Body(std::string body) {
  Invocation inv;
  inv.body = std::move(body);
  return inv;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

double MillisSince(int64_t start) { return (SteadyNanos() - start) / 1e6; }

// Collects results by key and counts every callback, so a request answered twice shows.
class Results {
 public:
  std::function<void(InvocationResult)> For(const std::string& key) {
    return [this, key](InvocationResult r) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!results_.emplace(key, std::move(r)).second) ++duplicates_;
      cv_.notify_all();
    };
  }
  bool WaitFor(size_t n, int timeout_ms = 20000) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                        [&] { return results_.size() >= n; });
  }
  InvocationResult Get(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return results_.at(key);
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return results_.size();
  }
  int duplicates() {
    std::lock_guard<std::mutex> lock(mu_);
    return duplicates_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, InvocationResult> results_;
  int duplicates_ = 0;
};

// Every worker the fleet started has been reaped: the test process has no children.
bool NoChildrenLeft() {
  int status;
  return ::waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD;
}

TEST(FleetTest, AnswersGoToTheirRequests) {
  auto fleet = Fleet::Start(Options(2, "echo"));
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  EXPECT_EQ((*fleet)->model_info()["prediction_length"], 3);
  EXPECT_EQ((*fleet)->ready_instances(), 2);
  EXPECT_GT((*fleet)->MemoryBytes(), 2u << 20);
  Results results;
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 5; ++i) {
        std::string key = std::to_string(c) + "/" + std::to_string(i);
        EXPECT_TRUE((*fleet)->Submit(Body(key), results.For(key)));
      }
    });
  }
  for (auto& t : clients) t.join();
  ASSERT_TRUE(results.WaitFor(20));
  std::set<int> pids;
  for (int c = 0; c < 4; ++c) {
    for (int i = 0; i < 5; ++i) {
      std::string key = std::to_string(c) + "/" + std::to_string(i);
      InvocationResult r = results.Get(key);
      ASSERT_EQ(r.status, 200) << r.error;
      auto reply = nlohmann::json::parse(r.body);
      EXPECT_EQ(reply["body"], key);
      pids.insert(reply["pid"].get<int>());
      EXPECT_GT(r.model_latency_ms, 0);
      EXPECT_GE(r.queue_ms, 0);
    }
  }
  EXPECT_EQ(pids.size(), 2u) << "both instances should have served";
  (*fleet)->Stop();
  EXPECT_EQ(results.duplicates(), 0);
  EXPECT_TRUE(NoChildrenLeft());
}

TEST(FleetTest, InstancesServeInParallel) {
  auto fleet = Fleet::Start(Options(2, "slow", "1000"));
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  Results results;
  int64_t start = SteadyNanos();
  ASSERT_TRUE((*fleet)->Submit(Body("a"), results.For("a")));
  ASSERT_TRUE((*fleet)->Submit(Body("b"), results.For("b")));
  ASSERT_TRUE(results.WaitFor(2));
  double ms = MillisSince(start);
  EXPECT_GE(ms, 990);
  // One after the other they would take 2000 ms; the margin absorbs a loaded machine.
  EXPECT_LT(ms, 1800) << "two slow requests on two instances took twice the time";
  EXPECT_GE(results.Get("a").model_latency_ms, 990);
}

TEST(FleetTest, FullQueueRefusesAndStopDrainsEveryAcceptedRequest) {
  FleetOptions o = Options(1, "slow", "150");
  o.max_queued_per_instance = 3;
  auto fleet = Fleet::Start(o);
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  Results results;
  ASSERT_TRUE((*fleet)->Submit(Body("first"), results.For("first")));
  // Wait until the instance has taken it: then the queue holds exactly three more.
  for (int i = 0; i < 500 && (*fleet)->queued() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  int accepted = 1;
  for (int i = 0; i < 3; ++i)
    accepted += (*fleet)->Submit(Body(std::to_string(i)), results.For(std::to_string(i)));
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ((*fleet)->queued(), 3u);
  bool called = false;
  EXPECT_FALSE((*fleet)->Submit(Body("over"), [&](InvocationResult) { called = true; }));

  (*fleet)->Stop();  // returns only when every accepted request is answered
  EXPECT_EQ(results.size(), 4u);
  for (std::string key : {"first", "0", "1", "2"}) EXPECT_EQ(results.Get(key).status, 200) << key;
  EXPECT_GE(results.Get("2").queue_ms, 300);
  EXPECT_FALSE((*fleet)->Submit(Body("late"), [&](InvocationResult) { called = true; }));
  EXPECT_FALSE(called);
  EXPECT_EQ(results.duplicates(), 0);
  EXPECT_EQ((*fleet)->ready_instances(), 0);
  EXPECT_TRUE(NoChildrenLeft());
}

TEST(FleetTest, EveryAcceptedRequestIsAnsweredOnceWhenStopRacesSubmit) {
  FleetOptions o = Options(2, "echo");
  o.max_queued_per_instance = 4;
  auto fleet = Fleet::Start(o);
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  std::atomic<int> accepted{0}, answered{0}, ok{0}, late{0};
  std::atomic<bool> stopped{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        bool after_stop = stopped.load();
        bool queued = (*fleet)->Submit(Body("x"), [&](InvocationResult r) {
          ok += r.status == 200;
          ++answered;
        });
        accepted += queued;
        late += queued && after_stop;
        if (!queued) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (*fleet)->Stop();
  stopped = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(late.load(), 0) << "Submit accepted work after Stop";
  EXPECT_GT(accepted.load(), 0);
  EXPECT_EQ(answered.load(), accepted.load());
  EXPECT_EQ(ok.load(), accepted.load());
  EXPECT_TRUE(NoChildrenLeft());
}

TEST(FleetTest, StopInsideACallbackDoesNotDeadlock) {
  auto fleet = Fleet::Start(Options(1, "echo"));
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  Results results;
  auto record = results.For("a");
  ASSERT_TRUE((*fleet)->Submit(Body("a"), [&](InvocationResult r) {
    (*fleet)->Stop();
    record(std::move(r));
  }));
  ASSERT_TRUE(results.WaitFor(1, 10000));
  EXPECT_EQ(results.Get("a").status, 200);
  EXPECT_FALSE((*fleet)->Submit(Body("b"), results.For("b")));
  fleet->reset();  // the detached instance thread still holds the state it needs
  bool reaped = false;
  for (int i = 0; i < 500 && !reaped; ++i) {
    reaped = NoChildrenLeft();
    if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(reaped);
}

TEST(FleetTest, CrashFailsOneRequestAndTheWorkerIsRestarted) {
  FleetOptions o = Options(2, "echo");
  o.restart_backoff_ms = 300;  // long enough to see the other instance serve alone
  auto fleet = Fleet::Start(o);
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  Results results;
  ASSERT_TRUE((*fleet)->Submit(Body("crash"), results.For("crash")));
  ASSERT_TRUE(results.WaitFor(1));
  InvocationResult crashed = results.Get("crash");
  EXPECT_EQ(crashed.status, 500);
  EXPECT_TRUE(Contains(crashed.error, "model server exited")) << crashed.error;
  EXPECT_TRUE(Contains(crashed.error, "exited with status 3")) << crashed.error;
  EXPECT_EQ(nlohmann::json::parse(crashed.body)["error"]["code"], "internal");

  // Meanwhile the other instance serves.
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE((*fleet)->Submit(Body(std::to_string(i)), results.For(std::to_string(i))));
  ASSERT_TRUE(results.WaitFor(6));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(results.Get(std::to_string(i)).status, 200);

  for (int i = 0; i < 500 && (*fleet)->ready_instances() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ((*fleet)->ready_instances(), 2);
  // Each request holds its instance 50 ms, so one instance alone would need a second for
  // all twenty: the other takes its share even on a loaded machine.
  std::set<int> pids;
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE((*fleet)->Submit(Body("sleep:50"), results.For("again" + std::to_string(i))));
  ASSERT_TRUE(results.WaitFor(26));
  for (int i = 0; i < 20; ++i) {
    InvocationResult r = results.Get("again" + std::to_string(i));
    ASSERT_EQ(r.status, 200) << r.error;
    pids.insert(nlohmann::json::parse(r.body)["pid"].get<int>());
  }
  EXPECT_EQ(pids.size(), 2u) << "the restarted instance should serve too";
  (*fleet)->Stop();
  EXPECT_TRUE(NoChildrenLeft());
}

TEST(FleetTest, SlowWorkerIsKilledAndRestarted) {
  FleetOptions o = Options(1, "echo");
  o.request_timeout_ms = 200;
  auto fleet = Fleet::Start(o);
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  Results results;
  ASSERT_TRUE((*fleet)->Submit(Body("sleep:5000"), results.For("slow")));
  ASSERT_TRUE((*fleet)->Submit(Body("quick"), results.For("quick")));
  ASSERT_TRUE(results.WaitFor(2, 5000));
  EXPECT_EQ(results.Get("slow").status, 500);
  EXPECT_TRUE(Contains(results.Get("slow").error, "model server did not answer within 200 ms"));
  EXPECT_EQ(results.Get("quick").status, 200) << results.Get("quick").error;
}

TEST(FleetTest, WhenNoInstanceCanRestartQueuedRequestsGet503) {
  testing_support::TempDir dir;
  FleetOptions o = Options(1, "ready-once", dir.path() + "/started");
  auto fleet = Fleet::Start(o);
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  Results results;
  ASSERT_TRUE((*fleet)->Submit(Body("crash"), results.For("crash")));
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE((*fleet)->Submit(Body(std::to_string(i)), results.For(std::to_string(i))));
  ASSERT_TRUE(results.WaitFor(4));
  EXPECT_EQ(results.Get("crash").status, 500);
  for (int i = 0; i < 3; ++i) {
    InvocationResult r = results.Get(std::to_string(i));
    EXPECT_EQ(r.status, 503);
    EXPECT_TRUE(Contains(r.error, "no instance of the model is running")) << r.error;
    EXPECT_TRUE(Contains(r.error, "already started once")) << r.error;
  }
  EXPECT_EQ((*fleet)->ready_instances(), 0);
  (*fleet)->Stop();  // does not wait for a restart that cannot succeed
  EXPECT_EQ(results.duplicates(), 0);
  EXPECT_TRUE(NoChildrenLeft());
}

TEST(FleetTest, StartFailsWhenAWorkerCannotLoad) {
  FleetOptions o = Options(2, "not-ready");
  auto fleet = Fleet::Start(o);
  ASSERT_FALSE(fleet.ok());
  EXPECT_TRUE(Contains(fleet.status().message(), "fleet ep/not-ready")) << fleet.status().message();
  EXPECT_TRUE(Contains(fleet.status().message(), "no model.pt in the artifact"))
      << fleet.status().message();
  EXPECT_TRUE(NoChildrenLeft());

  o = Options(2, "never-ready");
  o.startup_timeout_ms = 300;
  int64_t start = SteadyNanos();
  fleet = Fleet::Start(o);
  EXPECT_LT(MillisSince(start), 3000);
  ASSERT_FALSE(fleet.ok());
  EXPECT_EQ(fleet.status().code(), ErrorCode::kDeadlineExceeded);
  EXPECT_TRUE(Contains(fleet.status().message(), "not ready within")) << fleet.status().message();
  EXPECT_TRUE(NoChildrenLeft());
}

}  // namespace
}  // namespace tributary::serving
