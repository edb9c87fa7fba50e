// /healthz, /metrics, broker statistics, where the server keeps things, and the
// deployment's servers (/v1/servers, server_directory.h).
#include "app/api.h"
#include "app/server.h"
#include "app/server_directory.h"
#include "base/clock.h"
#include "broker/broker.h"
#include "broker/nats_bridge.h"
#include "metadata/database.h"
#include "streams/record_log.h"

namespace tributary::app {

namespace {

nlohmann::json ServerJson(const ServerEntry& e) {
  const ServerReport& r = e.report;
  nlohmann::json bridge = nullptr;
  if (r.bridge_connected) bridge = {{"connected", *r.bridge_connected}};
  return {{"id", e.id},
          {"self", e.self},
          {"status", e.status},
          {"role", r.role},
          {"host", r.host},
          {"advertised_host", r.advertised_host},
          {"version", r.version},
          {"started_at", FormatIso8601Millis(e.started_ms)},
          {"last_seen", FormatIso8601Millis(e.seen_ms)},
          {"last_seen_ago_s", std::max<int64_t>(0, WallMillis() - e.seen_ms) / 1000},
          {"stopped_at", e.stopped_ms > 0 ? nlohmann::json(FormatIso8601Millis(e.stopped_ms)) : nullptr},
          {"heartbeat_interval_s", double(e.interval_ms) / 1000.0},
          {"listeners",
           {{"http_port", r.http_port},
            {"https_port", r.https_port},
            {"mqtt_tls_port", r.mqtt_tls_port},
            {"mqtt_ws_port", r.mqtt_ws_port},
            {"mqtt_port", r.mqtt_port}}},
          {"connections", r.connections},
          {"sessions", r.sessions},
          {"messages_received", r.messages_received},
          {"messages_sent", r.messages_sent},
          {"messages_received_per_s", e.received_per_s},
          {"messages_sent_per_s", e.sent_per_s},
          {"bridge", bridge}};
}

}  // namespace

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
  // The deployment's servers: this one, and those sharing its metadata database.
  router->Add("GET", "/v1/servers", [server](net::HttpRequest&) {
    auto list = server->directory().List();
    if (!list.ok()) return ErrorResponse(list.status());
    nlohmann::json out = nlohmann::json::array();
    for (const ServerEntry& e : *list) out.push_back(ServerJson(e));
    return JsonResponse({{"servers", out}});
  });
  router->Add("DELETE", "/v1/servers/{id}", [server](net::HttpRequest& req) {
    const std::string& id = req.params["id"];
    Status st = server->directory().Forget(id);
    if (!st.ok()) return ErrorResponse(st);
    return JsonResponse({{"id", id}, {"forgotten", true}});
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
                           {"https_port", server->https_port()},
                           {"advertised_host", c.advertised_host}}}});
  });
}

}  // namespace tributary::app
