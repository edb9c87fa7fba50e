// One worker process: a model server spawned with pipes on its stdin, stdout and
// stderr, speaking worker_protocol.h. It runs in its own process group, so that
// killing it also ends whatever it started (`/bin/sh -c CMD` and CMD's children).
//
//   WorkerOptions o; o.name = "ep1/blue#0"; o.command = {"/bin/sh", "-c", "..."};
//   TRY_ASSIGN(auto worker, WorkerProcess::Spawn(o));
//   TRY(worker->WaitReady(120000));
//   WorkerAnswer a = worker->Call(std::move(request), 60000);
//   if (!worker->running()) { ... a.status is 500, a.error says why; start a new one }
//
// The worker's stderr is read by a thread of its own, so a chatty worker never
// blocks on a full pipe: each line goes to the log prefixed with the worker's name,
// and the last lines are kept for error messages.
//
// Thread-safety: WaitReady, Call and Stop are for one thread at a time (the owner);
// name(), pid(), running(), StderrTail() and RssBytes() may be called from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "serving/worker_protocol.h"

namespace tributary::serving {

struct WorkerOptions {
  std::string name;                        // in log lines and errors: "endpoint/variant#0"
  std::vector<std::string> command;        // argv; argv[0] is looked up in PATH
  std::map<std::string, std::string> env;  // added to (or replacing in) the server's environment
  size_t stderr_lines_kept = 20;
};

// The outcome of one Call. A failure of the worker itself (timeout, exit, broken
// protocol) is status 500 with `error` saying what happened, and ends the worker.
// `error` never carries the worker's stderr (it goes to the server's log): what a
// worker logged may be about other callers' requests.
struct WorkerAnswer {
  int status = 500;
  std::string content_type = "application/json";
  std::string body;
  std::string error;  // the worker's or ours, when status >= 400
};

class WorkerProcess {
 public:
  // Starts the process; does not wait for it to load (WaitReady does).
  static Result<std::unique_ptr<WorkerProcess>> Spawn(WorkerOptions options);
  ~WorkerProcess();  // Stop(0): kills it if still running
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Waits for the ready line and keeps its `info`. On {"ready": false}, exit,
  // a protocol error or the timeout the worker is ended and the error carries the
  // reason and the last stderr lines.
  Status WaitReady(int timeout_ms);
  const nlohmann::json& info() const { return info_; }

  // Sends one request (its id is assigned here) and waits for its answer.
  WorkerAnswer Call(WorkerRequest request, int timeout_ms);

  // Closes stdin (a worker exits at EOF), waits up to `grace_ms` for it to exit,
  // then SIGKILLs its process group; always reaps. Idempotent.
  void Stop(int grace_ms);

  const std::string& name() const { return options_.name; }
  pid_t pid() const { return pid_; }
  // False once the worker exited, was killed or broke the protocol.
  bool running() const { return running_.load(); }
  // The last stderr lines, oldest first.
  std::vector<std::string> StderrTail() const;
  // Resident memory of the worker and its descendants, bytes (0 once ended).
  uint64_t RssBytes() const;

 private:
  explicit WorkerProcess(WorkerOptions options);
  // Writes header+body to stdin while reading stdout, until one message arrives
  // and the request is written (or the worker stopped reading), the deadline
  // (kDeadlineExceeded), EOF (kUnavailable) or a protocol error.
  Result<WorkerMessage> Exchange(std::string_view header, std::string_view body,
                                 int64_t deadline_ns, int timeout_ms, bool* fully_written);
  // Ends the process after a failure: kill, reap, and log it with the stderr tail.
  // Returns the description, with the tail only if `tail_in_result` (a failed start,
  // whose stderr holds no request's data).
  std::string Fail(const std::string& what, bool tail_in_result = true);
  // Waits up to grace_ms for the process to exit, SIGKILLs its group, reaps it and
  // stops the stderr thread. Returns "exited with status 3" / "was killed by signal
  // 9 (Killed)".
  std::string KillAndReap(int grace_ms);
  std::string WithTail(const std::string& message) const;
  void ReadStderr();

  WorkerOptions options_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: tells the stderr thread to finish
  std::atomic<bool> running_{false};
  bool reaped_ = false;
  uint64_t next_id_ = 0;
  WorkerDecoder decoder_;
  nlohmann::json info_ = nlohmann::json::object();
  std::thread stderr_thread_;
  mutable std::mutex tail_mu_;
  std::condition_variable stderr_done_cv_;
  bool stderr_done_ = false;  // the stderr thread has seen EOF or was woken
  std::deque<std::string> tail_;
};

// Resident set size of `pid` and its descendants from /proc, bytes; 0 when gone.
uint64_t ProcessTreeRssBytes(pid_t pid);

}  // namespace tributary::serving
