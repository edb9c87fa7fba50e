// Wal: one stream's write-ahead log, <dir>/<first-seq, 20 digits>.wal segments of frames
// (wal_format.h) plus a checkpoint of what has been delivered (wal_checkpoint.h).
//
// Appends are group-committed: Append encodes the record's frame straight into the queue's
// buffer (no per-record allocation), one writer thread swaps that buffer for its own,
// writes it with one pwrite() at the segment's logical end and (per the FsyncPolicy) one
// fdatasync, hands the batch's frames to the `on_durable` hook and its totals to
// `on_batch_done`, then calls every caller's `done` in append order, inside one
// CompletionBatch (base/completion_batch.h): what they hand to other threads goes in one
// post per thread. Sequence numbers are assigned at Append, so file order is sequence
// order.
//
// Commit delay: a commit costs the same system calls and thread wake-ups whatever it
// holds, so when records arrive fast the writer waits for more before the next commit.
// It takes the next batch no sooner than `commit_delay_per_record_ns` times the records
// the last commit held, no sooner than `commit_delay_max_commits` times what the last
// commit kept it busy (its write, sync and callbacks), and at most `commit_delay_us`,
// after it took the last one: whichever is least; and it ends as soon as
// `commit_batch_records` records wait, a batch that spreads the commit's fixed cost thin
// already (so a load whose commits hold hundreds of records, where each commit's own
// duration gathers the next batch, is never held). So the wait grows with the rate, and
// reaches the cap only where records arrive faster than one per
// `commit_delay_per_record_ns` (40,000 a second at the default 25 µs) and commits are
// costly (a device flush each, under fsync `always`); at moderate rates, or when commits
// are cheap (no sync), it stays short and acknowledgements are not held for nothing. A
// commit that held one record is never followed by a wait (a lone caller is never
// delayed), and one that took longer than the wait (a slow disk) is followed at once:
// its own duration gathered the next batch, and waiting would only leave the disk idle.
// Stopping cuts the wait short.
//
// Direct commits (policy `always`, where the file system takes O_DIRECT): every commit
// goes to the device anyway, so it skips the page cache. WalDirectWriter writes it from
// the start of the block the frames end in and pads it to the block's end with a frame of
// sequence number 0, which recovery (below) takes for the end. The zeros of a spare are
// written the same way.
//
// Preallocation (policy `always`, not on tmpfs): a new segment is a file whose blocks are
// already written, so its fdatasyncs overwrite allocated blocks and commit no file-system
// metadata. It is, in order of preference, the zero-filled spare, a recycled segment, or
// else an empty file. Recycled: a whole segment whose records are all delivered is
// renamed `<dir>/recycled-<its name>` instead of deleted (up to `reuse_bytes` of them, at
// least two, and within the server's `reuse_budget`); its old frames stay behind the new ones until
// overwritten. Spare: once the active segment is half full and no recycled segment is waiting, the
// spare maker (a thread the server's logs share, WalOptions::spare_maker) zero-fills
// `<dir>/spare.wal` to `segment_bytes` and fsyncs it (abandoned if a segment is recycled
// meanwhile). A preallocated segment occupies `segment_bytes` on disk from its start (trimmed to
// its frames on close); a stream may also hold one spare and the recycled ones.
//
// Open recovers: each segment is read to its first frame that does not decode, or that
// is older than the frame before it or than the segment's name (a recycled segment's old
// frames, or a direct commit's padding frame). If only zero bytes or old frames follow,
// that is the end of a preallocated segment and they are cut off quietly. Otherwise
// (short, bad length, bad CRC) the frame is damaged. If a later frame decodes and
// continues the segment's sequence (FindNextFrame), the damage is in the middle: the
// frames it covers are lost, those after it kept, the segment copied as found to
// `<segment>.corrupt` and rewritten without the damage, and the loss reported
// (recovery()). Else the tail is damaged (what a crash mid-write leaves): it is cut off,
// without a copy, with a warning naming file and offset, and as many sequence numbers are
// skipped as frames could have fitted before its last non-zero byte (in a recycled
// segment, the whole rest). A checkpoint that does not parse is renamed
// `checkpoint.corrupt` and the log opens with an empty one (reported too). A name already
// taken gets a number (`.corrupt.1`, ...), and the log keeps the newest 8 files set aside.
// Leftover spare and recycled files are deleted. The records after the checkpoint are returned to
// be delivered again.
//
// Checkpoint saves are coalesced: MarkDelivered records the sequence numbers in memory and
// returns; a saver (a thread the server's logs share, WalOptions::saver) writes the checkpoint (the
// whole of it, replaced atomically) at most once per `checkpoint_interval_ms`, each save taking the
// latest state, and only then deletes (or recycles) the segments the saved checkpoint covers. The
// first delivery after a quiet interval is saved at once; SaveCheckpoint() (a flush) and the
// destructor save what is pending before they return. With dynamic partitioning the delivered
// ranges fragment into thousands, and saving them for every object cost milliseconds an object; now
// it costs that once an interval. After a crash, the records delivered since the last save (up to
// an interval's, plus a save in progress) are delivered again.
//
// Thread-safety: Append, MarkDelivered and the accessors may be called from any thread.
// `on_durable` and `done` run on the writer thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/due_tasks.h"
#include "base/status.h"
#include "rules/record_sink.h"
#include "streams/fsync_policy.h"
#include "streams/record_log.h"
#include "streams/wal_checkpoint.h"
#include "streams/wal_direct_writer.h"
#include "streams/wal_format.h"
#include "streams/wal_reuse_budget.h"

namespace tributary::streams {

struct WalRecord {
  uint64_t seq = 0;
  int64_t arrival_ms = 0;
  std::string data;
};

// What Open found wrong in the log and worked around (Wal::recovery()).
struct WalRecoveryReport {
  // Undelivered records in damaged stretches skipped in the middle of segments: lost.
  uint64_t records_lost = 0;
  uint64_t damaged_stretches = 0;
  // The checkpoint did not parse: it was renamed checkpoint.corrupt and the log's records
  // are all delivered again.
  bool checkpoint_reset = false;
  // Each problem: what was found, where (file, offset) and what was done.
  std::vector<std::string> problems;
};

// What WalOptions::on_batch_done learns of a batch.
using WalBatchDone = LogBatchDone;

struct WalOptions {
  std::string dir;
  uint64_t epoch = 0;  // the stream's epoch, written into every frame
  FsyncPolicy fsync;
  uint64_t segment_bytes = 64ull << 20;
  // After a commit of two or more records, the next commit starts no sooner than
  // `commit_delay_per_record_ns` per record of it, and at most `commit_delay_us`, after
  // it started, gathering what arrives meanwhile; 0: never. See "Commit delay" above.
  int64_t commit_delay_us = 0;
  int64_t commit_delay_per_record_ns = 25'000;
  // ... and no longer than this many times what the last commit kept the writer busy.
  int64_t commit_delay_max_commits = 3;
  // ... and no longer than until this many records wait: a batch that size spreads a
  // commit's fixed cost thin already, and waiting longer would only hold them.
  size_t commit_batch_records = 256;
  // Delivered segments kept for reuse (preallocation only): at most this many bytes of
  // them, and at least two segments.
  uint64_t reuse_bytes = 128ull << 20;
  // What all the server's logs may keep together (StreamManager gives its streams one);
  // null: no limit but reuse_bytes.
  std::shared_ptr<WalReuseBudget> reuse_budget;
  // Checkpoint saves (a file written and fsynced) come at most once per this interval,
  // each holding every MarkDelivered before it; 0: every MarkDelivered saves before it
  // returns. After a crash, deliveries since the last save are delivered again.
  int64_t checkpoint_interval_ms = 1000;
  // The thread that runs the saves, shared with other logs (StreamManager gives its
  // streams one). Null: the log starts its own, "walckpt:<directory name>".
  std::shared_ptr<DueTasks> saver;
  // The thread that zero-fills spare segments (fsync `always` only), shared likewise. Null:
  // the log starts its own, "walprep:<directory name>".
  std::shared_ptr<DueTasks> spare_maker;
  // Called after each checkpoint save that succeeded (on the saver's or the caller's thread).
  std::function<void()> on_checkpoint_saved;
  // Called on the writer thread with each committed batch, before the callers' `done`.
  // The frames' data views are valid only during the call.
  std::function<void(const std::vector<WalFrame>&)> on_durable;
  // Called on the writer thread after each batch, committed or not, before the callers'
  // `done` (for metrics and backpressure, once a batch instead of once a record).
  std::function<void(const Status&, const WalBatchDone&)> on_batch_done;
};

class Wal : public RecordLog {
 public:
  // Recovers `options.dir` (created if missing). `undelivered` receives the records the
  // checkpoint does not cover, in sequence order.
  static Result<std::unique_ptr<Wal>> Open(WalOptions options,
                                           std::vector<WalRecord>* undelivered);
  // True when `dir` holds neither a checkpoint nor a segment (missing, empty, or only
  // spares, recycled segments or damaged files set aside): a log opened there numbers its
  // records from 1, as if no record had ever been numbered. A log that has been opened
  // always holds its active segment, so for a stream that had one, this means the
  // directory was lost or moved (StreamManager then gives the stream a fresh epoch).
  static bool HoldsNothing(const std::string& dir);
  // Whether a log in `dir` under `fsync` zero-fills its segments ahead (a spare maker's
  // work): under `always`, unless `dir` (or, while it does not exist, the directory it
  // will be made in) is in memory (tmpfs), where a preallocated file saves nothing.
  static bool Preallocates(const FsyncPolicy& fsync, const std::string& dir);
  // Commits what is queued, then stops the writer thread.
  ~Wal() override;
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Queues a record; returns its sequence number. `done` gets OK once it is written (and
  // synced, per the policy), or IoError naming the file, with the sequence number.
  uint64_t Append(std::string_view data, int64_t arrival_ms, DoneFn done) override;
  using Entry = LogEntry;
  // Queues `entries` in order under one lock (consecutive sequence numbers), as many
  // Appends would; their bytes are in `data`. Their `done` are moved from.
  void AppendAll(std::string_view data, std::vector<Entry>& entries) override;
  // The sequence number of the last Append since Open (0: none).
  uint64_t last_appended_seq() const override;

  // Records `seqs` as delivered. The checkpoint is saved (and the segments it shows hold
  // only delivered records deleted) by the saver, at most once per
  // `checkpoint_interval_ms`; with 0, before this returns. Returns the error of a save
  // that failed since the last call (it is tried again an interval later).
  Status MarkDelivered(const std::vector<uint64_t>& seqs);
  // The same: a WAL's records all carry its one epoch.
  Status MarkDelivered(uint64_t /*epoch*/, const std::vector<uint64_t>& seqs) override {
    return MarkDelivered(seqs);
  }
  // Saves what MarkDelivered recorded and no save holds yet, now (nothing if all is
  // saved), and deletes the segments it covers.
  Status SaveCheckpoint() override { return SaveNow(/*force=*/false); }
  // Checkpoint saves that succeeded since Open (recovery's not counted).
  uint64_t checkpoint_saves() const { return checkpoint_saves_.load(); }

  uint64_t epoch() const { return options_.epoch; }
  uint64_t delivered_through() const override;
  // Bytes of frames in all segments (a preallocated segment's zero tail and a spare are
  // not counted: on disk, a stream takes up to two `segment_bytes` more).
  uint64_t size_bytes() const override;
  size_t segment_count() const;
  // What recovery found wrong (damage skipped or cut, a corrupt checkpoint); empty if none.
  const WalRecoveryReport& recovery() const { return recovery_; }
  const std::string& dir() const { return options_.dir; }

 private:
  struct Pending {
    uint64_t seq;
    int64_t arrival_ms;
    size_t frame_offset;  // in the batch's buffer
    size_t data_size;
    DoneFn done;
  };
  struct Segment {
    uint64_t first_seq;
    std::string path;
    uint64_t size;
  };

  // The spare segment's life: the writer asks (kIdle -> kAsked), the spare maker makes it
  // (kAsked -> kReady, or back to kIdle on an error), the writer takes it at its next
  // segment switch (kReady -> kIdle).
  enum class SpareState { kIdle, kAsked, kReady };
  enum class SpareResult { kReady, kFailed, kStopped };

  explicit Wal(WalOptions options)
      : options_(std::move(options)), direct_writer_(options_.epoch) {}
  Status Recover(std::vector<WalRecord>* undelivered);
  // Numbers, frames and queues one record (queue_mu_ held); returns its sequence number.
  uint64_t QueueLocked(std::string_view data, int64_t arrival_ms, DoneFn& done);
  // Whether appenders must wake the writer, the queue having held `queued_before` records
  // before their append: it sleeps for want of records, or it waits out a commit delay and
  // this append filled a batch (commit_batch_records). queue_mu_ held.
  bool MustWakeWriterLocked(size_t queued_before) const;
  Status OpenSegment(uint64_t first_seq);
  void WriterLoop();
  Status WriteBatch(const std::string& bytes, uint64_t first_seq);
  // A sync no caller waits for (`interval`'s periodic one, at a segment switch, at
  // close). Its records were acknowledged at write() and Linux reports a failed sync only
  // once, so the next one would succeed: a failure is logged, and with `then_switch` the
  // next commit starts a new segment instead of trusting this one's blocks.
  void SyncUnwaited(const char* when, bool then_switch);
  // Cuts the active segment back to `size` bytes after a failed write (logged if even
  // that fails).
  void CutBack(uint64_t size);
  // The segment commits go to, for messages.
  std::string ActiveSegmentPath() const;
  void AskForSpare();
  bool TakeSpare(const std::string& segment_path);
  // The spare maker's task: makes the spare the writer asked for.
  void PrepareAsked();
  SpareResult PrepareSpare();
  // Saves the checkpoint if MarkDelivered changed it since the last save (or anyway, with
  // `force`), then removes the segments the saved one covers. One at a time, in order.
  Status SaveNow(bool force);
  // The saver's task: saves, then schedules the next save if more was delivered meanwhile
  // or the save failed, an interval after this one began.
  void SaveDue();
  // Drops from segments_ those holding only seqs <= delivered_through; returns their paths.
  std::vector<std::string> TakeDeliveredSegmentsLocked(uint64_t delivered_through);
  static void RemoveSegmentFiles(const std::vector<std::string>& paths);
  // A delivered whole segment is kept for reuse as a later segment, unless as many as
  // `reuse_bytes` allows are kept already; true if it was.
  bool KeepForReuse(const std::string& path);
  // Gives a kept segment's share back to reuse_budget (it became a segment, or went).
  void ReturnKept();

  const WalOptions options_;
  std::thread writer_;

  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<Pending> queue_;
  std::string queue_bytes_;  // the frames of queue_, back to back
  uint64_t next_seq_ = 1;
  uint64_t last_appended_seq_ = 0;
  bool stopping_ = false;
  bool writer_waiting_ = false;  // the writer sleeps on queue_cv_: Append must wake it
  // The writer waits out a commit delay on queue_cv_: Append wakes it when the queue
  // reaches commit_batch_records.
  bool writer_delaying_ = false;

  // Writer thread only. Swapped with queue_/queue_bytes_ each batch, so both keep their
  // capacity and a batch allocates nothing.
  std::vector<Pending> batch_;
  std::string write_buffer_;  // the frames of the batch being written
  std::vector<WalFrame> frames_;  // views of write_buffer_ for on_durable
  int fd_ = -1;
  int64_t last_sync_ns_ = 0;
  size_t last_batch_records_ = 0;  // the last commit's, for the commit delay
  int64_t last_commit_start_ns_ = 0;
  int64_t last_commit_busy_ns_ = 0;  // the last commit's write, sync and callbacks
  bool dirty_ = false;
  bool preallocate_ = false;           // set by Open
  // Segments written with O_DIRECT (set by Open with preallocate_; cleared where the file
  // system refuses it).
  bool direct_ = false;
  WalDirectWriter direct_writer_;
  bool spare_asked_ = false;           // for the active segment, or a spare is still due
  bool segment_preallocated_ = false;  // the active segment was a spare
  std::string padded_buffer_;  // a buffered commit into a preallocated segment, end mark added
  bool new_segment_due_ = false;       // a sync failed: switch segments

  std::shared_ptr<DueTasks> spare_maker_;  // only when preallocating
  DueTasks::Id spare_task_ = 0;
  std::mutex spare_mu_;
  SpareState spare_state_ = SpareState::kIdle;
  std::atomic<bool> spare_stop_{false};  // set under spare_mu_; read while zero-filling
  // Set under spare_mu_ when a recycled segment makes the zero fill under way needless.
  std::atomic<bool> spare_abandon_{false};
  std::vector<std::string> recycled_;  // under spare_mu_: delivered segments kept for reuse

  std::mutex checkpoint_save_mu_;  // one save at a time, in order
  // checkpoint_ and the saver's state. Not state_mu_, which the writer takes every commit:
  // marking deliveries and taking a save's snapshot never hold up a group commit.
  mutable std::mutex checkpoint_mu_;
  WalCheckpoint checkpoint_;
  bool checkpoint_dirty_ = false;  // changed since the last save began
  bool save_scheduled_ = false;    // with the saver, or running there
  int64_t last_save_ns_ = 0;  // when the last save began (0: none since Open)
  Status save_error_;         // a failed save's, for the next MarkDelivered
  std::atomic<uint64_t> checkpoint_saves_{0};
  std::shared_ptr<DueTasks> saver_;  // when checkpoint_interval_ms > 0
  DueTasks::Id saver_task_ = 0;

  mutable std::mutex state_mu_;    // segments_
  std::vector<Segment> segments_;  // in sequence order; the last is being appended to
  WalRecoveryReport recovery_;  // set by Recover, then constant
};

}  // namespace tributary::streams
