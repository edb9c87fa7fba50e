#include "objstore/put_queue.h"

namespace tributary::objstore {

PutQueue::PutQueue(ObjectStoreProvider* stores, PutQueueOptions options)
    : stores_(stores),
      content_type_(std::move(options.content_type)),
      queue_({.threads = options.threads,
              .max_items = options.max_objects,
              .max_bytes = options.max_bytes,
              .name = "object queue",
              .unit = "objects",
              .thread_name = "objput"},
             [this](Item& item) { Write(item); }) {}

void PutQueue::Put(std::string bucket, std::string key, std::string body, Done done) {
  Item item{std::move(bucket), std::move(key), std::move(body), std::move(done)};
  if (Status refused = queue_.Push(item, item.body.size()); !refused.ok()) item.done(refused);
}

void PutQueue::Write(Item& item) {
  Status st;
  Result<std::shared_ptr<ObjectStore>> bucket = stores_->Bucket(item.bucket);
  if (!bucket.ok()) {
    st = bucket.status();
  } else {
    PutOptions put;
    put.content_type = content_type_;
    st = (*bucket)->Put(item.key, item.body, put);
  }
  item.done(st);
}

}  // namespace tributary::objstore
