// LakeObjectSink: the rules engine's ObjectSink (a rule's s3 action) over the lake's
// buckets, through a PutQueue so that the broker's threads never wait for a store. Its
// queue shows in /metrics as tributary_rule_objects_queued and
// tributary_rule_object_bytes_queued.
#pragma once

#include <string>

#include "base/metrics.h"
#include "objstore/put_queue.h"
#include "rules/object_sink.h"

namespace tributary::app {

class LakeObjectSink : public rules::ObjectSink {
 public:
  LakeObjectSink(objstore::ObjectStoreProvider* lake, MetricsRegistry* metrics)
      : queue_(lake) {
    objstore::PutQueue* q = &queue_;
    metrics->NewCallbackGauge("tributary_rule_objects_queued",
                              "Objects of rules' s3 actions waiting to be written", {},
                              [q] { return static_cast<double>(q->objects()); });
    metrics->NewCallbackGauge("tributary_rule_object_bytes_queued",
                              "Bytes of rules' s3 actions waiting to be written", {},
                              [q] { return static_cast<double>(q->bytes()); });
  }

  void Put(std::string_view bucket, std::string key, std::string body,
           rules::ObjectDone done) override {
    queue_.Put(std::string(bucket), std::move(key), std::move(body), std::move(done));
  }

  // Writes what is queued (each `done` is called), then stops the queue's threads.
  void Drain() { queue_.Stop(); }

 private:
  objstore::PutQueue queue_;
};

}  // namespace tributary::app
