// StreamManager: every delivery stream of the server (the Firehose stage). It owns the
// streams' configurations (table `streams` in the metadata database), their write-ahead
// logs under <wal_dir>/<stream>/, their buffers and their delivery threads.
//
// A record's path: Put -> WAL group commit (acknowledged per the fsync policy) -> buffer
// of its partition -> object in the stream's bucket once the buffer is big or old enough
// -> WAL checkpoint advanced. On Open, records the WAL holds but the checkpoint does not
// cover are buffered again and delivered; duplicates are possible only for objects that
// were being written at a crash. Stop() (and the destructor) delivers every buffer.
//
// Several servers sharing one PostgreSQL schema (the `ingest` role): each runs every
// stream the table holds, with a WAL of its own, and delivers what it took in. Create,
// Update and Delete announce the change (Database::Announce, topic "streams"); a change
// another server announces makes this one read the table again and follow it: start the
// streams it lacks, update those whose configuration differs, and stop the ones that are
// gone (after delivering their buffers; their WALs are removed). A server's epochs differ
// from the table's by its `epoch_salt`, so that record ids stay unique across servers.
//
// A stream whose row does not read (config not JSON, an unknown key, a config naming
// another stream, a bad epoch), whose config does not pass Validate(), or that does not
// start (its bucket, its WAL) is failed: it is logged and left out, its WAL untouched, and
// the other streams run. List and Describe show it with status "failed" and the reason as
// last_error; puts to it are refused (FailedPrecondition); an Update with a whole valid
// configuration mends it (rewrites the row and starts it with the records its WAL holds);
// Delete removes its row and its WAL.
//
// Thread-safety: every method may be called from any thread at once (Put is the hot path:
// it takes short locks only, the disk write happens on the stream's WAL writer thread).
// `done` callbacks run on WAL writer threads: keep them short, never call Stop, Delete or
// Flush from them.
//
//   StreamManagerOptions o;
//   o.wal_dir = data_dir + "/wal";
//   o.db = db.get();
//   o.lake = lake.get();
//   o.metrics = &registry;
//   TRY_ASSIGN(o.fsync, FsyncPolicy::Parse(config.streams_wal_fsync));
//   TRY_ASSIGN(auto streams, StreamManager::Open(std::move(o)));
//   TRY(streams->Create(config));
//   streams->Put("pollution", "{\"ozone\":3}\n", [](const Status& s) { ... });
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/due_tasks.h"
#include "base/metrics.h"
#include "base/status.h"
#include "metadata/database.h"
#include "objstore/object_store.h"
#include "rules/record_sink.h"
#include "streams/fsync_policy.h"
#include "streams/record_log.h"
#include "streams/stream_config.h"
#include "streams/stream_stats.h"

namespace tributary::streams {

class DeliveryStream;
struct DeliveryStreamOptions;
class WalReuseBudget;
struct StreamMetrics;
class WalDrainer;

struct StreamManagerOptions {
  std::string wal_dir;                          // required: "<data-dir>/wal"
  metadata::Database* db = nullptr;             // required
  objstore::ObjectStoreProvider* lake = nullptr;  // required
  MetricsRegistry* metrics = nullptr;           // optional: tributary_stream_* series
  FsyncPolicy fsync;                            // default: always
  // Wall clock in Unix milliseconds: arrival times, key timestamps, buffer ages. Tests
  // inject a fake one; default WallMillis.
  std::function<int64_t()> clock;

  // A failing destination is retried with exponential backoff (initial, doubling, capped)
  // for retry_window_ms; then the batch goes to the error prefix (retried forever, logged).
  int64_t retry_window_ms = 300'000;
  int64_t retry_initial_backoff_ms = 100;
  int64_t retry_max_backoff_ms = 10'000;
  // Backpressure: per stream, acknowledged-but-undelivered plus queued bytes beyond which
  // Put answers kResourceExhausted; each record counts with its WAL frame header and the
  // stream's record delimiter, so that this bounds what the WAL holds.
  uint64_t max_pending_bytes = 512ull << 20;
  uint64_t wal_segment_bytes = 64ull << 20;  // a new segment after this many bytes
  // Delivered segments all the streams keep for reuse together (WalOptions::reuse_budget).
  uint64_t wal_reuse_bytes = 1ull << 30;
  int64_t wal_commit_delay_us = 0;            // WalOptions::commit_delay_us
  int64_t wal_checkpoint_interval_ms = 1000;  // WalOptions::checkpoint_interval_ms
  // Where the streams keep their records instead of WALs under wal_dir (jetstream_log.h);
  // null: the local WALs.
  std::shared_ptr<RecordLogProvider> logs;
  // XORed into each stream's epoch (the first half of its record ids) when the records
  // are in local WALs: a server sharing the metadata with others takes a salt of its own
  // (0, the table's epochs, for the control server). Not with `logs`: JetStream numbers
  // a stream's records once for all servers.
  uint64_t epoch_salt = 0;
  // Stop() and Delete() wait this long for deliveries; what is left stays in the WAL and is
  // delivered at the next Open (nothing is lost, Stop just does not hang forever).
  int64_t stop_timeout_ms = 30'000;
  // Converts the records of streams with format conversion (the lake's catalog and Parquet
  // writer, lake/record_conversion.h); null: such streams are refused.
  std::shared_ptr<RecordConverter> converter;
};

// The answer for one record of PutRecordBatch: its id (32 hex characters: the stream's
// 64-bit epoch then the 64-bit sequence number, so ids sort by arrival within a stream)
// or why it was refused.
struct PutRecordResult {
  Status status;
  std::string record_id;  // "" when !status.ok()
};

class StreamManager : public rules::RecordSink {
 public:
  // Creates the `streams` table if needed and opens (and recovers) every stream in it.
  static Result<std::unique_ptr<StreamManager>> Open(StreamManagerOptions options);
  ~StreamManager() override;  // Stop()
  StreamManager(const StreamManager&) = delete;
  StreamManager& operator=(const StreamManager&) = delete;

  // Validates, persists and starts a stream. AlreadyExists if the name is taken (by a
  // failed stream too).
  Status Create(const StreamConfig& config);
  // Firehose's UpdateDestination: validates `config` (the whole new configuration of the
  // stream it names), persists it and applies it to the running stream without stopping
  // it (DeliveryStream::Update: records buffered from now on follow it; the buffers
  // filling now are delivered as they were configured). NotFound if no such stream;
  // InvalidArgument naming the field otherwise, and nothing changes. A failed stream (see
  // the top of this file) is mended: its row takes `config` and it starts.
  Status Update(const StreamConfig& config);
  // Configurations in name order, the failed streams' included (as far as their rows read).
  std::vector<StreamConfig> List() const;
  // NotFound if no such stream. A failed stream: status "failed", stats.last_error why.
  Result<StreamDescription> Describe(std::string_view name) const;
  // Stops accepting records, delivers what is buffered, removes the WAL and the row.
  // Unavailable (and the stream keeps running) if delivery did not finish within
  // stop_timeout_ms. A failed stream: its WAL and its row are removed.
  Status Delete(std::string_view name);

  // rules::RecordSink: `record` is taken as-is (separator included). NotFound if no such
  // stream, FailedPrecondition (with the reason) if it failed.
  void Put(std::string_view stream, std::string_view record, int64_t arrival_ms,
           rules::RecordDone done) override;
  // rules::RecordSink: `records` all taken or none (DeliveryStream::PutAll); one answer.
  void PutAll(std::string_view stream, const std::vector<std::string>& records, int64_t arrival_ms,
              rules::RecordDone done) override;
  // As Put, arriving now (the manager's clock).
  void Put(std::string_view stream, std::string_view record, rules::RecordDone done) {
    Put(stream, record, 0, std::move(done));
  }
  // As Put, but also hands back the record id.
  void PutRecord(std::string_view stream, std::string_view record,
                 std::function<void(const Status&, const std::string& record_id)> done);
  // Firehose PutRecordBatch: each record is accepted or refused on its own; `done` gets
  // one result per record, in order, once all of them are settled. Records over 1000 KiB
  // are refused (InvalidArgument), as Firehose does; an empty record is accepted, as
  // Firehose's Data may be 0 bytes. The batch limits (500 records, 4 MiB) are the HTTP
  // layer's to enforce.
  void PutRecordBatch(std::string_view stream, std::vector<std::string> records,
                      std::function<void(std::vector<PutRecordResult>)> done);
  // Blocking form of PutRecordBatch, for callers that may block (CLI, tests).
  std::vector<PutRecordResult> PutRecordBatch(std::string_view stream,
                                              std::vector<std::string> records);

  // Delivers every buffer of the stream now and waits for it (up to stop_timeout_ms).
  // For tests and an operator's "flush"; NotFound, FailedPrecondition for a failed stream,
  // or Unavailable on timeout.
  Status Flush(std::string_view name);

  // Refuses new records, delivers every buffer, stops the threads. Idempotent.
  void Stop();

 private:
  // A stream that converts its records: the converter's Check (the table is there, its
  // columns can be written).
  Status CheckConversion(const StreamConfig& config) const;
  // StreamConfig::CheckKeysIn with the config's buckets (opened for it).
  Status CheckKeysInBuckets(const StreamConfig& config) const;
  explicit StreamManager(StreamManagerOptions options);
  Status LoadStreams();
  // A stream of the table that does not run here (see the top of this file).
  struct FailedStream {
    StreamConfig config;                  // as far as its row reads; its name at least
    std::optional<uint64_t> table_epoch;  // its row's, when that reads
    int64_t created_ms = 0;
    Status why;
    int64_t since_ms = 0;  // Unix ms
  };
  // Starts a stream of the table that already existed (its WAL kept, its epoch checked by
  // EpochForExistingStream); under changes_mu_ and mu_.
  Status StartExistingLocked(const std::string& name, const StreamConfig& config,
                             uint64_t table_epoch, int64_t created_ms);
  // Records `name` as failed for `why` and logs it; under mu_.
  void MarkFailedLocked(const std::string& name, const StreamConfig& config,
                        std::optional<uint64_t> table_epoch, int64_t created_ms, const Status& why);
  // Why a stream that is not running takes no records: NotFound, FailedPrecondition
  // naming why it failed, or Unavailable while it is stopped to start again or to go, or
  // the server stops. Takes mu_.
  Status NotRunning(std::string_view name) const;
  // Update of a failed stream; under changes_mu_ and mu_.
  Status MendLocked(const StreamConfig& config, FailedStream failed);  // a copy: it leaves failed_
  // A delete (StopAndRemoveLocal) that failed: with `intake_closed`, opens the shared log's
  // intake it closed again; `stream` (if any) takes records again. "" or "; <what became
  // of the intake>" for the delete's error message.
  std::string UndoCloseIntake(const std::string& name,
                              const std::shared_ptr<DeliveryStream>& stream, bool intake_closed);
  // Delete of a failed stream; under changes_mu_.
  Status DeleteFailed(const std::string& name);
  // The epoch an existing stream (not one just created) starts with: the table's, unless
  // its local WAL holds nothing (Wal::HoldsNothing: the directory was moved or lost), when
  // its records would be numbered from 1 again and take the ids of records given out
  // before; then a fresh one, saved in the table (on a server with an epoch salt, a
  // warning only). Under changes_mu_.
  Result<uint64_t> EpochForExistingStream(const std::string& name, uint64_t table_epoch);
  // Follows the table after another server changed it (see the top of this file).
  void FollowTable();
  // OK if `name` has its row in the table with `table_epoch`; NotFound if it has none (a
  // delete, by any server), FailedPrecondition if the row has another epoch (deleted and
  // created again), or the error reading it. Asked before a stream's lost shared log is
  // made again (DeliveryStreamOptions::still_in_table), from the log's thread.
  static Status StillInTable(metadata::Database* db, const std::string& name, uint64_t table_epoch);
  // Stops a stream this server runs and removes its WAL (and, with `remove_shared_log`,
  // its JetStream stream), leaving the table's row alone. Unavailable (and the stream
  // keeps running) if its buffers are not delivered in time.
  Status StopAndRemoveLocal(const std::string& name, const std::shared_ptr<DeliveryStream>& stream,
                            bool remove_shared_log);
  uint64_t LocalEpoch(uint64_t table_epoch) const {
    return options_.logs ? table_epoch : table_epoch ^ options_.epoch_salt;
  }
  // Sets aside the WAL directory of `name`, which no stream running here uses (a Delete
  // that crashed, a stream deleted while it held records, a server that was down): removed
  // if it holds nothing undelivered, else drained (wal_drainer.h). `why` is for the log.
  Status SetAsideWalDir(const std::string& name, const std::string& why);
  // At start: the WAL directories whose streams are not in `table` are set aside.
  void SetAsideOrphanWalDirs(const std::set<std::string>& table);
  // A running stream that left the table while its WAL holds undelivered records: it
  // stops here (accepting nothing) and its WAL is drained. Under changes_mu_.
  Status DrainLocal(const std::string& name);
  // Saves the stream's configuration beside its WAL (wal_stream_file.h); logged if it fails.
  void SaveWalStreamFileOf(const std::shared_ptr<DeliveryStream>& stream);
  // <wal_dir>/<name>; InvalidArgument if `name` is not a stream's (ValidateStreamName), so
  // that the path is always one directory directly under wal_dir.
  Result<std::string> WalDirOf(std::string_view name) const;
  // Removes `dir` and what it holds, only if it is WalDirOf(name); FailedPrecondition
  // (nothing removed) for any other path.
  Status RemoveWalDir(const std::string& name, const std::string& dir) const;
  // The bucket of config.backup, opened (null when the stream backs nothing up).
  Result<std::shared_ptr<objstore::ObjectStore>> BackupBucketOf(const StreamConfig& config) const;
  Result<std::shared_ptr<DeliveryStream>> StartStream(const StreamConfig& config,
                                                      uint64_t epoch, int64_t created_ms);
  // StartStream's work, on the WAL in `wal_dir` and with `metrics`.
  Result<std::shared_ptr<DeliveryStream>> StartStreamIn(const StreamConfig& config, uint64_t epoch,
                                                        int64_t created_ms,
                                                        const std::string& wal_dir,
                                                        std::shared_ptr<StreamMetrics> metrics);
  // The threads the local WALs share (WalOptions::saver and spare_maker), started with the
  // first stream that needs them (a start the system refused is tried again by the next
  // one): the checkpoint saver (none without a checkpoint interval) and the spare maker
  // (fsync `always` only). None with `logs`.
  Status StartSharedWalThreads(DeliveryStreamOptions* o);
  std::shared_ptr<DeliveryStream> Find(std::string_view name) const;
  // Find for Put and PutAll, kept per thread (see Put); valid until this thread's next call.
  const std::shared_ptr<DeliveryStream>& FindForPut(std::string_view stream) const;
  // The stream's metrics (made at its first start); under changes_mu_.
  std::shared_ptr<StreamMetrics> MetricsFor(const std::string& name);
  // The stream is gone from this server: its series leave /metrics (StreamMetrics::
  // Unregister); a stream created again under the name gets new ones. Under changes_mu_.
  void DropMetrics(const std::string& name);

  StreamManagerOptions options_;
  // Serialises Create, Update, Delete and FollowTable, so that the table and the streams
  // running here agree. Taken before mu_.
  std::mutex changes_mu_;
  mutable std::mutex mu_;
  bool stopped_ = false;
  std::map<std::string, std::shared_ptr<DeliveryStream>, std::less<>> streams_;
  std::map<std::string, FailedStream, std::less<>> failed_;  // none of them in streams_
  // Streams that StopAndRemoveLocal took out of streams_ during the change under way
  // (changes_mu_), to be started again or removed: until the change is done, a put is
  // refused as Unavailable, to be sent again, not as NotFound, which drops the record.
  std::set<std::string, std::less<>> changing_;
  // Clears changing_ when it goes: made by each change that may stop streams.
  struct ChangeDone {
    StreamManager* m;
    ~ChangeDone() {
      std::lock_guard<std::mutex> lock(m->mu_);
      m->changing_.clear();
    }
  };
  // Changes (to a value no manager has had) whenever streams_ does; Put's per-thread
  // cache of the stream it found last is valid while it stays the same.
  std::atomic<uint64_t> generation_;
  void StreamsChangedLocked();
  // By stream name, under changes_mu_; dropped (and unregistered) when the stream goes.
  std::map<std::string, std::shared_ptr<StreamMetrics>> metrics_;
  std::map<std::string, uint64_t> table_epochs_;  // of the streams running, under changes_mu_
  std::unique_ptr<metadata::ChangeWatch> watch_;
  // The WALs of streams gone from the table, delivered before they go (null with `logs`).
  std::unique_ptr<WalDrainer> drainer_;
  std::mutex wal_threads_mu_;
  std::shared_ptr<DueTasks> checkpoint_saver_;  // StartSharedWalThreads's
  std::shared_ptr<DueTasks> spare_maker_;
  std::shared_ptr<WalReuseBudget> reuse_budget_;  // made by the constructor
};

}  // namespace tributary::streams
