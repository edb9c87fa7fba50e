// DeliveryStream's intake: records put (split when the stream's separator asks, refused
// past Firehose's record limit or the stream's buffers), staged per thread and appended
// to the log in batches, and answered once the log says they are durable (OnBatchDone).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "base/clock.h"
#include "base/completion_batch.h"
#include "base/log.h"
#include "base/log_throttle.h"
#include "streams/delivery_stream.h"
#include "streams/record_split.h"

namespace tributary::streams {
namespace {

// Records that do not split, reported once a second at most.
LogThrottle& SplitFailureThrottle() {
  static LogThrottle throttle;
  return throttle;
}

// Counts the calling thread inside Put for its lifetime.
class InPut {
 public:
  explicit InPut(std::atomic<uint32_t>* count) : count_(count) { count_->fetch_add(1); }
  ~InPut() { count_->fetch_sub(1); }
  InPut(const InPut&) = delete;
  InPut& operator=(const InPut&) = delete;

 private:
  std::atomic<uint32_t>* count_;
};

// Firehose's record limit (1000 KiB).
constexpr size_t kMaxRecordBytes = 1'024'000;

// A record put for deaggregation that does not split: it is put whole.
void ReportUnsplit(const std::string& stream, const Status& why) {
  if (uint64_t held; SplitFailureThrottle().Allow(&held)) {
    Logger("streams")->warn(
        "stream={} record put whole, it does not split: {} (and {} more since "
        "the last report)",
        stream, why.message(), held);
  }
}

}  // namespace

// One thread's staged records for one stream. Kept per thread for reuse, so that staging
// allocates nothing once its buffers have grown.
struct DeliveryStream::Staged {
  DeliveryStream* stream = nullptr;  // null: free
  std::string bytes;                 // the records, back to back
  std::vector<LogEntry> entries;
};

void DeliveryStream::Put(std::string_view record, int64_t arrival_ms, PutDone done) {
  if (!deaggregate_.load(std::memory_order_acquire))
    return PutOne(record, arrival_ms, std::move(done));
  Deaggregation how;
  {
    std::lock_guard<std::mutex> lock(mu_);
    how = destination_->config.deaggregation;
  }
  auto parts = SplitRecord(record, how);
  if (!parts.ok()) {
    // Kept whole: it is delivered (or fails partitioning) as any record would, never lost.
    ReportUnsplit(name(), parts.status());
    return PutOne(record, arrival_ms, std::move(done));
  }
  if (parts->size() == 1) return PutOne((*parts)[0], arrival_ms, std::move(done));
  PutPieces(*parts, arrival_ms, std::move(done));
}

void DeliveryStream::PutAll(const std::vector<std::string>& records, int64_t arrival_ms,
                            PutDone done) {
  if (records.empty()) {
    done(Status::Ok(), 0);  // nothing to keep, nothing refused
    return;
  }
  if (records.size() == 1) return Put(records[0], arrival_ms, std::move(done));
  std::vector<std::string_view> parts;
  parts.reserve(records.size());
  if (!deaggregate_.load(std::memory_order_acquire)) {
    parts.assign(records.begin(), records.end());
  } else {
    // Each record as Put would put it (its pieces, or whole), all of them together.
    Deaggregation how;
    {
      std::lock_guard<std::mutex> lock(mu_);
      how = destination_->config.deaggregation;
    }
    for (const std::string& record : records) {
      auto pieces = SplitRecord(record, how);
      if (!pieces.ok()) {
        ReportUnsplit(name(), pieces.status());
        parts.push_back(record);
        continue;
      }
      parts.insert(parts.end(), pieces->begin(), pieces->end());
    }
  }
  PutPieces(parts, arrival_ms, std::move(done));
}

void DeliveryStream::PutPieces(const std::vector<std::string_view>& parts, int64_t arrival_ms,
                               PutDone done) {
  StreamMetrics& m = *options_.metrics;
  const std::string& name = options_.config.name;
  uint64_t total = 0;
  for (std::string_view part : parts) {
    // (SplitRecord gives no empty piece; a record put whole may be empty, as PutOne's.)
    if (part.size() > kMaxRecordBytes) {
      m.records_rejected->Add(parts.size());
      done(InvalidArgument(fmt::format(
               "stream '{}': a record of {} bytes, of {} put together, is over the limit of {}",
               name, part.size(), parts.size(), kMaxRecordBytes)),
           0);
      return;
    }
    total += part.size();
  }
  if (arrival_ms <= 0) arrival_ms = options_.clock();
  // One answer for the pieces: the first error, else OK with the first piece's number.
  struct Pieces {
    std::mutex mu;
    size_t left;
    Status error;
    uint64_t first_seq = 0;
    PutDone done;
  };
  // The pieces' entries, after what `data` and `entries` hold: the first one says how many
  // go together, so that an external log keeps them in one message.
  auto add_pieces = [&](std::string* data, std::vector<LogEntry>* entries) {
    auto pieces = std::make_shared<Pieces>();
    pieces->left = parts.size();
    pieces->done = std::move(done);
    const size_t first = entries->size();
    for (size_t i = 0; i < parts.size(); ++i) {
      entries->push_back(
          {data->size(), parts[i].size(), arrival_ms, [pieces, i](const Status& s, uint64_t seq) {
             bool last;
             {
               std::lock_guard<std::mutex> lock(pieces->mu);
               if (!s.ok() && pieces->error.ok()) pieces->error = s;
               if (i == 0) pieces->first_seq = seq;
               last = --pieces->left == 0;
             }
             if (last) {
               pieces->done(pieces->error, pieces->error.ok() ? pieces->first_seq : 0);
             }
           }});
      data->append(parts[i]);
    }
    (*entries)[first].together = parts.size();
  };
  // All or none: the pieces are admitted together, their bytes counted at once, so that a
  // refusal (the pending limit, a stop) never leaves some of them in the log for a retry
  // to duplicate. Inside a CompletionBatch they are staged as one group, in their place
  // among this thread's records, and judged as one when the batch closes (AppendStaged).
  if (CompletionBatch::IsOpen()) {
    Staged& staged = StagedHere();
    add_pieces(&staged.bytes, &staged.entries);
    return;
  }
  const uint64_t n = parts.size();
  puts_in_progress_.fetch_add(n);
  InPut in_put(&in_put_);
  Status refused = Refusal(total, n, accepting_.load(), PendingCharge());
  if (!refused.ok()) {
    EndPuts(n);
    m.records_rejected->Add(n);
    done(refused, 0);
    return;
  }
  pending_bytes_ += total;
  pending_records_ += n;
  // Queued together, so that the WAL commits them together: a commit that fails fails
  // them all, and a retry duplicates none.
  std::string data;
  data.reserve(total);
  std::vector<LogEntry> entries;
  entries.reserve(parts.size());
  add_pieces(&data, &entries);
  log_->AppendAll(data, entries);
}

void DeliveryStream::PutOne(std::string_view record, int64_t arrival_ms, PutDone done) {
  StreamMetrics& m = *options_.metrics;
  const std::string& name = options_.config.name;
  // An empty record is a record (Firehose's Data may be 0 bytes): it takes a number and an
  // id, and adds nothing but the rule's separator to its object.
  if (record.size() > kMaxRecordBytes) {
    m.records_rejected->Add();
    done(InvalidArgument(fmt::format("stream '{}': a record of {} bytes is over the limit of {}",
                                     name, record.size(), kMaxRecordBytes)),
         0);
    return;
  }
  if (arrival_ms <= 0) arrival_ms = options_.clock();
  if (CompletionBatch::IsOpen()) {
    Stage(record, arrival_ms, std::move(done));
    return;
  }
  uint64_t size = record.size();
  // No lock here: Put runs on every publishing connection's thread, and mu_ is held by
  // the WAL writer while it buffers a whole batch. Counting this Put before reading
  // accepting_ is what lets Stop wait for it (see accepting_).
  puts_in_progress_.fetch_add(1);
  InPut in_put(&in_put_);
  Status refused = Refusal(size, 1, accepting_.load(), PendingCharge());
  if (!refused.ok()) {
    EndPuts(1);
    m.records_rejected->Add();
    done(refused, 0);
    return;
  }
  pending_bytes_ += size;
  pending_records_ += 1;
  log_->Append(record, arrival_ms, std::move(done));
}

Status DeliveryStream::Refusal(uint64_t bytes, uint64_t records, bool accepting,
                               uint64_t pending) const {
  const std::string& name = options_.config.name;
  if (!accepting) {
    // Unavailable, which clients send again (Firehose's ServiceUnavailableException, MQTT's
    // refusal): a delete that cannot reach the lake in time fails and the stream carries on.
    return Unavailable(
        fmt::format("stream '{}' is not accepting records (stopping or being deleted)", name));
  }
  // Each record counts with its frame in the WAL and its delimiter in the buffer, so that
  // the limit bounds what the WAL and the buffers hold (an empty record is not free).
  const uint64_t charge = bytes + records * RecordOverhead();
  if (pending + charge > options_.max_pending_bytes) {
    return ResourceExhausted(fmt::format(
        "stream '{}': {} of {} bytes ({} with {} WAL frame header and delimiter) would take "
        "what waits for delivery (taken, or ahead of it in this request, each record with its "
        "frame header and delimiter) from {} past the limit of {}; retry later",
        name, records == 1 ? std::string("a record") : fmt::format("{} records", records), bytes,
        charge, records == 1 ? "its" : "their", pending, options_.max_pending_bytes));
  }
  return Status::Ok();
}

void DeliveryStream::Stage(std::string_view record, int64_t arrival_ms, PutDone done) {
  Staged& staged = StagedHere();
  staged.entries.push_back({staged.bytes.size(), record.size(), arrival_ms, std::move(done)});
  staged.bytes.append(record);
}

DeliveryStream::Staged& DeliveryStream::StagedHere() {
  thread_local std::vector<std::unique_ptr<Staged>> pool;
  Staged* free = nullptr;
  for (const auto& s : pool) {
    if (s->stream == this) return *s;
    if (s->stream == nullptr && free == nullptr) free = s.get();
  }
  if (free == nullptr) free = pool.emplace_back(std::make_unique<Staged>()).get();
  Staged* staged = free;
  staged->stream = this;
  // Counted as one put, and as a thread inside Put, until the batch closes: Stop waits.
  puts_in_progress_.fetch_add(1);
  in_put_.fetch_add(1);
  CompletionBatch::Post(
      this, [](void*, CompletionBatch::Task run) { run(); },
      [this, staged] { AppendStaged(*staged); });
  return *staged;
}

void DeliveryStream::AppendStaged(Staged& staged) {
  StreamMetrics& m = *options_.metrics;
  std::vector<LogEntry>& entries = staged.entries;
  const bool accepting = accepting_.load();
  const uint64_t pending = PendingCharge();
  const uint64_t overhead = RecordOverhead();
  uint64_t admitted_bytes = 0;
  size_t admitted = 0;
  // Answered last, once this thread's hold on the stream is released: a `done` may Put.
  std::vector<std::pair<PutDone, Status>> refused;
  // A record, or records put together (judged as one: all admitted or all refused).
  for (size_t i = 0, n; i < entries.size(); i += n) {
    n = std::clamp<size_t>(entries[i].together, 1, entries.size() - i);
    uint64_t bytes = 0;
    for (size_t j = i; j < i + n; ++j) bytes += entries[j].size;
    Status why = Refusal(bytes, n, accepting, pending + admitted_bytes + admitted * overhead);
    if (!why.ok()) {
      for (size_t j = i; j < i + n; ++j) refused.emplace_back(std::move(entries[j].done), why);
      continue;
    }
    admitted_bytes += bytes;
    for (size_t j = i; j < i + n; ++j) {
      if (admitted != j) entries[admitted] = std::move(entries[j]);
      ++admitted;
    }
  }
  entries.erase(entries.begin() + static_cast<ptrdiff_t>(admitted), entries.end());
  if (admitted > 0) {
    puts_in_progress_.fetch_add(admitted);
    pending_bytes_ += admitted_bytes;
    pending_records_ += admitted;
    log_->AppendAll(staged.bytes, entries);
  }
  if (!refused.empty()) m.records_rejected->Add(refused.size());
  entries.clear();
  staged.bytes.clear();
  staged.stream = nullptr;
  EndPuts(1);
  in_put_.fetch_sub(1);  // Stop may destroy this stream from here on
  for (auto& [done, why] : refused) done(why, 0);
}

void DeliveryStream::EndPuts(uint64_t n) {
  // Only Stop waits for puts to finish: wake it when the last one ends.
  if (puts_in_progress_.fetch_sub(n) == n) {
    std::lock_guard<std::mutex> lock(mu_);
    progress_cv_.notify_all();
  }
}

void DeliveryStream::OnBatchDone(const Status& status, const WalBatchDone& batch) {
  StreamMetrics& m = *options_.metrics;
  if (status.ok()) {
    m.records_in->Add(batch.records);
    m.bytes_in->Add(batch.bytes);
    m.wal_commit_seconds->Observe(double(batch.commit_ns) / 1e9);
    m.wal_commit_records->Observe(double(batch.records));
    // An external log holds the records from here; they count again once pulled back.
    if (log_external_) {
      pending_bytes_ -= batch.bytes;
      pending_records_ -= batch.records;
    }
  } else {
    pending_bytes_ -= batch.bytes;
    pending_records_ -= batch.records;
    m.records_rejected->Add(batch.records);
    NoteError(status.ToString());
  }
  m.buffered_bytes->Set(static_cast<int64_t>(pending_bytes_.load()));
  EndPuts(batch.records);
}

}  // namespace tributary::streams
