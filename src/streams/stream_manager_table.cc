// StreamManager's side of the streams table: reading its rows at start, and following the
// changes other servers sharing the table make to it.
#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/log.h"
#include "streams/delivery_stream.h"
#include "streams/stream_manager.h"
#include "streams/wal_drainer.h"

namespace tributary::streams {

namespace fs = std::filesystem;

namespace {

// One row of the streams table, read. A row that does not read, or whose config does not
// pass the checks Create makes of it (Validate), has `problem` set: its stream is not
// started and shows as failed, and the other streams run (one damaged row must not keep
// the server down).
struct StreamRow {
  StreamConfig config;  // as far as the row reads; its name at least
  uint64_t epoch = 0;
  bool epoch_read = false;
  int64_t created_ms = 0;
  Status problem;  // DataLoss saying what is wrong with the row
};

StreamRow ReadStreamRow(const metadata::Row& row) {
  StreamRow r;
  const std::string name = row.Text(0);
  r.config.name = name;
  r.created_ms = row.Int(3);
  const std::string epoch = row.Text(2);
  const char* epoch_end = epoch.data() + epoch.size();
  auto [end, ec] = std::from_chars(epoch.data(), epoch_end, r.epoch, 16);
  r.epoch_read = epoch.size() == 16 && ec == std::errc() && end == epoch_end;
  auto damaged = [&](const std::string& what) {
    r.problem = DataLoss("its row in the streams table " + what);
    return r;
  };
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(row.Text(1));
  } catch (const std::exception& e) {
    return damaged(fmt::format("holds a config that is not JSON: {}", e.what()));
  }
  // An unknown key (one a newer version wrote, say) is refused like any other error: the
  // stream would otherwise run without a setting it was given.
  auto config = StreamConfigFromJson(json);
  if (!config.ok()) {
    return damaged("holds a config that does not read: " + config.status().message());
  }
  // The row's name (the primary key) is the stream's: streams are found, and their WALs
  // placed and removed, by it. A config without one takes it; one naming another stream
  // is a damaged row.
  if (config->name.empty()) config->name = name;
  if (config->name != name) {
    return damaged(fmt::format("holds the config of a stream named '{}'", config->name));
  }
  r.config = std::move(config).value();
  if (Status valid = r.config.Validate(); !valid.ok()) {
    return damaged("holds a config that is not valid: " + valid.message());
  }
  if (!r.epoch_read) {
    return damaged(fmt::format("holds an epoch '{}' that is not 16 hex digits", epoch));
  }
  return r;
}

// Every row, read; an error only if the table cannot be queried.
Result<std::map<std::string, StreamRow>> ReadStreamsTable(metadata::Database* db) {
  TRY_ASSIGN(auto rows,
             db->Query("SELECT name, config, epoch, created_ms FROM streams ORDER BY name"));
  std::map<std::string, StreamRow> out;
  for (const auto& row : rows) out.emplace(row.Text(0), ReadStreamRow(row));
  return out;
}

}  // namespace

Status StreamManager::LoadStreams() {
  std::lock_guard<std::mutex> changes(changes_mu_);
  TRY_ASSIGN(auto rows, ReadStreamsTable(options_.db));
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> table;
  for (auto& [name, row] : rows) {
    table.insert(name);
    Status st = row.problem;
    if (st.ok()) st = StartExistingLocked(name, row.config, row.epoch, row.created_ms);
    if (!st.ok()) {
      MarkFailedLocked(name, row.config, row.epoch_read ? std::optional(row.epoch) : std::nullopt,
                       row.created_ms, st);
    }
  }
  if (drainer_) {
    drainer_->ResumeAll();
    SetAsideOrphanWalDirs(table);
  }
  return Status::Ok();
}

void StreamManager::SetAsideOrphanWalDirs(const std::set<std::string>& table) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(options_.wal_dir, ec)) {
    const std::string name = entry.path().filename().string();
    // Not a stream's (+draining, say), or a stream of the table's.
    if (!entry.is_directory(ec) || !ValidateStreamName(name).ok() || table.count(name)) continue;
    names.push_back(name);
  }
  for (const std::string& name : names) {
    if (Status st = SetAsideWalDir(name,
                                   "is not in the streams table (deleted while this server "
                                   "was down, or while its records waited for the lake)");
        !st.ok()) {
      Logger("streams")->error("stream={} WAL directory left as it is: {}", name, st.ToString());
    }
  }
}

Status StreamManager::StartExistingLocked(const std::string& name, const StreamConfig& config,
                                          uint64_t table_epoch, int64_t created_ms) {
  TRY_ASSIGN(uint64_t epoch, EpochForExistingStream(name, table_epoch));
  TRY_ASSIGN(auto stream, StartStream(config, LocalEpoch(epoch), created_ms));
  streams_[name] = std::move(stream);
  table_epochs_[name] = epoch;
  failed_.erase(name);
  StreamsChangedLocked();
  return Status::Ok();
}

void StreamManager::MarkFailedLocked(const std::string& name, const StreamConfig& config,
                                     std::optional<uint64_t> table_epoch, int64_t created_ms,
                                     const Status& why) {
  failed_[name] = FailedStream{config, table_epoch, created_ms, why, WallMillis()};
  auto dir = WalDirOf(name);
  Logger("streams")->error(
      "stream={} not started: {}; its WAL is left as it is ({}); the other streams run. Update "
      "it with a whole valid configuration to start it with the records its WAL holds, or "
      "delete it",
      name, why.ToString(),
      options_.logs ? options_.logs->Describe()
      : dir.ok()    ? "dir=" + *dir
                    : "it has no WAL directory: its name is not a stream's");
}

Status StreamManager::StillInTable(metadata::Database* db, const std::string& name,
                                   uint64_t table_epoch) {
  TRY_ASSIGN(auto rows, db->Query("SELECT epoch FROM streams WHERE name=?", {name}));
  if (rows.empty()) {
    return NotFound(fmt::format("delivery stream '{}' is no longer in the streams table", name));
  }
  const std::string epoch = rows[0].Text(0);
  uint64_t row_epoch = 0;
  auto [end, ec] = std::from_chars(epoch.data(), epoch.data() + epoch.size(), row_epoch, 16);
  if (ec != std::errc() || end != epoch.data() + epoch.size() || row_epoch != table_epoch) {
    return FailedPrecondition(fmt::format(
        "delivery stream '{}' was deleted and created again (its row's epoch is {}, this "
        "server runs it under {:016x})",
        name, epoch, table_epoch));
  }
  return Status::Ok();
}

void StreamManager::FollowTable() {
  auto log = Logger("streams");
  std::lock_guard<std::mutex> changes(changes_mu_);
  ChangeDone done{this};
  auto rows = ReadStreamsTable(options_.db);
  if (!rows.ok()) {
    log->error("streams not re-read after a change on another server: {}",
               rows.status().ToString());
    return;
  }
  std::map<std::string, std::shared_ptr<DeliveryStream>, std::less<>> running;
  std::vector<std::string> failed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    running = streams_;
    for (const auto& [name, f] : failed_) failed.push_back(name);
  }
  // Gone, or deleted and created again (another epoch): stopped here.
  for (const auto& [name, stream] : running) {
    auto row = rows->find(name);
    if (row != rows->end() && !row->second.problem.ok()) {
      log->error(
          "stream={} keeps running here as it was: its row, changed by another server, "
          "does not read here: {}",
          name, row->second.problem.ToString());
      continue;
    }
    if (row != rows->end() && row->second.epoch == table_epochs_[name]) continue;
    if (Status st = StopAndRemoveLocal(name, stream, /*remove_shared_log=*/false); !st.ok()) {
      if (drainer_) {
        // Its undelivered records are owed to the lake whatever the table says.
        if (Status drained = DrainLocal(name); !drained.ok()) {
          log->error("stream={} deleted by another server, its WAL not set aside: {}", name,
                     drained.ToString());
        }
        continue;
      }
      log->error("stream={} deleted by another server but still running here: {}", name,
                 st.ToString());
      continue;
    }
    table_epochs_.erase(name);
    log->info("stream stopped here after another server deleted it stream={}", name);
  }
  // Failed here and deleted by another server: its WAL goes, as a running one's would.
  for (const std::string& name : failed) {
    if (rows->count(name)) continue;
    if (!options_.logs && ValidateStreamName(name).ok()) {
      if (Status st = SetAsideWalDir(name, "deleted by another server (it had not started here)");
          !st.ok()) {
        log->warn("stream={} WAL directory not set aside: {}", name, st.ToString());
      }
    }
    DropMetrics(name);
    std::lock_guard<std::mutex> lock(mu_);
    failed_.erase(name);
    log->info(
        "stream forgotten here (it had not started) after another server deleted it "
        "stream={}",
        name);
  }
  for (const auto& [name, row] : *rows) {
    auto it = running.find(name);
    if (it != running.end() && table_epochs_.count(name)) {
      if (!row.problem.ok() || ToJson(it->second->config()) == ToJson(row.config)) continue;
      auto bucket = options_.lake->Bucket(row.config.bucket);
      auto backup_bucket = BackupBucketOf(row.config);
      Status st = !bucket.ok()          ? bucket.status()
                  : !backup_bucket.ok() ? backup_bucket.status()
                                        : it->second->Update(row.config, std::move(bucket).value(),
                                                             std::move(backup_bucket).value());
      if (st.ok()) {
        SaveWalStreamFileOf(it->second);
        log->info("stream updated after a change on another server stream={}", name);
      } else {
        log->error("stream={} not updated as another server asked: {}", name, st.ToString());
      }
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    if (streams_.count(name)) continue;  // stopping it failed: it keeps running as it was
    const std::optional<uint64_t> row_epoch =
        row.epoch_read ? std::optional(row.epoch) : std::nullopt;
    auto was_failed = failed_.find(name);
    if (!row.problem.ok()) {
      // Still failing, or created by another server with a row that does not read here:
      // its WAL, if it has one, is left alone.
      if (was_failed != failed_.end() &&
          was_failed->second.why.ToString() == row.problem.ToString() &&
          was_failed->second.table_epoch == row_epoch) {
        continue;
      }
      MarkFailedLocked(name, row.config, row_epoch, row.created_ms, row.problem);
      continue;
    }
    if (was_failed != failed_.end() &&
        (!was_failed->second.table_epoch || was_failed->second.table_epoch == row_epoch)) {
      // Mended by another server: it starts with the records its WAL kept. (Another epoch
      // is another stream: deleted and created again, its old WAL goes below.)
      if (Status st = StartExistingLocked(name, row.config, row.epoch, row.created_ms); !st.ok()) {
        MarkFailedLocked(name, row.config, row_epoch, row.created_ms, st);
        continue;
      }
      log->info("stream started here after another server mended it stream={} bucket={}", name,
                row.config.bucket);
      continue;
    }
    Status st = SetAsideWalDir(name, "created again by another server");
    MetricsFor(name)->MarkCreated();
    auto stream = st.ok() ? StartStream(row.config, LocalEpoch(row.epoch), row.created_ms)
                          : Result<std::shared_ptr<DeliveryStream>>(st);
    if (!stream.ok()) {
      log->error("stream={} created by another server not started here: {}", name,
                 stream.status().ToString());
      MarkFailedLocked(name, row.config, row_epoch, row.created_ms, stream.status());
      continue;
    }
    streams_[name] = std::move(stream).value();
    table_epochs_[name] = row.epoch;
    failed_.erase(name);
    StreamsChangedLocked();
    log->info("stream started here after another server created it stream={} bucket={}", name,
              row.config.bucket);
  }
}

}  // namespace tributary::streams
