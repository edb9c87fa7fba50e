// PutQueue: objects written on a few worker threads, for callers that must not wait for
// a store (a topic rule's s3 action, which runs on the broker's threads). Each Put's
// `done` is called exactly once, from a worker thread (or at once from the caller's thread
// when the queue refuses it). The queue is bounded by objects and bytes: past either
// limit a Put is refused with ResourceExhausted, so a slow store pushes back on the
// devices instead of growing memory. A failed put's status is the store's (or the
// bucket's, when it cannot be opened). Stop (and the destructor) writes what is queued,
// then stops; a Put after that is refused with Unavailable.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "objstore/object_store.h"

namespace tributary::objstore {

struct PutQueueOptions {
  int threads = 4;               // puts in flight at once
  size_t max_objects = 4096;     // queued and in flight
  uint64_t max_bytes = 64ull << 20;
  std::string content_type = "application/octet-stream";
};

class PutQueue {
 public:
  using Done = std::function<void(const Status&)>;

  // `stores` must outlive the queue.
  PutQueue(ObjectStoreProvider* stores, PutQueueOptions options = {});
  ~PutQueue();
  PutQueue(const PutQueue&) = delete;
  PutQueue& operator=(const PutQueue&) = delete;

  void Put(std::string bucket, std::string key, std::string body, Done done);
  void Stop();

  // Objects and bytes queued or being written.
  size_t objects() const;
  uint64_t bytes() const;

 private:
  struct Item {
    std::string bucket, key, body;
    Done done;
  };
  void WorkerLoop();

  ObjectStoreProvider* const stores_;
  const PutQueueOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  size_t objects_ = 0;  // queued and in flight
  uint64_t bytes_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace tributary::objstore
