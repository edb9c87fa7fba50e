// A fleet: the instances of one production variant (or of one model of a
// multi-model endpoint). Each instance is a worker process (worker_process.h) that
// holds the model and answers one request at a time; the fleet keeps one bounded
// queue in front of them, so an overloaded variant refuses quickly (503) instead of
// queueing without bound. A worker that dies is restarted; the request it was
// answering fails with 500 ("model server exited"), nothing else is lost.
//
//   FleetOptions o; o.name = "ep1/blue"; o.command = {"tributary-forecast", "serve", "--model",
//   dir}; o.instances = 2; TRY_ASSIGN(auto fleet, Fleet::Start(o));          // waits until every
//   worker is ready bool queued = fleet->Submit(std::move(inv), [](InvocationResult r) { ... });
//   fleet->Stop();                                     // drains in-flight work, then ends workers
//
// Thread-safety: every method may be called from any thread. `done` runs on one of the
// fleet's threads, never inside Submit, exactly once per accepted request; it should
// not block for long (it holds up one instance). Stop() (or destroying the Fleet)
// inside `done` works but cannot wait for the instance running that `done`.
//
// When a restart fails while no instance is running, the queued requests are
// answered 503 at once rather than left waiting for a model that cannot load.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"

namespace tributary::serving {

struct Invocation {
  std::string content_type = "application/json";
  std::string accept = "application/json";
  std::string body;
  nlohmann::json inference_config;  // null unless given (JSON Lines bodies)
};

struct InvocationResult {
  int status = 200;  // 2xx, 4xx (bad request), 5xx (model failed / worker died / timeout)
  std::string content_type = "application/json";
  std::string body;             // the worker's answer, or {"error": {...}} built by the fleet
  std::string error;            // the reason when status >= 400
  double model_latency_ms = 0;  // time inside the worker (write request .. read answer)
  double queue_ms = 0;          // time waiting in the fleet's queue
};

struct FleetOptions {
  std::string name;                        // for logs and errors: "endpoint/variant"
  std::vector<std::string> command;        // argv of one worker
  std::map<std::string, std::string> env;  // added to the server's environment
  int instances = 1;
  int max_queued_per_instance = 16;  // queue bound = instances * this
  int startup_timeout_ms = 120000;   // until every worker has said ready
  int request_timeout_ms = 60000;    // a worker slower than this is killed: 504-like 500
  int restart_backoff_ms = 500;      // doubled per consecutive failure, up to 30 s
  int stop_grace_ms = 5000;          // Stop: from closing a worker's stdin to SIGKILL
};

class Fleet {
 public:
  // Spawns the workers and waits for each one's ready line. Fails (and ends every
  // worker) when one exits, reports {"ready": false}, or is not ready in time; the
  // message names the fleet and carries the worker's error and last stderr lines.
  static Result<std::unique_ptr<Fleet>> Start(FleetOptions options);
  ~Fleet();  // Stop()

  // Queues the request; false (without calling done) when the queue is full or the
  // fleet is stopping: the caller answers 503.
  bool Submit(Invocation invocation, std::function<void(InvocationResult)> done);

  // Stops accepting, lets queued and in-flight requests finish, then closes the
  // workers' stdin and waits for them (SIGKILL after stop_grace_ms). Idempotent.
  // Requests no instance is left to serve are answered 503.
  void Stop();

  const FleetOptions& options() const;
  // The `info` object of the first worker's ready line.
  const nlohmann::json& model_info() const;
  // Workers running and ready now (fewer while one restarts).
  int ready_instances() const;
  size_t queued() const;
  // Sum of the workers' resident set sizes (/proc/<pid>/status VmRSS), bytes.
  uint64_t MemoryBytes() const;

 private:
  struct Impl;
  explicit Fleet(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace tributary::serving
