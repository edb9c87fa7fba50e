// RecordLog: where a delivery stream keeps its records from Put until they are in the lake.
// Two kinds:
//
// - the local write-ahead log (wal.h, the default): records are numbered and made durable
//   on this machine's disk, handed to the stream's buffers as soon as they are, and
//   forgotten once the stream marks them delivered;
// - an external log (jetstream_log.h): a NATS JetStream stream. Records leave this
//   process when they are appended; the stream's buffers are fed by pulling them back
//   from JetStream, so that several servers sharing the JetStream stream share its
//   delivery too.
//
// The stream sees both through this interface and the hooks below, called on the log's
// own threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "rules/record_sink.h"
#include "streams/wal_format.h"

namespace tributary::streams {

// A record for AppendAll: its bytes are [offset, offset + size) of a shared buffer.
struct LogEntry {
  size_t offset;
  size_t size;
  int64_t arrival_ms;
  rules::RecordDone done;
  // On the first of records put together (a deaggregated record's pieces, a rule's
  // batchMode elements): how many they are, itself included. The log keeps them all or
  // none: a local WAL commits every AppendAll at once; an external log puts them in one
  // message when they fit one. 1 for any other record.
  size_t together = 1;
};

// What RecordLogHooks::on_batch_done learns of a batch of appends.
struct LogBatchDone {
  size_t records = 0;
  uint64_t bytes = 0;      // the records' bytes, without framing
  int64_t commit_ns = 0;   // writing the batch and syncing it (per the policy)
};

// What an external log failed to do with where it keeps the records (RecordLogHooks::
// on_failure; tributary_stream_jetstream_*_failures_total).
enum class LogFailure {
  kPublish,  // a message of records not taken (no PubAck: refused, unanswered, not sent)
  kPull,     // a pull that failed (the connection down, the stream or its consumer gone)
  kAck,      // a +ACK, +WPI or -NAK that could not be sent
};

struct RecordLogHooks {
  // Records ready for the stream's buffers, in the order they are to be delivered. The
  // frames' data views are valid only during the call. Called from one thread at a time.
  std::function<void(const std::vector<WalFrame>&)> on_durable;
  // After each batch of appends, committed or not, before the callers' `done` (for
  // metrics and backpressure, once a batch instead of once a record).
  std::function<void(const Status&, const LogBatchDone&)> on_batch_done;
  // An external log's delivered_through() moved (Flush waits for it). Optional.
  std::function<void()> on_progress;
  // An external log's shared_epoch() changed: the log it is kept in was made again (its
  // numbering starts over), and the records on_durable hands over from now on carry the
  // new epoch. Optional.
  std::function<void(uint64_t epoch)> on_epoch;
  // Asked by an external log before it pulls more records for on_durable: false while
  // the stream's buffers hold enough (the lake is slow). Optional.
  std::function<bool()> may_pull;
  // Asked by an external log that finds where it is kept lost it (the JetStream stream
  // deleted, or NATS restarted without its store) before it makes it again: OK while the
  // delivery stream is still the one in the streams table (its row there, with the epoch
  // it runs under); else why not (NotFound: deleted; FailedPrecondition: deleted and
  // created again), and the log is not made again: the stream manager stops the stream
  // when it follows the table. Called on the log's thread; it may query the database.
  // Optional: without it, a lost log is never made again.
  std::function<Status()> may_restore;
  // An external log failed to talk to where it keeps the records (logged by the log);
  // once per failed message, pull or acknowledgement. Optional.
  std::function<void(LogFailure)> on_failure;
};

class RecordLog {
 public:
  using DoneFn = rules::RecordDone;
  virtual ~RecordLog() = default;

  // The stream is ready for on_durable: an external log starts pulling records (an error
  // when its thread cannot start, base/start_thread.h).
  virtual Status Start() { return Status::Ok(); }

  // Queues a record; `done` gets OK and its sequence number once it is durable (per the
  // log's meaning of durable), or the error. Returns the sequence number when the log
  // assigns it at once, else 0.
  virtual uint64_t Append(std::string_view data, int64_t arrival_ms, DoneFn done) = 0;
  // Queues `entries` in order, as many Appends would; their bytes are in `data`. Their
  // `done` are moved from. Records put together (LogEntry::together) are taken all or
  // none.
  virtual void AppendAll(std::string_view data, std::vector<LogEntry>& entries) = 0;
  // The records `seqs` of `epoch` (as on_durable numbered and stamped them) are in the
  // lake: the log may forget them. Records of an epoch the log no longer numbers under (an
  // external log made again) are nothing to it any more.
  virtual Status MarkDelivered(uint64_t epoch, const std::vector<uint64_t>& seqs) = 0;
  // Makes what MarkDelivered recorded durable now, where the log defers it (a local WAL
  // coalesces its checkpoint saves). A Flush calls it once the records are delivered.
  virtual Status SaveCheckpoint() { return Status::Ok(); }

  // The highest sequence number an Append of this process was given (0: none).
  virtual uint64_t last_appended_seq() const = 0;
  // An external log: the last record it held, undelivered, when it was opened (0: none).
  // A Flush waits for these too, as for the records a local WAL recovers.
  virtual uint64_t held_at_open() const { return 0; }
  // Every record numbered up to this one is delivered.
  virtual uint64_t delivered_through() const = 0;
  // Bytes the log holds.
  virtual uint64_t size_bytes() const = 0;
  // The first half of record ids, when the log numbers records for every server alike
  // (a JetStream stream shared by several servers): then a record has the same id
  // whichever server published or delivered it, and later stages can drop duplicates
  // across servers. nullopt: the stream's own epoch. It changes when the external log is
  // made again (on_epoch).
  virtual std::optional<uint64_t> shared_epoch() const { return std::nullopt; }
  // How many messages the log holds for every server sharing it, delivered or not yet
  // acknowledged, asked of where it is kept now (an external log); a delete that drains a
  // shared log waits for 0. A local WAL: 0 (Flush covers what it holds).
  virtual Result<uint64_t> CountHeld() { return uint64_t{0}; }
};

// Opens each stream's log where it is kept outside the data directory (jetstream_log.h).
// The stream manager uses the local WAL when it has none.
//
// A provider's logs are external: records leave this process when appended, so they count
// against the stream's pending bytes from on_durable until delivered, not from Append (the
// external log bounds what it holds itself); and a log hands the records it gave
// on_durable and that were not delivered when it is destroyed to another reader (or to the
// next Open).
class RecordLogProvider {
 public:
  virtual ~RecordLogProvider() = default;
  virtual Result<std::unique_ptr<RecordLog>> Open(const std::string& stream, uint64_t epoch,
                                                  RecordLogHooks hooks) = 0;
  // The stream is deleted: remove its log (after the last Open'd one is destroyed).
  virtual Status Remove(const std::string& stream) = 0;
  // Before a delete drains the log: appends of every server sharing it are refused from
  // now on (CloseIntake; NotFound if the log was gone already: there is nothing to drain,
  // and it may be held closed and empty until Remove), or taken again after a delete that
  // did not finish (ReopenIntake). `hold_ms`: how long the delete may take at most; a log
  // still closed after it (the deleting server stopped half-way) is opened again by the
  // other servers sharing it, so that it does not refuse records for good.
  virtual Status CloseIntake(const std::string& stream, int64_t hold_ms) = 0;
  virtual Status ReopenIntake(const std::string& stream) = 0;
  // For messages and GET /v1/server: "NATS JetStream at nats://host:4222".
  virtual std::string Describe() const = 0;

  // The link to where the logs are kept, for GET /v1/server and the console.
  struct Link {
    bool connected = false;
    std::string server;              // host:port in use (or being tried)
    std::vector<std::string> known;  // every server it may use (a cluster's members)
    uint64_t reconnects = 0;         // times the link was made again after it was lost
  };
  virtual Link link() const = 0;
};

}  // namespace tributary::streams
