// ObjectSink: where a rule's s3 action hands its objects (one per message). The server
// implements it over the lake's buckets (objstore/put_queue.h); the rules engine does not
// know where the objects are stored.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::rules {

using ObjectDone = std::function<void(const Status&)>;

class ObjectSink {
 public:
  virtual ~ObjectSink() = default;
  // Writes `body` as object `key` of `bucket`. `done` is called exactly once, from any
  // thread: OK once the object is stored, or an error (kInvalidArgument: the bucket or
  // key cannot be used; kFailedPrecondition: the store cannot take that key (the local
  // store's key that is another object's prefix); kResourceExhausted: too many objects
  // wait to be written; kIoError or kUnavailable: the store failed, or is stopping).
  virtual void Put(std::string_view bucket, std::string key, std::string body,
                   ObjectDone done) = 0;
};

}  // namespace tributary::rules
