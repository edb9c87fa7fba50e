// RecordSink: where a rule's firehose action hands its records. streams/ implements it
// (a delivery stream per name); the rules engine does not know how records are stored.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::rules {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Appends `record` (bytes as they go into the object, separator included) to the
  // delivery stream `stream`. `done` is called exactly once, from any thread: OK once
  // the record is durable in the stream's write-ahead log (as the stream's fsync policy
  // defines durable), or an error (kNotFound: no such stream; kResourceExhausted: the
  // stream's buffer is full; kIoError: the log could not be written).
  virtual void Put(std::string_view stream, std::string_view record,
                   std::function<void(const Status&)> done) = 0;
};

}  // namespace tributary::rules
