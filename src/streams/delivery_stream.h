// DeliveryStream: one stream at work. Put appends to the stream's log (record_log.h: its
// local Wal, or a JetStream stream); once durable a record joins the buffer of its partition (or
// the partitioning-failed buffer); a delivery thread turns each buffer that is big or old enough
// into one object in the bucket, retries a failing bucket with backoff, falls back to the error
// prefix after the retry window, and then marks the records delivered in the WAL checkpoint.
//
// Put inside a CompletionBatch (base/completion_batch.h; a broker connection opens one
// for each read) stages the record on the calling thread; when the batch closes, the
// thread's records for the stream are admitted and appended to the WAL together: one WAL
// lock and one round of the shared counters for a read's worth of PUBLISH, not one per
// record. A staged record that is refused (stopping, backpressure) gets its `done` then.
// Records put together (PutAll, a deaggregated record's pieces) are staged as one group
// in their place among the others and admitted or refused as one.
//
// Backpressure: records acknowledged and not yet delivered are capped at
// `max_pending_bytes`, each counted with its WAL frame header and delimiter
// (RecordOverhead()), so that the cap bounds the WAL however small the records.
//
// Buffering under pressure: the buffering hints are hints, as Firehose's are. Once the
// records in filling buffers (counted the same way) come to half of `max_pending_bytes` (many
// partitions, each under its size and within its interval), the oldest buffers are sealed and
// delivered early until a quarter is left. So backpressure refuses records only when delivery falls
// behind, never while records merely wait for their buffers' timers.
//
// Update replaces the stream's destination settings (bucket, prefixes, buffering hints,
// compression) while it runs: records buffered from then on follow the new ones; the
// buffers already filling are sealed and delivered as they were configured, so one object
// is always written by one set of settings.
//
// Thread-safety: Put, Flush, Update, Describe and SetAccepting may be called from any thread.
// Stop must be called once before destruction, not from a `done` callback nor inside a
// CompletionBatch that staged records for the stream.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/log_throttle.h"
#include "objstore/object_store.h"
#include "streams/format_conversion.h"
#include "streams/fsync_policy.h"
#include "streams/key_template.h"
#include "streams/partitioner.h"
#include "streams/stream_config.h"
#include "streams/stream_metrics.h"
#include "streams/stream_stats.h"
#include "streams/record_log.h"
#include "streams/wal.h"

namespace tributary::streams {

struct DeliveryStreamOptions {
  StreamConfig config;
  uint64_t epoch = 0;
  int64_t created_ms = 0;
  std::string wal_dir;  // this stream's directory
  // Where the records are kept instead of a local WAL in wal_dir (null: the local WAL).
  RecordLogProvider* logs = nullptr;
  FsyncPolicy fsync;
  uint64_t wal_segment_bytes = 64ull << 20;
  int64_t wal_commit_delay_us = 0;
  int64_t wal_checkpoint_interval_ms = 1000;  // WalOptions::checkpoint_interval_ms
  std::shared_ptr<DueTasks> wal_checkpoint_saver;  // WalOptions::saver
  std::shared_ptr<DueTasks> wal_spare_maker;       // WalOptions::spare_maker
  std::shared_ptr<WalReuseBudget> wal_reuse_budget;  // WalOptions::reuse_budget
  std::function<int64_t()> clock;  // Unix ms
  int64_t retry_window_ms = 300'000;
  int64_t retry_initial_backoff_ms = 100;
  int64_t retry_max_backoff_ms = 10'000;
  // Backpressure: what may wait for delivery, each record counted with its WAL frame
  // header and the record delimiter (RecordOverhead()), so that it bounds the WAL too.
  uint64_t max_pending_bytes = 512ull << 20;
  std::shared_ptr<objstore::ObjectStore> bucket;
  std::shared_ptr<objstore::ObjectStore> backup_bucket;  // config.backup's; null when off
  std::shared_ptr<StreamMetrics> metrics;
  // Converts the records of a stream with format conversion enabled (format_conversion.h);
  // null: such a stream's objects wait in the WAL, retried, then go to the error prefix.
  std::shared_ptr<RecordConverter> converter;
  // With `logs`: whether the stream is still the one in the streams table, asked before a
  // lost shared log is made again (RecordLogHooks::may_restore). Null: it is never made
  // again.
  std::function<Status()> still_in_table;
};

class DeliveryStream {
 public:
  // The record's outcome and sequence number (RecordId(epoch(), seq) is its id, epoch()
  // read when `done` hears it).
  using PutDone = RecordLog::DoneFn;

  // Opens the log: a local WAL is recovered (undelivered records are buffered again).
  // Starts the threads.
  static Result<std::unique_ptr<DeliveryStream>> Open(DeliveryStreamOptions options);
  ~DeliveryStream();

  // `done` goes to the WAL as it is: no wrapping, no allocation per record. `arrival_ms`
  // (Unix ms; 0: now, by the stream's clock) dates the record for time-based keys. With
  // deaggregation on, a record holding several is put as each of them, and `done` hears
  // once all are in (the first error, or OK with the first one's sequence number); a
  // record that does not split is put whole.
  void Put(std::string_view record, int64_t arrival_ms, PutDone done);
  void Put(std::string_view record, PutDone done) { Put(record, 0, std::move(done)); }
  // Put of `records` together (a rule's batchMode elements): all of them are admitted and
  // appended or none is, as a deaggregated record's pieces are (with deaggregation on, the
  // pieces of all of them), so that a refusal leaves nothing in the log for a retry to
  // duplicate. `done` hears once: the first error, or OK with the first one's sequence
  // number once all are in.
  void PutAll(const std::vector<std::string>& records, int64_t arrival_ms, PutDone done);
  // The first half of the ids of records put now: the stream's own epoch, or its shared
  // log's, which changes when that log is made again (RecordLogHooks::on_epoch).
  uint64_t epoch() const { return epoch_.load(); }
  int64_t created_ms() const { return options_.created_ms; }
  // Delivers every buffer holding records acknowledged before the call and waits until the
  // checkpoint covers them (saving it then: RecordLog::SaveCheckpoint); Unavailable after
  // `timeout_ms`, the save's error if it fails.
  Status Flush(int64_t timeout_ms);
  // A log shared with other servers (JetStream), its intake closed: delivers every buffer
  // at once and keeps delivering what is pulled until the log holds nothing for anyone
  // (RecordLog::CountHeld() is 0). Unavailable, saying how much is left, after `timeout_ms`.
  Status DrainShared(int64_t timeout_ms);
  // Refuses new records, waits for appends in progress, flushes (up to `timeout_ms`), stops
  // the threads and closes the WAL. What was not delivered stays in the WAL (delivered at
  // the next start), or in the shared log (given back, for whichever server pulls first).
  Status Stop(int64_t timeout_ms);
  // false: Put answers FailedPrecondition (a Delete in progress).
  void SetAccepting(bool accepting);
  // Delivers by `config` (Validate()d, same name) into `bucket` (and its backup into
  // `backup_bucket`) from now on (see above). InvalidArgument if a prefix does not parse;
  // nothing changes then.
  Status Update(const StreamConfig& config, std::shared_ptr<objstore::ObjectStore> bucket,
                std::shared_ptr<objstore::ObjectStore> backup_bucket = nullptr);

  StreamDescription Describe() const;
  StreamConfig config() const;  // the current settings
  const std::string& name() const { return options_.config.name; }
  const std::string& wal_dir() const { return options_.wal_dir; }
  // Records acknowledged (or recovered) and not yet delivered.
  uint64_t buffered_records() const { return pending_records_.load(); }

 private:
  // What a buffer is delivered by: the settings of the time it started.
  struct Destination {
    uint64_t generation = 0;  // 0 at Open, one more at each Update
    StreamConfig config;
    KeyTemplate prefix;
    KeyTemplate error_prefix;
    std::shared_ptr<const TimeZone> zone;  // the config's time_zone, for keys
    std::vector<PartitionKey> partition_keys;  // the prefix's, resolved
    std::shared_ptr<objstore::ObjectStore> bucket;
    KeyTemplate backup_prefix;  // config.backup's, when enabled
    std::shared_ptr<objstore::ObjectStore> backup_bucket;
  };
  static Result<std::shared_ptr<const Destination>> MakeDestination(
      uint64_t generation, const StreamConfig& config,
      std::shared_ptr<objstore::ObjectStore> bucket,
      std::shared_ptr<objstore::ObjectStore> backup_bucket);

  struct Buffer {
    std::shared_ptr<const Destination> destination;
    uint64_t epoch = 0;  // of its records' ids (a shared log made again starts another buffer)
    bool partitioning_failed = false;
    std::vector<std::string> partition_values;
    std::string bytes;             // object contents before compression
    uint64_t raw_bytes = 0;        // record bytes (pending_bytes_ counts them)
    uint64_t held_bytes = 0;       // raw_bytes, each record with its frame and delimiter
    std::vector<uint64_t> seqs;    // increasing
    int64_t oldest_arrival_ms = 0;
    // With format conversion: where each record ends in `bytes`, and when it arrived.
    std::vector<uint32_t> ends;
    std::vector<int64_t> arrivals;
    // A partitioning-failed buffer of a stream with a backup: its records as put (`bytes`
    // holds their error lines).
    std::string source;
  };

  struct Staged;  // one thread's records for this stream in its open CompletionBatch

  // Put of one record as it is.
  void PutOne(std::string_view record, int64_t arrival_ms, PutDone done);
  // Put of records that go together (a deaggregated record's pieces, PutAll's records),
  // all admitted or none, staged as one group inside a CompletionBatch; one answer.
  void PutPieces(const std::vector<std::string_view>& parts, int64_t arrival_ms, PutDone done);

  DeliveryStream(DeliveryStreamOptions options, std::shared_ptr<const Destination> destination);
  // Starts the delivery thread, and the log's own (once log_ is set).
  Status StartDelivery();
  void Stage(std::string_view record, int64_t arrival_ms, PutDone done);
  // The calling thread's staged records for this stream in its open CompletionBatch (a
  // slot taken, and its append posted for when the batch closes, on first use).
  Staged& StagedHere();
  // Admits what `staged` holds and appends it to the WAL; refuses the rest. Records put
  // together (LogEntry::together) are admitted or refused as one.
  void AppendStaged(Staged& staged);
  // Why `records` records of `bytes` bytes in all are refused (not `accepting`, or
  // `pending` (PendingCharge()) leaves no room for them with their overhead), or OK.
  Status Refusal(uint64_t bytes, uint64_t records, bool accepting, uint64_t pending) const;
  // What one record takes besides its bytes, as backpressure counts it: its WAL frame's
  // header (wal_format.h) and the delimiter written after it in its object.
  uint64_t RecordOverhead() const { return RecordOverhead(delimiter_bytes_.load()); }
  static uint64_t RecordOverhead(uint64_t delimiter_bytes) {
    return kFrameHeaderBytes + kFrameFixedBodyBytes + delimiter_bytes;
  }
  // What waits for delivery as the pending limit counts it: the records' bytes and each
  // record's RecordOverhead().
  uint64_t PendingCharge() const {
    return pending_bytes_.load() + pending_records_.load() * RecordOverhead();
  }
  void OnDurable(const std::vector<WalFrame>& records);
  // Metrics and backpressure for one WAL batch (WalOptions::on_batch_done).
  void OnBatchDone(const Status& status, const WalBatchDone& batch);
  // `n` puts have been answered or handed to the WAL's callbacks.
  void EndPuts(uint64_t n);
  void DeliveryLoop();
  bool ReadyLocked(const Buffer& b, int64_t now_ms) const;
  // Moves the buffers of destination `generation` to sealed_; true if there were any.
  bool SealBuffersOfLocked(uint64_t generation);
  // Moves the buffer at `it` to sealed_.
  void SealLocked(std::map<std::string, Buffer>::iterator it);
  // Seals the oldest buffers while open_bytes_ is over a quarter of max_pending_bytes;
  // true if it sealed any. Called once it passes half.
  bool SealUnderPressureLocked();
  // Writes one buffer's object(s); false if Stop gave up on it (the records stay in the
  // WAL).
  bool Deliver(Buffer& buffer);
  // A buffer of a stream with format conversion: its records as a Parquet object, those
  // that could not be converted as error lines under the error prefix.
  bool DeliverConverted(Buffer& buffer, std::string_view raw, KeyContext context);
  // The buffer's records as they were buffered, to the source-record backup.
  bool DeliverBackup(const Buffer& buffer, std::string_view raw, KeyContext context);
  // Puts one object under the prefix (the backup's with `backup`), or the error prefix for
  // `error_output_type`, retried with backoff; falls back to the error prefix after the
  // retry window, or at once for an object the store refuses as such
  // (ObjectStore::IsPermanentRefusal). Under the error prefix, retries follow the stream's
  // current destination, and a key the store refuses falls back to the built-in error
  // prefix. Counts it in the metrics. false if Stop gave up.
  bool WriteObject(const Destination& dest, KeyContext context, const std::string& object_name,
                   std::string_view body, objstore::PutOptions put,
                   std::string_view error_output_type, uint64_t records, bool backup = false);
  void TakeSpareLocked(Buffer* b);
  void KeepSpare(std::string bytes, std::vector<uint64_t> seqs);
  bool SleepUnlessAbandoned(int64_t ms);
  void NoteError(const std::string& message);

  // options_.config and options_.bucket are the settings at Open; destination_ has the
  // current ones.
  const DeliveryStreamOptions options_;
  // The first half of the ids of records put now: options_.epoch, or the log's shared
  // epoch (Open, on_epoch). Records carry theirs (WalFrame::epoch) into their buffers.
  std::atomic<uint64_t> epoch_;
  // options_.logs is set: the log is external (record_log.h, RecordLogProvider).
  const bool log_external_;
  std::unique_ptr<RecordLog> log_;
  std::thread delivery_thread_;
  // Writer thread only (OnDurable): the partitioner of the destination `generation`.
  std::unique_ptr<Partitioner> partitioner_;
  uint64_t partitioner_generation_ = 0;
  std::vector<Result<std::vector<std::string>>> partitions_;  // OnDurable's, reused

  // Acknowledged (or being appended) and not yet delivered: their bytes (what Describe and
  // the metrics call buffered_bytes) and how many they are (for RecordOverhead()).
  std::atomic<uint64_t> pending_bytes_{0};
  std::atomic<uint64_t> pending_records_{0};
  // With an external log: records pulled and not yet delivered, by epoch (mu_). A Flush
  // waits for those of epochs the log was numbered under before it was made again.
  std::map<uint64_t, uint64_t> undelivered_by_epoch_;
  bool OlderEpochsUndeliveredLocked() const {
    for (const auto& [e, n] : undelivered_by_epoch_) {
      if (e != epoch_ && n > 0) return true;
    }
    return false;
  }
  // The destination's record delimiter's length (read by Put without mu_; set under it).
  std::atomic<uint32_t> delimiter_bytes_{0};

  mutable std::mutex mu_;
  std::shared_ptr<const Destination> destination_;  // mu_
  std::condition_variable cv_;          // wakes the delivery thread
  std::condition_variable progress_cv_; // a delivery or an append finished
  // Put reads accepting_ without mu_, after counting itself in puts_in_progress_; Stop
  // clears it and then waits for the count to drop to 0, so no Put slips past a Stop.
  std::atomic<bool> accepting_{true};
  // The destination's deaggregation is on (read by Put without mu_; set under it).
  std::atomic<bool> deaggregate_{false};
  bool stopping_ = false;
  bool abandon_ = false;                       // Stop's deadline passed: leave the rest in the WAL
  std::atomic<uint64_t> puts_in_progress_{0};  // from Put until the WAL's batch is done
  // Threads inside Put or holding staged records (Stop waits for 0).
  std::atomic<uint32_t> in_put_{0};
  uint64_t last_object_raw_bytes_ = 0;  // mu_; the size of the last buffer sealed (a reserve hint)
  uint64_t recovered_through_ = 0;      // the last record recovered from the WAL at Open
  uint64_t flush_through_ = 0;          // buffers holding seqs <= this are ready now
  std::map<std::string, Buffer> buffers_;  // filling, by partition key
  uint64_t open_bytes_ = 0;                // mu_; the held_bytes of buffers_
  LogThrottle pressure_log_;               // SealUnderPressureLocked's report
  std::vector<Buffer> sealed_;             // reached the size: next object, in order
  // The storage of delivered buffers, for the next ones to fill (mu_): a fresh buffer of
  // several MiB would take a page fault per 4 KiB as records are appended.
  struct Spare {
    std::string bytes;
    std::vector<uint64_t> seqs;
  };
  std::vector<Spare> spares_;
  std::string last_error_;
  int64_t last_error_ms_ = 0;
};

// Stops each of `streams` (Stop(timeout_ms)), in parallel, so that one failing destination
// does not eat the others' time. A stream whose stopping thread the system refuses (the
// server at its limit of threads) is stopped on the calling thread, after the others.
template <typename Streams>  // a map of names (or directories) to shared_ptr<DeliveryStream>
void StopInParallel(const Streams& streams, int64_t timeout_ms);
void StopInParallel(const std::vector<std::shared_ptr<DeliveryStream>>& streams,
                    int64_t timeout_ms);

template <typename Streams>
void StopInParallel(const Streams& streams, int64_t timeout_ms) {
  std::vector<std::shared_ptr<DeliveryStream>> all;
  all.reserve(streams.size());
  for (const auto& [name, stream] : streams) all.push_back(stream);
  StopInParallel(all, timeout_ms);
}

}  // namespace tributary::streams
