#include "base/due_tasks.h"

#include <chrono>

#include "base/clock.h"
#include "base/start_thread.h"

namespace tributary {

Result<std::shared_ptr<DueTasks>> DueTasks::Start(std::string thread_name) {
  std::shared_ptr<DueTasks> tasks(new DueTasks());
  DueTasks* t = tasks.get();
  TRY_ASSIGN(tasks->thread_, StartThread(std::move(thread_name), [t] { t->Loop(); }));
  return tasks;
}

DueTasks::~DueTasks() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

DueTasks::Id DueTasks::Add(std::function<void()> task) {
  std::lock_guard<std::mutex> lock(mu_);
  Id id = next_id_++;
  tasks_.emplace(id, Task{std::move(task)});
  return id;
}

void DueTasks::Schedule(Id id, int64_t due_ns) {
  if (due_ns < 0) due_ns = 0;
  bool soonest = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tasks_.find(id);
    if (it == tasks_.end()) return;
    Task& task = it->second;
    if (task.due_ns >= 0) {
      if (task.due_ns <= due_ns) return;
      due_.erase({task.due_ns, id});
    }
    task.due_ns = due_ns;
    due_.emplace(due_ns, id);
    soonest = due_.begin()->second == id;
  }
  if (soonest) wake_.notify_one();
}

void DueTasks::Remove(Id id) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return;
  if (it->second.due_ns >= 0) due_.erase({it->second.due_ns, id});
  tasks_.erase(it);
  done_.wait(lock, [&] { return running_ != id; });
}

uint64_t DueTasks::runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_;
}

void DueTasks::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (due_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const int64_t due_ns = due_.begin()->first;
    if (due_ns > SteadyNanos()) {
      wake_.wait_until(lock,
                       std::chrono::steady_clock::time_point(std::chrono::nanoseconds(due_ns)));
      continue;
    }
    const Id id = due_.begin()->second;
    due_.erase(due_.begin());
    Task& task = tasks_.at(id);
    task.due_ns = -1;
    // A copy: Remove may erase the entry while the task runs (it then waits for it).
    std::function<void()> run = task.run;
    running_ = id;
    lock.unlock();
    run();
    lock.lock();
    running_ = 0;
    ++runs_;
    done_.notify_all();
  }
}

}  // namespace tributary
