#include "streams/wal_drainer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <filesystem>

#include "base/log.h"
#include "base/thread_name.h"
#include "streams/stream_config.h"
#include "streams/wal.h"

namespace tributary::streams {
namespace {

namespace fs = std::filesystem;

constexpr char kDrainingDir[] = "+draining";  // '+' is in no stream's name
constexpr int64_t kCheckEveryMs = 250;
constexpr char kMetricPrefix[] = "tributary_stream_draining_";

}  // namespace

Result<bool> WalHoldsUndelivered(const std::string& dir, WalRecoveryReport* found) {
  if (Wal::HoldsNothing(dir)) return false;
  WalOptions options;
  options.dir = dir;
  std::vector<WalRecord> undelivered;
  TRY_ASSIGN(auto wal, Wal::Open(std::move(options), &undelivered));
  if (found) *found = wal->recovery();
  return !undelivered.empty();
}

namespace {

// A stream's counters (what it recovered and delivered) into `t`.
void AddCounts(const StreamStats& s, DrainingTotals* t) {
  t->records_recovered += s.records_recovered;
  t->records_delivered += s.records_delivered;
  t->objects_delivered += s.objects_delivered;
  t->bytes_delivered += s.bytes_delivered;
  t->records_to_error_prefix += s.records_to_error_prefix;
  t->delivery_errors += s.delivery_errors;
  t->wal_records_lost += s.wal_records_lost;
}

}  // namespace

WalDrainer::WalDrainer(std::string wal_dir, OpenFn open, int64_t stop_timeout_ms,
                       MetricsRegistry* metrics)
    : wal_dir_(std::move(wal_dir)),
      root_(wal_dir_ + "/" + kDrainingDir),
      open_(std::move(open)),
      stop_timeout_ms_(stop_timeout_ms),
      metrics_(metrics) {
  if (metrics_) RegisterMetrics();
  thread_ = std::thread([this] {
    SetThreadName("wal-drainer");
    Loop();
  });
}

WalDrainer::~WalDrainer() {
  Stop();
  // Their callbacks read this drainer: out of the registry before it goes (a Render under
  // way holds the registry's lock, which RemoveSeries waits for).
  if (metrics_) (void)metrics_->RemoveSeries(kMetricPrefix, {});
}

void WalDrainer::RegisterMetrics() {
  // Unlabelled, so that no stream's series (labelled {stream=...}) is one of them.
  auto gauge = [this](const std::string& name, const std::string& help,
                      uint64_t DrainingTotals::*field) {
    metrics_->NewCallbackGauge(std::string(kMetricPrefix) + name, help, {},
                               [this, field] { return double(Totals().*field); });
  };
  auto counter = [this](const std::string& name, const std::string& help,
                        uint64_t DrainingTotals::*field) {
    metrics_->NewCallbackCounter(std::string(kMetricPrefix) + name, help, {},
                                 [this, field] { return Totals().*field; });
  };
  gauge("wals", "WALs of streams gone from the streams table, being delivered (+draining)",
        &DrainingTotals::wals);
  gauge("buffered_records", "Records the draining WALs hold that are not delivered yet",
        &DrainingTotals::buffered_records);
  gauge("buffered_bytes", "Bytes of the records the draining WALs hold, not delivered yet",
        &DrainingTotals::buffered_bytes);
  counter("records_recovered_total",
          "Records found undelivered in WALs opened for draining (each time one is opened)",
          &DrainingTotals::records_recovered);
  counter("records_delivered_total",
          "Records of draining WALs written to the lake (error prefix included)",
          &DrainingTotals::records_delivered);
  counter("objects_delivered_total",
          "Objects written to the lake from draining WALs (error prefix included)",
          &DrainingTotals::objects_delivered);
  counter("bytes_delivered_total",
          "Object bytes written to the lake from draining WALs, after compression",
          &DrainingTotals::bytes_delivered);
  counter("records_to_error_prefix_total",
          "Records of draining WALs written under the error prefix",
          &DrainingTotals::records_to_error_prefix);
  counter("delivery_errors_total", "Failed object writes of draining WALs (each retry counts)",
          &DrainingTotals::delivery_errors);
  counter("wal_records_lost_total",
          "Acknowledged records lost to damage in the middle of a segment of a WAL set aside "
          "for draining (found at recovery)",
          &DrainingTotals::wal_records_lost);
}

Status WalDrainer::SetAside(const std::string& name, const std::string& dir,
                            const std::string& why) {
  auto log = Logger("streams");
  // Only ever a stream's own directory, directly under the WAL root.
  if (!ValidateStreamName(name).ok() || dir != wal_dir_ + "/" + name) {
    return FailedPrecondition(fmt::format(
        "not setting '{}' aside: it is not the WAL directory of stream '{}'", dir, name));
  }
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Status::Ok();
  // Opening it repairs what damage it finds: a later open finds no loss to report, so this
  // one's is counted here.
  WalRecoveryReport found;
  auto holds = WalHoldsUndelivered(dir, &found);
  if (!found.problems.empty()) {
    log->error("stream={} WAL set aside ({}) was damaged: {}", name, why,
               fmt::join(found.problems, "; "));
    std::lock_guard<std::mutex> lock(mu_);
    done_.wal_records_lost += found.records_lost;
  }
  if (holds.ok() && !*holds) {
    fs::remove_all(dir, ec);
    if (ec) return IoError(fmt::format("removing WAL directory {}: {}", dir, ec.message()));
    log->info("stream={} WAL directory removed: {}; it held nothing undelivered dir={}", name, why,
              dir);
    return Status::Ok();
  }
  auto saved = LoadWalStreamFile(dir);
  std::string target = fmt::format("{}/{}-{}", root_, name,
                                   saved.ok() ? fmt::format("{:016x}", saved->epoch) : "unknown");
  for (int n = 2; fs::exists(target, ec); ++n) {
    target = fmt::format("{}/{}-{}-{}", root_, name,
                         saved.ok() ? fmt::format("{:016x}", saved->epoch) : "unknown", n);
  }
  fs::create_directories(root_, ec);
  if (!ec) fs::rename(dir, target, ec);
  if (ec) {
    return IoError(
        fmt::format("stream '{}': moving its WAL {} aside to {} to deliver what it holds: {}", name,
                    dir, target, ec.message()));
  }
  log->warn("stream={} {}: its WAL holds undelivered records: moved to {} and delivered from there",
            name, why,
            holds.ok()
                ? target
                : fmt::format("{} (it could not be read: {})", target, holds.status().ToString()));
  return OpenDraining(target);
}

void WalDrainer::ResumeAll() {
  std::error_code ec;
  std::vector<std::string> dirs;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    if (entry.is_directory(ec)) dirs.push_back(entry.path().string());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const std::string& dir : dirs) {
    if (Status st = OpenDraining(dir); !st.ok()) {
      Logger("streams")->error("draining WAL not opened dir={}: {}", dir, st.ToString());
    }
  }
}

Status WalDrainer::OpenDraining(const std::string& dir) {
  auto log = Logger("streams");
  auto saved = LoadWalStreamFile(dir);
  if (!saved.ok()) {
    log->error(
        "undelivered records kept in {} and not delivered: {}. Nothing removes them; to deliver "
        "them, put them under a stream's WAL directory while the server is stopped",
        dir, saved.status().ToString());
    return Status::Ok();
  }
  TRY_ASSIGN(auto stream, open_(*saved, dir));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      (void)stream->Stop(0);
      return Status::Ok();
    }
    draining_[dir] = std::move(stream);
  }
  cv_.notify_all();
  log->warn("stream={} draining: delivering what its WAL holds, accepting nothing dir={}",
            saved->config.name, dir);
  return Status::Ok();
}

Status WalDrainer::RemoveDrained(const std::string& dir) const {
  const fs::path p(dir);
  const std::string leaf = p.filename().string();
  if (p.parent_path().string() != root_ || leaf.empty() || leaf == "." || leaf == "..") {
    return FailedPrecondition(
        fmt::format("not removing '{}': it is not a draining WAL directory under {}", dir, root_));
  }
  std::error_code ec;
  fs::remove_all(p, ec);
  if (ec) return IoError(fmt::format("removing drained WAL directory {}: {}", dir, ec.message()));
  return Status::Ok();
}

std::vector<std::shared_ptr<DeliveryStream>> WalDrainer::Find(const std::string& name) const {
  std::vector<std::shared_ptr<DeliveryStream>> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [dir, stream] : draining_) {
    if (stream->name() == name) out.push_back(stream);
  }
  return out;
}

std::vector<std::shared_ptr<DeliveryStream>> WalDrainer::All() const {
  std::vector<std::shared_ptr<DeliveryStream>> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [dir, stream] : draining_) out.push_back(stream);
  return out;
}

DrainingTotals WalDrainer::Totals() const {
  std::lock_guard<std::mutex> lock(mu_);
  DrainingTotals t = done_;
  for (const auto& [dir, stream] : draining_) {
    const StreamStats s = stream->Describe().stats;
    t.wals += 1;
    t.buffered_records += stream->buffered_records();
    t.buffered_bytes += s.buffered_bytes;
    AddCounts(s, &t);
  }
  return t;
}

void WalDrainer::KeepCountsLocked(const DeliveryStream& stream) {
  AddCounts(stream.Describe().stats, &done_);
}

void WalDrainer::Loop() {
  auto log = Logger("streams");
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (draining_.empty()) {
      cv_.wait(lock, [this] { return stopping_ || !draining_.empty(); });
      continue;
    }
    auto draining = draining_;
    lock.unlock();
    for (const auto& [dir, stream] : draining) {
      // Flush with no wait: its buffers go at once, and OK once every record is delivered.
      if (!stream->Flush(0).ok()) continue;
      {
        std::lock_guard<std::mutex> l(mu_);
        if (stopping_) break;
      }
      // Stopped while still listed, so that its counts are always in Totals: then they
      // move to done_.
      Status stopped = stream->Stop(stop_timeout_ms_);
      {
        std::lock_guard<std::mutex> l(mu_);
        KeepCountsLocked(*stream);
        draining_.erase(dir);
      }
      if (!stopped.ok()) {
        log->error("stream={} drained WAL kept dir={}: {}", stream->name(), dir,
                   stopped.ToString());
        continue;  // opened again at the next start
      }
      if (Status st = RemoveDrained(dir); !st.ok()) {
        log->error("stream={} drained WAL not removed: {}", stream->name(), st.ToString());
        continue;
      }
      log->info("stream={} drained: every record its WAL held is delivered; removed dir={}",
                stream->name(), dir);
    }
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(kCheckEveryMs), [this] { return stopping_; });
  }
}

void WalDrainer::Stop() {
  std::map<std::string, std::shared_ptr<DeliveryStream>> draining;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    draining = draining_;  // listed (and counted in Totals) until stopped
  }
  StopInParallel(draining, stop_timeout_ms_);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [dir, stream] : draining) {
    KeepCountsLocked(*stream);
    draining_.erase(dir);
  }
}

}  // namespace tributary::streams
