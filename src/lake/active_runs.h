// ActiveRuns<Run>: the runs of named things (crawlers, ETL jobs) that go on a worker
// thread each, one per name at a time: starting one, its live progress, cancelling it,
// and joining its thread when it is done. CrawlerManager and JobManager keep theirs here.
//
// `Run` is the run's record (CrawlRun, JobRun): copyable, with an `int64_t id`. `kind`
// ("crawler", "job") names the thing in error messages.
//
//   ActiveRuns<JobRun> runs_{"job"};
//   TRY_ASSIGN(int64_t id, runs_.Start(name, record_the_run, "etl:" + name,
//                                      [this](auto& active) { Execute(active); }));
//   // on the run's thread: runs_.Progress(active), runs_.Update(active, run),
//   // active.cancel, and at the end runs_.Finish(active, run)
//
// Thread-safety: every method may be called from any thread. Destroying it cancels the
// runs and waits for them: an owner declares it after the members its runs use, so that
// it goes first.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/thread_name.h"

namespace tributary::lake {

template <typename Run>
class ActiveRuns {
 public:
  struct Active {
    Run progress;  // guarded by the registry: read with Progress, set with Update
    std::atomic<bool> cancel{false};
    std::thread thread;
    bool done = false;
  };

  explicit ActiveRuns(std::string kind) : kind_(std::move(kind)) {}
  ~ActiveRuns() {
    CancelAll();
    WaitIdle();
  }
  ActiveRuns(const ActiveRuns&) = delete;
  ActiveRuns& operator=(const ActiveRuns&) = delete;

  // Unless `name` is running: `record()` makes and records the new run (with its id),
  // then `work(active)` runs on a new thread named `thread_name`. Returns the run's id;
  // kFailedPrecondition if `name` is running, or what `record()` failed with.
  Result<int64_t> Start(const std::string& name, const std::function<Result<Run>()>& record,
                        std::string thread_name, std::function<void(Active&)> work) {
    std::lock_guard<std::mutex> lock(mu_);
    ReapLocked();
    if (auto it = active_.find(name); it != active_.end()) {
      return FailedPrecondition(kind_ + " '" + name + "' is already running (run " +
                                std::to_string(it->second->progress.id) + ")");
    }
    TRY_ASSIGN(Run run, record());
    auto active = std::make_unique<Active>();
    active->progress = run;
    Active* raw = active.get();
    active_[name] = std::move(active);
    raw->thread = std::thread([raw, thread_name = std::move(thread_name), work = std::move(work)] {
      SetThreadName(thread_name);
      work(*raw);
    });
    return run.id;
  }

  // Runs `action` unless `name` is running (then kFailedPrecondition "<kind> '<name>' is
  // running; <then>"), with no run starting meanwhile.
  Status IfIdle(const std::string& name, const std::string& then, const std::function<Status()>& action) {
    std::lock_guard<std::mutex> lock(mu_);
    ReapLocked();
    if (active_.count(name)) return FailedPrecondition(kind_ + " '" + name + "' is running; " + then);
    return action();
  }

  // Asks a running run to end (it sees `cancel`); kFailedPrecondition if none runs.
  Status Stop(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(name);
    if (it == active_.end() || it->second->done) return FailedPrecondition(kind_ + " '" + name + "' is not running");
    it->second->cancel = true;
    return Status::Ok();
  }

  // On the run's thread.
  Run Progress(const Active& active) const {
    std::lock_guard<std::mutex> lock(mu_);
    return active.progress;
  }
  void Update(Active& active, const Run& progress) {
    std::lock_guard<std::mutex> lock(mu_);
    active.progress = progress;
  }
  // The run's outcome; its thread ends after this.
  void Finish(Active& active, Run outcome) {
    std::lock_guard<std::mutex> lock(mu_);
    active.progress = std::move(outcome);
    active.done = true;
    idle_.notify_all();
  }

  // The run of `name` that is still going, if any.
  std::optional<Run> Running(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(name);
    if (it == active_.end() || it->second->done) return std::nullopt;
    return it->second->progress;
  }
  // Run `id` of `name` as its thread last reported it, if it is the current one.
  std::optional<Run> Live(const std::string& name, int64_t id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(name);
    if (it == active_.end() || it->second->progress.id != id) return std::nullopt;
    return it->second->progress;
  }
  // Replaces, in `runs` (records from the store), the current run of `name` by its live
  // progress.
  void Overlay(const std::string& name, std::vector<Run>* runs) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(name);
    if (it == active_.end()) return;
    for (Run& r : *runs) {
      if (r.id == it->second->progress.id) r = it->second->progress;
    }
  }

  void CancelAll() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, active] : active_) active->cancel = true;
  }
  // Waits until no run is going and joins their threads.
  void WaitIdle() {
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait(lock, [this] {
      for (auto& [name, active] : active_) {
        if (!active->done) return false;
      }
      return true;
    });
    ReapLocked();
  }

 private:
  void ReapLocked() {
    for (auto it = active_.begin(); it != active_.end();) {
      if (it->second->done) {
        if (it->second->thread.joinable()) it->second->thread.join();
        it = active_.erase(it);
      } else {
        ++it;
      }
    }
  }

  const std::string kind_;
  mutable std::mutex mu_;
  std::condition_variable idle_;
  std::map<std::string, std::unique_ptr<Active>> active_;
};

}  // namespace tributary::lake
