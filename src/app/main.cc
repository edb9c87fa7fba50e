// The `tributary` binary: one table of command groups, dispatched by CLI11.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "app/config.h"
#include "app/server.h"
#include "base/version.h"
#include "cli/command.h"
#include "cli/parse_errors.h"
#include "flags/flag_checks.h"

namespace tributary::app {
namespace {

// The flags of what MQTT clients can make the broker hold (docs/configuration.md), each
// named as ServerFlagOf names its key.
struct MqttLimitFlag {
  const char* key;
  int64_t ServerConfig::*member;
  const char* help;
};
constexpr MqttLimitFlag kMqttLimitFlags[] = {
    {"mqtt_max_connections", &ServerConfig::mqtt_max_connections,
     "MQTT connections held at once, handshakes included (0: 3/8 of the open-file limit)"},
    {"mqtt_max_connections_per_address", &ServerConfig::mqtt_max_connections_per_address,
     "MQTT connections held at once from one address, loopback's not counted (0: no cap)"},
    {"mqtt_max_handshakes_per_address", &ServerConfig::mqtt_max_handshakes_per_address,
     "MQTT connections from one address without an accepted CONNECT yet (TLS, WebSocket "
     "upgrade, CONNECT awaited), loopback's not counted (0: no cap)"},
    {"mqtt_max_subscriptions_per_session", &ServerConfig::mqtt_max_subscriptions_per_session,
     "topic filters one MQTT session may hold; past it SUBSCRIBE gets 0x97 (0: no limit)"},
    {"mqtt_max_topic_filter_bytes", &ServerConfig::mqtt_max_topic_filter_bytes,
     "longest topic filter a SUBSCRIBE may hold, bytes (0: no limit)"},
    {"mqtt_max_retained_messages", &ServerConfig::mqtt_max_retained_messages,
     "retained MQTT messages kept in all (0: no limit)"},
    {"mqtt_max_retained_mib", &ServerConfig::mqtt_max_retained_mib,
     "MiB of topics and payloads the retained MQTT messages hold in all (0: no limit)"},
    {"mqtt_max_retained_payload_bytes", &ServerConfig::mqtt_max_retained_payload_bytes,
     "largest payload a retained MQTT message may have (0: no limit)"},
    {"mqtt_max_retained_messages_per_client", &ServerConfig::mqtt_max_retained_messages_per_client,
     "retained MQTT messages kept for one client's publishes (0: no limit)"},
    {"mqtt_max_retained_mib_per_client", &ServerConfig::mqtt_max_retained_mib_per_client,
     "MiB of topics and payloads kept for one client's retained MQTT messages (0: no limit)"},
};

void AddServerCommand(CLI::App* parent, cli::CommandContext* ctx) {
  auto* cmd = parent->add_subcommand("server", "Run the Tributary server (broker, HTTP API, pipeline)");
  auto config = std::make_shared<ServerConfig>();
  auto config_file = std::make_shared<std::string>();
  // Flags are parsed into a second struct and applied over the file's values, so that
  // flags win over the config file whatever the order.
  auto flags = std::make_shared<ServerConfig>();
  cmd->add_option("--config", *config_file, "JSON config file (keys as in docs/configuration.md)");
  auto* data_dir = cmd->add_option("--data-dir", flags->data_dir, "data directory")->capture_default_str();
  auto* bind = cmd->add_option("--bind", flags->bind_address,
                               "address the MQTT listeners and the HTTPS API listen on")
                   ->capture_default_str();
  auto* http_bind = cmd->add_option("--http-bind", flags->http_bind_address,
                                    "address the plain HTTP API listens on (loopback by default: "
                                    "past this machine use --https-port's listener)")
                        ->capture_default_str();
  auto* http = cmd->add_option("--http-port", flags->http_port, "HTTP API port")->capture_default_str();
  auto* https = cmd->add_option("--https-port", flags->https_port,
                                "the HTTP API over TLS, with the server's certificate (-1 off)")->capture_default_str();
  auto* http_idle = cmd->add_option("--http-idle-timeout-s", flags->http_idle_timeout_s,
                                    "HTTP and HTTPS: close a connection whose request header takes "
                                    "longer than this, or whose body stops coming for this long, "
                                    "seconds (1..3600)")
                        ->capture_default_str();
  auto* tls = cmd->add_option("--mqtt-tls-port", flags->mqtt_tls_port, "MQTT over TLS port (-1 off)")->capture_default_str();
  auto* ws = cmd->add_option("--mqtt-ws-port", flags->mqtt_ws_port, "MQTT over WebSocket port (-1 off)")->capture_default_str();
  auto* tcp = cmd->add_option("--mqtt-port", flags->mqtt_port, "plain MQTT port, off (-1) by default")->capture_default_str();
  auto* anon = cmd->add_flag("--allow-anonymous", flags->allow_anonymous, "accept clients without credentials (local testing only)");
  auto* level = cmd->add_option("--log-level", flags->log_level, "trace, debug, info, warn or error")->capture_default_str();
  auto* threads = cmd->add_option("--threads", flags->threads, "I/O threads (0 = one per core)")->capture_default_str();
  auto* payload = cmd->add_option("--max-payload-bytes", flags->max_payload_bytes, "largest MQTT payload accepted")->capture_default_str();
  std::vector<std::pair<const MqttLimitFlag*, CLI::Option*>> mqtt_limits;
  for (const MqttLimitFlag& f : kMqttLimitFlags) {
    mqtt_limits.emplace_back(
        &f, cmd->add_option(std::string(ServerFlagOf(f.key)), (*flags).*f.member, f.help)
                ->capture_default_str());
  }
  auto* host = cmd->add_option("--advertised-host", flags->advertised_host, "host name written into connection kits")->capture_default_str();
  // Read in the callback below, which keeps it alive until parsing is done.
  auto no_console = std::make_shared<bool>(false);
  cmd->add_flag("--no-console", *no_console, "do not serve the web console at /console/");
  auto* console_dir = cmd->add_option("--console-dir", flags->console_dir, "serve the console from this directory (web/) instead of the copy built in");
  auto* fsync = cmd->add_option("--wal-fsync", flags->wal_fsync, "streams' WAL: always, interval:<ms> or never")->capture_default_str();
  auto* segment = cmd->add_option("--wal-segment-mib", flags->wal_segment_mib, "streams' WAL segment size, MiB (1..1024)")->capture_default_str();
  auto* reuse = cmd->add_option("--wal-reuse-mib", flags->wal_reuse_mib,
                                "streams' WAL: delivered segments all the streams keep for reuse "
                                "together, MiB (0..1048576)")
                    ->capture_default_str();
  auto* commit_delay =
      cmd->add_option("--wal-commit-delay-us", flags->wal_commit_delay_us,
                      "streams' WAL: the most a group commit waits for more records, µs (25 µs per "
                      "record of the last commit, at most 3x its cost, up to this, ending once 256 "
                      "records wait; 0..100000)")
          ->capture_default_str();
  auto* checkpoint_interval =
      cmd->add_option("--wal-checkpoint-interval-ms", flags->wal_checkpoint_interval_ms,
                      "streams' WAL: how often what is delivered is saved at most, ms; after a "
                      "crash, what was delivered since the last save is delivered again "
                      "(0..60000; 0: at every delivery)")
          ->capture_default_str();
  auto* max_pending = cmd->add_option("--stream-max-pending-mib", flags->stream_max_pending_mib, "per stream, MiB acknowledged and not yet delivered before records are refused (1..65536); buffers go out early past half")->capture_default_str();
  auto* stop_timeout = cmd->add_option("--stream-stop-timeout-s", flags->stream_stop_timeout_s,
                                       "how long a stream's delete, flush or stop waits for its "
                                       "buffers to reach the lake (1..3600)")
                           ->capture_default_str();
  auto* retry_window =
      cmd->add_option("--stream-retry-window-s", flags->stream_retry_window_s,
                      "how long a stream retries a batch its bucket keeps failing before the "
                      "batch goes to the error prefix, seconds (0..86400)")
          ->capture_default_str();
  auto* wal_dir = cmd->add_option("--wal-dir", flags->wal_dir, "streams' WAL directory (default <data-dir>/wal), e.g. on a faster device of its own");
  auto* streams_nats_url = cmd->add_option("--streams-nats-url", flags->streams_nats_url, "keep the streams' records in NATS JetStream instead of local WALs: nats:// or tls://[user:password@]host:port[?replicas=N&ack_wait_s=S&max_bytes=B&tls_ca=F&tls_cert=F&tls_key=F&creds=F&nkey_seed=F]");
  auto* broker_nats_url = cmd->add_option("--broker-nats-url", flags->broker_nats_url, "bridge MQTT messages between servers over NATS core: nats:// or tls://host:port[?prefix=P&tls_ca=F&tls_cert=F&tls_key=F&creds=F&nkey_seed=F]");
  auto* rule_http_ca = cmd->add_option("--rule-http-ca-file", flags->rule_http_ca_file, "PEM CAs that rules' http actions trust for https endpoints (default: the system's)");
  auto* metadata_url = cmd->add_option("--metadata-url", flags->metadata_url, "metadata database: postgresql://user@host:port/db[?schema=name] (default: SQLite in the data directory)");
  auto* role = cmd->add_option("--role", flags->role, "all (everything; the control server) or ingest (broker, rules and streams only, beside a control server on the same PostgreSQL schema)")->capture_default_str();
  auto* lake = cmd->add_option("--lake-backend", flags->lake_backend, "where the lake lives: local or s3")->capture_default_str();
  auto* s3_endpoint = cmd->add_option("--s3-endpoint", flags->s3_endpoint, "S3-compatible endpoint URL (lake-backend s3)");
  auto* s3_region = cmd->add_option("--s3-region", flags->s3_region, "S3 region for request signing")->capture_default_str();
  auto* s3_vhost = cmd->add_flag("--s3-virtual-host", flags->s3_virtual_host, "address buckets as bucket.host instead of host/bucket");
  // Numbers as typed (CLI11 reads 010 as 8 and 0x10 as 16, and -1 into an unsigned as
  // 4294967295), in the setting's range (RangeOf, which ValidateConfig checks for the
  // config file's values).
  std::vector<std::pair<CLI::Option*, std::string_view>> numbers = {
      {http, "http_port"},
      {https, "https_port"},
      {http_idle, "http_idle_timeout_s"},
      {tls, "mqtt_tls_port"},
      {ws, "mqtt_ws_port"},
      {tcp, "mqtt_port"},
      {threads, "threads"},
      {payload, "max_payload_bytes"},
      {segment, "wal_segment_mib"},
      {reuse, "wal_reuse_mib"},
      {commit_delay, "wal_commit_delay_us"},
      {checkpoint_interval, "wal_checkpoint_interval_ms"},
      {max_pending, "stream_max_pending_mib"},
      {stop_timeout, "stream_stop_timeout_s"},
      {retry_window, "stream_retry_window_s"}};
  for (const auto& [f, option] : mqtt_limits) numbers.emplace_back(option, f->key);
  for (const auto& [option, key] : numbers) {
    const SettingRange range = RangeOf(key);
    WholeNumberIn(option, range.min, range.max);
  }
  cmd->callback([=] {
    ctx->run = [=]() -> int {
      ServerConfig c;
      if (!config_file->empty()) {
        Status st = LoadConfigFile(*config_file, &c);
        if (!st.ok()) {
          std::fprintf(stderr, "tributary server: %s\n", st.message().c_str());
          return 2;
        }
      }
      // Which keys the flags set, so that a refusal names the flag that was typed.
      std::set<std::string> from_flags;
      auto set = [&](const char* key, const auto& apply) {
        apply();
        from_flags.insert(key);
      };
      if (data_dir->count()) set("data_dir", [&] { c.data_dir = flags->data_dir; });
      if (bind->count()) set("bind_address", [&] { c.bind_address = flags->bind_address; });
      if (http_bind->count())
        set("http_bind_address", [&] { c.http_bind_address = flags->http_bind_address; });
      if (http->count()) set("http_port", [&] { c.http_port = flags->http_port; });
      if (https->count()) set("https_port", [&] { c.https_port = flags->https_port; });
      if (http_idle->count())
        set("http_idle_timeout_s", [&] { c.http_idle_timeout_s = flags->http_idle_timeout_s; });
      if (tls->count()) set("mqtt_tls_port", [&] { c.mqtt_tls_port = flags->mqtt_tls_port; });
      if (ws->count()) set("mqtt_ws_port", [&] { c.mqtt_ws_port = flags->mqtt_ws_port; });
      if (tcp->count()) set("mqtt_port", [&] { c.mqtt_port = flags->mqtt_port; });
      if (anon->count()) set("allow_anonymous", [&] { c.allow_anonymous = true; });
      if (level->count()) set("log_level", [&] { c.log_level = flags->log_level; });
      if (threads->count()) set("threads", [&] { c.threads = flags->threads; });
      if (payload->count())
        set("max_payload_bytes", [&] { c.max_payload_bytes = flags->max_payload_bytes; });
      for (const auto& [f, option] : mqtt_limits) {
        if (option->count()) set(f->key, [&] { c.*f->member = (*flags).*f->member; });
      }
      if (*no_console) set("console", [&] { c.console = false; });
      if (console_dir->count()) set("console_dir", [&] { c.console_dir = flags->console_dir; });
      if (host->count())
        set("advertised_host", [&] { c.advertised_host = flags->advertised_host; });
      if (fsync->count()) set("wal_fsync", [&] { c.wal_fsync = flags->wal_fsync; });
      if (segment->count())
        set("wal_segment_mib", [&] { c.wal_segment_mib = flags->wal_segment_mib; });
      if (reuse->count()) set("wal_reuse_mib", [&] { c.wal_reuse_mib = flags->wal_reuse_mib; });
      if (commit_delay->count())
        set("wal_commit_delay_us", [&] { c.wal_commit_delay_us = flags->wal_commit_delay_us; });
      if (checkpoint_interval->count()) {
        set("wal_checkpoint_interval_ms",
            [&] { c.wal_checkpoint_interval_ms = flags->wal_checkpoint_interval_ms; });
      }
      if (wal_dir->count()) set("wal_dir", [&] { c.wal_dir = flags->wal_dir; });
      if (max_pending->count())
        set("stream_max_pending_mib",
            [&] { c.stream_max_pending_mib = flags->stream_max_pending_mib; });
      if (stop_timeout->count())
        set("stream_stop_timeout_s",
            [&] { c.stream_stop_timeout_s = flags->stream_stop_timeout_s; });
      if (retry_window->count())
        set("stream_retry_window_s",
            [&] { c.stream_retry_window_s = flags->stream_retry_window_s; });
      if (metadata_url->count()) set("metadata_url", [&] { c.metadata_url = flags->metadata_url; });
      if (streams_nats_url->count())
        set("streams_nats_url", [&] { c.streams_nats_url = flags->streams_nats_url; });
      if (broker_nats_url->count())
        set("broker_nats_url", [&] { c.broker_nats_url = flags->broker_nats_url; });
      if (rule_http_ca->count())
        set("rule_http_ca_file", [&] { c.rule_http_ca_file = flags->rule_http_ca_file; });
      if (role->count()) set("role", [&] { c.role = flags->role; });
      if (lake->count()) set("lake_backend", [&] { c.lake_backend = flags->lake_backend; });
      if (s3_endpoint->count()) set("s3_endpoint", [&] { c.s3_endpoint = flags->s3_endpoint; });
      if (s3_region->count()) set("s3_region", [&] { c.s3_region = flags->s3_region; });
      if (s3_vhost->count()) set("s3_virtual_host", [&] { c.s3_virtual_host = true; });
      // Checked before anything is made: a refused setting leaves the data directory as it was.
      if (Status st = ValidateConfig(c, from_flags); !st.ok()) {
        std::fprintf(stderr, "tributary server: %s\n", st.message().c_str());
        return 2;
      }
      return RunServer(c);
    };
  });
}

struct CommandGroup {
  cli::AddCommandsFn add;
};

const CommandGroup kGroups[] = {
    {&AddServerCommand},
    {&cli::AddThingCommands},
    {&cli::AddPolicyCommands},
    {&cli::AddShadowCommands},
    {&cli::AddRuleCommands},
    {&cli::AddStreamCommands},
    {&cli::AddCrawlerCommands},
    {&cli::AddCatalogCommands},
    {&cli::AddLakeCommands},
    {&cli::AddJobCommands},
    {&cli::AddServingCommands},
    {&cli::AddTrainingCommands},
    {&cli::AddMonitorCommands},
    {&cli::AddForecastPrepareCommands},
    {&cli::AddParquetCommands},
    {&cli::AddServersCommands},
    {&cli::AddMetadataCommands},
#ifdef TRIBUTARY_WITH_FORECAST
    {&cli::AddForecastCommands},
#endif
};

}  // namespace
}  // namespace tributary::app

int main(int argc, char** argv) {
  CLI::App app{"Tributary: a self-hosted IoT data and forecasting pipeline"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("tributary ") + tributary::kVersion);
  tributary::cli::CommandContext ctx;
  for (const auto& group : tributary::app::kGroups) group.add(&app, &ctx);
  // Name an unknown command rather than CLI11's generic "a subcommand is required".
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      found |= sub->get_name() == argv[1];
      known += (known.empty() ? "" : ", ") + sub->get_name();
    }
    if (!found) {
      std::fprintf(stderr, "tributary: unknown command '%s' (commands: %s; see --help)\n", argv[1],
                   known.c_str());
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return tributary::cli::ReportParseError(app, e);
  }
  if (!ctx.run) {
    std::fprintf(stderr, "tributary: no command given; see --help\n");
    return 2;
  }
  try {
    return ctx.run();
  } catch (const std::system_error& e) {
    // A thread the system refused that a library started (the server's own threads go
    // through base/start_thread.h, which answers an error), or another system call that a
    // library reports by throwing. Said, not std::terminate's bare abort.
    const bool threads = e.code() == std::errc::resource_unavailable_try_again;
    std::fprintf(stderr, "tributary: %s%s\n", e.what(),
                 threads ? " (starting a thread: the process is at the number of threads the "
                           "system lets it run: see `ulimit -u`, systemd's TasksMax= or a "
                           "container's pids limit)"
                         : "");
    return 1;
  }
}
