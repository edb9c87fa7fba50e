// DueTasks: many owners' tasks run on one shared thread, each when its owner says it is
// due. A task is registered once (Add) and run again each time it is scheduled; an owner
// that goes (Remove) waits for its task if it is running. The tasks share the thread, so
// each must be short or give way when asked: a long one holds up the others.
//
// It lets a server with hundreds of delivery streams run their write-ahead logs'
// checkpoint saves (at most one a second each) on one thread, not one thread a stream
// (streams/wal.h).
//
//   TRY_ASSIGN(auto tasks, DueTasks::Start("walckpt"));
//   DueTasks::Id id = tasks->Add([this] { SaveDue(); });
//   tasks->Schedule(id, SteadyNanos() + 1'000'000'000);  // in a second
//   ...
//   tasks->Remove(id);  // before `this` goes
//
// Thread-safe; a task may call Schedule (for itself or another), not Remove.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "base/status.h"

namespace tributary {

class DueTasks {
 public:
  using Id = uint64_t;

  // Starts the thread, named `thread_name`; kResourceExhausted when the system refuses it
  // (base/start_thread.h).
  static Result<std::shared_ptr<DueTasks>> Start(std::string thread_name);
  // Stops the thread; a task still scheduled is not run. Every owner should have removed
  // its task before.
  ~DueTasks();
  DueTasks(const DueTasks&) = delete;
  DueTasks& operator=(const DueTasks&) = delete;

  // Registers `task`, not scheduled yet.
  Id Add(std::function<void()> task);
  // Runs `id`'s task once, at `due_ns` (SteadyNanos(); in the past or 0: as soon as the
  // thread is free). Scheduled already for sooner, it stays so; for later, it comes
  // sooner. Scheduled while it runs, it runs again after.
  void Schedule(Id id, int64_t due_ns);
  // Unregisters `id`: not run again, and if it runs now, Remove returns once it is done.
  void Remove(Id id);

  // Tasks run since Start (for tests and metrics).
  uint64_t runs() const;

 private:
  struct Task {
    std::function<void()> run;
    int64_t due_ns = -1;  // -1: not scheduled
  };

  DueTasks() = default;
  void Loop();

  mutable std::mutex mu_;
  std::condition_variable wake_;  // the thread: a task became due sooner, or stop
  std::condition_variable done_;  // Remove: the running task is done
  std::unordered_map<Id, Task> tasks_;
  std::set<std::pair<int64_t, Id>> due_;  // scheduled tasks, soonest first
  Id next_id_ = 1;
  Id running_ = 0;  // 0: none
  uint64_t runs_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace tributary
