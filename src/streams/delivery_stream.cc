#include "streams/delivery_stream.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/base64.h"
#include "base/clock.h"
#include "base/fault_points.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/start_thread.h"
#include "streams/wal_format.h"

namespace tributary::streams {
namespace {

// How often the delivery thread re-checks buffer ages while records are buffered and nothing
// wakes it. Short, so an injected clock that jumps is noticed quickly; cheap, since a check
// is a map walk. With nothing buffered it sleeps until a record comes: a server's idle
// streams cost no CPU.
constexpr int64_t kMaxIdleWaitMs = 50;

// Delivered buffers kept for reuse: at most this many, of at most this capacity each.
constexpr size_t kMaxSpares = 2;
constexpr size_t kMaxSpareBytes = 32u << 20;
// flush_through_ while a drain readies every buffer.
constexpr uint64_t kFlushAll = std::numeric_limits<uint64_t>::max();

// One line per refused record, in the shape Firehose gives dynamic-partitioning failures.
std::string PartitioningErrorLine(const WalFrame& record, uint64_t epoch,
                                  const std::string& reason, int64_t now_ms) {
  nlohmann::json line = {{"attemptsMade", 1},
                         {"arrivalTimestamp", record.arrival_ms},
                         {"errorCode", "DynamicPartitioning.MetadataExtractionFailed"},
                         {"errorMessage", reason},
                         {"attemptEndingTimestamp", now_ms},
                         {"rawData", Base64Encode(record.data)},
                         {"recordId", RecordId(epoch, record.seq)}};
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

Result<std::shared_ptr<const DeliveryStream::Destination>> DeliveryStream::MakeDestination(
    uint64_t generation, const StreamConfig& config, std::shared_ptr<objstore::ObjectStore> bucket,
    std::shared_ptr<objstore::ObjectStore> backup_bucket) {
  TRY_ASSIGN(KeyTemplate prefix,
             KeyTemplate::Parse(config.prefix, KeyTemplate::Use::kPrefix, "prefix"));
  KeyTemplate backup_prefix;
  if (config.backup.enabled()) {
    if (!backup_bucket)
      return Internal("backup: the bucket '" + config.backup.bucket + "' was not opened");
    TRY_ASSIGN(backup_prefix, KeyTemplate::Parse(config.backup.prefix,
                                                 KeyTemplate::Use::kBackupPrefix, "backup.prefix"));
  } else {
    backup_bucket.reset();
  }
  TRY_ASSIGN(KeyTemplate error_prefix,
             KeyTemplate::Parse(config.effective_error_prefix(), KeyTemplate::Use::kErrorPrefix,
                                "error_prefix"));
  auto zone = TimeZone::Find(config.time_zone);
  if (!zone.ok()) return zone.status().WithContext("time_zone");
  TRY_ASSIGN(std::vector<PartitionKey> keys,
             ResolvePartitionKeys(config.partition_query, prefix.partition_fields()));
  return std::make_shared<const Destination>(Destination{
      generation, config, std::move(prefix), std::move(error_prefix), std::move(zone).value(),
      std::move(keys), std::move(bucket), std::move(backup_prefix), std::move(backup_bucket)});
}

Result<std::unique_ptr<DeliveryStream>> DeliveryStream::Open(DeliveryStreamOptions options) {
  TRY_ASSIGN(auto destination,
             MakeDestination(0, options.config, options.bucket, options.backup_bucket));
  std::unique_ptr<DeliveryStream> s(new DeliveryStream(std::move(options), std::move(destination)));
  RecordLogHooks hooks;
  hooks.on_durable = [p = s.get()](const std::vector<WalFrame>& records) {
    p->OnDurable(records);
  };
  hooks.on_batch_done = [p = s.get()](const Status& status, const LogBatchDone& batch) {
    p->OnBatchDone(status, batch);
  };
  if (s->options_.logs != nullptr) {
    hooks.on_progress = [p = s.get()] {
      std::lock_guard<std::mutex> lock(p->mu_);
      p->progress_cv_.notify_all();
    };
    // Half the pending limit for pulled records, the rest for appends awaiting JetStream.
    hooks.may_pull = [p = s.get()] {
      return p->PendingCharge() < p->options_.max_pending_bytes / 2;
    };
    // The shared log was made again: records put from now on take ids of its new epoch
    // (the log's as it is now, not the argument: two changes close together may be
    // reported out of order), and what it held at open is gone with the old one (Flush no
    // longer waits for it). Records pulled from the old one go to the lake at once
    // (ReadyLocked). A Flush's target was a number in the old one's numbering, which the
    // new one's records start again below: it is dropped (a Flush under way sets its own
    // again), unless a drain readies everything.
    hooks.on_epoch = [p = s.get()](uint64_t epoch) {
      std::lock_guard<std::mutex> lock(p->mu_);
      p->epoch_ = p->log_ ? p->log_->shared_epoch().value_or(epoch) : epoch;
      p->recovered_through_ = 0;
      if (p->flush_through_ != kFlushAll) p->flush_through_ = 0;
      p->cv_.notify_all();
      p->progress_cv_.notify_all();
    };
    hooks.may_restore = s->options_.still_in_table;
    // The metrics, not the stream: the log's destructor may count a -NAK that failed.
    hooks.on_failure = [m = s->options_.metrics](LogFailure what) {
      Counter* c = what == LogFailure::kPublish ? m->jetstream_publish_failures
                   : what == LogFailure::kPull  ? m->jetstream_pull_failures
                                                : m->jetstream_ack_failures;
      if (c) c->Add();
    };
    TRY_ASSIGN(s->log_, s->options_.logs->Open(s->options_.config.name, s->options_.epoch,
                                               std::move(hooks)));
    // Record ids as every server sharing the log gives them.
    if (auto shared = s->log_->shared_epoch()) s->epoch_ = *shared;
    s->recovered_through_ = s->log_->held_at_open();
    TRY(s->StartDelivery());
    return s;
  }
  WalOptions wal_options;
  wal_options.dir = s->options_.wal_dir;
  wal_options.epoch = s->options_.epoch;
  wal_options.fsync = s->options_.fsync;
  wal_options.segment_bytes = s->options_.wal_segment_bytes;
  wal_options.commit_delay_us = s->options_.wal_commit_delay_us;
  wal_options.checkpoint_interval_ms = s->options_.wal_checkpoint_interval_ms;
  wal_options.saver = s->options_.wal_checkpoint_saver;
  wal_options.spare_maker = s->options_.wal_spare_maker;
  wal_options.reuse_budget = s->options_.wal_reuse_budget;
  wal_options.on_checkpoint_saved = [m = s->options_.metrics] { m->wal_checkpoint_saves->Add(); };
  wal_options.on_durable = std::move(hooks.on_durable);
  wal_options.on_batch_done = std::move(hooks.on_batch_done);
  std::vector<WalRecord> undelivered;
  TRY_ASSIGN(std::unique_ptr<Wal> wal, Wal::Open(std::move(wal_options), &undelivered));
  // Damage recovery worked around is the stream's news: counted, and its last error.
  const WalRecoveryReport& recovery = wal->recovery();
  s->options_.metrics->wal_records_lost->Add(recovery.records_lost);
  if (!recovery.problems.empty()) {
    s->NoteError(fmt::format("{}", fmt::join(recovery.problems, "; ")));
  }
  s->log_ = std::move(wal);
  // The first open of the WAL under these counters in this process (see recovery_counted).
  const bool first_open = !s->options_.metrics->recovery_counted.exchange(true);
  if (!undelivered.empty()) {
    uint64_t bytes = 0;
    for (const WalRecord& r : undelivered) bytes += r.data.size();
    Logger("streams")->info("stream recovered stream={} records={} bytes={} first_seq={}",
                            s->options_.config.name, undelivered.size(), bytes,
                            undelivered.front().seq);
    s->pending_bytes_ += bytes;
    s->pending_records_ += undelivered.size();
    // Delivered like any record; not counted in (that was an earlier process's). Opened
    // again in this process, the WAL holds only records counted already.
    if (first_open) s->options_.metrics->records_recovered->Add(undelivered.size());
    s->recovered_through_ = undelivered.back().seq;
    // No Put has run yet, so using the partitioner here does not race the writer thread.
    std::vector<WalFrame> frames;
    frames.reserve(undelivered.size());
    for (const WalRecord& r : undelivered) {
      frames.push_back({s->options_.epoch, r.seq, r.arrival_ms, r.data});
    }
    s->OnDurable(frames);
  }
  TRY(s->StartDelivery());
  return s;
}

Status DeliveryStream::StartDelivery() {
  options_.metrics->wal_bytes->Set(static_cast<int64_t>(log_->size_bytes()));
  // What the log held at open waits for delivery as any acknowledged record does.
  options_.metrics->buffered_bytes->Set(static_cast<int64_t>(pending_bytes_.load()));
  TRY_ASSIGN(delivery_thread_, StartThread("deliver:" + name(), [this] { DeliveryLoop(); }));
  return log_->Start();
}

DeliveryStream::DeliveryStream(DeliveryStreamOptions options,
                               std::shared_ptr<const Destination> destination)
    : options_(std::move(options)),
      epoch_(options_.epoch),
      log_external_(options_.logs != nullptr),
      destination_(std::move(destination)) {
  deaggregate_ = destination_->config.deaggregation.enabled();
  delimiter_bytes_ = static_cast<uint32_t>(destination_->config.record_delimiter.size());
}

DeliveryStream::~DeliveryStream() {
  if (delivery_thread_.joinable() || log_) (void)Stop(0);
}

void DeliveryStream::OnDurable(const std::vector<WalFrame>& records) {
  std::shared_ptr<const Destination> dest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dest = destination_;
  }
  if (!partitioner_ || partitioner_generation_ != dest->generation) {
    partitioner_ = std::make_unique<Partitioner>(dest->partition_keys);
    partitioner_generation_ = dest->generation;
  }
  // Parse outside the lock: the delivery thread and Put need mu_ too.
  std::vector<Result<std::vector<std::string>>>& partitions = partitions_;
  partitions.clear();
  for (const WalFrame& r : records) partitions.push_back(partitioner_->Extract(r.data));
  if (log_external_) {
    uint64_t bytes = 0;
    for (const WalFrame& r : records) bytes += r.data.size();
    pending_bytes_ += bytes;
    pending_records_ += records.size();
  }
  int64_t now = options_.clock();
  const uint64_t buffer_size_bytes = dest->config.buffer_size_bytes();
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const bool was_empty = buffers_.empty();
    if (log_external_) {
      for (size_t i = 0; i < records.size();) {
        size_t j = i + 1;
        while (j < records.size() && records[j].epoch == records[i].epoch) ++j;
        undelivered_by_epoch_[records[i].epoch] += j - i;
        i = j;
      }
    }
    // Consecutive records mostly share a buffer (without partitioning, always): the last
    // one found is kept (a map's nodes stay put) instead of a lookup per record. Its key
    // is built only when it can differ: partitioned records, or a change between those
    // partitioned and those that failed.
    const bool partitioned = !dest->prefix.partition_fields().empty();
    const bool converting = dest->config.format_conversion.enabled;
    std::string key;
    Buffer* last = nullptr;
    bool last_ok = false;
    for (size_t i = 0; i < records.size(); ++i) {
      const WalFrame& r = records[i];
      const auto& part = partitions[i];
      if (last == nullptr || last_ok != part.ok() || (part.ok() && partitioned) ||
          r.epoch != last->epoch) {
        // Buffers of different destinations never mix, nor records of different epochs
        // (an object's first and last record ids share one).
        std::string new_key = std::to_string(dest->generation);
        if (log_external_) new_key += fmt::format("/{:016x}", r.epoch);
        if (part.ok()) {
          new_key += "p";
          for (const std::string& v : *part) {
            new_key += v;
            new_key += '\x1f';
          }
        } else {
          new_key += "e";
        }
        if (last == nullptr || new_key != key) {
          key = std::move(new_key);
          last = &buffers_[key];
        }
        last_ok = part.ok();
      }
      // What the record adds to its object: itself and its delimiter, or its error line.
      const std::string& delimiter = dest->config.record_delimiter;  // AppendDelimiterToRecord's
      std::string error_line;
      if (!part.ok()) error_line = PartitioningErrorLine(r, r.epoch, part.status().message(), now);
      const uint64_t adds = part.ok() ? r.data.size() + delimiter.size() : error_line.size();
      // A record that would take a buffer past the size hint starts the next object, so
      // that objects keep within the hint; only a record larger than the hint by itself
      // makes a larger object (of its own).
      if (!last->seqs.empty() && last->bytes.size() + adds > buffer_size_bytes) {
        last_object_raw_bytes_ = last->bytes.size();
        SealLocked(buffers_.find(key));
        last = &buffers_[key];
        wake = true;
      }
      Buffer& b = *last;
      if (b.seqs.empty()) {
        TakeSpareLocked(&b);
        b.destination = dest;
        b.epoch = r.epoch;
        // Sized like the last object, so a buffer is not copied as it doubles its way up;
        // with dynamic partitioning at most 64 KiB (thousands of devices' buffers, most of
        // them small, must not each reserve a large object's size).
        b.bytes.reserve(std::min<uint64_t>({last_object_raw_bytes_, buffer_size_bytes,
                                            partitioned ? uint64_t{64} << 10 : buffer_size_bytes}));
        b.partitioning_failed = !part.ok();
        if (part.ok()) b.partition_values = *part;
        b.oldest_arrival_ms = r.arrival_ms;
      }
      b.oldest_arrival_ms = std::min(b.oldest_arrival_ms, r.arrival_ms);
      if (part.ok()) {
        b.bytes += r.data;
        if (!delimiter.empty()) b.bytes += delimiter;
        if (converting) {
          b.ends.push_back(static_cast<uint32_t>(b.bytes.size()));
          b.arrivals.push_back(r.arrival_ms);
        }
      } else {
        b.bytes += error_line;
        if (dest->config.backup.enabled()) b.source += r.data;
      }
      b.raw_bytes += r.data.size();
      // Counted as backpressure counts it (RecordOverhead), so that pressure seals buffers
      // before the limit refuses records, small ones too.
      const uint64_t held = r.data.size() + RecordOverhead(delimiter.size());
      b.held_bytes += held;
      open_bytes_ += held;
      b.seqs.push_back(r.seq);
      // The object's size (records, their delimiters, error lines) against the hint: a
      // buffer that reached it is sealed now, so one large group commit still makes
      // objects of about the size.
      if (b.bytes.size() >= buffer_size_bytes) {
        last_object_raw_bytes_ = b.bytes.size();
        SealLocked(buffers_.find(key));
        last = nullptr;
        wake = true;
      } else if (ReadyLocked(b, now)) {
        wake = true;
      }
    }
    // An Update while this batch was parsed: its buffers are sealed like the others.
    if (destination_ != dest) wake |= SealBuffersOfLocked(dest->generation);
    if (open_bytes_ > options_.max_pending_bytes / 2) wake |= SealUnderPressureLocked();
    // Nothing was buffered: the delivery thread sleeps without a deadline until woken.
    if (was_empty && !buffers_.empty()) wake = true;
    if (log_) options_.metrics->wal_bytes->Set(static_cast<int64_t>(log_->size_bytes()));
  }
  if (wake) cv_.notify_one();
}

void DeliveryStream::SealLocked(std::map<std::string, Buffer>::iterator it) {
  open_bytes_ -= it->second.held_bytes;
  sealed_.push_back(std::move(it->second));
  buffers_.erase(it);
}

bool DeliveryStream::SealBuffersOfLocked(uint64_t generation) {
  bool sealed = false;
  for (auto it = buffers_.begin(); it != buffers_.end();) {
    auto next = std::next(it);
    if (it->second.destination->generation == generation) {
      SealLocked(it);
      sealed = true;
    }
    it = next;
  }
  return sealed;
}

bool DeliveryStream::SealUnderPressureLocked() {
  std::vector<std::map<std::string, Buffer>::iterator> by_age;
  by_age.reserve(buffers_.size());
  for (auto it = buffers_.begin(); it != buffers_.end(); ++it) by_age.push_back(it);
  std::sort(by_age.begin(), by_age.end(), [](const auto& a, const auto& b) {
    return a->second.oldest_arrival_ms < b->second.oldest_arrival_ms;
  });
  const uint64_t before = open_bytes_;
  size_t sealed = 0;
  for (auto it : by_age) {
    if (open_bytes_ <= options_.max_pending_bytes / 4) break;
    SealLocked(it);
    ++sealed;
  }
  options_.metrics->buffers_sealed_early->Add(sealed);
  if (uint64_t held; sealed > 0 && pressure_log_.Allow(&held)) {
    Logger("streams")->info(
        "stream={} sealed {} of {} buffers early: {} bytes buffered, over half the pending "
        "limit of {} (and {} more times since the last report)",
        options_.config.name, sealed, sealed + buffers_.size(), before,
        options_.max_pending_bytes, held);
  }
  return sealed > 0;
}

Status DeliveryStream::Update(const StreamConfig& config,
                              std::shared_ptr<objstore::ObjectStore> bucket,
                              std::shared_ptr<objstore::ObjectStore> backup_bucket) {
  if (config.name != name()) {
    return InvalidArgument(fmt::format("name: a stream cannot be renamed ('{}' to '{}')", name(),
                                       config.name));
  }
  std::lock_guard<std::mutex> lock(mu_);
  TRY_ASSIGN(auto dest, MakeDestination(destination_->generation + 1, config, std::move(bucket),
                                        std::move(backup_bucket)));
  uint64_t old_generation = destination_->generation;
  destination_ = std::move(dest);
  deaggregate_ = destination_->config.deaggregation.enabled();
  delimiter_bytes_ = static_cast<uint32_t>(destination_->config.record_delimiter.size());
  if (SealBuffersOfLocked(old_generation)) cv_.notify_one();
  return Status::Ok();
}

StreamConfig DeliveryStream::config() const {
  std::lock_guard<std::mutex> lock(mu_);
  return destination_->config;
}

bool DeliveryStream::ReadyLocked(const Buffer& b, int64_t now_ms) const {
  if (b.seqs.empty()) return false;
  if (stopping_) return true;
  const StreamConfig& config = b.destination->config;
  if (b.bytes.size() >= config.buffer_size_bytes()) return true;
  // Pulled from a shared log since made again: nothing more comes under that epoch.
  if (log_external_ && b.epoch != epoch_) return true;
  if (now_ms - b.oldest_arrival_ms >= int64_t(config.buffer_interval_s) * 1000) {
    return true;
  }
  return b.seqs.front() <= flush_through_;
}

void DeliveryStream::DeliveryLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (stopping_ && (abandon_ || (buffers_.empty() && sealed_.empty()))) break;
    int64_t now = options_.clock();
    int64_t next_due = std::numeric_limits<int64_t>::max();
    std::vector<Buffer> ready = std::move(sealed_);
    sealed_.clear();
    for (auto it = buffers_.begin(); it != buffers_.end();) {
      if (ReadyLocked(it->second, now)) {
        last_object_raw_bytes_ = it->second.bytes.size();
        open_bytes_ -= it->second.held_bytes;
        ready.push_back(std::move(it->second));
        it = buffers_.erase(it);
      } else {
        next_due = std::min(next_due,
                            it->second.oldest_arrival_ms +
                                int64_t(it->second.destination->config.buffer_interval_s) * 1000);
        ++it;
      }
    }
    if (ready.empty()) {
      if (buffers_.empty()) {
        cv_.wait(lock);  // until a record is buffered (OnDurable wakes it) or a stop
      } else {
        int64_t wait_ms = std::clamp<int64_t>(next_due - now, 1, kMaxIdleWaitMs);
        cv_.wait_for(lock, std::chrono::milliseconds(wait_ms));
      }
      continue;
    }
    lock.unlock();
    for (Buffer& b : ready) {
      if (!Deliver(b)) break;  // Stop gave up: the records stay in the WAL
    }
    lock.lock();
    progress_cv_.notify_all();
  }
}

void DeliveryStream::TakeSpareLocked(Buffer* b) {
  if (spares_.empty()) return;
  b->bytes = std::move(spares_.back().bytes);
  b->seqs = std::move(spares_.back().seqs);
  spares_.pop_back();
  b->bytes.clear();
  b->seqs.clear();
  b->ends.clear();
  b->arrivals.clear();
  b->source.clear();
}

void DeliveryStream::KeepSpare(std::string bytes, std::vector<uint64_t> seqs) {
  if (bytes.capacity() > kMaxSpareBytes) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (spares_.size() < kMaxSpares) spares_.push_back({std::move(bytes), std::move(seqs)});
}

bool DeliveryStream::SleepUnlessAbandoned(int64_t ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return abandon_; });
  return !abandon_;
}

void DeliveryStream::NoteError(const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  last_error_ = message;
  last_error_ms_ = WallMillis();
}

Status DeliveryStream::Flush(int64_t timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::unique_lock<std::mutex> lock(mu_);
  if (!log_) return FailedPrecondition(fmt::format("stream '{}' is stopped", name()));
  uint64_t epoch = epoch_;
  uint64_t target = std::max(recovered_through_, log_->last_appended_seq());
  flush_through_ = std::max(flush_through_, target);
  cv_.notify_all();
  bool done = progress_cv_.wait_until(lock, deadline, [&] {
    if (!log_) return true;  // stopped meanwhile (a delete)
    if (epoch_ != epoch) {
      // The shared log was made again meanwhile: what was appended to the old one is gone
      // with it, and the new one's records are numbered anew. What was pulled from it is
      // on its way to the lake, and waited for below.
      epoch = epoch_;
      target = std::max(recovered_through_, log_->last_appended_seq());
      flush_through_ = std::max(flush_through_, target);
      cv_.notify_all();
    }
    return log_->delivered_through() >= target && !OlderEpochsUndeliveredLocked();
  });
  if (!log_) return FailedPrecondition(fmt::format("stream '{}' is stopped", name()));
  if (!done) {
    return Unavailable(fmt::format(
        "stream '{}': records up to #{} not delivered within {} ms (last error: {})",
        name(), target, timeout_ms, last_error_.empty() ? "none" : last_error_));
  }
  // Delivered. A local WAL saves its checkpoint an interval after the deliveries at most:
  // saved now, so that a crash after the flush delivers none of them again. Under mu_, so
  // Stop cannot close the log meanwhile (a flush is rare; the save takes a file's fsync).
  if (Status saved = log_->SaveCheckpoint(); !saved.ok()) {
    return saved.WithContext(
        fmt::format("stream '{}': records up to #{} delivered, but", name(), target));
  }
  return Status::Ok();
}

Status DeliveryStream::DrainShared(int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  uint64_t flush_before = 0;
  uint64_t epoch_before = 0;
  RecordLog* log = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!log_) return FailedPrecondition(fmt::format("stream '{}' is stopped", name()));
    log = log_.get();  // Stop, which resets it, is not called meanwhile
    flush_before = flush_through_;
    epoch_before = epoch_;
    flush_through_ = kFlushAll;  // every buffer is ready at once
  }
  cv_.notify_all();
  while (true) {
    auto left = log->CountHeld();
    if (left.ok() && *left == 0) return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) {
      std::lock_guard<std::mutex> lock(mu_);
      flush_through_ = epoch_ == epoch_before ? flush_before : 0;  // see on_epoch
      return Unavailable(fmt::format(
          "stream '{}': {} within {} ms (last delivery error: {})", name(),
          left.ok()
              ? fmt::format("{} messages of records still in its shared log, not delivered", *left)
              : fmt::format("its shared log's state not known ({})", left.status().message()),
          timeout_ms, last_error_.empty() ? "none" : last_error_));
    }
    cv_.notify_all();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Status DeliveryStream::Stop(int64_t timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!log_) return Status::Ok();
    accepting_ = false;
    progress_cv_.wait_until(lock, deadline, [this] { return puts_in_progress_ == 0; });
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  Status flushed = Flush(std::max<int64_t>(0, left.count()));
  if (int err = InjectedFault("streams.stop_flush")) {  // a test's stand-in for a failing lake
    flushed = Unavailable(fmt::format("stream '{}': {}", name(), std::strerror(err)));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (!flushed.ok()) abandon_ = true;
  }
  cv_.notify_all();
  if (delivery_thread_.joinable()) delivery_thread_.join();
  std::unique_ptr<RecordLog> log;
  // A Put that saw accepting_ set may still be on its way into the WAL (the wait for
  // puts above has a deadline); appending does not wait for I/O, so wait for it here.
  while (in_put_.load() != 0) std::this_thread::yield();
  {
    std::lock_guard<std::mutex> lock(mu_);
    log = std::move(log_);
  }
  log.reset();  // commits anything still queued (its callbacks take mu_), joins the writer
  if (!flushed.ok()) {
    // An external log gave its undelivered records back (record_log.h): whichever server
    // pulls first delivers them.
    const std::string where = log_external_
                                  ? fmt::format("left in {} for the next server that pulls them",
                                                options_.logs->Describe())
                                  : std::string("kept in the WAL, delivered at the next start");
    Logger("streams")->warn("stream={} stopped with undelivered records ({}): {}", name(), where,
                            flushed.ToString());
  }
  return flushed;
}

void DeliveryStream::SetAccepting(bool accepting) {
  std::lock_guard<std::mutex> lock(mu_);
  accepting_ = accepting;
}

StreamDescription DeliveryStream::Describe() const {
  StreamMetrics& m = *options_.metrics;
  StreamDescription d;
  d.created_ms = options_.created_ms;
  const StreamMetrics::Since& since = m.since;
  StreamStats& s = d.stats;
  s.records_in = m.records_in->Value() - since.records_in;
  s.bytes_in = m.bytes_in->Value() - since.bytes_in;
  s.records_recovered = m.records_recovered->Value() - since.records_recovered;
  s.records_rejected = m.records_rejected->Value() - since.records_rejected;
  s.objects_delivered = m.objects_delivered->Value() - since.objects_delivered;
  s.bytes_delivered = m.bytes_delivered->Value() - since.bytes_delivered;
  s.records_delivered = m.records_delivered->Value() - since.records_delivered;
  s.records_to_error_prefix = m.records_to_error_prefix->Value() - since.records_to_error_prefix;
  s.delivery_errors = m.delivery_errors->Value() - since.delivery_errors;
  s.buffers_sealed_early = m.buffers_sealed_early->Value() - since.buffers_sealed_early;
  s.wal_records_lost = m.wal_records_lost->Value() - since.wal_records_lost;
  s.wal_checkpoint_saves = m.wal_checkpoint_saves->Value() - since.wal_checkpoint_saves;
  if (m.jetstream_publish_failures) {
    s.jetstream_publish_failures =
        m.jetstream_publish_failures->Value() - since.jetstream_publish_failures;
    s.jetstream_pull_failures = m.jetstream_pull_failures->Value() - since.jetstream_pull_failures;
    s.jetstream_ack_failures = m.jetstream_ack_failures->Value() - since.jetstream_ack_failures;
  }
  s.last_delivery_latency_ms = m.last_latency_ms->Value();
  s.max_delivery_latency_ms = m.max_latency_ms->Value();
  uint64_t n = m.delivery_latency->Count() - since.latency_count;
  s.avg_delivery_latency_ms =
      n ? int64_t((m.delivery_latency->Sum() - since.latency_sum) * 1000.0 / double(n)) : 0;
  s.buffered_bytes = pending_bytes_.load();
  s.wal_commits = m.wal_commit_seconds->Count() - since.commits;
  if (s.wal_commits > 0) {
    s.avg_wal_commit_us = int64_t((m.wal_commit_seconds->Sum() - since.commit_seconds_sum) * 1e6 /
                                  double(s.wal_commits));
    s.avg_records_per_commit = std::round((m.wal_commit_records->Sum() - since.commit_records_sum) *
                                          10 / double(s.wal_commits)) /
                               10;
  }
  std::lock_guard<std::mutex> lock(mu_);
  d.config = destination_->config;
  d.status = accepting_ ? "active" : (log_ ? "deleting" : "stopped");
  s.wal_bytes = log_ ? log_->size_bytes() : 0;
  s.last_error = last_error_;
  s.last_error_ms = last_error_ms_;
  return d;
}

void StopInParallel(const std::vector<std::shared_ptr<DeliveryStream>>& streams,
                    int64_t timeout_ms) {
  std::vector<std::thread> stoppers;
  std::vector<std::shared_ptr<DeliveryStream>> refused;
  for (const auto& stream : streams) {
    auto t = StartThread("stop:" + stream->name(),
                         [stream, timeout_ms] { (void)stream->Stop(timeout_ms); });
    if (t.ok()) {
      stoppers.push_back(std::move(t).value());
    } else {
      refused.push_back(stream);
    }
  }
  for (auto& t : stoppers) t.join();
  for (const auto& stream : refused) (void)stream->Stop(timeout_ms);
}

}  // namespace tributary::streams
