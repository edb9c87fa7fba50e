// WorkerProcess against real processes: testdata/test_worker.js under node.
#include "serving/worker_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "base/log.h"

namespace tributary::serving {
namespace {

WorkerOptions Options(const std::string& mode, const std::string& arg = "") {
  WorkerOptions o;
  o.name = "test/" + mode + "#0";
  o.command = {"node", SERVING_TESTDATA_DIR "/test_worker.js", mode};
  if (!arg.empty()) o.command.push_back(arg);
  return o;
}

std::unique_ptr<WorkerProcess> StartReady(WorkerOptions options) {
  auto worker = WorkerProcess::Spawn(std::move(options));
  EXPECT_TRUE(worker.ok()) << worker.status().ToString();
  if (!worker.ok()) return nullptr;
  Status ready = (*worker)->WaitReady(10000);
  EXPECT_TRUE(ready.ok()) << ready.ToString();
  return std::move(worker).value();
}

WorkerRequest Request(std::string body) {
  WorkerRequest r;
  r.body = std::move(body);
  return r;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// True once `pid` is no child of ours: reaped, not a zombie we forgot.
bool Reaped(pid_t pid) {
  int status;
  return ::waitpid(pid, &status, WNOHANG) < 0 && errno == ECHILD;
}

double MillisSince(int64_t start) { return (SteadyNanos() - start) / 1e6; }

TEST(WorkerProcessTest, AnswersMatchRequests) {
  WorkerOptions o = Options("echo");
  o.env = {{"TRIBUTARY_MODEL_DIR", "/models/m1"}};
  auto worker = StartReady(o);
  ASSERT_NE(worker, nullptr);
  EXPECT_EQ(worker->info()["prediction_length"], 3);
  EXPECT_EQ(worker->info()["pid"], worker->pid());
  EXPECT_GT(worker->RssBytes(), 1u << 20);

  for (int i = 0; i < 5; ++i) {
    WorkerRequest r = Request("body " + std::to_string(i));
    r.content_type = "application/jsonlines";
    r.inference_config = {{"num_samples", i}};
    WorkerAnswer a = worker->Call(std::move(r), 5000);
    ASSERT_EQ(a.status, 200) << a.error;
    auto reply = nlohmann::json::parse(a.body);
    EXPECT_EQ(reply["id"], i + 1);
    EXPECT_EQ(reply["body"], "body " + std::to_string(i));
    EXPECT_EQ(reply["content_type"], "application/jsonlines");
    EXPECT_EQ(reply["inference_config"]["num_samples"], i);
    EXPECT_EQ(reply["model_dir"], "/models/m1");
  }
  // Larger than any pipe buffer both ways: the write and the read must interleave.
  std::string big(3 << 20, 'x');
  WorkerAnswer a = worker->Call(Request(big), 10000);
  ASSERT_EQ(a.status, 200) << a.error;
  EXPECT_EQ(nlohmann::json::parse(a.body)["body"].get<std::string>().size(), big.size());

  WorkerAnswer bad = worker->Call(Request("status:422"), 5000);
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.error, "the test asked for it");
  EXPECT_TRUE(worker->running());

  pid_t pid = worker->pid();
  worker->Stop(5000);
  EXPECT_FALSE(worker->running());
  EXPECT_TRUE(Reaped(pid));
  EXPECT_TRUE(Contains(worker->StderrTail().back(), "stdin closed, exiting"));
}

TEST(WorkerProcessTest, NotReadyCarriesTheReasonAndStderr) {
  auto worker = WorkerProcess::Spawn(Options("not-ready"));
  ASSERT_TRUE(worker.ok());
  pid_t pid = (*worker)->pid();
  Status st = (*worker)->WaitReady(10000);
  EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(st.message(), "could not load the model: no model.pt in the artifact"))
      << st.message();
  EXPECT_TRUE(Contains(st.message(), "loading model (mode not-ready)")) << st.message();
  EXPECT_FALSE((*worker)->running());
  EXPECT_TRUE(Reaped(pid));
}

TEST(WorkerProcessTest, NeverReadyTimesOut) {
  auto worker = WorkerProcess::Spawn(Options("never-ready"));
  ASSERT_TRUE(worker.ok());
  int64_t start = SteadyNanos();
  Status st = (*worker)->WaitReady(300);
  EXPECT_LT(MillisSince(start), 2000);
  EXPECT_EQ(st.code(), ErrorCode::kDeadlineExceeded);
  EXPECT_TRUE(Contains(st.message(), "was not ready within 300 ms")) << st.message();
  EXPECT_TRUE(Contains(st.message(), "killed by signal 9")) << st.message();
  EXPECT_TRUE(Reaped((*worker)->pid()));
}

TEST(WorkerProcessTest, CannotStartAMissingProgram) {
  WorkerOptions o;
  o.name = "test/missing#0";
  o.command = {"/nonexistent/model-server"};
  auto worker = WorkerProcess::Spawn(o);
  ASSERT_FALSE(worker.ok());
  EXPECT_TRUE(Contains(worker.status().message(), "cannot start '/nonexistent/model-server'"))
      << worker.status().message();
}

// The answer (which reaches the client) says how the worker ended; its stderr, which
// may be about other callers' requests, goes to the log only.
TEST(WorkerProcessTest, CrashFailsTheRequestWithExitStatusAndLogsStderr) {
  LogCapture captured("serving");
  auto worker = StartReady(Options("echo"));
  ASSERT_NE(worker, nullptr);
  WorkerAnswer a = worker->Call(Request("crash"), 5000);
  EXPECT_EQ(a.status, 500);
  EXPECT_TRUE(Contains(a.error, "model server exited")) << a.error;
  EXPECT_TRUE(Contains(a.error, "exited with status 3")) << a.error;
  EXPECT_FALSE(Contains(a.error, "crashing on purpose")) << a.error;
  EXPECT_FALSE(Contains(a.error, "stderr")) << a.error;
  EXPECT_TRUE(Contains(captured.text(), "its last stderr lines:")) << captured.text();
  EXPECT_TRUE(Contains(captured.text(), "crashing on purpose")) << captured.text();
  EXPECT_FALSE(worker->running());
  EXPECT_TRUE(Reaped(worker->pid()));
  EXPECT_EQ(worker->Call(Request("after"), 1000).status, 500);
}

TEST(WorkerProcessTest, SlowAnswerIsKilledAtTheTimeout) {
  auto worker = StartReady(Options("echo"));
  ASSERT_NE(worker, nullptr);
  int64_t start = SteadyNanos();
  WorkerAnswer a = worker->Call(Request("sleep:5000"), 200);
  EXPECT_LT(MillisSince(start), 2000);
  EXPECT_EQ(a.status, 500);
  EXPECT_TRUE(Contains(a.error, "model server did not answer within 200 ms")) << a.error;
  EXPECT_FALSE(worker->running());
  EXPECT_TRUE(Reaped(worker->pid()));
}

TEST(WorkerProcessTest, ProtocolErrorsEndTheWorker) {
  struct Case {
    std::string body, error;
  };
  for (const Case& c : {Case{"bad-id", "worker answered id 2 to request 1"},
                        Case{"garbage", "header line is not JSON at byte"}}) {
    auto worker = StartReady(Options("echo"));
    ASSERT_NE(worker, nullptr);
    WorkerAnswer a = worker->Call(Request(c.body), 5000);
    EXPECT_EQ(a.status, 500);
    EXPECT_TRUE(Contains(a.error, c.error)) << a.error;
    EXPECT_FALSE(worker->running());
  }
}

TEST(WorkerProcessTest, StderrGoesToTheLogWithTheWorkersName) {
  LogCapture captured("serving");
  auto worker = StartReady(Options("echo"));
  ASSERT_NE(worker, nullptr);
  ASSERT_EQ(worker->Call(Request("stderr:fitting the forecast"), 5000).status, 200);
  worker->Stop(5000);  // joins the stderr reader: every line is in by now
  EXPECT_TRUE(Contains(captured.text(), "test/echo#0: fitting the forecast")) << captured.text();
  auto tail = worker->StderrTail();
  EXPECT_NE(std::find(tail.begin(), tail.end(), "fitting the forecast"), tail.end());
}

TEST(WorkerProcessTest, StopKillsTheWorkersChildren) {
  auto worker = StartReady(Options("echo"));
  ASSERT_NE(worker, nullptr);
  WorkerAnswer a = worker->Call(Request("spawn-child"), 5000);
  ASSERT_EQ(a.status, 200) << a.error;
  pid_t child = nlohmann::json::parse(a.body)["child"];
  worker->Stop(5000);
  // The child is not ours to reap; it must be dead (gone, or a zombie of init).
  bool dead = false;
  for (int i = 0; i < 200 && !dead; ++i) {
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string pid, comm, state;
    dead = !(stat >> pid >> comm >> state) || state == "Z";
    if (!dead) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(dead) << "child " << child << " of the worker survived Stop";
}

TEST(WorkerProcessTest, StopKillsAWorkerThatIgnoresEofAfterTheGrace) {
  auto worker = StartReady(Options("stubborn"));
  ASSERT_NE(worker, nullptr);
  int64_t start = SteadyNanos();
  worker->Stop(300);
  double ms = MillisSince(start);
  EXPECT_GE(ms, 290);
  EXPECT_LT(ms, 3000);
  EXPECT_TRUE(Reaped(worker->pid()));
}

}  // namespace
}  // namespace tributary::serving
