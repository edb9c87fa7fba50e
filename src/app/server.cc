#include "app/server.h"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/admin_token.h"
#include "app/api.h"
#include "app/aws_api.h"
#include "app/console.h"
#include "app/lake_object_sink.h"
#include "app/live_topics.h"
#include "app/monitor_services.h"
#include "app/resource_tags.h"
#include "app/rule_external_state.h"
#include "app/s3_api.h"
#include "app/s3_api_util.h"
#include "app/server_directory.h"
#include "app/server_role.h"
#include "base/clock.h"
#include "base/file_limit.h"
#include "base/files.h"
#include "base/log.h"
#include "base/version.h"
#include "broker/broker.h"
#include "broker/nats_bridge.h"
#include "devices/shadow_service.h"
#include "devices/shadow_store.h"
#include "devices/thing_registry.h"
#include "lake/catalog.h"
#include "lake/crawler_manager.h"
#include "lake/job_manager.h"
#include "lake/lifecycle_sweeper.h"
#include "lake/record_conversion.h"
#include "metadata/database.h"
#include "monitor/monitors.h"
#include "net/http_server.h"
#include "net/listen_address.h"
#include "net/runtime.h"
#include "net/tls_context.h"
#include "objstore/object_store.h"
#include "rules/http_post_queue.h"
#include "rules/rule_registry.h"
#include "rules/rules_engine.h"
#include "serving/endpoint_manager.h"
#include "serving/store.h"
#include "serving/transform_jobs.h"
#include "streams/jetstream_log.h"
#include "streams/stream_manager.h"
#include "training/training_jobs.h"

namespace tributary::app {

Result<std::unique_ptr<Server>> Server::Start(const ServerConfig& config) {
  TRY(ValidateConfig(config));
  std::unique_ptr<Server> server(new Server(config));
  TRY(server->Init());
  return server;
}

Server::Server(ServerConfig config) : config_(std::move(config)) {}

Status Server::Init() {
  auto log = Logger("server");
  started_at_ms_ = WallMillis();
  if (auto files = RaiseOpenFileLimit(); !files.ok()) {
    log->warn("the open-file limit was not raised: {}", files.status().message());
  } else if (files->now < 4096) {
    log->warn(
        "this process may hold only {} open files (the hard limit): every device connection "
        "takes one; raise it (ulimit -Hn, systemd's LimitNOFILE=)",
        files->now);
  } else if (files->now != files->before) {
    log->info("open-file limit raised from {} to {}", files->before, files->now);
  }
  const std::string& dir = config_.data_dir;
  TRY(MakeDirs(dir, 0700));
  TRY_ASSIGN(data_dir_lock_, DirLock::Acquire(dir, "tributary.lock", "data directory"));
  const std::string wal_dir = WalDir(config_);
  if (!config_.wal_dir.empty()) {
    TRY(MakeDirs(wal_dir, 0700));
    // '~' is not allowed in a stream name, so the lock file is never a stream's directory.
    TRY_ASSIGN(wal_dir_lock_, DirLock::Acquire(wal_dir, "~lock", "WAL directory"));
  }
  TRY(MakeDirs(dir + "/broker", 0700));
  TRY_ASSIGN(admin_token_, LoadOrCreateAdminToken(dir));
  TRY_ASSIGN(metrics_token_, LoadOrCreateMetricsToken(dir));
  TRY_ASSIGN(db_, metadata::OpenDatabase(config_.metadata_url, dir + "/metadata.db"));
  // The control server holds the schema alone; ingest servers join it (server_role.h).
  const bool ingest = IsIngestRole(config_);
  if (!ingest) TRY(db_->HoldExclusively());
  log->info("metadata database: {} role={}", db_->Describe(), config_.role);
  if (ingest) TRY(RequireCopiedCa(dir + "/pki"));

  devices::DevicesOptions dev_opts;
  dev_opts.pki_dir = dir + "/pki";
  dev_opts.allow_anonymous = config_.allow_anonymous;
  dev_opts.admin_token = admin_token_;
  if (config_.advertised_host != "localhost") dev_opts.server_names.push_back(config_.advertised_host);
  TRY_ASSIGN(devices_, devices::DeviceRegistry::Open(db_.get(), dev_opts));

  // The lake and the delivery streams come up before the broker, so that records the
  // write-ahead logs hold from before a crash are on their way before devices reconnect.
  objstore::ObjectStoreConfig lake;
  lake.backend = config_.lake_backend;
  lake.local_root = LocalLakeRoot(config_);
  lake.endpoint = config_.s3_endpoint;
  lake.region = config_.s3_region;
  lake.access_key_id = config_.s3_access_key_id;
  lake.secret_access_key = config_.s3_secret_access_key;
  if (lake.access_key_id.empty() && std::getenv("AWS_ACCESS_KEY_ID")) {
    lake.access_key_id = std::getenv("AWS_ACCESS_KEY_ID");
  }
  if (lake.secret_access_key.empty() && std::getenv("AWS_SECRET_ACCESS_KEY")) {
    lake.secret_access_key = std::getenv("AWS_SECRET_ACCESS_KEY");
  }
  if (std::getenv("AWS_SESSION_TOKEN")) lake.session_token = std::getenv("AWS_SESSION_TOKEN");
  lake.path_style = !config_.s3_virtual_host;
  TRY_ASSIGN(lake_, objstore::OpenObjectStores(lake));

  streams::StreamManagerOptions so;
  so.wal_dir = wal_dir;
  so.db = db_.get();
  so.lake = lake_.get();
  so.metrics = &metrics_;
  TRY_ASSIGN(so.fsync, streams::FsyncPolicy::Parse(config_.wal_fsync));
  so.wal_segment_bytes = uint64_t(config_.wal_segment_mib) << 20;
  so.wal_reuse_bytes = uint64_t(config_.wal_reuse_mib) << 20;
  so.wal_commit_delay_us = config_.wal_commit_delay_us;
  so.wal_checkpoint_interval_ms = config_.wal_checkpoint_interval_ms;
  so.max_pending_bytes = uint64_t(config_.stream_max_pending_mib) << 20;
  so.stop_timeout_ms = int64_t(config_.stream_stop_timeout_s) * 1000;
  so.retry_window_ms = int64_t(config_.stream_retry_window_s) * 1000;
  if (ingest) {
    TRY_ASSIGN(so.epoch_salt, LoadOrCreateEpochSalt(dir));
  }
  if (!config_.streams_nats_url.empty()) {
    auto logs = streams::JetStreamLogs::Connect(config_.streams_nats_url);
    if (!logs.ok()) return logs.status().WithContext("--streams-nats-url");
    Logger("server")->info("streams keep their records in {}", (*logs)->Describe());
    so.logs = std::move(logs).value();
    streams_logs_ = so.logs;
    // The link all the streams share (each stream counts its own failed publishes, pulls
    // and acknowledgements: tributary_stream_jetstream_*).
    metrics_.NewCallbackGauge(
        "tributary_streams_nats_connected",
        "1 while the delivery streams' NATS connection is up, else 0", {},
        [l = streams_logs_.get()] { return l->link().connected ? 1.0 : 0.0; });
    metrics_.NewCallbackCounter(
        "tributary_streams_nats_reconnects_total",
        "Times the delivery streams' NATS connection was made again after it was lost", {},
        [l = streams_logs_.get()] { return l->link().reconnects; });
  }
  TRY_ASSIGN(catalog_, lake::Catalog::Open(db_.get()));
  so.converter = std::make_shared<lake::CatalogRecordConverter>(catalog_.get());
  TRY_ASSIGN(streams_, streams::StreamManager::Open(std::move(so)));
  TRY_ASSIGN(tags_, ResourceTags::Open(db_.get()));
  if (!ingest) TRY(StartControlServices());

  runtime_ = std::make_unique<net::Runtime>(config_.threads);
  TRY(runtime_->Start());

  broker::BrokerOptions b;
  b.bind_address = config_.bind_address;
  b.tls_port = config_.mqtt_tls_port;
  b.ws_port = config_.mqtt_ws_port;
  b.tcp_port = config_.mqtt_port;
  b.server_cert_file = devices_->ca().server_cert_path();
  b.server_key_file = devices_->ca().server_key_path();
  b.ca_cert_file = devices_->ca().ca_cert_path();
  // Devices authenticate with certificates; the registry's Authorizer refuses a client
  // without one at CONNECT unless it gives the administrator's credentials.
  b.tls_require_client_cert = false;
  b.max_payload_size = config_.max_payload_bytes;
  b.state_dir = dir + "/broker";
  // By default 3/8 of the descriptors this process may hold: with the HTTP and HTTPS
  // listeners' quarter each, an eighth is left to files (WALs, the lake, SQLite). None per
  // address, so that a fleet behind one NAT connects (docs/configuration.md).
  const uint64_t files = OpenFileLimit();
  b.max_connections = config_.mqtt_max_connections != 0
                          ? static_cast<size_t>(config_.mqtt_max_connections)
                          : static_cast<size_t>(std::max<uint64_t>(64, files / 8 * 3));
  if (b.max_connections >= files) {
    Logger("server")->warn(
        "mqtt_max_connections {} is not below the open-file limit ({}): "
        "the MQTT listeners may take every descriptor",
        b.max_connections, files);
  }
  b.max_connections_per_address = static_cast<size_t>(config_.mqtt_max_connections_per_address);
  b.max_handshakes_per_address = static_cast<size_t>(config_.mqtt_max_handshakes_per_address);
  b.max_subscriptions_per_session =
      static_cast<uint32_t>(config_.mqtt_max_subscriptions_per_session);
  b.max_topic_filter_bytes = static_cast<uint32_t>(config_.mqtt_max_topic_filter_bytes);
  b.max_retained_messages = static_cast<uint32_t>(config_.mqtt_max_retained_messages);
  b.max_retained_bytes = static_cast<uint64_t>(config_.mqtt_max_retained_mib) << 20;
  b.max_retained_payload_bytes = static_cast<uint32_t>(config_.mqtt_max_retained_payload_bytes);
  b.max_retained_messages_per_client =
      static_cast<uint32_t>(config_.mqtt_max_retained_messages_per_client);
  b.max_retained_bytes_per_client = static_cast<uint64_t>(config_.mqtt_max_retained_mib_per_client)
                                    << 20;
  TRY_ASSIGN(broker_, broker::Broker::Create(b, runtime_.get(), devices_->authorizer(), &metrics_));
  broker::Broker* broker_ptr = broker_.get();
  devices_->SetDeactivationCallback([broker_ptr](const std::string& thing) {
    broker_ptr->DisconnectThing(thing, mqtt::ReasonCode::kNotAuthorized);
  });
  // The rules engine sits on the broker's publish path; a republish goes to the shadows
  // and the rules as a client's message does, then to subscribers (the engine ends loops:
  // RulesEngine::kMaxRuleHops).
  rule_metrics_ = std::make_unique<rules::RuleMetricsTable>(&metrics_);
  TRY_ASSIGN(rules_, rules::RuleRegistry::Open(db_.get(), rule_metrics_.get()));
  rule_objects_ = std::make_unique<LakeObjectSink>(lake_.get(), &metrics_);
  rules::HttpPostQueueOptions http_options;
  http_options.ca_file = config_.rule_http_ca_file;
  if (!http_options.ca_file.empty()) {
    // Found now rather than at the first request.
    if (Status readable = ReadFile(http_options.ca_file).status(); !readable.ok()) {
      return readable.WithContext("--rule-http-ca-file");
    }
  }
  rule_http_ = std::make_unique<rules::HttpPostQueue>(std::move(http_options));
  metrics_.NewCallbackGauge("tributary_rule_http_requests_queued",
                            "Requests of rules' http actions waiting to be sent or being sent", {},
                            [q = rule_http_.get()] { return static_cast<double>(q->requests()); });
  rules_engine_ = std::make_unique<rules::RulesEngine>(
      rules_->rule_set(), streams_.get(),
      [this](const std::string& topic, std::string payload, int qos, mqtt::Properties properties,
             int rule_hops) {
        // As on AWS, a republished message acts like one any client sent: a republish to a
        // shadow's request topic is a request to the shadow (in its line with the
        // devices' requests), the rules see it, and subscribers of the topic hear it.
        broker::InboundMessage again{};
        again.topic = topic;
        again.payload = payload;
        again.qos = static_cast<mqtt::QoS>(qos);
        again.properties = &properties;
        again.received_at_ms = WallMillis();
        again.rule_hops = rule_hops;
        shadows_->OnPublish(again, {});  // passes it on to the rules
        PublishInternal(topic, std::move(payload), qos, std::move(properties));
      },
      rule_metrics_.get(), rule_objects_.get(), rule_http_.get());
  // Device shadows' requests ($aws/things/<thing>/shadow/...) are answered before the
  // rules see them; watchers of live topics see each message before either.
  TRY_ASSIGN(shadow_store_, devices::ShadowStore::Open(db_.get()));
  rule_state_ =
      std::make_unique<RuleExternalState>(shadow_store_.get(), devices_.get(), lake_.get());
  rules_engine_->set_external_state(rule_state_.get());
  shadows_ = std::make_unique<devices::ShadowService>(
      shadow_store_.get(),
      [this](const std::string& topic, std::string payload, int rule_hops) {
        // The answers go to the rules too, as AWS IoT's do ($aws/things/+/shadow/update/accepted),
        // as deep in rules' republishes as the request was.
        broker::InboundMessage answer{};
        answer.topic = topic;
        answer.payload = payload;
        answer.qos = mqtt::QoS::kAtMostOnce;
        answer.received_at_ms = WallMillis();
        answer.rule_hops = rule_hops;
        rules_engine_->OnPublish(answer, {});
        PublishInternal(topic, std::move(payload), 1);
      },
      rules_engine_.get());
  live_ = std::make_unique<LiveTopics>(shadows_.get());
  broker::MessageInterceptor* first = live_.get();
  if (!config_.broker_nats_url.empty()) {
    // Other servers' devices' messages reach subscribers here as the server's own do.
    broker::NatsBridgeOptions bridge;
    bridge.url = config_.broker_nats_url;
    bridge.next = live_.get();
    bridge.metrics = &metrics_;
    bridge.taken_elsewhere = [this](const std::string& client_id, int64_t since_ms) {
      broker_->EndSessionTakenElsewhere(client_id, since_ms);
    };
    bridge.connected_clients = [this] { return broker_->ConnectedClients(); };
    bridge.deliver = [this](const std::string& topic, std::string payload, mqtt::QoS qos,
                            bool retain, mqtt::Properties properties) {
      DeliverLocally(topic, std::move(payload), qos, retain, std::move(properties));
    };
    auto started = broker::NatsBridge::Start(std::move(bridge));
    if (!started.ok()) return started.status().WithContext("--broker-nats-url");
    bridge_ = std::move(started).value();
    first = bridge_.get();
    // It receives what this server's subscribers and live-topic watchers want.
    auto interest = [b = bridge_.get()](std::string_view filter, bool present) {
      b->OnInterest(filter, present);
    };
    broker_->SetInterestObserver(interest);
    live_->SetInterestObserver(interest);
    // One client id, one session, across the servers.
    broker_->SetConnectObserver([b = bridge_.get()](const std::string& client_id) {
      b->NotifyConnected(client_id);
    });
  }
  broker_->SetInterceptor(first);
  TRY(broker_->Start());
  // Its sessions read back: the other servers announce their clients again, ending those
  // here that connected there while this server was down.
  if (bridge_) bridge_->AnnounceStarted();
  // Monitors publish their events through the broker: they start after it.
  if (!ingest) {
    monitor_services_ = MakeMonitorServices(this);
    monitor::MonitorOptions monitor_options;
    monitor_options.scratch_dir = dir + "/tmp/monitor";
    monitor_options.metrics = &metrics_;
    TRY_ASSIGN(monitors_,
               monitor::Monitors::Open(db_.get(), monitor_services_.get(), monitor_options));
  }

  auto router = std::make_shared<net::Router>();
  AddSystemRoutes(router.get(), this);
  AddThingRoutes(router.get(), this);
  AddIotDataRoutes(router.get(), this);
  AddRuleRoutes(router.get(), this);
  AddStreamRoutes(router.get(), this);
  AddAwsJsonRoutes(router.get(), this, /*with_glue=*/!ingest);
  AddIotRuleRoutes(router.get(), this);
  AddIotThingRoutes(router.get(), this);
  if (!ingest) {
    AddCatalogRoutes(router.get(), this);
    AddJobRoutes(router.get(), this);
    AddServingRoutes(router.get(), this);
    AddForecastRoutes(router.get(), this);
    AddTrainingRoutes(router.get(), this);
    AddMonitorRoutes(router.get(), this);
  }
  AddLakeRoutes(router.get(), this);
  AddLiveRoutes(router.get(), this);
  Counter* unauthorized = metrics_.NewCounter("tributary_http_unauthorized_total",
                                              "API requests refused for a missing or wrong token");
  const std::string token = admin_token_;
  s3_ = std::make_unique<S3Api>(this, dir + "/tmp/s3-uploads");
  slow_api_work_ = std::make_unique<BoundedWorkQueue<std::function<void()>>>(
      BoundedWorkQueueOptions{.threads = 2,
                              .max_items = 64,
                              .name = "slow API calls",
                              .unit = "calls",
                              .thread_name = "api-slow"},
      [](std::function<void()>& work) { work(); });
  std::shared_ptr<const Console> console;
  // The console drives every stage: the control server's alone.
  if (config_.console && !ingest) console = std::make_shared<const Console>(config_.console_dir);
  net::HttpServerOptions h;
  h.bind_address = config_.http_bind_address;
  h.port = config_.http_port;
  h.idle_timeout_s = config_.http_idle_timeout_s;
  h.body_too_large = [limit = h.max_body_bytes](const net::HttpRequest& req) {
    const std::string what = "the request body is larger than " + std::to_string(limit) + " bytes";
    if (IsS3Request(req)) return S3Error(400, "EntityTooLarge", what + " and comes without a Content-Length: send its length, or upload it in parts (multipart upload; the AWS CLI and SDKs do so)");
    if (auto aws = AwsBodyTooLarge(req, what)) return std::move(*aws);
    return net::JsonError(413, "resource_exhausted", what);
  };
  // A PutObject past the body limit streams into the lake (s3_large_puts.cc), its
  // signature checked on the header with x-amz-content-sha256 standing for the body.
  // So does an upload in aws-chunked encoding, whatever its size: decoded as it comes.
  h.body_in_pieces = [](const net::HttpRequest& req) { return IsS3Request(req) && IsAwsChunkedUpload(req); };
  h.large_body = [this, token, unauthorized](const net::HttpRequest& req, std::optional<net::HttpResponse>* refusal)
      -> std::shared_ptr<net::HttpBodySink> {
    if (!IsS3Request(req)) return nullptr;  // body_too_large's answer
    SigV4Check signature;
    if (auto refused = RefuseUnauthenticatedAwsRequest(req, token, WallMillis() / 1000, /*body_follows=*/true,
                                                       &signature)) {
      unauthorized->Add();
      *refusal = std::move(*refused);
      return nullptr;
    }
    return s3_->TakeLargeBody(req, signature, refusal);
  };
  // A request the token does not let in (AWS's calls are authenticated their own way).
  // /metrics is open to this machine; a scraper elsewhere sends the metrics token.
  auto refuse_without_token = [token, metrics_token = metrics_token_, unauthorized, console](
                                  const net::HttpRequest& req) -> std::optional<net::HttpResponse> {
    if (IsAwsRequest(req) || (console && Console::Handles(req.path))) return std::nullopt;
    const bool metrics = req.path == "/metrics";
    bool open = req.path == "/healthz" || (metrics && MetricsOpenTo(req, metrics_token));
    if (open || BearerTokenMatches(req.Header("authorization"), token)) return std::nullopt;
    unauthorized->Add();
    return net::JsonError(401, "unauthenticated",
                          metrics ? "missing or wrong token: from another machine, /metrics wants "
                                    "'Authorization: Bearer <token>' with the token in "
                                    "<data-dir>/metrics.token (or the admin token)"
                                  : "missing or wrong token: send 'Authorization: Bearer <token>' "
                                    "(the token is in <data-dir>/admin.token)");
  };
  // Before a body is read, too: without the token no body is buffered. An S3 request's
  // signature covers the body's SHA-256 as its x-amz-content-sha256 header names it (a
  // presigned URL's, no body), so it is checked on the header; the body's hash is
  // compared once read.
  h.refuse_before_body = [token, unauthorized,
                          refuse_without_token](const net::HttpRequest& header) {
    if (!IsAwsRequest(header)) return refuse_without_token(header);
    auto refused = IsS3Request(header)
                       ? RefuseUnauthenticatedAwsRequest(header, token, WallMillis() / 1000,
                                                         /*body_follows=*/true)
                       : RefuseAwsRequestOnItsHeader(header, token, WallMillis() / 1000);
    if (refused) unauthorized->Add();
    return refused;
  };
  // An AWS signature covers the body, so a signed request is read before it is checked:
  // such bodies share 1 GiB (64 of the largest), and a request past it is asked to retry.
  // Whatever an answer carries (an object a device uploaded as text/html, a presigned
  // GET's response-content-type) never runs as a page of the console's origin, where
  // the console keeps the token: a sandbox, and no guessing of types.
  h.default_headers = {{"Content-Security-Policy", "sandbox; default-src 'none'"},
                       {"X-Content-Type-Options", "nosniff"}};
  h.unchecked_body_budget_bytes = 1ull << 30;
  h.unchecked_body_budget_per_peer_bytes = 64ull << 20;
  h.checked_on_header = [](const net::HttpRequest& req) {
    return !IsAwsRequest(req) || IsS3Request(req);
  };
  // A quarter of the descriptors this process may hold (device connections, WALs and the
  // lake need the rest); 256 from one address but this machine's.
  h.max_connections = std::max<uint64_t>(64, OpenFileLimit() / 4);
  h.max_connections_per_peer = 256;
  h.busy = [](const net::HttpRequest& req) {
    return AwsBusy(
        req, "the server is reading as many signed request bodies as it takes at once; retry");
  };
  net::HttpAsyncHandler handler =
      [this, router, token, unauthorized, console, ingest, refuse_without_token](
          net::HttpRequest& req, net::HttpRespond respond) {
        if (IsAwsRequest(req)) {  // an AWS SDK's call: authenticated its way
          if (auto refused = RefuseUnauthenticatedAwsRequest(req, token, WallMillis() / 1000)) {
            if (refused->status != 400 || refused->headers["x-amzn-ErrorType"] != "UnknownOperationException") {
              unauthorized->Add();
            }
            return respond(std::move(*refused));
          }
          if (IsS3Request(req)) return s3_->Serve(req, std::move(respond));
          return router->Dispatch(req, std::move(respond));
        }
        if (console && Console::Handles(req.path)) return respond(*console->Serve(req));
        if (auto refused = refuse_without_token(req)) return respond(std::move(*refused));
        if (ingest) {
          if (auto refused = ControlServerOnly(req.path)) {
            return respond(net::JsonError(409, "failed_precondition", *refused));
          }
        }
        router->Dispatch(req, std::move(respond));
      };
  http_ = std::make_unique<net::HttpServer>(h, runtime_.get(), handler);
  TRY(http_->Start());
  if (!net::IsLoopbackAddress(config_.http_bind_address)) {
    log->warn(
        "the plain HTTP API listens on {}:{}, past loopback: the admin token and every body cross "
        "the network unencrypted (the API over TLS is https_port's)",
        config_.http_bind_address, http_->port());
  }
  // The same API over TLS, with the certificate the MQTT TLS listener shows.
  if (config_.https_port >= 0) {
    TRY_ASSIGN(h.tls, net::MakeServerTlsContext({devices_->ca().server_cert_path(), devices_->ca().server_key_path(),
                                                 "", /*require_client_cert=*/false}));
    h.bind_address = config_.bind_address;
    h.port = config_.https_port;
    https_ = std::make_unique<net::HttpServer>(h, runtime_.get(), std::move(handler));
    TRY(https_->Start());
  }
  TRY(StartDirectory());
  // Last: server.json tells clients the server is up, with all it keeps in the data
  // directory (server.id included) written.
  TRY(WriteServerInfo());
  log->info("started data_dir={} http_port={} https_port={} mqtt_tls_port={} mqtt_ws_port={} mqtt_port={}", dir,
            http_->port(), https_port(), broker_->tls_port(), broker_->ws_port(), broker_->tcp_port());
  return Status::Ok();
}

// What only the control server runs (role "all"): crawlers, ETL jobs, endpoints, batch
// transforms and training jobs. Each takes up its own unfinished work at start-up, so
// one server per metadata database runs them.
Status Server::StartControlServices() {
  const std::string& dir = config_.data_dir;
  TRY_ASSIGN(crawlers_, lake::CrawlerManager::Open(db_.get(), catalog_.get(), lake_.get()));
  TRY_ASSIGN(jobs_, lake::JobManager::Open(db_.get(), catalog_.get(), lake_.get(), dir + "/tmp/etl"));
  TRY_ASSIGN(lifecycle_, lake::LifecycleStore::Open(db_.get()));
  lifecycle_sweeper_ = std::make_unique<lake::LifecycleSweeper>(
      lifecycle_.get(), lake_.get(), lake::LifecycleSweeper::Options{.metrics = &metrics_});
  TRY(lifecycle_sweeper_->Start());
  // Endpoints come back now: their worker processes load while the rest starts.
  TRY_ASSIGN(serving_store_, serving::ServingStore::Open(db_.get()));
  serving::ServingOptions serving_options;
  serving_options.forecast_tool = FindCompanionTool("tributary-forecast", "TRIBUTARY_FORECAST_TOOL");
  serving_options.metrics = &metrics_;
  serving_options.lake = lake_.get();
  serving_options.model_cache_dir = dir + "/models";
  TRY_ASSIGN(endpoints_, serving::EndpointManager::Open(serving_store_.get(), serving_options));
  TRY_ASSIGN(transforms_, serving::TransformJobs::Open(db_.get(), endpoints_.get(), lake_.get()));
  training::TrainingOptions training_options;
  training_options.trainer = {serving_options.forecast_tool};
  training_options.scratch_dir = dir + "/tmp/training";
  TRY_ASSIGN(training_, training::TrainingJobs::Open(db_.get(), lake_.get(), training_options));

  return Status::Ok();
}

Status Server::WriteServerInfo() const {
  nlohmann::json info = {{"pid", static_cast<int64_t>(::getpid())},
                         {"http_port", http_->port()},
                         {"mqtt_tls_port", broker_->tls_port()},
                         {"mqtt_ws_port", broker_->ws_port()},
                         {"mqtt_port", broker_->tcp_port()},
                         {"https_port", https_port()},
                         {"endpoint", "http://" + net::LocalUrlHost(config_.http_bind_address) +
                                          ":" + std::to_string(http_->port())},
                         {"started_at", FormatIso8601Millis(started_at_ms_)}};
  return WriteFileAtomic(config_.data_dir + "/server.json", info.dump(2) + "\n", 0644);
}

const expr::ExternalState* Server::rule_state() const { return rule_state_.get(); }

Status Server::StartDirectory() {
  ServerDirectory::Options o;
  TRY_ASSIGN(o.id, LoadOrCreateServerId(config_.data_dir));
  o.started_ms = started_at_ms_;
  o.metrics = &metrics_;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
  auto report = [this, host = std::string(host)] {
    broker::BrokerStats s = broker_->Stats();
    ServerReport r;
    r.role = config_.role;
    r.host = host;
    r.advertised_host = config_.advertised_host;
    r.version = kVersion;
    r.http_port = http_->port();
    r.https_port = https_port();
    r.mqtt_tls_port = broker_->tls_port();
    r.mqtt_ws_port = broker_->ws_port();
    r.mqtt_port = broker_->tcp_port();
    r.connections = int64_t(s.connections);
    r.sessions = int64_t(s.sessions);
    r.messages_received = int64_t(s.messages_received);
    r.messages_sent = int64_t(s.messages_sent);
    if (bridge_) r.bridge_connected = bridge_->link().connected;
    return r;
  };
  TRY_ASSIGN(directory_, ServerDirectory::Open(db_.get(), std::move(o), std::move(report)));
  return Status::Ok();
}

Status Server::RunSlowApiWork(std::function<void()> work) { return slow_api_work_->Push(work, 1); }

void Server::PublishInternal(const std::string& topic, std::string payload, int qos,
                             mqtt::Properties properties) {
  if (bridge_) bridge_->Forward(topic, payload, static_cast<mqtt::QoS>(qos), false, &properties);
  DeliverLocally(topic, std::move(payload), static_cast<mqtt::QoS>(qos), false,
                 std::move(properties));
}

void Server::DeliverLocally(const std::string& topic, std::string payload, mqtt::QoS qos,
                            bool retain, mqtt::Properties properties) {
  live_->Offer(topic, payload, static_cast<int>(qos), retain);
  broker_->Publish(topic, std::move(payload), qos, retain, std::move(properties));
}

broker::MessageInterceptor& Server::interceptor() {
  if (bridge_) return *bridge_;
  return *live_;
}

int Server::http_port() const { return http_ ? http_->port() : -1; }
int Server::https_port() const { return https_ ? https_->port() : -1; }

void Server::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // First, so that the other servers list this one as stopped while it drains.
  if (directory_) directory_->Stop();
  if (http_) http_->Stop();
  if (https_) https_->Stop();
  if (s3_) s3_->Stop();  // the S3 calls under way finish
  if (slow_api_work_) slow_api_work_->Stop();  // so do the slow API calls (streams still run)
  if (bridge_) bridge_->Close();  // no other server's message is delivered here any more
  // Waiting live-topic polls are answered while the runtime can still write them.
  if (live_) live_->Close();
  monitors_.reset();  // ends evaluations between requests, retrainings between steps; publishes through the broker
  if (shadows_) shadows_->Stop();  // answers the requests under way while the broker can deliver them
  if (broker_) broker_->Stop();
  // After the broker: no record arrives any more; every buffer is delivered, every s3
  // action's object written.
  if (streams_) streams_->Stop();
  if (rule_objects_) rule_objects_->Drain();
  if (rule_http_) rule_http_->Stop();
  lifecycle_sweeper_.reset();  // ends after the object it is deleting
  crawlers_.reset();  // cancels running crawls and waits for them
  jobs_.reset();      // cancels running ETL runs (nothing of them becomes visible)
  transforms_.reset();                // running batch transforms end Stopped
  training_.reset();                  // the running training job and queued ones end Failed
  if (endpoints_) endpoints_->Stop();  // drains in-flight invocations, ends worker processes
  if (runtime_) {
    runtime_->Stop();
    runtime_->Join();
  }
  Logger("server")->info("stopped");
}

Server::~Server() { Stop(); }

int RunServer(const ServerConfig& config) {
  InitLogging(config.log_level);
  // Block the signals before any thread starts, so that only sigwait sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Past a file-size limit (RLIMIT_FSIZE) a write fails with EFBIG and is refused like a
  // full disk's, instead of the signal ending the server.
  signal(SIGXFSZ, SIG_IGN);
  auto server = Server::Start(config);
  if (!server.ok()) {
    Logger("server")->error("cannot start: {}", server.status().ToString());
    std::fprintf(stderr, "tributary server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  int sig = 0;
  sigwait(&set, &sig);
  Logger("server")->info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->Stop();
  return 0;
}

}  // namespace tributary::app
