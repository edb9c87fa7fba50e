// ServerDirectory: the servers of a deployment, as each reports itself. Every server
// writes a row of its own into the metadata database (table `deployment_servers`) when
// it starts, every `interval_ms` after that (a heartbeat: its role, host, ports,
// version and broker counters, with the message rates since its last beat), and once
// more when it stops. So any server sharing the database (a control server and its
// ingest servers on PostgreSQL, docs/scaling.md) can list them all; on SQLite the list
// holds the one server.
//
// A row's status is read from it: `stopped` if the server said so on its way out,
// `unresponsive` if its last beat is older than three of its intervals (killed, hung, or
// cut off from the database), otherwise `running`. A stopped or unresponsive server stays
// listed until it starts again (same data directory, same id) or is forgotten.
//
// A server's id is a UUID kept in <data-dir>/server.id, made at its first start.
//
// Thread-safety: List and Forget from any thread; the beats run on a thread of their own.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"

namespace tributary::metadata { class Database; }
namespace tributary { class MetricsRegistry; class Gauge; }

namespace tributary::app {

// What a server says of itself at each beat.
struct ServerReport {
  std::string role;             // "all" or "ingest"
  std::string host;             // the machine's host name
  std::string advertised_host;  // the name devices use (--advertised-host)
  std::string version;
  int http_port = -1;
  int https_port = -1;
  int mqtt_tls_port = -1;
  int mqtt_ws_port = -1;
  int mqtt_port = -1;
  int64_t connections = 0;
  int64_t sessions = 0;
  int64_t messages_received = 0;
  int64_t messages_sent = 0;
  // The NATS bridge to the other servers' brokers: null without one.
  std::optional<bool> bridge_connected;
};

struct ServerEntry {
  std::string id;
  ServerReport report;
  int64_t started_ms = 0;
  int64_t seen_ms = 0;     // its last beat
  int64_t stopped_ms = 0;  // 0: it has not said it stopped
  int64_t interval_ms = 0;
  double received_per_s = 0;  // between its last two beats
  double sent_per_s = 0;
  std::string status;  // "running", "stopped" or "unresponsive"
  bool self = false;   // the server answering
};

class ServerDirectory {
 public:
  struct Options {
    std::string id;  // LoadOrCreateServerId
    int64_t started_ms = 0;
    int64_t interval_ms = 5000;
    std::function<int64_t()> now;  // wall-clock milliseconds; WallMillis when empty
    // Gauge tributary_deployment_servers{status} (how many servers of the deployment are
    // running, stopped, unresponsive), set at each beat; none when null.
    MetricsRegistry* metrics = nullptr;
  };
  using ReportFn = std::function<ServerReport()>;

  // Creates the table if needed, writes the first beat (so the server is listed once
  // this returns) and starts the beats.
  static Result<std::unique_ptr<ServerDirectory>> Open(metadata::Database* db, Options options,
                                                       ReportFn report);
  // Stop().
  ~ServerDirectory();
  ServerDirectory(const ServerDirectory&) = delete;
  ServerDirectory& operator=(const ServerDirectory&) = delete;

  // Ends the beats and writes the last one, marked stopped. Idempotent.
  void Stop();

  // Every server of the deployment, this one first, then by start time.
  Result<std::vector<ServerEntry>> List() const;
  // Removes a server that is stopped or unresponsive from the list: NotFound if there is
  // none of that id, FailedPrecondition if it is running (it would be listed again at its
  // next beat) or is this server.
  Status Forget(const std::string& id);

  // One beat now (what the thread does every interval: the report, then the gauges);
  // for tests.
  Status Beat();

  const std::string& id() const { return options_.id; }

 private:
  ServerDirectory(metadata::Database* db, Options options, ReportFn report);
  Status Write(bool stopping);
  // Sets the gauges from List().
  void Count();
  void Loop();
  int64_t Now() const;

  metadata::Database* const db_;
  const Options options_;
  const ReportFn report_;

  std::mutex beat_mu_;  // one beat at a time; guards the last counters
  int64_t last_beat_ms_ = 0;
  int64_t last_received_ = 0;
  int64_t last_sent_ = 0;
  Gauge* running_gauge_ = nullptr;
  Gauge* stopped_gauge_ = nullptr;
  Gauge* unresponsive_gauge_ = nullptr;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

// The id in <data-dir>/server.id, made (a random UUID) and saved at the first call.
Result<std::string> LoadOrCreateServerId(const std::string& data_dir);

}  // namespace tributary::app
