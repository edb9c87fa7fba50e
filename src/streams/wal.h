// Wal: one stream's write-ahead log, <dir>/<first-seq, 20 digits>.wal segments of frames
// (wal_format.h) plus a checkpoint of what has been delivered (wal_checkpoint.h).
//
// Appends are group-committed: Append encodes the record's frame straight into the queue's
// buffer (no per-record allocation), one writer thread swaps that buffer for its own,
// writes it with one write() and (per the FsyncPolicy) one fdatasync, hands the batch's
// frames to the `on_durable` hook and its totals to `on_batch_done`, then calls every
// caller's `done` in append order. Sequence numbers are assigned at Append, so file order
// is sequence order.
//
// Open recovers: each segment is read to its first bad frame (short, bad length, bad CRC,
// zero-filled); that tail is cut off (truncate) with a warning naming file and offset. The
// records after the checkpoint are returned to be delivered again.
//
// Thread-safety: Append, MarkDelivered and the accessors may be called from any thread.
// `on_durable` and `done` run on the writer thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "rules/record_sink.h"
#include "streams/fsync_policy.h"
#include "streams/wal_checkpoint.h"
#include "streams/wal_format.h"

namespace tributary::streams {

struct WalRecord {
  uint64_t seq = 0;
  int64_t arrival_ms = 0;
  std::string data;
};

struct WalOptions {
  std::string dir;
  uint64_t epoch = 0;  // the stream's epoch, written into every frame
  FsyncPolicy fsync;
  uint64_t segment_bytes = 64ull << 20;
  // Called on the writer thread with each committed batch, before the callers' `done`.
  // The frames' data views are valid only during the call.
  std::function<void(const std::vector<WalFrame>&)> on_durable;
  // Called on the writer thread after each batch, committed or not, before the callers'
  // `done`: its status, record count and record bytes (for metrics and backpressure, once
  // a batch instead of once a record).
  std::function<void(const Status&, size_t records, uint64_t bytes)> on_batch_done;
};

class Wal {
 public:
  // Recovers `options.dir` (created if missing). `undelivered` receives the records the
  // checkpoint does not cover, in sequence order.
  static Result<std::unique_ptr<Wal>> Open(WalOptions options,
                                           std::vector<WalRecord>* undelivered);
  // Commits what is queued, then stops the writer thread.
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  using DoneFn = rules::RecordDone;
  // Queues a record; returns its sequence number. `done` gets OK once it is written (and
  // synced, per the policy), or IoError naming the file, with the sequence number.
  uint64_t Append(std::string_view data, int64_t arrival_ms, DoneFn done);
  // The sequence number of the last Append since Open (0: none).
  uint64_t last_appended_seq() const;

  // Records `seqs` as delivered, saves the checkpoint and deletes segments that hold only
  // delivered records.
  Status MarkDelivered(const std::vector<uint64_t>& seqs);

  uint64_t epoch() const { return options_.epoch; }
  uint64_t delivered_through() const;
  uint64_t size_bytes() const;      // all segments on disk
  size_t segment_count() const;
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

  explicit Wal(WalOptions options) : options_(std::move(options)) {}
  Status Recover(std::vector<WalRecord>* undelivered);
  Status OpenSegment(uint64_t first_seq);
  void WriterLoop();
  Status WriteBatch(const std::string& bytes, uint64_t first_seq);
  void DeleteDeliveredSegmentsLocked();

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

  // Writer thread only. Swapped with queue_/queue_bytes_ each batch, so both keep their
  // capacity and a batch allocates nothing.
  std::vector<Pending> batch_;
  std::string write_buffer_;  // the frames of the batch being written
  std::vector<WalFrame> frames_;  // views of write_buffer_ for on_durable
  int fd_ = -1;
  int64_t last_sync_ns_ = 0;
  bool dirty_ = false;

  mutable std::mutex state_mu_;  // segments_ and checkpoint_
  std::vector<Segment> segments_;  // in sequence order; the last is being appended to
  WalCheckpoint checkpoint_;
};

}  // namespace tributary::streams
