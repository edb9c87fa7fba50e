// The composition root: builds every long-lived part of `tributary server` from a
// ServerConfig, in dependency order, and tears them down in reverse. The one place
// that knows every stage; stages know each other only through small interfaces.
//
// Thread-safety: Start and Stop from the main thread; the accessors are safe from
// HTTP handler threads once Start has returned.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "app/config.h"
#include "base/bounded_work_queue.h"
#include "base/dir_lock.h"
#include "base/metrics.h"
#include "base/status.h"
#include "mqtt/packet.h"

namespace tributary::metadata { class Database; }
namespace tributary::net { class Runtime; class HttpServer; }
namespace tributary::broker { class Broker; class MessageInterceptor; class NatsBridge; }
namespace tributary::devices { class DeviceRegistry; class ShadowService; class ShadowStore; }
namespace tributary::objstore { class ObjectStoreProvider; }
namespace tributary::streams {
class StreamManager;
class RecordLogProvider;
}  // namespace tributary::streams
namespace tributary::rules {
class RuleRegistry;
class RuleMetricsTable;
class RulesEngine;
class HttpPostQueue;
}  // namespace tributary::rules
namespace tributary::lake {
class Catalog;
class CrawlerManager;
class JobManager;
class LifecycleStore;
class LifecycleSweeper;
}  // namespace tributary::lake
namespace tributary::serving { class ServingStore; class EndpointManager; class TransformJobs; }
namespace tributary::training { class TrainingJobs; }
namespace tributary::monitor { class MonitorServices; class Monitors; }
namespace tributary::expr { class ExternalState; }

namespace tributary::app {

class LiveTopics;
class LakeObjectSink;
class ResourceTags;
class RuleExternalState;
class ServerDirectory;
class S3Api;

class Server {
 public:
  static Result<std::unique_ptr<Server>> Start(const ServerConfig& config);
  ~Server();

  // Graceful: stops accepting, closes sessions, flushes persistent state. Idempotent.
  void Stop();

  const ServerConfig& config() const { return config_; }
  const std::string& admin_token() const { return admin_token_; }
  int http_port() const;
  int https_port() const;  // -1 when off
  MetricsRegistry& metrics() { return metrics_; }
  metadata::Database& db() { return *db_; }
  broker::Broker& broker() { return *broker_; }
  devices::DeviceRegistry& devices() { return *devices_; }
  rules::RuleRegistry& rules() { return *rules_; }
  streams::StreamManager& streams() { return *streams_; }
  // Where the streams keep their records when not in local WALs (null: the WALs).
  const streams::RecordLogProvider* streams_logs() const { return streams_logs_.get(); }
  objstore::ObjectStoreProvider& lake() { return *lake_; }
  lake::Catalog& catalog() { return *catalog_; }
  ResourceTags& tags() { return *tags_; }
  lake::CrawlerManager& crawlers() { return *crawlers_; }
  lake::JobManager& jobs() { return *jobs_; }
  // Buckets' lifecycle rules and what applies them; null in an ingest server.
  lake::LifecycleStore* lifecycle() { return lifecycle_.get(); }
  lake::LifecycleSweeper* lifecycle_sweeper() { return lifecycle_sweeper_.get(); }
  rules::RuleMetricsTable& rule_metrics() { return *rule_metrics_; }
  serving::ServingStore& serving_store() { return *serving_store_; }
  serving::EndpointManager& endpoints() { return *endpoints_; }
  serving::TransformJobs& transforms() { return *transforms_; }
  training::TrainingJobs& training() { return *training_; }
  monitor::Monitors& monitors() { return *monitors_; }
  LiveTopics& live() { return *live_; }
  devices::ShadowService& shadows() { return *shadows_; }
  devices::ShadowStore& shadow_store() { return *shadow_store_; }
  // What rules' get_thing_shadow() reads (the shadow store), for rule trials too.
  const expr::ExternalState* rule_state() const;
  // The NATS bridge between servers (--broker-nats-url), or null.
  const broker::NatsBridge* bridge() const { return bridge_.get(); }
  // The start of the broker's interceptor chain: the NATS bridge if any, then live topics,
  // then device shadows, then the rules (what a device's PUBLISH goes through).
  broker::MessageInterceptor& interceptor();
  // Publishes from inside the server (republish actions, monitor events): through the
  // broker, to whoever watches the topic over HTTP, and with --broker-nats-url to the
  // other servers.
  void PublishInternal(const std::string& topic, std::string payload, int qos,
                       mqtt::Properties properties = {});
  // Runs `work` on one of the server's workers for API calls that may wait (a stream's
  // delete or flush waits for its lake): the HTTP threads, which also carry the broker,
  // must not. Unavailable (work not run) when too much waits or the server is stopping.
  Status RunSlowApiWork(std::function<void()> work);
  int64_t started_at_ms() const { return started_at_ms_; }
  // The deployment's servers, this one among them (server_directory.h).
  ServerDirectory& directory() { return *directory_; }

 private:
  explicit Server(ServerConfig config);
  // To this server's subscribers and live-topic watchers only.
  void DeliverLocally(const std::string& topic, std::string payload, mqtt::QoS qos, bool retain,
                      mqtt::Properties properties = {});
  Status Init();
  // <data-dir>/server.json: the pid and the ports actually bound, for clients and tests.
  Status StartControlServices();
  Status WriteServerInfo() const;
  // Lists this server in the deployment's servers and starts its heartbeat.
  Status StartDirectory();

  ServerConfig config_;
  // One server per data directory, and per WAL directory when that is elsewhere: two
  // writers on one write-ahead log would corrupt it.
  DirLock data_dir_lock_;
  DirLock wal_dir_lock_;
  std::string admin_token_;
  std::string metrics_token_;  // GET /metrics from another machine
  int64_t started_at_ms_ = 0;
  MetricsRegistry metrics_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<devices::DeviceRegistry> devices_;
  std::unique_ptr<objstore::ObjectStoreProvider> lake_;
  std::shared_ptr<streams::RecordLogProvider> streams_logs_;
  // Before streams_: the streams' record conversion reads it until they stop.
  std::unique_ptr<lake::Catalog> catalog_;
  std::unique_ptr<streams::StreamManager> streams_;
  std::unique_ptr<ResourceTags> tags_;  // AWS tags on streams and SageMaker resources
  std::unique_ptr<lake::CrawlerManager> crawlers_;
  std::unique_ptr<lake::JobManager> jobs_;
  std::unique_ptr<lake::LifecycleStore> lifecycle_;
  std::unique_ptr<lake::LifecycleSweeper> lifecycle_sweeper_;
  std::unique_ptr<rules::RuleRegistry> rules_;
  std::unique_ptr<rules::RuleMetricsTable> rule_metrics_;
  std::unique_ptr<LakeObjectSink> rule_objects_;  // s3 actions' objects
  std::unique_ptr<rules::HttpPostQueue> rule_http_;  // http actions' requests
  std::unique_ptr<rules::RulesEngine> rules_engine_;
  std::unique_ptr<devices::ShadowStore> shadow_store_;
  std::unique_ptr<RuleExternalState>
      rule_state_;  // the rules' get_thing_shadow(), get_registry_data()
  std::unique_ptr<devices::ShadowService> shadows_;  // in front of the rules engine
  std::unique_ptr<LiveTopics> live_;  // in front of the rules engine; outlives the broker
  std::unique_ptr<broker::NatsBridge> bridge_;  // in front of live_, with broker_nats_url
  std::unique_ptr<serving::ServingStore> serving_store_;
  std::unique_ptr<serving::EndpointManager> endpoints_;
  std::unique_ptr<serving::TransformJobs> transforms_;
  std::unique_ptr<training::TrainingJobs> training_;
  std::unique_ptr<monitor::MonitorServices> monitor_services_;
  std::unique_ptr<monitor::Monitors> monitors_;
  std::unique_ptr<net::Runtime> runtime_;
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<net::HttpServer> http_;
  std::unique_ptr<net::HttpServer> https_;  // the same API over TLS (https_port)
  std::unique_ptr<S3Api> s3_;  // the S3 API's workers; before http_'s last answers
  std::unique_ptr<BoundedWorkQueue<std::function<void()>>> slow_api_work_;  // RunSlowApiWork
  std::unique_ptr<ServerDirectory> directory_;  // written once the ports are known
  bool stopped_ = false;
};

// `tributary server`: starts, waits for SIGTERM or SIGINT, stops. Returns the exit code.
int RunServer(const ServerConfig& config);

}  // namespace tributary::app
