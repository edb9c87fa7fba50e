#include "app/server_directory.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "base/clock.h"
#include "base/files.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/start_thread.h"
#include "metadata/database.h"

namespace tributary::app {

namespace {

using metadata::Value;

constexpr char kSchemaV1[] = R"sql(
CREATE TABLE deployment_servers(
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  host TEXT NOT NULL,
  advertised_host TEXT NOT NULL,
  version TEXT NOT NULL,
  http_port INTEGER NOT NULL,
  mqtt_tls_port INTEGER NOT NULL,
  mqtt_ws_port INTEGER NOT NULL,
  mqtt_port INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  seen_ms INTEGER NOT NULL,
  stopped_ms INTEGER NOT NULL,
  interval_ms INTEGER NOT NULL,
  connections INTEGER NOT NULL,
  sessions INTEGER NOT NULL,
  messages_received INTEGER NOT NULL,
  messages_sent INTEGER NOT NULL,
  received_per_s REAL NOT NULL,
  sent_per_s REAL NOT NULL,
  bridge_connected INTEGER
);
)sql";

// The HTTP API over TLS (https_port; -1 when off, and for rows written before).
constexpr char kSchemaV2[] = R"sql(
ALTER TABLE deployment_servers ADD COLUMN https_port INTEGER NOT NULL DEFAULT -1;
)sql";

// A beat older than this many of the server's intervals: it is not beating any more.
constexpr int64_t kMissedBeats = 3;

std::string StatusOf(const ServerEntry& e, int64_t now_ms) {
  if (e.stopped_ms > 0) return "stopped";
  if (now_ms - e.seen_ms > kMissedBeats * std::max<int64_t>(e.interval_ms, 1)) return "unresponsive";
  return "running";
}

}  // namespace

ServerDirectory::ServerDirectory(metadata::Database* db, Options options, ReportFn report)
    : db_(db), options_(std::move(options)), report_(std::move(report)) {
  if (MetricsRegistry* m = options_.metrics) {
    const std::string help = "Servers of the deployment (sharing this metadata database) by status";
    running_gauge_ = m->NewGauge("tributary_deployment_servers", help, {{"status", "running"}});
    stopped_gauge_ = m->NewGauge("tributary_deployment_servers", help, {{"status", "stopped"}});
    unresponsive_gauge_ = m->NewGauge("tributary_deployment_servers", help, {{"status", "unresponsive"}});
  }
}

Result<std::unique_ptr<ServerDirectory>> ServerDirectory::Open(metadata::Database* db, Options options,
                                                               ReportFn report) {
  if (options.id.empty()) return InvalidArgument("server directory: the server's id is empty");
  if (options.interval_ms <= 0) return InvalidArgument("server directory: the beat interval must be positive");
  TRY(db->Migrate("deployment", 1, kSchemaV1));
  TRY(db->Migrate("deployment", 2, kSchemaV2));
  std::unique_ptr<ServerDirectory> dir(new ServerDirectory(db, std::move(options), std::move(report)));
  TRY(dir->Beat());
  ServerDirectory* d = dir.get();
  TRY_ASSIGN(dir->thread_, StartThread("server-beat", [d] { d->Loop(); }));
  return dir;
}

ServerDirectory::~ServerDirectory() { Stop(); }

int64_t ServerDirectory::Now() const { return options_.now ? options_.now() : WallMillis(); }

void ServerDirectory::Loop() {
  bool failing = false;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (cv_.wait_for(lock, std::chrono::milliseconds(options_.interval_ms), [this] { return stopping_; })) break;
    lock.unlock();
    Status s = Beat();
    // A database that is away is reported once, and its return once.
    if (!s.ok() && !failing) {
      Logger("server")->warn("server directory: heartbeat not written (retried every {} ms): {}",
                             options_.interval_ms, s.ToString());
    } else if (s.ok() && failing) {
      Logger("server")->info("server directory: heartbeat written again");
    }
    failing = !s.ok();
    lock.lock();
  }
}

void ServerDirectory::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (Status s = Write(true); !s.ok()) {
    Logger("server")->warn("server directory: could not record that this server stopped: {}", s.ToString());
  }
}

Status ServerDirectory::Beat() {
  TRY(Write(false));
  Count();
  return Status::Ok();
}

void ServerDirectory::Count() {
  if (!running_gauge_) return;
  auto list = List();
  if (!list.ok()) return;  // as the report: the next beat tries again
  int64_t running = 0, stopped = 0, unresponsive = 0;
  for (const ServerEntry& e : *list) {
    if (e.status == "running") ++running;
    else if (e.status == "stopped") ++stopped;
    else ++unresponsive;
  }
  running_gauge_->Set(running);
  stopped_gauge_->Set(stopped);
  unresponsive_gauge_->Set(unresponsive);
}

Status ServerDirectory::Write(bool stopping) {
  std::lock_guard<std::mutex> lock(beat_mu_);
  ServerReport r = report_ ? report_() : ServerReport{};
  const int64_t now = Now();
  // Rates since the last beat; none at the first, or after the counters went back.
  double received_per_s = 0, sent_per_s = 0;
  if (last_beat_ms_ > 0 && now > last_beat_ms_ && r.messages_received >= last_received_ &&
      r.messages_sent >= last_sent_) {
    double seconds = double(now - last_beat_ms_) / 1000.0;
    received_per_s = double(r.messages_received - last_received_) / seconds;
    sent_per_s = double(r.messages_sent - last_sent_) / seconds;
  }
  Value bridge;
  if (r.bridge_connected) bridge = int64_t(*r.bridge_connected ? 1 : 0);
  TRY(db_->Exec(
             "INSERT INTO deployment_servers(id, role, host, advertised_host, version, http_port, "
             "mqtt_tls_port, mqtt_ws_port, mqtt_port, started_ms, seen_ms, stopped_ms, interval_ms, "
             "connections, sessions, messages_received, messages_sent, received_per_s, sent_per_s, "
             "bridge_connected, https_port) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
             "ON CONFLICT(id) DO UPDATE SET role=excluded.role, host=excluded.host, "
             "advertised_host=excluded.advertised_host, version=excluded.version, "
             "http_port=excluded.http_port, mqtt_tls_port=excluded.mqtt_tls_port, "
             "mqtt_ws_port=excluded.mqtt_ws_port, mqtt_port=excluded.mqtt_port, "
             "started_ms=excluded.started_ms, seen_ms=excluded.seen_ms, "
             "stopped_ms=excluded.stopped_ms, interval_ms=excluded.interval_ms, "
             "connections=excluded.connections, sessions=excluded.sessions, "
             "messages_received=excluded.messages_received, messages_sent=excluded.messages_sent, "
             "received_per_s=excluded.received_per_s, sent_per_s=excluded.sent_per_s, "
             "bridge_connected=excluded.bridge_connected, https_port=excluded.https_port",
             {Value(options_.id), Value(r.role), Value(r.host), Value(r.advertised_host),
              Value(r.version), Value(int64_t(r.http_port)), Value(int64_t(r.mqtt_tls_port)),
              Value(int64_t(r.mqtt_ws_port)), Value(int64_t(r.mqtt_port)), Value(options_.started_ms),
              Value(now), Value(stopping ? now : int64_t(0)), Value(options_.interval_ms),
              Value(r.connections), Value(r.sessions), Value(r.messages_received),
              Value(r.messages_sent), Value(received_per_s), Value(sent_per_s), bridge,
              Value(int64_t(r.https_port))})
          .status());
  last_beat_ms_ = now;
  last_received_ = r.messages_received;
  last_sent_ = r.messages_sent;
  return Status::Ok();
}

Result<std::vector<ServerEntry>> ServerDirectory::List() const {
  TRY_ASSIGN(auto rows,
             db_->Query("SELECT id, role, host, advertised_host, version, http_port, mqtt_tls_port, "
                        "mqtt_ws_port, mqtt_port, started_ms, seen_ms, stopped_ms, interval_ms, "
                        "connections, sessions, messages_received, messages_sent, received_per_s, "
                        "sent_per_s, bridge_connected, https_port FROM deployment_servers"));
  const int64_t now = Now();
  std::vector<ServerEntry> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    ServerEntry e;
    e.id = row.Text(0);
    e.report.role = row.Text(1);
    e.report.host = row.Text(2);
    e.report.advertised_host = row.Text(3);
    e.report.version = row.Text(4);
    e.report.http_port = int(row.Int(5));
    e.report.mqtt_tls_port = int(row.Int(6));
    e.report.mqtt_ws_port = int(row.Int(7));
    e.report.mqtt_port = int(row.Int(8));
    e.started_ms = row.Int(9);
    e.seen_ms = row.Int(10);
    e.stopped_ms = row.Int(11);
    e.interval_ms = row.Int(12);
    e.report.connections = row.Int(13);
    e.report.sessions = row.Int(14);
    e.report.messages_received = row.Int(15);
    e.report.messages_sent = row.Int(16);
    e.received_per_s = row.Double(17);
    e.sent_per_s = row.Double(18);
    if (!row.IsNull(19)) e.report.bridge_connected = row.Int(19) != 0;
    e.report.https_port = int(row.Int(20));
    e.self = e.id == options_.id;
    e.status = StatusOf(e, now);
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const ServerEntry& a, const ServerEntry& b) {
    if (a.self != b.self) return a.self;
    if (a.started_ms != b.started_ms) return a.started_ms < b.started_ms;
    return a.id < b.id;
  });
  return out;
}

Status ServerDirectory::Forget(const std::string& id) {
  if (id == options_.id) {
    return FailedPrecondition("server " + id + " is this server: it cannot forget itself");
  }
  return db_->Transaction([&]() -> Status {
    TRY_ASSIGN(auto rows, db_->Query("SELECT seen_ms, stopped_ms, interval_ms FROM deployment_servers "
                                     "WHERE id=?",
                                     {Value(id)}));
    if (rows.empty()) return NotFound("no server " + id + " in this deployment's list");
    ServerEntry e;
    e.seen_ms = rows[0].Int(0);
    e.stopped_ms = rows[0].Int(1);
    e.interval_ms = rows[0].Int(2);
    const int64_t now = Now();
    if (StatusOf(e, now) == "running") {
      return FailedPrecondition(fmt::format(
          "server {} is running (its last heartbeat was {} ms ago): stop it first, or it is "
          "listed again at its next heartbeat",
          id, now - e.seen_ms));
    }
    TRY(db_->Exec("DELETE FROM deployment_servers WHERE id=?", {Value(id)}).status());
    return Status::Ok();
  });
}

Result<std::string> LoadOrCreateServerId(const std::string& data_dir) {
  const std::string path = data_dir + "/server.id";
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    TRY_ASSIGN(std::string text, ReadFile(path));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    bool ok = !text.empty() && text.size() <= 64 &&
              text.find_first_not_of("0123456789abcdefABCDEF-") == std::string::npos;
    if (!ok) {
      return DataLoss(fmt::format("{} must hold this server's id (a UUID, as made at its first "
                                  "start); restore it, or delete it to give the server a new id",
                                  path));
    }
    return text;
  }
  std::string id = NewUuid();
  TRY(WriteFileAtomic(path, id + "\n", 0644));
  return id;
}

}  // namespace tributary::app
