// PutQueue: objects written on a few worker threads, for callers that must not wait for
// a store (a topic rule's s3 action, which runs on the broker's threads). Each Put's
// `done` is called exactly once, from a worker thread (or at once from the caller's thread
// when the queue refuses it). The queue is bounded by objects and bytes: past either
// limit a Put is refused with ResourceExhausted, so a slow store pushes back on the
// devices instead of growing memory. A failed put's status is the store's (or the
// bucket's, when it cannot be opened). Stop (and the destructor) writes what is queued,
// then stops; a Put after that is refused with Unavailable. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/bounded_work_queue.h"
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

  void Put(std::string bucket, std::string key, std::string body, Done done);
  void Stop() { queue_.Stop(); }

  // Objects and bytes queued or being written.
  size_t objects() const { return queue_.items(); }
  uint64_t bytes() const { return queue_.bytes(); }

 private:
  struct Item {
    std::string bucket, key, body;
    Done done;
  };
  void Write(Item& item);

  ObjectStoreProvider* const stores_;
  const std::string content_type_;
  BoundedWorkQueue<Item> queue_;  // last: its workers use the members above
};

}  // namespace tributary::objstore
