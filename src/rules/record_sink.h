// RecordSink: where a rule's firehose action hands its records. streams/ implements it
// (a delivery stream per name); the rules engine does not know how records are stored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/inline_function.h"
#include "base/status.h"

namespace tributary::rules {

// A record's outcome and, when OK, its sequence number in the stream. Inline (no
// allocation) for captures up to 88 bytes: it is created once per record on the broker's
// hot path and handed unchanged down to the write-ahead log.
using RecordDone = InlineFunction<void(const Status&, uint64_t seq), 88>;

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Appends `record` (bytes as they go into the object, separator included) to the
  // delivery stream `stream`; `arrival_ms` is when it arrived (Unix ms: the broker's
  // receive time, which the stream's time-based keys use), 0 for now. `done` is called
  // exactly once, from any thread: OK once
  // the record is durable in the stream's write-ahead log (as the stream's fsync policy
  // defines durable), or an error (kNotFound: no such stream; kResourceExhausted: the
  // stream's buffer is full; kIoError: the log could not be written).
  virtual void Put(std::string_view stream, std::string_view record, int64_t arrival_ms,
                   RecordDone done) = 0;
  // Appends `records` (a batchMode action's elements, each with its separator) to
  // `stream` together: every one of them is taken into the stream's log or none is, so
  // that a refusal (the stream's buffer full, say) leaves nothing of them there for the
  // device's retry to store a second time under new record ids. `done` is called once:
  // OK with the first record's sequence number once all are durable, or the first error.
  virtual void PutAll(std::string_view stream, const std::vector<std::string>& records,
                      int64_t arrival_ms, RecordDone done) = 0;
};

}  // namespace tributary::rules
