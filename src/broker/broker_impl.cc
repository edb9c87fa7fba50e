// Broker::Create and the Broker implementation: listeners, the housekeeping thread
// (wills, session expiry, persistence flushes, $SYS topics) and Start/Stop.
#include <condition_variable>
#include <cstdint>
#include <thread>
#include <unordered_set>

#include "base/clock.h"
#include "base/start_thread.h"
#include "broker/broker.h"
#include "broker/broker_core.h"
#include "broker/connection.h"
#include "broker/state_store.h"
#include "net/mqtt_listener.h"
#include "net/tls_context.h"

namespace tributary::broker {
namespace {

constexpr int kTickMs = 100;
constexpr int kFlushEveryMs = 500;
// A flush writes changed sessions and wills kFlushBatch at a time, more batches while
// they come full, for at most kFlushBudgetMs (then the rest waits for the next flush).
constexpr size_t kFlushBatch = StateStore::kMaxBatch * 4;
constexpr int kFlushBudgetMs = 250;
constexpr int kSweepEveryMs = 1000;
constexpr int kStopWaitMs = 3000;

class BrokerImpl : public Broker {
 public:
  BrokerImpl(const BrokerOptions& o, net::Runtime* rt, Authorizer* auth, MetricsRegistry* m)
      : core_(std::make_shared<BrokerCore>(o, rt, auth, m)) {}
  ~BrokerImpl() override { Stop(); }

  void SetInterceptor(MessageInterceptor* interceptor) override {
    core_->interceptor = interceptor;
  }
  void SetInterestObserver(std::function<void(std::string_view, bool)> fn) override {
    core_->tree.SetInterestObserver(std::move(fn));
  }
  void SetConnectObserver(std::function<void(const std::string&)> fn) override {
    core_->connect_observer = std::move(fn);
  }
  void EndSessionTakenElsewhere(const std::string& client_id, int64_t since_ms) override {
    std::shared_ptr<SessionSink> sink;
    if (!core_->RemoveSessionTakenElsewhere(client_id, since_ms, &sink)) return;
    core_->CancelWill(client_id);  // its client is connected elsewhere
    core_->log->info("client connected to another server: its session here is ended client_id={} "
                     "connected={}", client_id, sink != nullptr);
    if (sink) sink->Kick(mqtt::ReasonCode::kSessionTakenOver);
  }

  std::vector<std::pair<std::string, int64_t>> ConnectedClients() const override {
    return core_->ConnectedClients();
  }

  Status Start() override {
    if (started_) return FailedPrecondition("broker: Start() called twice");
    const BrokerOptions& o = core_->options;
    if (!o.state_dir.empty()) {
      TRY(LoadState());
    }
    // One count for the three listeners: the caps are on the descriptors they hold.
    limiter_ = net::ConnectionLimiter::Create(
        {o.max_connections, o.max_connections_per_address, o.loopback_unlimited});
    if (o.max_handshakes_per_address != 0) {
      handshakes_ =
          net::ConnectionLimiter::Create({0, o.max_handshakes_per_address, o.loopback_unlimited});
    }
    if (o.tcp_port >= 0) {
      TRY_ASSIGN(tcp_, Listen(net::ListenerKind::kTcp, o.tcp_port, nullptr));
    }
    if (o.tls_port >= 0) {
      net::TlsServerConfig tc{o.server_cert_file, o.server_key_file, o.ca_cert_file,
                              o.tls_require_client_cert};
      auto ctx = net::MakeServerTlsContext(tc);
      if (!ctx.ok()) return ctx.status().WithContext("broker TLS listener");
      TRY_ASSIGN(tls_, Listen(net::ListenerKind::kTls, o.tls_port, *ctx));
    }
    if (o.ws_port >= 0) {
      net::TlsServerConfig tc{o.server_cert_file, o.server_key_file, o.ca_cert_file, false};
      auto ctx = net::MakeServerTlsContext(tc);
      if (!ctx.ok()) return ctx.status().WithContext("broker WebSocket listener");
      TRY_ASSIGN(ws_, Listen(net::ListenerKind::kWs, o.ws_port, *ctx));
    }
    started_ = true;
    start_ms_ = WallMillis();
    TRY_ASSIGN(housekeeping_, StartThread("broker-house", [this] { Housekeeping(); }));
    core_->log->info("broker started tcp_port={} tls_port={} ws_port={} state_dir={}",
                     tcp_port(), tls_port(), ws_port(), o.state_dir);
    return Status::Ok();
  }

  void Stop() override {
    if (!started_ || stopped_) return;
    stopped_ = true;
    for (auto* l : {&tcp_, &tls_, &ws_}) {
      if (*l) (*l)->Stop();
    }
    core_->stopping = true;
    for (auto& c : core_->Connections(nullptr)) c->Kick(mqtt::ReasonCode::kServerShuttingDown);
    if (!core_->WaitNoConnections(kStopWaitMs)) {
      core_->log->warn("broker stop: {} connections did not close in {} ms",
                       core_->connection_count(), kStopWaitMs);
    }
    {
      std::lock_guard<std::mutex> lock(hk_mu_);
      hk_stop_ = true;
    }
    hk_cv_.notify_all();
    if (housekeeping_.joinable()) housekeeping_.join();
    FlushState(/*everything=*/true);
    core_->log->info("broker stopped sessions={} retained={}", core_->session_count(),
                     core_->retained.size());
  }

  int tls_port() const override { return tls_ ? tls_->port() : -1; }
  int ws_port() const override { return ws_ ? ws_->port() : -1; }
  int tcp_port() const override { return tcp_ ? tcp_->port() : -1; }

  void DisconnectClient(const std::string& client_id, mqtt::ReasonCode reason) override {
    auto session = core_->FindSession(client_id);
    if (!session) return;
    if (auto sink = session->sink()) sink->Kick(AdminReason(reason));
  }

  void DisconnectThing(const std::string& thing, mqtt::ReasonCode reason) override {
    if (thing.empty()) return;  // "" means anonymous / administrator, not a thing
    for (auto& c : core_->Connections(&thing)) c->Kick(AdminReason(reason));
  }

  void Publish(const std::string& topic, std::string payload, mqtt::QoS qos, bool retain,
               mqtt::Properties properties = {}) override {
    mqtt::Publish p;
    p.topic = topic;
    p.payload = std::move(payload);
    p.qos = qos;
    p.retain = retain;
    p.properties = std::move(properties);
    core_->Route(MessageFromPublish(std::move(p), "", WallMillis()));
  }

  BrokerStats Stats() const override {
    const BrokerMetrics& m = core_->metrics;
    BrokerStats s;
    s.connections = core_->connection_count();
    s.sessions = core_->session_count();
    s.subscriptions = core_->tree.size();
    s.retained_messages = core_->retained.size();
    s.messages_received = m.messages_received->Value();
    s.messages_sent = m.messages_sent->Value();
    s.publish_denied = m.publish_denied->Value();
    s.bytes_received = m.bytes_received->Value();
    s.bytes_sent = m.bytes_sent->Value();
    return s;
  }

 private:
  static mqtt::ReasonCode AdminReason(mqtt::ReasonCode r) {
    return r == mqtt::ReasonCode::kSuccess ? mqtt::ReasonCode::kAdministrativeAction : r;
  }

  Result<std::unique_ptr<net::MqttListener>> Listen(
      net::ListenerKind kind, int port, std::shared_ptr<boost::asio::ssl::context> tls) {
    net::MqttListenerOptions lo;
    lo.kind = kind;
    lo.bind_address = core_->options.bind_address;
    lo.port = port;
    lo.tls = std::move(tls);
    lo.handshake_timeout = std::chrono::milliseconds(core_->options.connect_timeout_ms);
    lo.limiter = limiter_;
    lo.refused = core_->metrics.refused_connections;
    lo.handshake_limiter = handshakes_;
    lo.refused_handshakes = core_->metrics.refused_handshakes;
    std::shared_ptr<BrokerCore> core = core_;
    return net::MqttListener::Create(core_->runtime, lo,
                                     [core](std::unique_ptr<net::MqttTransport> t) {
      if (core->stopping) return;
      std::make_shared<Connection>(core, std::move(t))->Start();
    });
  }

  Status LoadState() {
    TRY_ASSIGN(store_, StateStore::Open(core_->options.state_dir));
    size_t skipped = 0;
    TRY_ASSIGN(auto retained, store_->LoadRetained(&skipped));
    for (auto& m : retained) core_->retained.Load(m);
    TRY_ASSIGN(auto sessions, store_->LoadSessions(&skipped));
    size_t n = sessions.size();
    for (auto& s : sessions) {
      saved_.insert(s.client_id);
      core_->RestoreSession(std::move(s));
    }
    // After the sessions: a will waits for its session's end. One due while the server was
    // down is published at the first sweep.
    TRY_ASSIGN(auto wills, store_->LoadWills(&skipped));
    for (auto& w : wills) core_->RestoreWill(std::move(w));
    core_->metrics.retained->Set(static_cast<int64_t>(core_->retained.size()));
    core_->metrics.retained_bytes->Set(static_cast<int64_t>(core_->retained.bytes()));
    core_->log->info("broker state loaded dir={} retained={} sessions={} wills={} skipped={}",
                     core_->options.state_dir, retained.size(), n, wills.size(), skipped);
    const RetainedLimits& l = core_->retained.limits();
    if ((l.max_messages != 0 && core_->retained.counted_messages() > l.max_messages) ||
        (l.max_bytes != 0 && core_->retained.bytes() > l.max_bytes)) {
      core_->log->warn(
          "the retained messages loaded ({}, {} bytes) are past max_retained_messages "
          "({}) or max_retained_bytes ({}): all are kept, and new ones are refused "
          "until clears (empty retained messages) bring the store under",
          core_->retained.counted_messages(), core_->retained.bytes(), l.max_messages, l.max_bytes);
    }
    return Status::Ok();
  }

  // Writes retained changes, changed persistent sessions and delayed wills; deletes gone
  // sessions and wills.
  void FlushState(bool everything) {
    if (!store_) return;
    // $SYS topics are regenerated at every start: not worth a disk write.
    auto retained = core_->retained.TakeChanges();
    std::erase_if(retained, [](const auto& c) { return c.first.rfind("$SYS/", 0) == 0; });
    Status st = store_->SaveRetained(retained);
    if (!st.ok()) core_->log->error("persisting retained messages failed: {}", st.ToString());
    // Only the sessions and wills changed since the last flush: an idle session costs
    // nothing here. A batch at a time, and more while a batch came full, until the
    // flush's time is spent: a fleet arriving at once is saved at the database's pace,
    // not a batch per flush, and the sweeps still run between flushes.
    const size_t batch = everything ? SIZE_MAX : kFlushBatch;
    const int64_t until = SteadyNanos() + int64_t{kFlushBudgetMs} * 1'000'000;
    bool more = true;
    while (more) {
      more = FlushSessions(batch);
      more = FlushWills(batch) || more;
      if (SteadyNanos() >= until) break;
    }
    // What this flush left for the next ones: past its time, or not written.
    core_->metrics.state_unsaved->Set(
        static_cast<int64_t>(core_->changed_sessions.size() + core_->unsaved_will_count()));
  }

  // Writes at most `batch` changed sessions and deletes the rows of those gone; returns
  // whether the batch came full (so more may wait). Those not written are kept for later.
  bool FlushSessions(size_t batch) {
    auto changes = core_->TakeSessionChanges(batch);
    std::vector<std::string> deletes;
    for (const auto& id : changes.gone) {
      if (saved_.count(id) != 0) deletes.push_back(id);
    }
    if (changes.upserts.empty() && deletes.empty()) return false;
    Status st = store_->SaveSessions(changes.upserts, deletes);
    if (!st.ok()) {
      core_->log->error("persisting sessions failed: {}", st.ToString());
      core_->ReturnSessionChanges(changes);  // retried at the next flush
      return false;
    }
    for (const auto& u : changes.upserts) saved_.insert(u.client_id);
    for (const auto& id : deletes) saved_.erase(id);
    return changes.upserts.size() == batch;
  }

  // The same for the delayed wills scheduled, published or cancelled.
  bool FlushWills(size_t batch) {
    auto wills = core_->TakeWillChanges(batch);
    if (wills.upserts.empty() && wills.gone.empty()) return false;
    Status st = store_->SaveWills(wills.upserts, wills.gone);
    if (!st.ok()) {
      core_->log->error("persisting delayed wills failed: {}", st.ToString());
      core_->ReturnWillChanges(wills);
      return false;
    }
    return wills.upserts.size() == batch;
  }

  void PublishSys() {
    const BrokerMetrics& m = core_->metrics;
    auto pub = [&](const std::string& t, uint64_t v) {
      Publish("$SYS/broker/" + t, std::to_string(v), mqtt::QoS::kAtMostOnce, true);
    };
    pub("clients/connected", core_->connection_count());
    pub("clients/total", core_->session_count());
    pub("messages/received", m.messages_received->Value());
    pub("messages/sent", m.messages_sent->Value());
    pub("bytes/received", m.bytes_received->Value());
    pub("bytes/sent", m.bytes_sent->Value());
    pub("publish/denied", m.publish_denied->Value());
    pub("messages/dropped", m.messages_dropped->Value());
    pub("subscriptions/count", core_->tree.size());
    pub("retained messages/count", core_->retained.size());
    Publish("$SYS/broker/uptime", std::to_string((WallMillis() - start_ms_) / 1000) + " seconds",
            mqtt::QoS::kAtMostOnce, true);
  }

  void Housekeeping() {
    int64_t last_flush = 0, last_sweep = 0, last_sys = 0;
    std::unique_lock<std::mutex> lock(hk_mu_);
    while (!hk_stop_) {
      lock.unlock();
      int64_t now = WallMillis();
      core_->SweepWills(now);
      if (now - last_sweep >= kSweepEveryMs) {
        for (const auto& id : core_->SweepSessions(now)) {
          core_->log->info("session expired client_id={}", id);
        }
        last_sweep = now;
      }
      if (now - last_sys >= core_->options.sys_interval_ms) {
        PublishSys();
        last_sys = now;
      }
      if (now - last_flush >= kFlushEveryMs) {
        FlushState(false);
        last_flush = now;
      }
      lock.lock();
      hk_cv_.wait_for(lock, std::chrono::milliseconds(kTickMs), [&] { return hk_stop_; });
    }
  }

  std::shared_ptr<BrokerCore> core_;
  std::shared_ptr<net::ConnectionLimiter> limiter_;
  std::shared_ptr<net::ConnectionLimiter> handshakes_;  // per address, until CONNECT; or null
  std::unique_ptr<net::MqttListener> tcp_, tls_, ws_;
  std::unique_ptr<StateStore> store_;
  std::unordered_set<std::string> saved_;  // client ids of the sessions written
  bool started_ = false;
  bool stopped_ = false;
  int64_t start_ms_ = 0;
  std::thread housekeeping_;
  std::mutex hk_mu_;
  std::condition_variable hk_cv_;
  bool hk_stop_ = false;
};

}  // namespace

Result<std::unique_ptr<Broker>> Broker::Create(const BrokerOptions& options,
                                               net::Runtime* runtime, Authorizer* auth,
                                               MetricsRegistry* metrics) {
  if (runtime == nullptr) return InvalidArgument("broker: a net::Runtime is required");
  if (auth == nullptr) return InvalidArgument("broker: an Authorizer is required");
  if (options.receive_maximum == 0) {
    return InvalidArgument("broker: receive_maximum must be at least 1");
  }
  if ((options.tls_port >= 0 || options.ws_port >= 0) &&
      (options.server_cert_file.empty() || options.server_key_file.empty())) {
    return InvalidArgument(
        "broker: the TLS and WebSocket listeners need server_cert_file and server_key_file "
        "(or disable them with port -1)");
  }
  if (options.tls_port >= 0 && options.ca_cert_file.empty()) {
    return InvalidArgument("broker: the TLS listener needs ca_cert_file to verify clients");
  }
  return std::unique_ptr<Broker>(new BrokerImpl(options, runtime, auth, metrics));
}

}  // namespace tributary::broker
