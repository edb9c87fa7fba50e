#include "app/config.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/json_text.h"
#include "metadata/database.h"
#include "net/listen_address.h"
#include "streams/fsync_policy.h"

namespace tributary::app {

namespace {

template <typename T>
Status Take(const nlohmann::json& j, const std::string& key, T* out, const std::string& path) {
  try {
    *out = j.at(key).get<T>();
    return Status::Ok();
  } catch (const nlohmann::json::exception&) {
    return InvalidArgument("config file '" + path + "': key '" + key + "' has the wrong type (" +
                           std::string(j.at(key).type_name()) + ")");
  }
}

}  // namespace

Status LoadConfigFile(const std::string& path, ServerConfig* c) {
  TRY_ASSIGN(std::string text, ReadFile(path));
  TRY_ASSIGN(nlohmann::json j, ParseJsonText(text, "config file '" + path + "'"));
  if (!j.is_object()) return InvalidArgument("config file '" + path + "' must hold a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key == "data_dir") TRY(Take(j, key, &c->data_dir, path));
    else if (key == "bind_address") TRY(Take(j, key, &c->bind_address, path));
    else if (key == "http_bind_address")
      TRY(Take(j, key, &c->http_bind_address, path));
    else if (key == "http_port") TRY(Take(j, key, &c->http_port, path));
    else if (key == "https_port") TRY(Take(j, key, &c->https_port, path));
    else if (key == "http_idle_timeout_s")
      TRY(Take(j, key, &c->http_idle_timeout_s, path));
    else if (key == "mqtt_tls_port") TRY(Take(j, key, &c->mqtt_tls_port, path));
    else if (key == "mqtt_ws_port") TRY(Take(j, key, &c->mqtt_ws_port, path));
    else if (key == "mqtt_port") TRY(Take(j, key, &c->mqtt_port, path));
    else if (key == "allow_anonymous") TRY(Take(j, key, &c->allow_anonymous, path));
    else if (key == "log_level") TRY(Take(j, key, &c->log_level, path));
    else if (key == "threads") TRY(Take(j, key, &c->threads, path));
    else if (key == "max_payload_bytes") TRY(Take(j, key, &c->max_payload_bytes, path));
    else if (key == "mqtt_max_connections")
      TRY(Take(j, key, &c->mqtt_max_connections, path));
    else if (key == "mqtt_max_connections_per_address")
      TRY(Take(j, key, &c->mqtt_max_connections_per_address, path));
    else if (key == "mqtt_max_handshakes_per_address")
      TRY(Take(j, key, &c->mqtt_max_handshakes_per_address, path));
    else if (key == "mqtt_max_subscriptions_per_session")
      TRY(Take(j, key, &c->mqtt_max_subscriptions_per_session, path));
    else if (key == "mqtt_max_topic_filter_bytes")
      TRY(Take(j, key, &c->mqtt_max_topic_filter_bytes, path));
    else if (key == "mqtt_max_retained_messages")
      TRY(Take(j, key, &c->mqtt_max_retained_messages, path));
    else if (key == "mqtt_max_retained_mib")
      TRY(Take(j, key, &c->mqtt_max_retained_mib, path));
    else if (key == "mqtt_max_retained_payload_bytes")
      TRY(Take(j, key, &c->mqtt_max_retained_payload_bytes, path));
    else if (key == "mqtt_max_retained_messages_per_client")
      TRY(Take(j, key, &c->mqtt_max_retained_messages_per_client, path));
    else if (key == "mqtt_max_retained_mib_per_client")
      TRY(Take(j, key, &c->mqtt_max_retained_mib_per_client, path));
    else if (key == "advertised_host") TRY(Take(j, key, &c->advertised_host, path));
    else if (key == "console") TRY(Take(j, key, &c->console, path));
    else if (key == "console_dir") TRY(Take(j, key, &c->console_dir, path));
    else if (key == "wal_fsync") TRY(Take(j, key, &c->wal_fsync, path));
    else if (key == "wal_segment_mib") TRY(Take(j, key, &c->wal_segment_mib, path));
    else if (key == "wal_reuse_mib")
      TRY(Take(j, key, &c->wal_reuse_mib, path));
    else if (key == "wal_commit_delay_us") TRY(Take(j, key, &c->wal_commit_delay_us, path));
    else if (key == "wal_checkpoint_interval_ms")
      TRY(Take(j, key, &c->wal_checkpoint_interval_ms, path));
    else if (key == "wal_dir") TRY(Take(j, key, &c->wal_dir, path));
    else if (key == "stream_max_pending_mib") TRY(Take(j, key, &c->stream_max_pending_mib, path));
    else if (key == "stream_stop_timeout_s")
      TRY(Take(j, key, &c->stream_stop_timeout_s, path));
    else if (key == "stream_retry_window_s")
      TRY(Take(j, key, &c->stream_retry_window_s, path));
    else if (key == "metadata_url") TRY(Take(j, key, &c->metadata_url, path));
    else if (key == "streams_nats_url") TRY(Take(j, key, &c->streams_nats_url, path));
    else if (key == "broker_nats_url") TRY(Take(j, key, &c->broker_nats_url, path));
    else if (key == "rule_http_ca_file") TRY(Take(j, key, &c->rule_http_ca_file, path));
    else if (key == "role") TRY(Take(j, key, &c->role, path));
    else if (key == "lake_backend") TRY(Take(j, key, &c->lake_backend, path));
    else if (key == "s3_endpoint") TRY(Take(j, key, &c->s3_endpoint, path));
    else if (key == "s3_region") TRY(Take(j, key, &c->s3_region, path));
    else if (key == "s3_access_key_id") TRY(Take(j, key, &c->s3_access_key_id, path));
    else if (key == "s3_secret_access_key") TRY(Take(j, key, &c->s3_secret_access_key, path));
    else if (key == "s3_virtual_host") TRY(Take(j, key, &c->s3_virtual_host, path));
    else
      return InvalidArgument("config file '" + path + "': unknown key '" + key +
                             "' (see docs/configuration.md)");
  }
  return Status::Ok();
}

std::string WalDir(const ServerConfig& c) { return c.wal_dir.empty() ? c.data_dir + "/wal" : c.wal_dir; }

std::string LocalLakeRoot(const ServerConfig& c) { return c.data_dir + "/lake"; }

std::string_view ServerFlagOf(std::string_view key) {
  static constexpr std::pair<std::string_view, std::string_view> kFlags[] = {
      {"data_dir", "--data-dir"},
      {"bind_address", "--bind"},
      {"http_bind_address", "--http-bind"},
      {"http_port", "--http-port"},
      {"https_port", "--https-port"},
      {"http_idle_timeout_s", "--http-idle-timeout-s"},
      {"mqtt_tls_port", "--mqtt-tls-port"},
      {"mqtt_ws_port", "--mqtt-ws-port"},
      {"mqtt_port", "--mqtt-port"},
      {"allow_anonymous", "--allow-anonymous"},
      {"log_level", "--log-level"},
      {"threads", "--threads"},
      {"max_payload_bytes", "--max-payload-bytes"},
      {"mqtt_max_connections", "--mqtt-max-connections"},
      {"mqtt_max_connections_per_address", "--mqtt-max-connections-per-address"},
      {"mqtt_max_handshakes_per_address", "--mqtt-max-handshakes-per-address"},
      {"mqtt_max_subscriptions_per_session", "--mqtt-max-subscriptions-per-session"},
      {"mqtt_max_topic_filter_bytes", "--mqtt-max-topic-filter-bytes"},
      {"mqtt_max_retained_messages", "--mqtt-max-retained-messages"},
      {"mqtt_max_retained_mib", "--mqtt-max-retained-mib"},
      {"mqtt_max_retained_payload_bytes", "--mqtt-max-retained-payload-bytes"},
      {"mqtt_max_retained_messages_per_client", "--mqtt-max-retained-messages-per-client"},
      {"mqtt_max_retained_mib_per_client", "--mqtt-max-retained-mib-per-client"},
      {"advertised_host", "--advertised-host"},
      {"console", "--no-console"},
      {"console_dir", "--console-dir"},
      {"wal_fsync", "--wal-fsync"},
      {"wal_segment_mib", "--wal-segment-mib"},
      {"wal_reuse_mib", "--wal-reuse-mib"},
      {"wal_commit_delay_us", "--wal-commit-delay-us"},
      {"wal_checkpoint_interval_ms", "--wal-checkpoint-interval-ms"},
      {"wal_dir", "--wal-dir"},
      {"stream_max_pending_mib", "--stream-max-pending-mib"},
      {"stream_stop_timeout_s", "--stream-stop-timeout-s"},
      {"stream_retry_window_s", "--stream-retry-window-s"},
      {"streams_nats_url", "--streams-nats-url"},
      {"broker_nats_url", "--broker-nats-url"},
      {"rule_http_ca_file", "--rule-http-ca-file"},
      {"metadata_url", "--metadata-url"},
      {"role", "--role"},
      {"lake_backend", "--lake-backend"},
      {"s3_endpoint", "--s3-endpoint"},
      {"s3_region", "--s3-region"},
      {"s3_virtual_host", "--s3-virtual-host"},
  };
  for (const auto& [k, flag] : kFlags) {
    if (k == key) return flag;
  }
  return {};
}

SettingRange RangeOf(std::string_view key) {
  static constexpr std::pair<std::string_view, SettingRange> kRanges[] = {
      {"http_port", {0, 65535}},
      {"https_port", {-1, 65535}},
      {"mqtt_tls_port", {-1, 65535}},
      {"mqtt_ws_port", {-1, 65535}},
      {"mqtt_port", {-1, 65535}},
      {"http_idle_timeout_s", {1, 3600}},
      {"threads", {0, 256}},
      {"max_payload_bytes", {1024, 256 << 20}},
      {"mqtt_max_connections", {0, 1 << 24}},
      {"mqtt_max_connections_per_address", {0, 1 << 24}},
      {"mqtt_max_handshakes_per_address", {0, 1 << 24}},
      {"mqtt_max_subscriptions_per_session", {0, 1000000}},
      {"mqtt_max_topic_filter_bytes", {0, 65535}},
      {"mqtt_max_retained_messages", {0, 100000000}},
      {"mqtt_max_retained_mib", {0, 1 << 20}},
      {"mqtt_max_retained_payload_bytes", {0, 256 << 20}},
      {"mqtt_max_retained_messages_per_client", {0, 100000000}},
      {"mqtt_max_retained_mib_per_client", {0, 1 << 20}},
      {"wal_segment_mib", {1, 1024}},
      {"wal_reuse_mib", {0, 1 << 20}},
      {"wal_commit_delay_us", {0, 100000}},
      {"wal_checkpoint_interval_ms", {0, 60000}},
      {"stream_max_pending_mib", {1, 65536}},
      {"stream_stop_timeout_s", {1, 3600}},
      {"stream_retry_window_s", {0, 86400}},
  };
  for (const auto& [k, range] : kRanges) {
    if (k == key) return range;
  }
  // Every caller names its key in the code: a misspelt one must not quietly refuse (or
  // take) every value.
  std::fprintf(stderr, "RangeOf: '%.*s' is not a whole-number setting\n",
               static_cast<int>(key.size()), key.data());
  std::abort();
}

Status ValidateConfig(const ServerConfig& c, const std::set<std::string>& from_flags) {
  // The setting at fault as it was given: "--bind (bind_address)" when a flag set it,
  // else the config key. `Other` names one the message asks for, both ways.
  auto name = [&](const std::string& key) {
    return from_flags.count(key) ? std::string(ServerFlagOf(key)) + " (" + key + ")" : key;
  };
  auto other = [](const std::string& key) {
    return key + " (" + std::string(ServerFlagOf(key)) + ")";
  };
  // A whole-number setting in its range (RangeOf); a range from -1 turns a port off, and
  // `zero` says what 0 means where it means something.
  auto in_range = [&](const std::string& key, int64_t value, std::string_view zero = {}) {
    const SettingRange r = RangeOf(key);
    if (value >= r.min && value <= r.max) return Status::Ok();
    std::string allowed =
        r.min == -1 ? fmt::format("-1 (off) or 0..{}", r.max) : fmt::format("{}..{}", r.min, r.max);
    if (!zero.empty()) allowed += fmt::format(" (0: {})", zero);
    return InvalidArgument(fmt::format("{} must be {}, got {}", name(key), allowed, value));
  };
  TRY(in_range("http_port", c.http_port));
  for (const auto& [key, address] : {std::pair{"bind_address", &c.bind_address},
                                     std::pair{"http_bind_address", &c.http_bind_address}}) {
    if (!net::IsIpAddress(*address)) {
      return InvalidArgument(name(key) +
                             " must be an IP address (0.0.0.0: every interface, "
                             "127.0.0.1: this machine only), got '" +
                             *address + "'");
    }
  }
  struct Number {
    const char* key;
    int64_t value;
    const char* zero = "";
  };
  for (const Number& n : {
           Number{"mqtt_tls_port", c.mqtt_tls_port},
           Number{"mqtt_ws_port", c.mqtt_ws_port},
           Number{"https_port", c.https_port},
           Number{"mqtt_port", c.mqtt_port},
           // The MQTT limits: 0 means what `zero` says.
           Number{"mqtt_max_connections", c.mqtt_max_connections, "3/8 of the open-file limit"},
           Number{"mqtt_max_connections_per_address", c.mqtt_max_connections_per_address, "no cap"},
           Number{"mqtt_max_handshakes_per_address", c.mqtt_max_handshakes_per_address, "no cap"},
           Number{"mqtt_max_subscriptions_per_session", c.mqtt_max_subscriptions_per_session,
                  "no limit"},
           Number{"mqtt_max_topic_filter_bytes", c.mqtt_max_topic_filter_bytes, "no limit"},
           Number{"mqtt_max_retained_messages", c.mqtt_max_retained_messages, "no limit"},
           Number{"mqtt_max_retained_mib", c.mqtt_max_retained_mib, "no limit"},
           Number{"mqtt_max_retained_payload_bytes", c.mqtt_max_retained_payload_bytes, "no limit"},
           Number{"mqtt_max_retained_messages_per_client", c.mqtt_max_retained_messages_per_client,
                  "no limit"},
           Number{"mqtt_max_retained_mib_per_client", c.mqtt_max_retained_mib_per_client,
                  "no limit"},
           Number{"threads", c.threads},
           Number{"max_payload_bytes", c.max_payload_bytes},
           Number{"wal_segment_mib", c.wal_segment_mib},
           Number{"wal_reuse_mib", c.wal_reuse_mib},
           Number{"wal_commit_delay_us", c.wal_commit_delay_us},
           Number{"wal_checkpoint_interval_ms", c.wal_checkpoint_interval_ms},
           Number{"http_idle_timeout_s", c.http_idle_timeout_s},
           Number{"stream_stop_timeout_s", c.stream_stop_timeout_s},
           Number{"stream_retry_window_s", c.stream_retry_window_s},
           Number{"stream_max_pending_mib", c.stream_max_pending_mib},
       }) {
    TRY(in_range(n.key, n.value, n.zero));
  }
  if (auto fsync = streams::FsyncPolicy::Parse(c.wal_fsync); !fsync.ok()) {
    std::string why = fsync.status().message();
    if (why.rfind("wal_fsync: ", 0) == 0) why.erase(0, 11);  // named below as it was given
    return InvalidArgument(name("wal_fsync") + ": " + why);
  }
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok |= c.log_level == l;
  if (!level_ok) {
    return InvalidArgument(name("log_level") +
                           " must be one of trace, debug, info, warn, error, critical, off, got '" +
                           c.log_level + "'");
  }
  if (c.data_dir.empty()) return InvalidArgument(name("data_dir") + " must not be empty");
  if (!c.metadata_url.empty() && !metadata::IsPostgresUrl(c.metadata_url)) {
    const size_t colon = c.metadata_url.find("://");
    return InvalidArgument(
        name("metadata_url") + ": '" +
        (colon == std::string::npos ? c.metadata_url
                                    : c.metadata_url.substr(0, colon + 3) + "...") +
        "' is not a PostgreSQL URL (postgresql://[user[:password]@]host[:port]/database"
        "[?schema=name]); leave it out for the SQLite file in the data directory");
  }
  if (c.lake_backend != "local" && c.lake_backend != "s3") {
    return InvalidArgument(name("lake_backend") + " must be 'local' or 's3', got '" +
                           c.lake_backend + "'");
  }
  if (c.lake_backend == "s3" && c.s3_endpoint.empty()) {
    return InvalidArgument(name("lake_backend") + " 's3' needs " + other("s3_endpoint") +
                           ", the store's URL (e.g. http://127.0.0.1:9000)");
  }
  if (c.role != "all" && c.role != "ingest") {
    return InvalidArgument(name("role") + " must be 'all' or 'ingest', got '" + c.role + "'");
  }
  if (IsIngestRole(c)) {
    if (c.metadata_url.empty()) {
      return InvalidArgument(name("role") + " 'ingest' needs " + other("metadata_url") +
                             ": the PostgreSQL schema of the "
                             "control server it joins (postgresql://user@host/db?schema=name)");
    }
    if (c.lake_backend != "s3") {
      return InvalidArgument(name("role") + " 'ingest' needs a lake the servers share (" +
                             other("lake_backend") + " 's3' and " + other("s3_endpoint") +
                             "): a local lake would keep this server's objects "
                             "where the control server's crawlers and jobs never see them");
    }
  }
  return Status::Ok();
}

}  // namespace tributary::app
