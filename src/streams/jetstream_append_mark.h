// JetStreamAppendMark: the highest record sequence number a PubAck gave this server's
// appends to a JetStream stream, which a Flush waits to see delivered.
//
// When the JetStream stream is made again, what was appended to the old one is gone with
// it, and the new one numbers its records from 1: the mark comes down to the new one's
// last record, as the state report that showed the new stream says. That report may have
// been asked for before some appends to the new stream were acknowledged, and answered
// after: its last record is then below theirs. So each acknowledgement remembers how many
// reports had been asked for when it came, and the mark never comes down below an
// acknowledgement that came after the report was asked for.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>

namespace tributary::streams {

class JetStreamAppendMark {
 public:
  // A PubAck gave the records up to `seq`; `next_report`: the number the next state report
  // asked for will have (JetStreamLog::next_report_, read after the PubAck came).
  void Acked(uint64_t seq, uint64_t next_report);
  // Report number `asked` showed the stream made again, its last record `new_last`.
  void MadeAgain(uint64_t asked, uint64_t new_last);
  // Report number `asked` was applied: no report asked for before it can make the stream
  // again any more (JetStreamLog::ApplyState ignores them), so the acknowledgements only
  // those would need are forgotten.
  void Applied(uint64_t asked);
  uint64_t value() const;

 private:
  mutable std::mutex mu_;
  uint64_t mark_ = 0;
  // By the next report's number at the acknowledgement: the highest sequence number
  // acknowledged then. Only numbers above the last report applied are kept.
  std::map<uint64_t, uint64_t> acked_before_report_;
};

}  // namespace tributary::streams
