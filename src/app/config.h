// The server's configuration: defaults, then the JSON config file (--config), then
// command-line flags, each overriding the one before. docs/configuration.md lists
// every key.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::app {

struct ServerConfig {
  std::string data_dir = "./tributary-data";
  std::string bind_address = "0.0.0.0";  // the TLS listeners, HTTPS and plain MQTT
  // Plain HTTP carries the admin token and every body unencrypted: loopback only unless
  // told otherwise. Past this machine the API is https_port's.
  std::string http_bind_address = "127.0.0.1";
  int http_port = 8080;
  int https_port = 8444;  // the HTTP API over TLS, the server's certificate; -1 off
  // Both HTTP listeners close a connection whose request header takes longer than this, or
  // whose body stops coming for this long (each part that arrives starts it again), seconds.
  int http_idle_timeout_s = 60;
  int mqtt_tls_port = 8883;
  int mqtt_ws_port = 8443;
  int mqtt_port = -1;             // plain MQTT; -1 = off
  bool allow_anonymous = false;   // local testing only
  std::string log_level = "info";
  int threads = 0;                // io threads; 0 = one per core
  uint32_t max_payload_bytes = 128 * 1024;
  // What MQTT clients can make the broker hold (broker/broker.h, BrokerOptions). The
  // connections the MQTT listeners hold at once, handshakes included: 0 = 3/8 of the
  // process's open-file limit; from one address: 0 = no cap (a fleet behind one NAT).
  int64_t mqtt_max_connections = 0;
  int64_t mqtt_max_connections_per_address = 0;
  // Of those from one address, the ones without an accepted CONNECT yet: 0 = no cap.
  int64_t mqtt_max_handshakes_per_address = 64;
  // 0 = no limit for each of these.
  int64_t mqtt_max_subscriptions_per_session = 100;
  int64_t mqtt_max_topic_filter_bytes = 1024;
  int64_t mqtt_max_retained_messages = 100000;
  int64_t mqtt_max_retained_mib = 64;  // topics and payloads of the retained messages
  int64_t mqtt_max_retained_payload_bytes = 64 * 1024;
  int64_t mqtt_max_retained_messages_per_client = 10000;  // of those, one client's
  int64_t mqtt_max_retained_mib_per_client = 8;
  std::string advertised_host = "localhost";  // host written into connection kits
  // The web console at /console/ (app/console.h); console_dir serves web/ from disk
  // instead of the copy compiled in, for working on the console without rebuilding.
  bool console = true;
  std::string console_dir;

  // Delivery streams: when the write-ahead log is forced to disk before a record is
  // acknowledged ("always", "interval:<ms>" or "never"; streams/fsync_policy.h).
  std::string wal_fsync = "always";
  // Size of a write-ahead log segment; a delivered segment is deleted or reused whole.
  int wal_segment_mib = 64;
  // What all the streams may keep of delivered segments for reuse together, MiB (each up
  // to two segments, or 128 MiB); 0: none kept.
  int wal_reuse_mib = 1024;
  // The most a group commit waits for more records (25 µs per record of the last one,
  // at most three times its cost, at most this; streams/wal.h, "Commit delay"); 0: never.
  int wal_commit_delay_us = 2000;
  // How often a write-ahead log's checkpoint (what is delivered) is saved at most, ms;
  // after a crash, what was delivered since the last save is delivered again. 0: at every
  // delivery (a file written and fsynced per object).
  int wal_checkpoint_interval_ms = 1000;
  // Where the streams' write-ahead logs live; "" = <data-dir>/wal. A directory on a
  // device of its own keeps the logs' syncs from waiting on the lake's writes.
  std::string wal_dir;
  // Per stream, the records acknowledged and not yet delivered (held in memory and in the
  // log) before new ones are refused (MQTT 5: PUBACK 0x97); buffers are delivered early
  // past half of it (streams/delivery_stream.h, "Buffering under pressure").
  int stream_max_pending_mib = 512;
  // How long a stream's delete, flush or stop waits for its buffers to reach the lake,
  // seconds; past it the delete or flush fails (the stream carries on) and a stop leaves
  // them to its write-ahead log.
  int stream_stop_timeout_s = 30;
  // How long a stream retries a batch its bucket keeps failing, seconds, before the batch
  // goes to the error prefix (retried there for ever); 0: at once after the first failure.
  int stream_retry_window_s = 300;
  // Where the streams keep their records: "" = write-ahead logs in wal_dir;
  // "nats:// or tls://[user:password@]host:port[?replicas=N&ack_wait_s=S&max_bytes=B&tls_ca=F
  // &tls_cert=F&tls_key=F&creds=F&nkey_seed=F]" = a NATS
  // JetStream stream per delivery stream (streams/jetstream_log.h).
  std::string streams_nats_url;
  // MQTT messages between servers over NATS core (broker/nats_bridge.h, docs/scaling.md):
  // "" = none; "nats:// or tls://host:port[?prefix=P&tls_ca=F&tls_cert=F&tls_key=F&creds=F
  // &nkey_seed=F]" = every device's message is published there too, and the other servers'
  // are delivered to subscribers here.
  std::string broker_nats_url;
  // PEM CAs that rules' http actions trust for https endpoints, instead of the system's
  // ("" = the system's).
  std::string rule_http_ca_file;

  // The metadata database (things, rules, streams, tables, jobs, models, endpoints):
  // "" = the SQLite file <data-dir>/metadata.db; "postgresql://user@host:port/db[?schema=s]"
  // = a schema of a PostgreSQL database (metadata/postgres_database.h). A password is
  // better in PGPASSWORD or ~/.pgpass than in the URL.
  std::string metadata_url;

  // What this server runs: "all" (everything: the default, and the control server when
  // several share one metadata database) or "ingest" (the broker, the rules and the
  // delivery streams only, beside a control server on the same PostgreSQL schema, so that
  // devices can spread over several servers; docs/scaling.md). An ingest server needs
  // metadata_url (PostgreSQL) and a lake the servers share (lake_backend s3).
  std::string role = "all";

  // The lake: "local" (<data-dir>/lake/<bucket>/) or "s3" (any S3-compatible store).
  std::string lake_backend = "local";
  std::string s3_endpoint;           // "http://127.0.0.1:9000", "https://s3.eu-west-1.amazonaws.com"
  std::string s3_region = "us-east-1";
  std::string s3_access_key_id;      // else $AWS_ACCESS_KEY_ID
  std::string s3_secret_access_key;  // else $AWS_SECRET_ACCESS_KEY
  bool s3_virtual_host = false;      // bucket.host addressing instead of host/bucket
};

// Where the streams' write-ahead logs live: wal_dir, or <data_dir>/wal.
std::string WalDir(const ServerConfig& config);
// The local lake's root (lake_backend "local"): <data_dir>/lake.
std::string LocalLakeRoot(const ServerConfig& config);

// Reads a JSON object whose keys are ServerConfig's field names into `config`,
// leaving absent keys untouched. Unknown keys and wrong types are errors that name
// the key and the file.
Status LoadConfigFile(const std::string& path, ServerConfig* config);

inline bool IsIngestRole(const ServerConfig& config) { return config.role == "ingest"; }

// Checks ports and values without touching anything (call it before the data directory
// is made); errors name the setting: its config key, or, for the keys in `from_flags`
// (settings a command-line flag gave), the flag and the key ("--bind (bind_address) must
// be an IP address ..., got 'localhost'").
Status ValidateConfig(const ServerConfig& config, const std::set<std::string>& from_flags = {});

// The range of a whole-number setting: what ValidateConfig takes, and what its server flag
// takes as typed. Aborts for a key that is not one (a mistake in the code calling it).
struct SettingRange {
  int64_t min = 0, max = 0;
};
SettingRange RangeOf(std::string_view key);

// The `tributary server` flag that sets a config key ("bind_address" -> "--bind"); "" for
// none.
std::string_view ServerFlagOf(std::string_view key);

}  // namespace tributary::app
