#include "objstore/put_queue.h"

#include <algorithm>

#include "base/thread_name.h"

namespace tributary::objstore {

PutQueue::PutQueue(ObjectStoreProvider* stores, PutQueueOptions options)
    : stores_(stores), options_(std::move(options)) {
  int threads = std::max(1, options_.threads);
  for (int i = 0; i < threads; ++i) {
    workers_.emplace_back([this, i] {
      SetThreadName("objput:" + std::to_string(i));
      WorkerLoop();
    });
  }
}

PutQueue::~PutQueue() { Stop(); }

void PutQueue::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

void PutQueue::Put(std::string bucket, std::string key, std::string body, Done done) {
  std::unique_lock lock(mu_);
  Status refused;
  if (stopping_) {
    refused = Unavailable("the object queue is stopping");
  } else if (objects_ + 1 > options_.max_objects || bytes_ + body.size() > options_.max_bytes) {
    refused = ResourceExhausted(
        "object queue full: " + std::to_string(objects_) + " objects of " +
        std::to_string(bytes_) + " bytes wait to be written (limits " +
        std::to_string(options_.max_objects) + " objects, " + std::to_string(options_.max_bytes) +
        " bytes); retry later");
  }
  if (!refused.ok()) {
    lock.unlock();
    done(refused);
    return;
  }
  ++objects_;
  bytes_ += body.size();
  queue_.push_back({std::move(bucket), std::move(key), std::move(body), std::move(done)});
  lock.unlock();
  cv_.notify_one();
}

size_t PutQueue::objects() const {
  std::lock_guard lock(mu_);
  return objects_;
}

uint64_t PutQueue::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

void PutQueue::WorkerLoop() {
  while (true) {
    Item item;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is written
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    Status st;
    Result<std::shared_ptr<ObjectStore>> bucket = stores_->Bucket(item.bucket);
    if (!bucket.ok()) {
      st = bucket.status();
    } else {
      PutOptions put;
      put.content_type = options_.content_type;
      st = (*bucket)->Put(item.key, item.body, put);
    }
    {
      std::lock_guard lock(mu_);
      --objects_;
      bytes_ -= item.body.size();
    }
    item.done(st);
  }
}

}  // namespace tributary::objstore
