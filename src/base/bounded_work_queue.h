// BoundedWorkQueue<Item>: items handed to a few worker threads, for callers that must not
// wait for slow work (a store, a remote endpoint). The queue holds at most `max_items`
// items and `max_bytes` bytes (queued and being handled); past either, Push refuses at
// once with ResourceExhausted, so a slow consumer pushes back instead of growing memory.
// Stop (and the destructor) lets the workers handle what is queued, then joins them; a
// Push after that is refused with Unavailable. Items are handled in queue order, `threads`
// at a time. Thread-safe.
//
//   BoundedWorkQueue<Job> q({.threads = 4, .name = "object queue", .unit = "objects"},
//                           [](Job& job) { ...; job.done(status); });
//   if (Status refused = q.Push(job, job_bytes); !refused.ok()) job.done(refused);
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/start_thread.h"
#include "base/status.h"

namespace tributary {

struct BoundedWorkQueueOptions {
  int threads = 4;
  size_t max_items = 4096;
  uint64_t max_bytes = 64ull << 20;
  std::string name = "queue";   // in messages: "<name> full: ..."
  std::string unit = "items";   // "3 <unit> of 120 bytes wait"
  std::string thread_name = "worker";  // workers are "<thread_name>:<n>"
};

template <typename Item>
class BoundedWorkQueue {
 public:
  using Handler = std::function<void(Item&)>;

  BoundedWorkQueue(BoundedWorkQueueOptions options, Handler handle)
      : options_(std::move(options)), handle_(std::move(handle)) {
    // A worker the system refuses (the server at its limit of threads, base/start_thread.h)
    // leaves fewer; with none, Push refuses every item with the reason.
    int threads = std::max(1, options_.threads);
    for (int i = 0; i < threads; ++i) {
      auto worker =
          StartThread(options_.thread_name + ":" + std::to_string(i), [this] { WorkerLoop(); });
      if (!worker.ok()) {
        if (workers_.empty()) no_workers_ = worker.status();
        break;
      }
      workers_.push_back(std::move(worker).value());
    }
  }
  ~BoundedWorkQueue() { Stop(); }
  BoundedWorkQueue(const BoundedWorkQueue&) = delete;
  BoundedWorkQueue& operator=(const BoundedWorkQueue&) = delete;

  // Queues `item` (moved from), counted as `bytes`; or says why not, leaving `item` as it
  // was (so that the caller can answer it).
  Status Push(Item& item, uint64_t bytes) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return Unavailable("the " + options_.name + " is stopping");
      if (!no_workers_.ok()) return no_workers_.WithContext("the " + options_.name);
      if (items_ + 1 > options_.max_items || bytes_ + bytes > options_.max_bytes) {
        return ResourceExhausted(options_.name + " full: " + std::to_string(items_) + " " +
                                 options_.unit + " of " + std::to_string(bytes_) +
                                 " bytes wait (limits " + std::to_string(options_.max_items) +
                                 " " + options_.unit + ", " + std::to_string(options_.max_bytes) +
                                 " bytes); retry later");
      }
      ++items_;
      bytes_ += bytes;
      queue_.push_back({std::move(item), bytes});
    }
    cv_.notify_one();
    return Status::Ok();
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : workers_) {
      if (t.joinable()) t.join();
    }
  }

  // Items and bytes queued or being handled.
  size_t items() const {
    std::lock_guard lock(mu_);
    return items_;
  }
  uint64_t bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }

 private:
  struct Entry {
    Item item;
    uint64_t bytes;
  };

  void WorkerLoop() {
    while (true) {
      Entry entry;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything queued is handled
        entry = std::move(queue_.front());
        queue_.pop_front();
      }
      handle_(entry.item);
      std::lock_guard lock(mu_);
      --items_;
      bytes_ -= entry.bytes;
    }
  }

  const BoundedWorkQueueOptions options_;
  const Handler handle_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry> queue_;
  size_t items_ = 0;
  uint64_t bytes_ = 0;
  bool stopping_ = false;
  Status no_workers_;                 // why no worker started, if none did
  std::vector<std::thread> workers_;  // last: started once the rest is ready
};

}  // namespace tributary
