#include "streams/stream_manager.h"

#include <fmt/format.h>

#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/clock.h"
#include "base/completion_batch.h"
#include "base/ids.h"
#include "base/log.h"
#include "streams/delivery_stream.h"
#include "streams/stream_metrics.h"
#include "streams/wal.h"
#include "streams/wal_drainer.h"
#include "streams/wal_stream_file.h"

namespace tributary::streams {
namespace {

namespace fs = std::filesystem;

constexpr char kSchemaV1[] =
    "CREATE TABLE streams("
    "  name TEXT PRIMARY KEY,"
    "  config TEXT NOT NULL,"        // ToJson(StreamConfig)
    "  epoch TEXT NOT NULL,"         // 16 hex digits: the first half of every record id
    "  created_ms INTEGER NOT NULL)";

uint64_t NewEpoch() {
  // Random, so ids of a stream deleted and created again under the same name never repeat.
  return std::stoull(RandomHex(8), nullptr, 16);
}

}  // namespace

StreamManager::StreamManager(StreamManagerOptions options)
    : options_(std::move(options)), generation_(NextProcessUniqueId()) {
  if (options_.logs) return;  // JetStream keeps the records: no WAL to drain
  reuse_budget_ = std::make_shared<WalReuseBudget>(options_.wal_reuse_bytes);
  drainer_ = std::make_unique<WalDrainer>(
      options_.wal_dir,
      [this](const WalStreamFile& file,
             const std::string& dir) -> Result<std::shared_ptr<DeliveryStream>> {
        // Series of its own, out of /metrics: a stream created again under the name has
        // the name's.
        TRY_ASSIGN(auto stream,
                   StartStreamIn(file.config, file.epoch, file.created_ms, dir,
                                 std::make_shared<StreamMetrics>(nullptr, file.config.name)));
        stream->SetAccepting(false);
        return stream;
      },
      options_.stop_timeout_ms, options_.metrics);
}

Result<std::unique_ptr<StreamManager>> StreamManager::Open(StreamManagerOptions options) {
  if (options.wal_dir.empty()) return InvalidArgument("StreamManagerOptions.wal_dir is empty");
  if (!options.db) return InvalidArgument("StreamManagerOptions.db is null");
  if (!options.lake) return InvalidArgument("StreamManagerOptions.lake is null");
  if (!options.clock) options.clock = [] { return WallMillis(); };
  if (options.retry_initial_backoff_ms < 1) options.retry_initial_backoff_ms = 1;
  TRY(options.db->Migrate("streams", 1, kSchemaV1));
  std::unique_ptr<StreamManager> manager(new StreamManager(std::move(options)));
  // Before loading, so that no change another server makes is missed.
  TRY_ASSIGN(manager->watch_, manager->options_.db->Watch(
                                  "streams", [m = manager.get()](const std::string&) {
                                    m->FollowTable();
                                  }));
  TRY(manager->LoadStreams());
  return manager;
}

StreamManager::~StreamManager() {
  watch_.reset();  // waits for a FollowTable under way
  Stop();
}

Status StreamManager::NotRunning(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) {
    return Unavailable(
        fmt::format("delivery stream '{}' takes no records: the server is stopping", name));
  }
  if (changing_.count(name) || streams_.count(name)) {  // the latter: started again just now
    return Unavailable(fmt::format(
        "delivery stream '{}' is stopping, to start again or to go; send the record again", name));
  }
  auto failed = failed_.find(name);
  if (failed == failed_.end()) {
    return NotFound(fmt::format("delivery stream '{}' does not exist", name));
  }
  return FailedPrecondition(fmt::format(
      "delivery stream '{}' did not start, and takes no records until it is mended (updated "
      "with a valid configuration) or deleted: {}",
      name, failed->second.why.message()));
}

Result<uint64_t> StreamManager::EpochForExistingStream(const std::string& name,
                                                       uint64_t table_epoch) {
  // Record ids are the epoch and a sequence number that only the WAL knows: a log that
  // holds nothing numbers from 1 again, and under the same epoch its records would take
  // the ids of records given out before (a moved --wal-dir, a lost directory).
  if (options_.logs) return table_epoch;  // JetStream numbers the records itself
  TRY_ASSIGN(const std::string dir, WalDirOf(name));
  if (!Wal::HoldsNothing(dir)) return table_epoch;
  auto log = Logger("streams");
  if (options_.epoch_salt != 0) {
    // An ingest server does not renew the table's epoch: every server sharing the table
    // would take that for the stream deleted and created again. Its ids stay apart from
    // the other servers' through its salt, which it must renew itself if this WAL has
    // numbered records before.
    log->warn(
        "stream={} starts on a WAL directory that holds nothing dir={}: its records are "
        "numbered from 1 again under this server's epoch salt; if this server gave out "
        "record ids for the stream before (its WAL directory was lost or moved), stop it "
        "and delete its epoch.salt so that it makes a new one",
        name, dir);
    return table_epoch;
  }
  uint64_t epoch = NewEpoch();
  while (epoch == table_epoch) epoch = NewEpoch();
  TRY_ASSIGN(int64_t changed, options_.db->Exec("UPDATE streams SET epoch=? WHERE name=?",
                                                {fmt::format("{:016x}", epoch), name}));
  if (changed != 1) {
    return FailedPrecondition(fmt::format(
        "stream '{}': its row changed while its epoch was renewed; start the server again", name));
  }
  options_.db->Announce("streams", name);
  log->warn(
      "stream={} starts on a WAL directory that holds nothing (no checkpoint, no segment) "
      "dir={}: its records are numbered from 1 again: it takes a fresh epoch {:016x} "
      "(was {:016x}), so that no record id given out before is given again; undelivered "
      "records a moved or lost directory held are not delivered from here",
      name, dir, epoch, table_epoch);
  return epoch;
}

Result<std::string> StreamManager::WalDirOf(std::string_view name) const {
  if (Status valid = ValidateStreamName(name); !valid.ok()) {
    return valid.WithContext("the WAL directory of a stream");
  }
  return options_.wal_dir + "/" + std::string(name);
}

Status StreamManager::RemoveWalDir(const std::string& name, const std::string& dir) const {
  // Whatever the caller holds, nothing but one stream's own directory is removed: one
  // named wrongly would take every stream's records with it (the WAL root, say).
  auto own = WalDirOf(name);
  if (!own.ok() || *own != dir) {
    return FailedPrecondition(
        fmt::format("not removing '{}': it is not the WAL directory of stream '{}' ({})", dir, name,
                    own.ok() ? *own : own.status().message()));
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return IoError(fmt::format("removing WAL directory {}: {}", dir, ec.message()));
  return Status::Ok();
}

Status StreamManager::SetAsideWalDir(const std::string& name, const std::string& why) {
  if (!drainer_) return Status::Ok();
  TRY_ASSIGN(std::string dir, WalDirOf(name));
  return drainer_->SetAside(name, dir, why).WithContext("an old WAL directory of the stream");
}

Status StreamManager::DrainLocal(const std::string& name) {
  std::shared_ptr<DeliveryStream> stream;
  {
    // The one running now: a failed stop may have started it again, or failed it.
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = streams_.find(name); it != streams_.end()) {
      stream = it->second;
      stream->SetAccepting(false);
      streams_.erase(it);
      changing_.insert(name);
    }
    failed_.erase(name);
    StreamsChangedLocked();
  }
  table_epochs_.erase(name);
  // What is not delivered stays in its WAL (no waiting: the delete's flush waited already),
  // which is then delivered from +draining.
  if (stream) (void)stream->Stop(0);
  DropMetrics(name);
  return SetAsideWalDir(name, "deleted by another server while records waited for the lake");
}

void StreamManager::SaveWalStreamFileOf(const std::shared_ptr<DeliveryStream>& stream) {
  if (options_.logs) return;
  WalStreamFile file{stream->config(), stream->epoch(), stream->created_ms()};
  if (Status st = SaveWalStreamFile(stream->wal_dir(), file); !st.ok()) {
    Logger("streams")->error("stream={} {}", stream->name(), st.ToString());
  }
}

std::shared_ptr<StreamMetrics> StreamManager::MetricsFor(const std::string& name) {
  auto& m = metrics_[name];
  if (!m) m = std::make_shared<StreamMetrics>(options_.metrics, name, options_.logs != nullptr);
  return m;
}

void StreamManager::DropMetrics(const std::string& name) {
  auto it = metrics_.find(name);
  if (it == metrics_.end()) return;
  // Out of /metrics; the series themselves live on with the StreamMetrics, which a
  // DeliveryStream still referenced somewhere (a Put's per-thread cache) keeps updating.
  it->second->Unregister();
  metrics_.erase(it);
}

Result<std::shared_ptr<objstore::ObjectStore>> StreamManager::BackupBucketOf(
    const StreamConfig& config) const {
  if (!config.backup.enabled()) return std::shared_ptr<objstore::ObjectStore>();
  auto bucket = options_.lake->Bucket(config.backup.bucket);
  if (!bucket.ok()) return bucket.status().WithContext("backup.bucket");
  return bucket;
}

Result<std::shared_ptr<DeliveryStream>> StreamManager::StartStream(const StreamConfig& config,
                                                                   uint64_t epoch,
                                                                   int64_t created_ms) {
  TRY_ASSIGN(std::string wal_dir, WalDirOf(config.name));
  if (!options_.logs) {
    // Before any record: a WAL whose stream leaves the table is delivered by it.
    TRY(SaveWalStreamFile(wal_dir, WalStreamFile{config, epoch, created_ms}));
  }
  return StartStreamIn(config, epoch, created_ms, wal_dir, MetricsFor(config.name));
}

Status StreamManager::StartSharedWalThreads(DeliveryStreamOptions* o) {
  if (options_.logs) return Status::Ok();
  std::lock_guard<std::mutex> lock(wal_threads_mu_);
  if (!checkpoint_saver_ && options_.wal_checkpoint_interval_ms > 0) {
    TRY_ASSIGN(checkpoint_saver_, DueTasks::Start("walckpt"));
  }
  // Not for logs in memory (tmpfs), which make no spares.
  if (!spare_maker_ && Wal::Preallocates(options_.fsync, o->wal_dir)) {
    TRY_ASSIGN(spare_maker_, DueTasks::Start("walprep"));
  }
  o->wal_checkpoint_saver = checkpoint_saver_;
  o->wal_spare_maker = spare_maker_;
  return Status::Ok();
}

Result<std::shared_ptr<DeliveryStream>> StreamManager::StartStreamIn(
    const StreamConfig& config, uint64_t epoch, int64_t created_ms, const std::string& wal_dir,
    std::shared_ptr<StreamMetrics> metrics) {
  TRY_ASSIGN(auto bucket, options_.lake->Bucket(config.bucket));
  TRY_ASSIGN(auto backup_bucket, BackupBucketOf(config));
  DeliveryStreamOptions o;
  o.config = config;
  o.epoch = epoch;
  o.created_ms = created_ms;
  o.wal_dir = wal_dir;
  o.logs = options_.logs.get();
  o.fsync = options_.fsync;
  o.wal_segment_bytes = options_.wal_segment_bytes;
  o.wal_reuse_budget = reuse_budget_;
  o.wal_commit_delay_us = options_.wal_commit_delay_us;
  o.wal_checkpoint_interval_ms = options_.wal_checkpoint_interval_ms;
  TRY(StartSharedWalThreads(&o));
  o.clock = options_.clock;
  o.retry_window_ms = options_.retry_window_ms;
  o.retry_initial_backoff_ms = options_.retry_initial_backoff_ms;
  o.retry_max_backoff_ms = options_.retry_max_backoff_ms;
  o.max_pending_bytes = options_.max_pending_bytes;
  o.bucket = std::move(bucket);
  o.backup_bucket = std::move(backup_bucket);
  o.metrics = std::move(metrics);
  o.converter = options_.converter;
  if (options_.logs) {
    // With a shared log the stream runs under its row's epoch (LocalEpoch). The database
    // outlives the streams (the manager stops them first).
    o.still_in_table = [db = options_.db, name = config.name, epoch] {
      return StillInTable(db, name, epoch);
    };
  }
  TRY_ASSIGN(auto stream, DeliveryStream::Open(std::move(o)));
  return std::shared_ptr<DeliveryStream>(std::move(stream));
}

Status StreamManager::CheckKeysInBuckets(const StreamConfig& config) const {
  TRY_ASSIGN(auto bucket, options_.lake->Bucket(config.bucket));
  TRY_ASSIGN(auto backup_bucket, BackupBucketOf(config));
  return config.CheckKeysIn(*bucket, backup_bucket.get());
}

Status StreamManager::CheckConversion(const StreamConfig& config) const {
  const FormatConversion& conversion = config.format_conversion;
  if (!conversion.enabled) return Status::Ok();
  if (!options_.converter) {
    return FailedPrecondition("format_conversion: this server has no catalog to convert with");
  }
  return options_.converter->Check(conversion).WithContext("format_conversion");
}

Status StreamManager::Create(const StreamConfig& config) {
  TRY(config.ValidateChange());
  TRY(CheckConversion(config));
  TRY(CheckKeysInBuckets(config));
  std::lock_guard<std::mutex> changes(changes_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return FailedPrecondition("streams are stopped (the server is shutting down)");
  if (streams_.count(config.name)) {
    return AlreadyExists(fmt::format("delivery stream '{}' already exists", config.name));
  }
  if (auto failed = failed_.find(config.name); failed != failed_.end()) {
    return AlreadyExists(fmt::format(
        "delivery stream '{}' already exists (it did not start: {}); update or delete it",
        config.name, failed->second.why.message()));
  }
  // Delete removes the row only after the WAL; what an old WAL still holds is delivered.
  TRY(SetAsideWalDir(config.name, "created again over an old WAL directory"));
  uint64_t epoch = NewEpoch();
  int64_t created = WallMillis();
  // The database decides, not this server's table, which may lag another server's create
  // of the same name (until its change notice arrives).
  TRY_ASSIGN(int64_t added,
             options_.db->Exec("INSERT INTO streams(name, config, epoch, created_ms) "
                               "VALUES(?, ?, ?, ?) ON CONFLICT(name) DO NOTHING",
                               {config.name, ToJson(config).dump(),
                                fmt::format("{:016x}", epoch), created}));
  if (added == 0) {
    return AlreadyExists(fmt::format("delivery stream '{}' already exists", config.name));
  }
  MetricsFor(config.name)->MarkCreated();
  auto stream = StartStream(config, LocalEpoch(epoch), created);
  if (!stream.ok()) {
    (void)options_.db->Exec("DELETE FROM streams WHERE name=?", {config.name});
    // It took no record: its WAL directory goes (or, should it hold one, is delivered).
    (void)SetAsideWalDir(config.name, "its create failed");
    return stream.status();
  }
  streams_[config.name] = std::move(stream).value();
  table_epochs_[config.name] = epoch;
  StreamsChangedLocked();
  options_.db->Announce("streams", config.name);
  Logger("streams")->info("stream created stream={} bucket={} prefix=\"{}\"", config.name,
                          config.bucket, config.prefix);
  return Status::Ok();
}

Status StreamManager::Update(const StreamConfig& config) {
  TRY(config.ValidateChange());
  TRY(CheckConversion(config));
  std::lock_guard<std::mutex> changes(changes_mu_);  // the row and the stream agree
  std::lock_guard<std::mutex> lock(mu_);
  auto it = streams_.find(config.name);
  if (it == streams_.end()) {
    if (auto failed = failed_.find(config.name); failed != failed_.end()) {
      return MendLocked(config, failed->second);
    }
    return NotFound(fmt::format("delivery stream '{}' does not exist", config.name));
  }
  TRY_ASSIGN(auto bucket, options_.lake->Bucket(config.bucket));
  TRY_ASSIGN(auto backup_bucket, BackupBucketOf(config));
  TRY(config.CheckKeysIn(*bucket, backup_bucket.get()));
  StreamConfig before = it->second->config();
  TRY(options_.db
          ->Exec("UPDATE streams SET config=? WHERE name=?", {ToJson(config).dump(), config.name})
          .status());
  if (Status st = it->second->Update(config, std::move(bucket), std::move(backup_bucket));
      !st.ok()) {
    (void)options_.db->Exec("UPDATE streams SET config=? WHERE name=?",
                            {ToJson(before).dump(), config.name});
    return st;
  }
  SaveWalStreamFileOf(it->second);
  options_.db->Announce("streams", config.name);
  Logger("streams")->info("stream updated stream={} bucket={} prefix=\"{}\" buffer_size_mib={} "
                          "buffer_interval_s={} compression={} time_zone={}",
                          config.name, config.bucket, config.prefix, config.buffer_size_mib,
                          config.buffer_interval_s, CompressionName(config.compression),
                          config.time_zone);
  return Status::Ok();
}

Status StreamManager::MendLocked(const StreamConfig& config, FailedStream failed) {
  // The row is rewritten whole (a damaged epoch too: the WAL's records then get ids under
  // the new one), and the stream starts as at a restart, with the records its WAL holds.
  TRY(CheckKeysInBuckets(config));
  auto rows = options_.db->Query("SELECT config, epoch FROM streams WHERE name=?", {config.name});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) {
    return NotFound(fmt::format("delivery stream '{}' does not exist", config.name));
  }
  const std::string before_config = (*rows)[0].Text(0), before_epoch = (*rows)[0].Text(1);
  const uint64_t epoch = failed.table_epoch ? *failed.table_epoch : NewEpoch();
  TRY(options_.db
          ->Exec("UPDATE streams SET config=?, epoch=? WHERE name=?",
                 {ToJson(config).dump(), fmt::format("{:016x}", epoch), config.name})
          .status());
  if (Status st = StartExistingLocked(config.name, config, epoch, failed.created_ms); !st.ok()) {
    (void)options_.db->Exec("UPDATE streams SET config=?, epoch=? WHERE name=?",
                            {before_config, before_epoch, config.name});
    return st.WithContext(fmt::format("delivery stream '{}' not started", config.name));
  }
  options_.db->Announce("streams", config.name);
  Logger("streams")->info("stream started after an update mended it stream={} bucket={}",
                          config.name, config.bucket);
  return Status::Ok();
}

std::vector<StreamConfig> StreamManager::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string_view, StreamConfig> out;
  for (const auto& [name, stream] : streams_) out.emplace(name, stream->config());
  for (const auto& [name, failed] : failed_) out.emplace(name, failed.config);
  std::vector<std::shared_ptr<DeliveryStream>> draining;
  if (drainer_) draining = drainer_->All();
  for (const auto& stream : draining) out.emplace(stream->name(), stream->config());
  std::vector<StreamConfig> list;
  list.reserve(out.size());
  for (auto& [name, config] : out) list.push_back(std::move(config));
  return list;
}

std::shared_ptr<DeliveryStream> StreamManager::Find(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : it->second;
}

Result<StreamDescription> StreamManager::Describe(std::string_view name) const {
  std::shared_ptr<DeliveryStream> stream;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = streams_.find(name); it != streams_.end()) {
      stream = it->second;
    } else if (auto failed = failed_.find(name); failed != failed_.end()) {
      StreamDescription d;
      d.config = failed->second.config;
      d.status = "failed";
      d.created_ms = failed->second.created_ms;
      d.stats.last_error = failed->second.why.message();
      d.stats.last_error_ms = failed->second.since_ms;
      return d;
    }
  }
  if (!stream && drainer_) {
    // Deleted, and still delivering what its WAL held here.
    auto draining = drainer_->Find(std::string(name));
    if (!draining.empty()) {
      StreamDescription d = draining.front()->Describe();
      d.status = "draining";
      return d;
    }
  }
  if (!stream) return NotFound(fmt::format("delivery stream '{}' does not exist", name));
  return stream->Describe();
}

Status StreamManager::DeleteFailed(const std::string& name) {
  // Nothing runs: its WAL (or shared log) and its row go. Its undelivered records with
  // them, as for a running stream whose records the lake never took.
  if (options_.logs) {
    if (Status st = options_.logs->Remove(name); !st.ok()) {
      Logger("streams")->warn("stream={} log not removed from {}: {}", name,
                              options_.logs->Describe(), st.ToString());
    }
  } else if (auto dir = WalDirOf(name); !dir.ok()) {
    Logger("streams")->warn("stream={} has no WAL directory to remove: {}", name,
                            dir.status().ToString());
  } else {
    TRY(SetAsideWalDir(name, "deleted (it had not started)"));
  }
  TRY(options_.db->Exec("DELETE FROM streams WHERE name=?", {name}).status());
  {
    std::lock_guard<std::mutex> lock(mu_);
    failed_.erase(name);
  }
  DropMetrics(name);  // registered if it failed as it started
  options_.db->Announce("streams", name);
  Logger("streams")->info("stream deleted (it had not started) stream={}", name);
  return Status::Ok();
}

Status StreamManager::Delete(std::string_view name) {
  std::lock_guard<std::mutex> changes(changes_mu_);
  ChangeDone done{this};
  auto stream = Find(name);
  if (!stream) {
    // Only a stream that failed to start is deleted without running.
    if (Status why = NotRunning(name); why.code() != ErrorCode::kFailedPrecondition) return why;
    return DeleteFailed(std::string(name));
  }
  TRY(StopAndRemoveLocal(std::string(name), stream, /*remove_shared_log=*/true));
  table_epochs_.erase(std::string(name));
  TRY(options_.db->Exec("DELETE FROM streams WHERE name=?", {std::string(name)}).status());
  options_.db->Announce("streams", name);
  Logger("streams")->info("stream deleted stream={}", name);
  return Status::Ok();
}

Status StreamManager::StopAndRemoveLocal(const std::string& name,
                                         const std::shared_ptr<DeliveryStream>& stream,
                                         bool remove_shared_log) {
  stream->SetAccepting(false);
  bool intake_closed = false;  // every server's, by this delete (undone if it fails)
  if (options_.logs && remove_shared_log) {
    // The shared log holds other servers' acknowledged records too: every server's intake
    // is closed and the log drained by this server before it may go.
    // Held closed for as long as this delete may take (its drain, flush and stop wait up
    // to the stop timeout each), and a minute for the servers' clocks to differ: past
    // that, the other servers open it again (the server deleting it stopped half-way).
    const int64_t hold_ms = 3 * options_.stop_timeout_ms + 60'000;
    Status closed = options_.logs->CloseIntake(name, hold_ms);
    if (!closed.ok() && closed.code() != ErrorCode::kNotFound) {
      stream->SetAccepting(true);
      return Unavailable(
          fmt::format("delivery stream '{}' not deleted: {}", name, closed.message()));
    }
    if (!closed.ok()) {
      // Gone already (lost, or another server deleted it): nothing is left in it to
      // deliver. It may be held closed and empty until the delete is done.
      intake_closed = true;
    } else if (Status drained = stream->DrainShared(options_.stop_timeout_ms); !drained.ok()) {
      return Unavailable(fmt::format("delivery stream '{}' not deleted, nothing removed: {}{}",
                                     name, drained.message(), UndoCloseIntake(name, stream, true)));
    } else {
      intake_closed = true;
    }
  }
  if (Status flushed = stream->Flush(options_.stop_timeout_ms); !flushed.ok()) {
    return Unavailable(fmt::format("delivery stream '{}' not deleted: {}{}", name,
                                   flushed.message(),
                                   UndoCloseIntake(name, stream, intake_closed)));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    streams_.erase(name);
    changing_.insert(name);
    StreamsChangedLocked();
  }
  if (Status stopped = stream->Stop(options_.stop_timeout_ms); !stopped.ok()) {
    // A record put while the flush above ran is still in the log, undelivered (the lake
    // failed it since): the stream starts again from its log and is not deleted.
    auto epoch = table_epochs_.find(name);  // under changes_mu_, as every caller holds it
    auto again =
        epoch == table_epochs_.end()
            ? Result<std::shared_ptr<DeliveryStream>>(Internal("the stream's epoch is not known"))
            : StartStream(stream->config(), LocalEpoch(epoch->second), stream->created_ms());
    const bool restarted = again.ok();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (restarted) {
        streams_[name] = std::move(again).value();
        StreamsChangedLocked();
      } else {
        Logger("streams")->error(
            "stream={} stopped with undelivered records and not started "
            "again: {}; they are delivered when the server starts",
            name, again.status().ToString());
        MarkFailedLocked(name, stream->config(),
                         epoch == table_epochs_.end() ? std::nullopt : std::optional(epoch->second),
                         stream->created_ms(), again.status());
      }
    }
    // Started again or not, the shared log this delete held closed is opened to records
    // (JetStreamLogs::Open leaves a log held closed by a delete as it is).
    return Unavailable(fmt::format("delivery stream '{}' not deleted: {}{}", name,
                                   stopped.message(),
                                   UndoCloseIntake(name, nullptr, intake_closed)));
  }
  if (options_.logs) {
    if (remove_shared_log) {
      if (Status st = options_.logs->Remove(std::string(name)); !st.ok()) {
        Logger("streams")->warn("stream={} log not removed from {}: {}", name,
                                options_.logs->Describe(), st.ToString());
      }
    }
  } else if (Status removed = RemoveWalDir(name, stream->wal_dir()); !removed.ok()) {
    Logger("streams")->warn("stream={} WAL directory not removed dir={}: {}", name,
                            stream->wal_dir(), removed.ToString());
  }
  DropMetrics(name);
  return Status::Ok();
}

std::string StreamManager::UndoCloseIntake(const std::string& name,
                                           const std::shared_ptr<DeliveryStream>& stream,
                                           bool intake_closed) {
  std::string outcome;
  if (intake_closed) {
    // Closed by this delete, or made closed here while it was lost: open to records again,
    // with whatever it holds (a server may have opened it meanwhile and taken records).
    Status reopened = options_.logs->ReopenIntake(name);
    outcome = reopened.ok() ? "; it takes records again"
                            : "; and it could not take records again: " + reopened.message();
  }
  if (stream) stream->SetAccepting(true);
  return outcome;
}

void StreamManager::StreamsChangedLocked() {
  generation_.store(NextProcessUniqueId(), std::memory_order_release);
}

const std::shared_ptr<DeliveryStream>& StreamManager::FindForPut(std::string_view stream) const {
  // The rules engine puts every matching message from each connection's thread: the
  // stream found last is kept per thread while the streams stay as they were, so the
  // lock and the shared count are not touched per record. A stream deleted meanwhile
  // refuses the record itself (it stops accepting before it leaves the map).
  struct LastFound {
    uint64_t generation = 0;
    std::string name;
    std::shared_ptr<DeliveryStream> stream;
  };
  thread_local LastFound last;
  uint64_t generation = generation_.load(std::memory_order_acquire);
  if (last.generation != generation || last.name != stream) {
    last.stream = Find(stream);
    last.name = stream;
    last.generation = generation;
  }
  return last.stream;
}

void StreamManager::Put(std::string_view stream, std::string_view record, int64_t arrival_ms,
                        rules::RecordDone done) {
  const std::shared_ptr<DeliveryStream>& s = FindForPut(stream);
  if (!s) {
    done(NotRunning(stream), 0);
    return;
  }
  s->Put(record, arrival_ms, std::move(done));
}

void StreamManager::PutAll(std::string_view stream, const std::vector<std::string>& records,
                           int64_t arrival_ms, rules::RecordDone done) {
  const std::shared_ptr<DeliveryStream>& s = FindForPut(stream);
  if (!s) {
    done(NotRunning(stream), 0);
    return;
  }
  s->PutAll(records, arrival_ms, std::move(done));
}

void StreamManager::PutRecord(
    std::string_view stream, std::string_view record,
    std::function<void(const Status&, const std::string& record_id)> done) {
  auto s = Find(stream);
  if (!s) {
    done(NotRunning(stream), "");
    return;
  }
  // The epoch as the record is numbered, not as it is put: a shared log made again
  // meanwhile numbers it under its new one. `s` is alive while its records are answered
  // OK (Stop waits for them).
  s->Put(record, [done = std::move(done), stream = s.get()](const Status& st, uint64_t seq) {
    done(st, st.ok() ? RecordId(stream->epoch(), seq) : std::string());
  });
}

void StreamManager::PutRecordBatch(std::string_view stream, std::vector<std::string> records,
                                   std::function<void(std::vector<PutRecordResult>)> done) {
  if (records.empty()) {
    done({});
    return;
  }
  struct Batch {
    std::mutex mu;
    std::vector<PutRecordResult> results;
    size_t left;
    std::function<void(std::vector<PutRecordResult>)> done;
  };
  auto batch = std::make_shared<Batch>();
  batch->results.resize(records.size());
  batch->left = records.size();
  batch->done = std::move(done);
  // The records reach the stream's log together when this closes: one append (one
  // JetStream message) instead of one per record.
  CompletionBatch together;
  for (size_t i = 0; i < records.size(); ++i) {
    PutRecord(stream, records[i], [batch, i](const Status& s, const std::string& id) {
      bool last;
      {
        std::lock_guard<std::mutex> lock(batch->mu);
        batch->results[i] = {s, id};
        last = --batch->left == 0;
      }
      if (last) batch->done(std::move(batch->results));
    });
  }
}

std::vector<PutRecordResult> StreamManager::PutRecordBatch(std::string_view stream,
                                                           std::vector<std::string> records) {
  std::promise<std::vector<PutRecordResult>> promise;
  auto future = promise.get_future();
  PutRecordBatch(stream, std::move(records),
                 [&promise](std::vector<PutRecordResult> r) { promise.set_value(std::move(r)); });
  return future.get();
}

Status StreamManager::Flush(std::string_view name) {
  auto stream = Find(name);
  if (!stream) return NotRunning(name);
  return stream->Flush(options_.stop_timeout_ms);
}

void StreamManager::Stop() {
  std::map<std::string, std::shared_ptr<DeliveryStream>, std::less<>> streams;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    streams.swap(streams_);
    StreamsChangedLocked();
  }
  StopInParallel(streams, options_.stop_timeout_ms);
  if (drainer_) drainer_->Stop();
}

}  // namespace tributary::streams
