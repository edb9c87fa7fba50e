#include "serving/fleet.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "base/clock.h"
#include "base/error_code.h"
#include "base/log.h"
#include "base/start_thread.h"
#include "serving/worker_process.h"

namespace tributary::serving {
namespace {

constexpr int kMaxBackoffMs = 30000;

std::shared_ptr<spdlog::logger> Log() {
  static auto log = Logger("serving");
  return log;
}

double MillisSince(int64_t start_ns) { return static_cast<double>(SteadyNanos() - start_ns) / 1e6; }

// A result the fleet makes itself; the body is the API's error shape.
InvocationResult ErrorResult(int status, std::string error) {
  ErrorCode code = status < 500    ? ErrorCode::kInvalidArgument
                   : status == 503 ? ErrorCode::kUnavailable
                                   : ErrorCode::kInternal;
  InvocationResult result;
  result.status = status;
  result.body = nlohmann::json{{"error", {{"code", ErrorCodeName(code)}, {"message", error}}}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  result.error = std::move(error);
  return result;
}

}  // namespace

struct Fleet::Impl {
  struct Item {
    Invocation invocation;
    std::function<void(InvocationResult)> done;
    int64_t enqueued_ns = 0;
  };

  FleetOptions options;
  nlohmann::json model_info;

  mutable std::mutex mu;
  std::condition_variable cv;  // work queued, or stopping
  std::deque<Item> queue;
  bool stopping = false;
  int live_threads = 0;
  int ready = 0;
  std::vector<pid_t> pids;  // per instance; 0 while it has no worker

  std::mutex stop_mu;  // serialises Stop()
  std::vector<std::thread> threads;

  size_t Capacity() const {
    return static_cast<size_t>(options.instances) *
           static_cast<size_t>(options.max_queued_per_instance);
  }

  WorkerOptions WorkerOptionsFor(int index) const {
    WorkerOptions w;
    w.name = fmt::format("{}#{}", options.name, index);
    w.command = options.command;
    w.env = options.env;
    return w;
  }

  Result<std::unique_ptr<WorkerProcess>> StartWorker(int index) {
    TRY_ASSIGN(auto worker, WorkerProcess::Spawn(WorkerOptionsFor(index)));
    TRY(worker->WaitReady(options.startup_timeout_ms));
    return worker;
  }

  void SetRunning(int index, pid_t pid) {
    std::lock_guard<std::mutex> lock(mu);
    if ((pids[index] != 0) != (pid != 0)) ready += pid != 0 ? 1 : -1;
    pids[index] = pid;
  }

  static void Finish(Item& item, InvocationResult result) {
    try {
      item.done(std::move(result));
    } catch (const std::exception& e) {
      Log()->error("a fleet completion callback threw: {}", e.what());
    }
  }

  // Answers every queued request with `status` (when no instance can serve them).
  void FailQueued(int status, const std::string& error) {
    std::deque<Item> failed;
    {
      std::lock_guard<std::mutex> lock(mu);
      failed.swap(queue);
    }
    for (Item& item : failed) Finish(item, ErrorResult(status, error));
  }

  // Sleeps for the backoff unless Stop() comes first; true when stopping.
  bool WaitBackoff(int failures) {
    int64_t ms = std::min<int64_t>(
        kMaxBackoffMs, int64_t{options.restart_backoff_ms} << std::min(failures - 1, 16));
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping; });
  }

  void Serve(Item& item, WorkerProcess& worker) {
    double queue_ms = MillisSince(item.enqueued_ns);
    WorkerRequest request;
    request.content_type = std::move(item.invocation.content_type);
    request.accept = std::move(item.invocation.accept);
    request.inference_config = std::move(item.invocation.inference_config);
    request.body = std::move(item.invocation.body);
    int64_t start = SteadyNanos();
    WorkerAnswer answer = worker.Call(std::move(request), options.request_timeout_ms);
    double model_ms = MillisSince(start);
    InvocationResult result;
    if (answer.status >= 400 && answer.body.empty()) {
      result = ErrorResult(answer.status, std::move(answer.error));
    } else {
      result.status = answer.status;
      result.content_type = std::move(answer.content_type);
      result.body = std::move(answer.body);
      result.error = std::move(answer.error);
    }
    result.queue_ms = queue_ms;
    result.model_latency_ms = model_ms;
    Finish(item, std::move(result));
  }

  // One instance: keeps its worker alive and serves the queue until Stop drains it.
  void Run(int index, std::unique_ptr<WorkerProcess> worker) {
    int failures = 0;  // consecutive deaths or failed starts, for the backoff
    for (;;) {
      if (worker == nullptr || !worker->running()) {
        SetRunning(index, 0);
        worker.reset();
        if (WaitBackoff(std::max(failures, 1))) break;
        Result<std::unique_ptr<WorkerProcess>> started = StartWorker(index);
        if (!started.ok()) {
          ++failures;
          Log()->warn("fleet {}: restarting instance {} failed ({} in a row): {}", options.name,
                      index, failures, started.status().message());
          bool none_ready;
          {
            std::lock_guard<std::mutex> lock(mu);
            none_ready = ready == 0;
          }
          if (none_ready) {
            FailQueued(
                503, fmt::format("fleet {}: no instance of the model is running; the last restart "
                                 "failed: {}",
                                 options.name, started.status().message()));
          }
          continue;
        }
        worker = std::move(started).value();
        SetRunning(index, worker->pid());
        Log()->info("fleet {}: instance {} restarted", options.name, index);
      }
      Item item;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [this] { return !queue.empty() || stopping; });
        if (queue.empty()) break;  // stopping and drained
        item = std::move(queue.front());
        queue.pop_front();
      }
      Serve(item, *worker);
      if (worker->running()) {
        failures = 0;
      } else {
        ++failures;  // its in-flight request already got a 500
      }
    }
    if (worker != nullptr) worker->Stop(options.stop_grace_ms);
    SetRunning(index, 0);
    bool last;
    {
      std::lock_guard<std::mutex> lock(mu);
      last = --live_threads == 0;
    }
    // Only when every instance is gone can a queued request be left unserved.
    if (last)
      FailQueued(503, fmt::format("fleet {} stopped before serving this request", options.name));
  }
};

Fleet::Fleet(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Fleet::~Fleet() { Stop(); }

Result<std::unique_ptr<Fleet>> Fleet::Start(FleetOptions options) {
  if (options.command.empty())
    return InvalidArgument(fmt::format("fleet {}: no worker command", options.name));
  if (options.instances < 1 || options.max_queued_per_instance < 1) {
    return InvalidArgument(
        fmt::format("fleet {}: instances ({}) and max_queued_per_instance ({}) must be >= 1",
                    options.name, options.instances, options.max_queued_per_instance));
  }
  auto impl = std::make_shared<Impl>();
  impl->options = std::move(options);
  const FleetOptions& o = impl->options;
  // Spawn every worker first, then wait: the models load in parallel.
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (int i = 0; i < o.instances; ++i) {
    Result<std::unique_ptr<WorkerProcess>> worker = WorkerProcess::Spawn(impl->WorkerOptionsFor(i));
    if (!worker.ok()) return worker.status().WithContext("fleet " + o.name);
    workers.push_back(std::move(worker).value());
  }
  int64_t deadline = SteadyNanos() + int64_t{o.startup_timeout_ms} * 1000000;
  for (auto& worker : workers) {
    int left_ms =
        static_cast<int>(std::max<int64_t>(0, (deadline - SteadyNanos() + 999999) / 1000000));
    // Workers not yet ready are killed by their destructors on return.
    if (Status st = worker->WaitReady(left_ms); !st.ok()) return st.WithContext("fleet " + o.name);
  }
  impl->model_info = workers[0]->info();
  impl->pids.assign(workers.size(), 0);
  impl->live_threads = o.instances;
  for (int i = 0; i < o.instances; ++i) {
    impl->SetRunning(i, workers[i]->pid());
    // Each thread shares the Impl, so that one detached by Stop() (below) outlives the Fleet.
    auto thread =
        StartThread(fmt::format("fleet-{}", i),
                    [impl, i, w = std::move(workers[i])]() mutable { impl->Run(i, std::move(w)); });
    if (!thread.ok()) {
      // The server is at its limit of threads: serve with the instances started, if any.
      impl->SetRunning(i, 0);
      if (i == 0) return thread.status().WithContext("fleet " + o.name);
      {
        std::lock_guard<std::mutex> lock(impl->mu);
        impl->live_threads = i;
      }
      Log()->warn("fleet {}: started {} of {} instances: {}", o.name, i, o.instances,
                  thread.status().message());
      break;
    }
    impl->threads.push_back(std::move(thread).value());
  }
  Log()->info("fleet {} started instances={} info={}", o.name, o.instances,
              impl->model_info.dump());
  return std::unique_ptr<Fleet>(new Fleet(std::move(impl)));
}

bool Fleet::Submit(Invocation invocation, std::function<void(InvocationResult)> done) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->stopping || impl_->queue.size() >= impl_->Capacity()) return false;
    impl_->queue.push_back(Impl::Item{std::move(invocation), std::move(done), SteadyNanos()});
  }
  impl_->cv.notify_one();
  return true;
}

void Fleet::Stop() {
  std::lock_guard<std::mutex> stop_lock(impl_->stop_mu);
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  // Called from a `done` callback, i.e. on one of our threads: that thread cannot be
  // joined from itself; it finishes on its own (drains, ends its worker) detached.
  for (std::thread& t : impl_->threads) {
    if (!t.joinable()) continue;
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();
    } else {
      t.join();
    }
  }
}

const FleetOptions& Fleet::options() const { return impl_->options; }

const nlohmann::json& Fleet::model_info() const { return impl_->model_info; }

int Fleet::ready_instances() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->ready;
}

size_t Fleet::queued() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->queue.size();
}

uint64_t Fleet::MemoryBytes() const {
  std::vector<pid_t> pids;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    pids = impl_->pids;
  }
  uint64_t total = 0;
  for (pid_t pid : pids) total += ProcessTreeRssBytes(pid);
  return total;
}

}  // namespace tributary::serving
