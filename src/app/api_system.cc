// /healthz, /metrics, broker statistics and where the server keeps things.
#include "app/api.h"
#include "app/server.h"
#include "base/clock.h"
#include "broker/broker.h"
#include "broker/nats_bridge.h"
#include "metadata/database.h"
#include "streams/record_log.h"

namespace tributary::app {

void AddSystemRoutes(net::Router* router, Server* server) {
  router->Add("GET", "/healthz", [server](net::HttpRequest&) {
    return JsonResponse({{"status", "ok"},
                         {"uptime_s", (WallMillis() - server->started_at_ms()) / 1000}});
  });
  router->Add("GET", "/metrics", [server](net::HttpRequest&) {
    net::HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = server->metrics().Render();
    return r;
  });
  // Where each tier lives: the metadata database (never a password), the lake, the WALs.
  router->Add("GET", "/v1/server", [server](net::HttpRequest&) {
    const ServerConfig& c = server->config();
    nlohmann::json lake = {{"backend", c.lake_backend}};
    if (c.lake_backend == "s3") {
      lake["endpoint"] = c.s3_endpoint;
      lake["region"] = c.s3_region;
    } else {
      lake["root"] = LocalLakeRoot(c);
    }
    // The delivery streams' records: local write-ahead logs, or NATS JetStream.
    nlohmann::json records = {{"backend", "wal"}, {"where", WalDir(c)}};
    if (const auto* logs = server->streams_logs()) {
      streams::RecordLogProvider::Link link = logs->link();
      records = {{"backend", "jetstream"},
                 {"where", logs->Describe()},
                 {"connected", link.connected},
                 {"server", link.server},
                 {"known_servers", link.known}};
    }
    return JsonResponse({{"started_at", FormatIso8601Millis(server->started_at_ms())},
                         {"role", c.role},
                         {"data_dir", c.data_dir},
                         {"metadata", server->db().Describe()},
                         {"lake", lake},
                         {"wal_dir", WalDir(c)},
                         {"wal_fsync", c.wal_fsync},
                         {"stream_records", records}});
  });
  router->Add("GET", "/v1/broker", [server](net::HttpRequest&) {
    broker::BrokerStats s = server->broker().Stats();
    const ServerConfig& c = server->config();
    // MQTT between servers over NATS (docs/scaling.md), if this server bridges.
    nlohmann::json bridge = nullptr;
    if (const broker::NatsBridge* b = server->bridge()) {
      broker::NatsBridge::Link link = b->link();
      bridge = {{"where", b->Describe()},
                {"connected", link.connected},
                {"server", link.server},
                {"reconnects", link.reconnects},
                {"interest_filters", b->interest_filters()}};
    }
    return JsonResponse({{"bridge", bridge},
                         {"connections", s.connections},
                         {"sessions", s.sessions},
                         {"subscriptions", s.subscriptions},
                         {"retained_messages", s.retained_messages},
                         {"messages_received", s.messages_received},
                         {"messages_sent", s.messages_sent},
                         {"publish_denied", s.publish_denied},
                         {"bytes_received", s.bytes_received},
                         {"bytes_sent", s.bytes_sent},
                         {"listeners",
                          {{"mqtt_tls_port", server->broker().tls_port()},
                           {"mqtt_ws_port", server->broker().ws_port()},
                           {"mqtt_port", server->broker().tcp_port()},
                           {"http_port", server->http_port()},
                           {"advertised_host", c.advertised_host}}}});
  });
}

}  // namespace tributary::app
