#include "streams/wal.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <utility>

#include "base/clock.h"
#include "base/completion_batch.h"
#include "base/direct_io.h"
#include "base/fault_points.h"
#include "base/files.h"
#include "base/log.h"
#include "base/start_thread.h"
#include "streams/wal_files.h"
#include "streams/wal_format.h"

namespace tributary::streams {
namespace {

namespace fs = std::filesystem;
using wal_files::kRecycledPrefix;
using wal_files::kSpareName;
using wal_files::kSpareTmpName;
using wal_files::SegmentName;

constexpr uint64_t kPageBytes = 4096;
constexpr size_t kZeroChunk = 1 << 20;

// fdatasync, or the failure a test armed at the fault point "wal.fdatasync".
int SyncData(int fd) {
  if (int err = InjectedFault("wal.fdatasync")) {
    errno = err;
    return -1;
  }
  return ::fdatasync(fd);
}

// fsync of the directory, or the failure a test armed at "wal.fsync_dir".
Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError(fmt::format("WAL {}: open directory: {}", dir, std::strerror(errno)));
  int rc = 0;
  if (int err = InjectedFault("wal.fsync_dir")) {
    errno = err;
    rc = -1;
  } else {
    rc = ::fsync(fd);
  }
  int err = errno;
  ::close(fd);
  if (rc != 0) return IoError(fmt::format("WAL {}: fsync directory: {}", dir, std::strerror(err)));
  return Status::Ok();
}

// Whether `dir` is in memory, where a preallocated file saves nothing and takes RAM. A
// directory not made yet is where its nearest existing parent is.
bool InMemoryFileSystem(const std::string& dir) {
  struct statfs st {};
  fs::path at = dir;
  while (::statfs(at.c_str(), &st) != 0) {
    if (errno != ENOENT || !at.has_relative_path() || at.parent_path() == at) return false;
    at = at.parent_path();
  }
  return st.f_type == TMPFS_MAGIC || st.f_type == RAMFS_MAGIC;
}

// The thread the server's logs share, or else one of the log's own named `own_name`.
Result<std::shared_ptr<DueTasks>> SharedOrOwn(const std::shared_ptr<DueTasks>& shared,
                                              std::string own_name) {
  if (shared) return shared;
  return DueTasks::Start(std::move(own_name));
}

}  // namespace

Result<std::unique_ptr<Wal>> Wal::Open(WalOptions options, std::vector<WalRecord>* undelivered) {
  std::unique_ptr<Wal> wal(new Wal(std::move(options)));
  TRY(wal->Recover(undelivered));
  // Only `always` syncs often enough for the saving to pay for writing every segment's
  // bytes twice (zeros, then frames). It also writes every commit to the device at once,
  // so its commits skip the page cache; the other policies leave the writing to the
  // page cache on purpose.
  wal->preallocate_ = Preallocates(wal->options_.fsync, wal->options_.dir);
  if (!wal->preallocate_ && wal->options_.fsync.mode == FsyncPolicy::Mode::kAlways) {
    Logger("streams")->debug("WAL {}: in memory (tmpfs): segments are not preallocated",
                             wal->options_.dir);
  }
  wal->direct_ = wal->preallocate_;
  TRY(wal->OpenSegment(wal->next_seq_));
  wal->last_sync_ns_ = SteadyNanos();
  // Threads are named after the stream, which is the log directory's name.
  std::string stream = fs::path(wal->options_.dir).filename().string();
  // One that cannot start fails the open; the destructor stops those started.
  Wal* w = wal.get();
  if (wal->preallocate_) {
    TRY_ASSIGN(wal->spare_maker_, SharedOrOwn(wal->options_.spare_maker, "walprep:" + stream));
    wal->spare_task_ = wal->spare_maker_->Add([w] { w->PrepareAsked(); });
  }
  TRY_ASSIGN(wal->writer_, StartThread("wal:" + stream, [w] { w->WriterLoop(); }));
  if (wal->options_.checkpoint_interval_ms > 0) {
    TRY_ASSIGN(wal->saver_, SharedOrOwn(wal->options_.saver, "walckpt:" + stream));
    wal->saver_task_ = wal->saver_->Add([w] { w->SaveDue(); });
  }
  return wal;
}

bool Wal::Preallocates(const FsyncPolicy& fsync, const std::string& dir) {
  return fsync.mode == FsyncPolicy::Mode::kAlways && !InMemoryFileSystem(dir);
}

Wal::~Wal() {
  {
    // First, so a spare being zero-filled is abandoned while the writer drains the queue.
    std::lock_guard<std::mutex> lock(spare_mu_);
    spare_stop_ = true;
  }
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  // A spare being zero-filled sees spare_stop_ and is abandoned.
  if (spare_maker_) spare_maker_->Remove(spare_task_);
  if (saver_) saver_->Remove(saver_task_);
  // The last deliveries, which the saver had not saved yet.
  if (Status st = SaveNow(/*force=*/false); !st.ok()) {
    Logger("streams")->error(
        "{}; records delivered since the last save will be delivered "
        "again at the next start",
        st.ToString());
  }
  if (fd_ >= 0) {
    // The zeros (or the padding frame) after the last frame are of no use to a closed
    // log; recovery would cut them off anyway.
    std::lock_guard<std::mutex> lock(state_mu_);
    if ((segment_preallocated_ || direct_) && !segments_.empty()) {
      (void)::ftruncate(fd_, static_cast<off_t>(segments_.back().size));
    }
    ::close(fd_);
  }
  std::error_code ec;
  fs::remove(options_.dir + "/" + kSpareName, ec);
  for (const std::string& path : recycled_) {
    fs::remove(path, ec);
    ReturnKept();
  }
}

Status Wal::OpenSegment(uint64_t first_seq) {
  std::string path = options_.dir + "/" + SegmentName(first_seq);
  // Both kinds are written with pwrite at the logical end, which starts at 0: a spare
  // keeps its zeros (no O_TRUNC), an empty file is made so. Segment names are not reused
  // (each is a batch's first seq), so nothing of value can be under `path`.
  bool preallocated = TakeSpare(path);
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (preallocated ? 0 : O_TRUNC);
  int fd = -1;
  // "wal.open_direct": a test's stand-in for a file system that refuses O_DIRECT.
  if (int err = direct_ ? InjectedFault("wal.open_direct") : 0) {
    errno = err;
  } else {
    fd = ::open(path.c_str(), flags | (direct_ ? O_DIRECT : 0), 0644);
  }
  if (fd < 0 && errno == EINVAL && direct_) {
    Logger("streams")->info("WAL {}: the file system refuses O_DIRECT; commits go through the "
                            "page cache", options_.dir);
    direct_ = false;
    fd = ::open(path.c_str(), flags, 0644);
  }
  if (fd < 0) return IoError(fmt::format("WAL {}: create: {}", path, std::strerror(errno)));
  if (options_.fsync.mode != FsyncPolicy::Mode::kNever) {
    Status synced = SyncDir(options_.dir);
    if (!synced.ok()) {
      // The segment written so far stays the active one (its tail block held); the next
      // commit tries the switch again, under another name.
      ::close(fd);
      ::unlink(path.c_str());
      return synced;
    }
  }
  direct_writer_.StartSegment();
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  segment_preallocated_ = preallocated;
  std::lock_guard<std::mutex> lock(state_mu_);
  segments_.push_back({first_seq, path, 0});
  return Status::Ok();
}

// Writer thread (or Open, before the threads start).
bool Wal::TakeSpare(const std::string& segment_path) {
  if (!preallocate_) return false;
  std::string from;
  {
    std::lock_guard<std::mutex> lock(spare_mu_);
    if (spare_state_ == SpareState::kReady) {
      spare_state_ = SpareState::kIdle;
      from = options_.dir + "/" + kSpareName;
    } else if (!recycled_.empty()) {
      from = std::move(recycled_.front());
      recycled_.erase(recycled_.begin());
      ReturnKept();
    }
    // A spare still being made, or a recycled segment left, serves this segment's
    // successor; otherwise (or after a failure) this segment asks once half full.
    spare_asked_ = spare_state_ == SpareState::kAsked || !recycled_.empty();
  }
  if (from.empty()) return false;
  if (::rename(from.c_str(), segment_path.c_str()) != 0) {
    Logger("streams")->warn("WAL spare segment not used file={} error=\"rename to {}: {}\"", from,
                            segment_path, std::strerror(errno));
    return false;
  }
  return true;
}

// Writer thread.
void Wal::AskForSpare() {
  spare_asked_ = true;
  {
    std::lock_guard<std::mutex> lock(spare_mu_);
    // A delivered segment kept for reuse will do: no zero fill.
    if (spare_state_ != SpareState::kIdle || !recycled_.empty()) return;
    spare_state_ = SpareState::kAsked;
  }
  spare_maker_->Schedule(spare_task_, 0);
}

void Wal::PrepareAsked() {
  std::unique_lock<std::mutex> lock(spare_mu_);
  if (spare_stop_ || spare_state_ != SpareState::kAsked) return;
  lock.unlock();
  SpareResult result = PrepareSpare();
  lock.lock();
  if (result == SpareResult::kStopped) return;
  if (spare_abandon_) {
    // A delivered segment was kept for reuse meanwhile: this one, if it was finished
    // first, is not needed.
    spare_abandon_ = false;
    ::unlink((options_.dir + "/" + kSpareTmpName).c_str());
    spare_state_ = SpareState::kIdle;
    return;
  }
  if (result == SpareResult::kReady) {
    // Under the lock, so a spare.wal that exists is one the writer can take.
    std::string tmp = options_.dir + "/" + kSpareTmpName;
    std::string spare = options_.dir + "/" + kSpareName;
    if (::rename(tmp.c_str(), spare.c_str()) != 0) {
      Logger("streams")->warn("WAL spare segment not prepared file={} error=\"rename: {}\"", tmp,
                              std::strerror(errno));
      ::unlink(tmp.c_str());
      result = SpareResult::kFailed;
    }
  }
  spare_state_ = result == SpareResult::kReady ? SpareState::kReady : SpareState::kIdle;
}

// The spare maker's thread: fills spare.wal.tmp with zeros (PrepareAsked renames it), 1 MiB at a
// time, and fsyncs it to commit blocks and size. Where the WAL's commits are direct
// (O_DIRECT: they never read a page), so are the zeros: a segment's worth of zero pages
// in the page cache would only push other data out. Where the file system refuses
// O_DIRECT, the zeros go through the page cache, each 1 MiB written back before the next
// (sync_file_range) so that the disk sees a steady stream rather than a burst the
// writer's fdatasync would queue behind; the zero pages then stay cached, and the
// writer's first buffered write into each page needs no read from disk.
Wal::SpareResult Wal::PrepareSpare() {
  const std::string tmp = options_.dir + "/" + kSpareTmpName;
  const uint64_t length = (options_.segment_bytes + kPageBytes - 1) / kPageBytes * kPageBytes;
  auto give_up = [&](int fd, const std::string& what, int err) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    Logger("streams")->warn("WAL spare segment not prepared file={} error=\"{}: {}\"", tmp,
                            what, std::strerror(err));
    return SpareResult::kFailed;
  };
  const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  int fd = ::open(tmp.c_str(), flags | O_DIRECT, 0644);
  bool direct = fd >= 0;
  if (fd < 0 && errno == EINVAL) fd = ::open(tmp.c_str(), flags, 0644);
  if (fd < 0) return give_up(-1, "create", errno);
  const AlignedBytes zeros = AllocateAligned(kPageBytes, kZeroChunk);
  std::memset(zeros.get(), 0, kZeroChunk);
  uint64_t offset = 0;
  while (offset < length) {
    if (spare_stop_.load(std::memory_order_relaxed)) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return SpareResult::kStopped;
    }
    if (spare_abandon_.load(std::memory_order_relaxed)) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return SpareResult::kFailed;  // PrepareAsked sees why
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(kZeroChunk, length - offset));
    ssize_t w = ::pwrite(fd, zeros.get(), n, static_cast<off_t>(offset));
    int err = w < 0 ? errno : EIO;
    if (w < 0 && err == EINTR) continue;
    if (w < 0 && err == EINVAL && direct) {
      // Taken at open, refused at write: buffered from here.
      StopDirectIo(fd);
      direct = false;
      continue;
    }
    if (w <= 0) return give_up(fd, fmt::format("write at offset {}", offset), err);
    if (!direct && ::sync_file_range(fd, static_cast<off_t>(offset), w,
                                     SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                         SYNC_FILE_RANGE_WAIT_AFTER) != 0) {
      err = errno;
      return give_up(fd, fmt::format("write back at offset {}", offset), err);
    }
    offset += static_cast<uint64_t>(w);
  }
  if (::fsync(fd) != 0) return give_up(fd, "fsync", errno);
  ::close(fd);
  return SpareResult::kReady;
}

uint64_t Wal::QueueLocked(std::string_view data, int64_t arrival_ms, DoneFn& done) {
  uint64_t seq = next_seq_++;
  last_appended_seq_ = seq;
  size_t offset = queue_bytes_.size();
  EncodeFrame(options_.epoch, seq, arrival_ms, data, &queue_bytes_);
  queue_.push_back({seq, arrival_ms, offset, data.size(), std::move(done)});
  return seq;
}

uint64_t Wal::Append(std::string_view data, int64_t arrival_ms, DoneFn done) {
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    const size_t before = queue_.size();
    seq = QueueLocked(data, arrival_ms, done);
    // A busy writer takes this record with its next batch: waking it is a wasted
    // system call per record under load.
    if (!MustWakeWriterLocked(before)) return seq;
  }
  queue_cv_.notify_one();
  return seq;
}

bool Wal::MustWakeWriterLocked(size_t queued_before) const {
  if (writer_waiting_) return true;
  const size_t batch = options_.commit_batch_records;
  return writer_delaying_ && queued_before < batch && queue_.size() >= batch;
}

void Wal::AppendAll(std::string_view data, std::vector<Entry>& entries) {
  if (entries.empty()) return;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    const size_t before = queue_.size();
    for (Entry& e : entries) QueueLocked(data.substr(e.offset, e.size), e.arrival_ms, e.done);
    if (!MustWakeWriterLocked(before)) return;
  }
  queue_cv_.notify_one();
}

void Wal::WriterLoop() {
  const auto& policy = options_.fsync;
  std::unique_lock<std::mutex> lock(queue_mu_);
  while (true) {
    if (queue_.empty()) {
      if (stopping_) break;
      if (dirty_ && policy.mode == FsyncPolicy::Mode::kInterval) {
        int64_t due_ns = last_sync_ns_ + policy.interval_ms * 1'000'000;
        int64_t wait_ns = std::max<int64_t>(0, due_ns - SteadyNanos());
        writer_waiting_ = true;
        queue_cv_.wait_for(lock, std::chrono::nanoseconds(wait_ns));
        writer_waiting_ = false;
        if (queue_.empty() && SteadyNanos() >= due_ns) {
          lock.unlock();
          SyncUnwaited("interval", /*then_switch=*/true);
          dirty_ = false;
          last_sync_ns_ = SteadyNanos();
          lock.lock();
        }
      } else {
        writer_waiting_ = true;
        queue_cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
        writer_waiting_ = false;
      }
      continue;
    }
    if (options_.commit_delay_us > 0 && last_batch_records_ >= 2 && !stopping_) {
      // Several callers are appending: let more records join this commit, the longer
      // the more the last one held.
      int64_t delay_ns = std::min<int64_t>(
          {options_.commit_delay_us * 1000,
           options_.commit_delay_per_record_ns * static_cast<int64_t>(last_batch_records_),
           options_.commit_delay_max_commits * last_commit_busy_ns_});
      if (SteadyNanos() < last_commit_start_ns_ + delay_ns) {
        auto until = std::chrono::steady_clock::time_point(
            std::chrono::nanoseconds(last_commit_start_ns_ + delay_ns));
        writer_delaying_ = true;
        queue_cv_.wait_until(lock, until, [this] {
          return stopping_ || queue_.size() >= options_.commit_batch_records;
        });
        writer_delaying_ = false;
      }
    }
    // Take the queue and its frames; the appenders get this thread's emptied containers,
    // which keep their capacity.
    batch_.swap(queue_);
    write_buffer_.swap(queue_bytes_);
    lock.unlock();
    last_commit_start_ns_ = SteadyNanos();

    Status status = WriteBatch(write_buffer_, batch_.front().seq);
    WalBatchDone summary;
    summary.records = batch_.size();
    summary.commit_ns = SteadyNanos() - last_commit_start_ns_;
    for (const Pending& p : batch_) summary.bytes += p.data_size;
    if (status.ok()) {
      if (options_.on_durable) {
        frames_.clear();
        for (const Pending& p : batch_) {
          frames_.push_back({options_.epoch, p.seq, p.arrival_ms,
                             std::string_view(write_buffer_).substr(
                                 p.frame_offset + kFrameHeaderBytes + kFrameFixedBodyBytes,
                                 p.data_size)});
        }
        options_.on_durable(frames_);
      }
    } else {
      // The sequence numbers of a failed write are never used: count them as delivered so
      // the checkpoint's watermark can pass them.
      std::lock_guard<std::mutex> checkpoint_lock(checkpoint_mu_);
      for (const Pending& p : batch_) checkpoint_.MarkDelivered(p.seq);
      checkpoint_dirty_ = true;  // saved with the next deliveries, or at the latest at close
    }
    if (options_.on_batch_done) options_.on_batch_done(status, summary);
    {
      // What the callers' `done` hand to other threads goes in one post per thread.
      CompletionBatch completions;
      for (Pending& p : batch_) p.done(status, p.seq);
    }
    last_batch_records_ = batch_.size();
    last_commit_busy_ns_ = SteadyNanos() - last_commit_start_ns_;
    batch_.clear();
    write_buffer_.clear();
    lock.lock();
  }
  lock.unlock();
  if (dirty_ && fd_ >= 0) SyncUnwaited("close", /*then_switch=*/false);
}

void Wal::SyncUnwaited(const char* when, bool then_switch) {
  if (SyncData(fd_) == 0) return;
  const char* why = std::strerror(errno);
  Logger("streams")->error(
      "WAL {}: fdatasync ({}) failed: {}; records acknowledged since the last sync may not "
      "be on disk until they are delivered{}",
      ActiveSegmentPath(), when, why, then_switch ? "; the next commit starts a new segment" : "");
  if (then_switch) new_segment_due_ = true;
}

void Wal::CutBack(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) == 0) return;
  const char* why = std::strerror(errno);
  Logger("streams")->error("WAL {}: cannot cut a failed write back to {}: {}",
                           ActiveSegmentPath(), size, why);
}

std::string Wal::ActiveSegmentPath() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return segments_.back().path;
}

Status Wal::WriteBatch(const std::string& bytes, uint64_t first_seq) {
  uint64_t size;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    size = segments_.back().size;
  }
  if (size >= options_.segment_bytes || new_segment_due_) {
    // `interval` promises a sync within its interval, which the closed segment would not
    // get after the switch; `never` leaves the flushing to the OS.
    if (dirty_ && options_.fsync.mode == FsyncPolicy::Mode::kInterval) {
      SyncUnwaited("segment switch", /*then_switch=*/false);
    }
    // A switch that fails is tried again by the next commit.
    TRY(OpenSegment(first_seq));
    new_segment_due_ = false;
    size = 0;
  }
  if (direct_) {
    auto outcome = direct_writer_.Write(fd_, size, bytes);
    if (!outcome.ok()) {
      CutBack(size);
      return outcome.status().WithContext("WAL " + ActiveSegmentPath());
    }
    if (*outcome == WalDirectWriter::Outcome::kRefused) {
      // The file system took O_DIRECT at open but not this write: buffered from now on.
      Logger("streams")->info("WAL {}: the file system refuses direct writes; commits go "
                              "through the page cache", ActiveSegmentPath());
      direct_ = false;
      StopDirectIo(fd_);
    }
  }
  // A preallocated segment written through the page cache (the file system refused direct
  // writes) gets the direct writer's end mark too: a padding frame after the new frames,
  // which the next commit overwrites. Without it a reused segment's old bytes would follow
  // the last frame, mid-frame, and recovery would take them for damage.
  std::string_view out = bytes;
  if (!direct_ && segment_preallocated_) {
    padded_buffer_.assign(bytes);
    EncodeFrame(options_.epoch, 0, 0, {}, &padded_buffer_);
    out = padded_buffer_;
  }
  size_t written = direct_ ? out.size() : 0;
  while (written < out.size()) {
    ssize_t n = ::pwrite(fd_, out.data() + written, out.size() - written,
                         static_cast<off_t>(size + written));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const char* why = n < 0 ? std::strerror(errno) : "no progress";
      Status err = IoError(fmt::format("WAL {}: write at offset {}: {}", ActiveSegmentPath(),
                                       size + written, why));
      CutBack(size);  // no partial frame left for the next batch to follow
      return err;
    }
    written += static_cast<size_t>(n);
  }
  bool sync = options_.fsync.mode == FsyncPolicy::Mode::kAlways;
  if (options_.fsync.mode == FsyncPolicy::Mode::kInterval) {
    sync = SteadyNanos() - last_sync_ns_ >= options_.fsync.interval_ms * 1'000'000;
  }
  if (sync) {
    if (SyncData(fd_) != 0) {
      const char* why = std::strerror(errno);
      Status err = IoError(fmt::format("WAL {}: fdatasync: {}", ActiveSegmentPath(), why));
      (void)::ftruncate(fd_, static_cast<off_t>(size));
      // The direct writer holds the block this batch ended in, not the one `size` ends
      // in, and after a failed sync the segment's last blocks are in doubt anyway: the
      // next batch starts a new segment.
      if (direct_) new_segment_due_ = true;
      return err;
    }
    last_sync_ns_ = SteadyNanos();
    dirty_ = false;
  } else {
    dirty_ = true;
  }
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    segments_.back().size = size + bytes.size();
  }
  if (preallocate_ && !spare_asked_ && size + bytes.size() > options_.segment_bytes / 2) {
    AskForSpare();
  }
  return Status::Ok();
}

Status Wal::MarkDelivered(const std::vector<uint64_t>& seqs) {
  Status failed;
  int64_t due_ns = -1;
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    for (uint64_t s : seqs) checkpoint_.MarkDelivered(s);
    checkpoint_dirty_ = true;
    failed = std::exchange(save_error_, Status::Ok());
    // No sooner than an interval after the last save began; the first delivery after a
    // quiet interval goes at once. A save scheduled or running takes this one too (one
    // running reschedules itself when it is done).
    if (saver_ && !save_scheduled_) {
      save_scheduled_ = true;
      due_ns = last_save_ns_ == 0 ? 0 : last_save_ns_ + options_.checkpoint_interval_ms * 1'000'000;
    }
  }
  // Without an interval the save is the caller's, as every one used to be.
  if (options_.checkpoint_interval_ms <= 0) return SaveNow(/*force=*/true);
  if (due_ns >= 0) saver_->Schedule(saver_task_, due_ns);
  return failed;
}

void Wal::SaveDue() {
  Status st = SaveNow(/*force=*/false);
  int64_t next_ns = -1;
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    if (!st.ok()) {
      // Tried again an interval later; the next MarkDelivered returns it, for the
      // stream's last_error.
      Logger("streams")->error("{}; tried again in {} ms", st.ToString(),
                               options_.checkpoint_interval_ms);
      save_error_ = std::move(st);
    }
    // No sooner than an interval after this save began: what is delivered meanwhile joins
    // the next one.
    if (checkpoint_dirty_) {
      next_ns = last_save_ns_ + options_.checkpoint_interval_ms * 1'000'000;
    } else {
      save_scheduled_ = false;
    }
  }
  if (next_ns >= 0) saver_->Schedule(saver_task_, next_ns);
}

Status Wal::SaveNow(bool force) {
  std::lock_guard<std::mutex> save_lock(checkpoint_save_mu_);
  std::string text;
  uint64_t through = 0;
  {
    // Only the text is taken under the lock (no copy of the ranges), and not state_mu_:
    // the writer's commits go on meanwhile.
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    if (!checkpoint_dirty_ && !force) return Status::Ok();
    text = checkpoint_.Serialize();
    through = checkpoint_.delivered_through();
    checkpoint_dirty_ = false;
    last_save_ns_ = SteadyNanos();
  }
  if (Status st = WriteFileAtomic(options_.dir + "/checkpoint", text); !st.ok()) {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    checkpoint_dirty_ = true;  // not saved: the next save must not skip it
    return st.WithContext("WAL checkpoint");
  }
  checkpoint_saves_.fetch_add(1, std::memory_order_relaxed);
  if (options_.on_checkpoint_saved) options_.on_checkpoint_saved();
  // Only what the saved checkpoint covers may go.
  std::vector<std::string> doomed;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    doomed = TakeDeliveredSegmentsLocked(through);
  }
  // The newest whole ones are kept for reuse (up to reuse_bytes), the rest deleted.
  while (!doomed.empty() && KeepForReuse(doomed.back())) doomed.pop_back();
  RemoveSegmentFiles(doomed);
  return Status::Ok();
}

bool Wal::KeepForReuse(const std::string& path) {
  if (!preallocate_) return false;
  // Only a whole segment with its blocks allocated saves a zero fill (a segment cut short
  // by a restart is not).
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || uint64_t(st.st_size) < options_.segment_bytes ||
      uint64_t(st.st_blocks) * 512 < options_.segment_bytes) {
    return false;
  }
  std::lock_guard<std::mutex> lock(spare_mu_);
  const size_t most = std::max<uint64_t>(2, options_.reuse_bytes / std::max<uint64_t>(options_.segment_bytes, 1));
  if (spare_stop_ || recycled_.size() >= most) return false;
  if (options_.reuse_budget && !options_.reuse_budget->TryTake(options_.segment_bytes)) {
    return false;  // the server's other streams keep enough
  }
  std::string kept = options_.dir + "/" + kRecycledPrefix + fs::path(path).filename().string();
  if (::rename(path.c_str(), kept.c_str()) != 0) {
    ReturnKept();
    Logger("streams")->warn("WAL segment not recycled file={} error=\"rename to {}: {}\"", path,
                            kept, std::strerror(errno));
    return false;
  }
  Logger("streams")->debug("WAL segment recycled file={} as={}", path, kept);
  recycled_.push_back(std::move(kept));
  // A zero fill under way is no longer needed.
  if (spare_state_ == SpareState::kAsked) spare_abandon_ = true;
  return true;
}

void Wal::ReturnKept() {
  if (options_.reuse_budget) options_.reuse_budget->Give(options_.segment_bytes);
}

std::vector<std::string> Wal::TakeDeliveredSegmentsLocked(uint64_t delivered_through) {
  // A segment holds sequence numbers below the next segment's first; the last segment is
  // the one being appended to and stays.
  std::vector<std::string> paths;
  while (segments_.size() >= 2 && segments_[1].first_seq - 1 <= delivered_through) {
    paths.push_back(std::move(segments_.front().path));
    segments_.erase(segments_.begin());
  }
  return paths;
}

void Wal::RemoveSegmentFiles(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    // A segment left behind holds only delivered records: the next Open removes it.
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) Logger("streams")->warn("WAL segment not deleted file={} error=\"{}\"", path, ec.message());
  }
}

uint64_t Wal::last_appended_seq() const {
  std::lock_guard<std::mutex> lock(queue_mu_);
  return last_appended_seq_;
}

uint64_t Wal::delivered_through() const {
  std::lock_guard<std::mutex> lock(checkpoint_mu_);
  return checkpoint_.delivered_through();
}

uint64_t Wal::size_bytes() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  uint64_t total = 0;
  for (const Segment& s : segments_) total += s.size;
  return total;
}

size_t Wal::segment_count() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return segments_.size();
}

}  // namespace tributary::streams
