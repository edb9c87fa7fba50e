// The delivery streams' records in NATS JetStream instead of local write-ahead logs (the
// streams tier past one machine: `tributary server --streams-nats-url nats://...`).
//
// Each delivery stream S has a JetStream stream `TRIBUTARY_<S>` on subject
// `tributary.records.<S>` ('_' doubled and '.' written `_2E` in both), work-queue
// retention, file storage, `replicas` copies, and one durable pull consumer `deliver` with
// explicit acknowledgements. A record's path:
//
//   Put -> publish -> JetStream's PubAck: the record is acknowledged to the device
//   -> pulled back by `deliver` (by whichever server pulls first) -> the stream's buffers
//   -> object in the lake -> +ACK, and JetStream drops it.
//
// One JetStream message carries one record (header Tributary-Arrival-Ms) or a batch of
// them (header Tributary-Records: n; the body n WAL frames, wal_format.h, each with its
// arrival time), up to the server's max_payload. JetStream's cost is per message, so a
// batch of n costs it about what one record did. A record's sequence number is its
// message's JetStream sequence number times 2^20 plus its index in the message; a message
// is acknowledged (+ACK) once all its records are in the lake, so after a crash a batch is
// delivered again whole, its records with the same ids.
//
// Batches are made as a group commit makes them: the records handed over together (a
// broker read's, an HTTP batch's: AppendAll) join the batch being filled, and a batch is
// published as soon as fewer than `publish_window` batches await their PubAck, or at once
// when it is full. So while JetStream answers, the records of every connection and every
// thread gather into the next message, and a quiet stream publishes each read at once.
// Batches are published in the order they were filled: a connection's records keep
// their order. Records put together (LogEntry::together) go in one message when they fit
// one, so that JetStream takes them all or none.
//
// Records pulled and not yet in the lake are kept from redelivery with +WPI (work in
// progress) every third of `ack_wait_ms`; those a stopping server still holds are given
// back at once (-NAK). A server killed outright holds its pulled records until
// `ack_wait_ms` passes, then JetStream hands them to the next puller: no acknowledged
// record is lost, and only records whose object was written before the crash and whose
// +ACK was not can reach the lake twice (with the same record id). A redelivery of a
// record this log delivered itself, while JetStream still holds it (a lost +ACK), is
// acknowledged again and not delivered twice.
//
// What "durable" means here is JetStream's: with replicas >= 3 a PubAck means the record
// is on a majority of the cluster's servers. A lone nats-server keeps the record in its
// file store and fsyncs that on its own schedule (JetStream's sync_interval), so a power
// loss of that machine can lose the last acknowledged records; a crash of Tributary
// cannot.
//
// A JetStream stream lost under a running server (NATS restarted without its store, or the
// stream deleted by hand) refuses publishes ("no responders") and pulls (NotFound). The
// log makes it again, with its consumer, once it has been found gone for a second (a
// delete under way holds it closed, or is over by then; a stream held closed past the
// delete's hold is opened again the same way), if the delivery stream is still the one in
// the streams table (RecordLogHooks::may_restore): one deleted by another server, or deleted and
// created again there, is left alone for the stream manager to stop. The stream made again has
// another creation time, so another epoch (below); the records the old one held are gone with it.
// Records it takes while it is being made are answered once its epoch is known, so that their
// ids name it.
//
// Thread-safety: JetStreamLogs and each log may be used from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/log_throttle.h"
#include "nats/connection.h"
#include "nats/jetstream.h"
#include "streams/jetstream_append_mark.h"
#include "streams/record_log.h"

namespace tributary::streams {

struct JetStreamLogOptions {
  nats::ConnectOptions connect;
  int replicas = 1;                  // copies of each JetStream stream (1, 3 or 5)
  int64_t ack_wait_ms = 30'000;      // a pulled record's redelivery after a silent reader
  int64_t publish_timeout_ms = 5'000;
  int fetch_batch = 10'000;          // the most messages a pull asks for
  // The most bytes a pull asks for (at least the largest message): batches of many records
  // would otherwise make a pull of fetch_batch messages huge, and a NATS server closes a
  // connection that falls 64 MB behind what it sends ("slow consumer").
  int64_t fetch_bytes = 16ll << 20;
  int publish_window = 2;            // batches awaiting their PubAck before the next waits
  int64_t fetch_wait_ms = 500;       // how long an idle pull waits for the first record
  int64_t max_bytes = -1;            // per JetStream stream; -1: no limit but JetStream's own
  // The most bytes of records one JetStream message carries (set from the server's
  // max_payload when the logs connect); 0: one record a message.
  size_t batch_bytes = 0;
};

// A record's sequence number: its JetStream message's, shifted, plus its index there.
inline constexpr int kJetStreamIndexBits = 20;
inline constexpr uint64_t JetStreamRecordSeq(uint64_t message_seq, uint64_t index) {
  return (message_seq << kJetStreamIndexBits) | index;
}
// The highest sequence number a record of that message can have (index 2^20 - 1).
inline constexpr uint64_t JetStreamLastRecordSeq(uint64_t message_seq) {
  return JetStreamRecordSeq(message_seq + 1, 0) - 1;
}

// Where a log's delivered-through stands after JetStream reports `state`, when it stood
// at `through` for the stream made at `*created` (updated). Work-queue retention removes
// acknowledged messages, so everything below the first message left is delivered. Two
// reports asked for at once (the puller's and a delivery's) may be answered out of order:
// for one stream the figure only grows. A stream made again (another creation time) starts
// over.
uint64_t JetStreamDeliveredThrough(uint64_t through, std::string* created,
                                   const nats::StreamState& state);

// The consumer every server pulls a stream's records through, and the room left in a
// message for its headers and the frames' own bytes.
inline constexpr char kJetStreamConsumer[] = "deliver";
inline constexpr size_t kJetStreamMessageOverhead = 4096;

// The JetStream stream and subject names of delivery stream `stream`.
std::string JetStreamName(std::string_view stream);
std::string JetStreamSubject(std::string_view stream);

// The description CloseIntake gives the JetStream stream it closes: the Unix time (ms)
// until which the delete holding it closed may take.
std::string ClosedIntakeDescription(int64_t until_ms);
// That time, if `state` (of delivery stream `stream`'s JetStream stream) shows it closed
// by a delete that said it; nullopt if it is open, or closed without one (by an earlier
// version).
std::optional<int64_t> IntakeHeldUntil(std::string_view stream, const nats::StreamState& state);
// Whether `state`, of delivery stream `stream`'s JetStream stream, shows it held closed
// (on the closed subject) by a delete whose hold ended before `now_ms`: the server deleting
// it stopped half-way. Not one that does not say until when (an earlier version's).
bool IntakeHeldPastItsHold(std::string_view stream, const nats::StreamState& state, int64_t now_ms);

class JetStreamLogs : public RecordLogProvider {
 public:
  // `url`: nats:// or tls://[user:password@|token@]host[:port][?replicas=N&ack_wait_s=S
  // &max_bytes=B&tls_ca=F&tls_cert=F&tls_key=F&creds=F&nkey_seed=F]. Connects and checks
  // that the server runs JetStream. InvalidArgument naming a bad parameter or a
  // credentials file that cannot be used, Unavailable if the server cannot be reached,
  // Unauthenticated if it refuses the credentials.
  static Result<std::shared_ptr<JetStreamLogs>> Connect(std::string_view url);
  explicit JetStreamLogs(JetStreamLogOptions options, std::unique_ptr<nats::Connection> conn);
  ~JetStreamLogs() override;

  Result<std::unique_ptr<RecordLog>> Open(const std::string& stream, uint64_t epoch,
                                          RecordLogHooks hooks) override;
  Status Remove(const std::string& stream) override;
  // The JetStream stream's subject is moved to `tributary.closed.<S>` (CloseIntake), which
  // nobody publishes to, so that every server's publishes are refused ("no responders")
  // while the delete drains it, and back (ReopenIntake). Its messages and consumer stay.
  // Its description says until when the delete holds it so (now + hold_ms): one still
  // closed after that (its server stopped before removing or reopening it) is opened
  // again by the first server whose log of it finds so (Restore).
  // CloseIntake of a JetStream stream that does not exist makes it closed and empty, so
  // that no server makes it again (Restore only creates, never updates) while the delete
  // stops the delivery stream, and answers NotFound: there is nothing in it to deliver.
  Status CloseIntake(const std::string& stream, int64_t hold_ms) override;
  Status ReopenIntake(const std::string& stream) override;
  std::string Describe() const override;
  // The NATS connection: up or not, the server in use, the servers known.
  Link link() const override;

  const JetStreamLogOptions& options() const { return options_; }
  nats::Connection* connection() const { return conn_.get(); }

 private:
  // The JetStream stream of `stream` as this server makes it, on `subject`.
  nats::StreamSettings Settings(const std::string& stream, const std::string& subject) const;
  // The consumer `deliver` as this server makes it.
  nats::ConsumerSettings Consumer() const;
  // A running log's JetStream stream is gone (JetStreamLog::Restore): made again, as
  // `stream` takes records, with its consumer; a stream that is there (its intake closed
  // by a delete, say) is left as it is and only its consumer made if missing, unless a
  // delete held it closed past its hold: then it is opened to records again.
  Result<nats::StreamState> Restore(const std::string& stream);

  const JetStreamLogOptions options_;
  std::unique_ptr<nats::Connection> conn_;
  nats::JetStream js_;
};

// One delivery stream's log in JetStream (made by JetStreamLogs::Open).
class JetStreamLog : public RecordLog {
 public:
  // `state`: the JetStream stream's, as JetStreamLogs::Open found it. `restore`: makes the
  // JetStream stream and its consumer again if they are gone (JetStreamLogs::Restore).
  using RestoreFn = std::function<Result<nats::StreamState>()>;
  JetStreamLog(const JetStreamLogOptions& options, nats::JetStream* js, std::string stream,
               RecordLogHooks hooks, const nats::StreamState& state, RestoreFn restore);
  // Waits (up to publish_timeout_ms) for the PubAcks of records appended, stops pulling
  // and gives back (-NAK) the records pulled and not delivered.
  ~JetStreamLog() override;

  uint64_t Append(std::string_view data, int64_t arrival_ms, DoneFn done) override;
  void AppendAll(std::string_view data, std::vector<LogEntry>& entries) override;
  Status MarkDelivered(uint64_t epoch, const std::vector<uint64_t>& seqs) override;
  Status Start() override;
  uint64_t last_appended_seq() const override { return append_mark_.value(); }
  uint64_t held_at_open() const override { return held_at_open_; }
  uint64_t delivered_through() const override { return delivered_through_.load(); }
  uint64_t size_bytes() const override { return size_bytes_.load(); }
  // From the JetStream stream's name and creation time: the same on every server. A
  // JetStream stream made again (NATS lost its store, or it was deleted and created) is
  // another: its epoch is new from the first report of it (on_epoch), and the records
  // pulled from it carry that one.
  std::optional<uint64_t> shared_epoch() const override {
    uint64_t epoch = shared_epoch_.load();
    return epoch == 0 ? std::nullopt : std::optional(epoch);
  }
  // The JetStream stream's message count, asked now.
  Result<uint64_t> CountHeld() override;

 private:
  // One published message's appends: its records' `done`, in index order.
  struct Waiting {
    std::vector<DoneFn> dones;
    uint64_t bytes = 0;
    int64_t started_ns = 0;
    uint64_t first_index = 0;  // a batch's records are numbered from 1, a lone record is 0
    bool windowed = false;     // a batch counted in in_flight_
  };
  // The batch being filled (batch_mu_).
  struct Filling {
    std::string body;  // frames
    Waiting waiting;
  };
  // A PubAck that came on the thread publishing under batch_mu_ (the connection could not
  // send): answered once that thread lets go of the lock, since a `done` may append.
  struct Deferred {
    JetStreamLog* log;
    uint64_t token;
    Status status;
    uint64_t seq;
  };
  // The appends whose PubAck has not come, shared with the PubAck callbacks: one that
  // comes after the log is gone (never, as long as NATS requests time out as they must)
  // finds `closed` and touches nothing else.
  struct Outstanding {
    std::mutex mu;
    std::condition_variable cv;
    uint64_t next_token = 1;
    std::unordered_map<uint64_t, Waiting> waiting;
    int answering = 0;  // taken from `waiting`, callbacks running
    bool closed = false;
  };
  // A pulled message, by its JetStream sequence number.
  struct Held {
    std::string ack_subject;
    int64_t touched_ns;  // pulled, or last told "in progress"
    uint32_t undelivered;  // its records not yet in the lake
  };

  // Publishes one message: `body` is one record (`batch` false) or frames.
  void PublishMessage(std::string body, bool batch, size_t records, int64_t arrival_ms,
                      Waiting waiting);
  // Takes the appends of the message `token` from `o`, counted as being answered; false
  // if the log is closed or they were answered already.
  static bool TakeWaiting(Outstanding& o, uint64_t token, Waiting* w);
  // A message's PubAck (or failure), its appends taken: answers them; a windowed batch
  // frees its place in the window.
  void OnPublished(Waiting w, const Status& status, uint64_t seq);
  // Publishes the filling batch, window or not; batch_mu_ held.
  void PublishFillingLocked();
  // Publishes the filling batch if the window has room; batch_mu_ held.
  void PublishIfRoomLocked();
  // Answers the PubAcks deferred on this thread (see Deferred); batch_mu_ not held.
  void AnswerDeferred();
  // Answers one message's appends (their `done`, after on_batch_done's accounting); one
  // acknowledged while Restore makes the stream again is held until it has done so.
  void Answer(Waiting& w, const Status& status, uint64_t message_seq);
  // Restore is over: answers the appends acknowledged meanwhile (held_answers_).
  void AnswerHeldSinceRestore();
  void PullLoop();
  // One pull: records not held already go to on_durable. The pull's error, if it failed.
  Status PullOnce();
  // The records of pulled message `d` as frames of `epoch` numbered JetStreamRecordSeq(its
  // sequence number, index); false (logged) if it is a batch that does not decode.
  bool AddFrames(const nats::Delivered& d, uint64_t epoch, std::vector<WalFrame>* frames) const;
  void TouchHeld(int64_t now_ns);
  // Asks JetStream for the stream's state and applies it (ApplyState).
  Result<nats::StreamState> RefreshState();
  // Bytes held; delivered_through_ (on_progress if it moved); forgets delivered records
  // JetStream no longer holds. `asked`: the report's number (next_report_, taken before
  // it was asked for): a report of another JetStream stream than the last one applied
  // counts only if asked for after it (reports may come out of order), and then the
  // stream was made again (NewStreamLocked).
  void ApplyState(const nats::StreamState& state, uint64_t asked);
  // The JetStream stream reported as `state` is not the one last reported: its epoch. True
  // if it was made again (not the first report): what was pulled or appended under the
  // old one is nothing to the new one, and the hooks hear of it. `asked`: the report's
  // number. mu_ held, before created_ moves.
  bool NewStreamLocked(const nats::StreamState& state, uint64_t asked);
  // Pulls or reports have said NotFound for kRestoreAfterNs: the JetStream stream (or its
  // consumer) is gone under this running stream (NATS restarted without its store, or it
  // was deleted by hand), or reports have shown it held closed past a delete's hold. Made again (a
  // new epoch, ApplyState), logged at warn, so that publishing and pulling resume by themselves;
  // unless hooks_.may_restore says the delivery stream left the streams table or was created again
  // there (logged once). True if it was made again. Puller only.
  bool Restore(const Status& why);
  // Waits `ms`, or less if the log stops.
  void WaitUnlessStopping(int64_t ms);
  // Tells hooks_.on_failure; Sent: of an acknowledgement (+ACK, +WPI, -NAK) that failed.
  void Failed(LogFailure what) const;
  void Sent(const Status& ack) const;

  const JetStreamLogOptions options_;
  nats::JetStream* js_;
  const std::string stream_;       // the delivery stream's name
  const std::string js_stream_;    // TRIBUTARY_...
  const std::string subject_;
  const RecordLogHooks hooks_;
  const RestoreFn restore_;

  const std::shared_ptr<Outstanding> outstanding_ = std::make_shared<Outstanding>();
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Held> held_;                  // messages pulled, not yet delivered
  // Messages delivered by this server and perhaps still in JetStream (their +ACK not
  // processed yet, or lost): a redelivery of one of these is acknowledged again, not
  // delivered twice. Those below the stream's first sequence number are gone from
  // JetStream and dropped.
  std::set<uint64_t> delivered_;
  bool stopping_ = false;
  int64_t last_touch_scan_ns_ = 0;  // puller only
  int64_t last_refresh_ns_ = 0;     // puller only
  int64_t lost_since_ns_ = 0;       // puller only; when the stream was first found gone
  bool restore_refused_ = false;    // puller only; may_restore said no (logged once)
  // Puller only: the last report showed the JetStream stream held closed by a delete past
  // its hold (IntakeHeldPastItsHold), which Restore opens again as it makes a lost one.
  bool held_past_hold_ = false;
  int64_t restore_wait_ns_ = 0;     // puller only; kRestoreAfterNs, doubled after failed attempts
  LogThrottle restore_failed_log_{60'000};   // failed attempts, logged once a minute at most

  // Appends acknowledged while Restore makes the stream again: the new stream took them,
  // and its epoch, which their ids name, is known only once Restore applies its state;
  // answered then (restoring_mu_).
  struct HeldAnswer {
    Waiting waiting;
    Status status;
    uint64_t seq;
  };
  std::mutex restoring_mu_;
  bool restoring_ = false;
  std::vector<HeldAnswer> held_answers_;

  uint64_t held_at_open_ = 0;
  std::atomic<uint64_t> shared_epoch_{0};  // set under mu_; 0: not known
  std::string created_;  // mu_; the JetStream stream's creation time last reported
  uint64_t created_asked_ = 0;            // mu_; the number of the report that said so
  std::atomic<uint64_t> next_report_{1};  // numbers the stream's state reports as asked
  JetStreamAppendMark append_mark_;       // last_appended_seq()
  std::atomic<uint64_t> delivered_through_{0};
  std::atomic<uint64_t> size_bytes_{0};
  std::thread puller_;
  std::vector<WalFrame> frames_;  // puller only

  // Fills and publishes the batches; held while publishing, so that batches go out in
  // the order they were filled.
  std::mutex batch_mu_;
  Filling filling_;     // batch_mu_
  int in_flight_ = 0;   // batch_mu_; windowed batches awaiting their PubAck
  // The log this thread is publishing for under batch_mu_ (null: none), and the PubAcks
  // that came meanwhile.
  static thread_local const JetStreamLog* publishing_;
  static thread_local std::vector<Deferred> deferred_;
};

}  // namespace tributary::streams
