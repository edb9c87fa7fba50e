#include "broker/broker_core.h"

#include <fmt/format.h>

#include <chrono>

#include "base/clock.h"
#include "base/log_throttle.h"
#include "broker/basic_ingest.h"

namespace tributary::broker {
namespace {

MetricsRegistry* OrOwn(MetricsRegistry* given, std::unique_ptr<MetricsRegistry>* own) {
  if (given != nullptr) return given;
  *own = std::make_unique<MetricsRegistry>();
  return own->get();
}

RetainedLimits RetainedLimitsOf(const BrokerOptions& o) {
  return {o.max_retained_payload_bytes, o.max_retained_messages, o.max_retained_bytes,
          o.max_retained_messages_per_client, o.max_retained_bytes_per_client};
}

// When a detached session with a finite expiry ends.
int64_t ExpiryDue(const Session& s, uint32_t expiry_s) {
  return s.disconnected_at_ms() + int64_t{expiry_s} * 1000;
}

}  // namespace

BrokerCore::BrokerCore(const BrokerOptions& o, net::Runtime* rt, Authorizer* a, MetricsRegistry* m)
    : options(o),
      runtime(rt),
      auth(a),
      metrics(OrOwn(m, &own_metrics)),
      retained(RetainedLimitsOf(o)),
      log(Logger("broker")) {}

BrokerCore::OpenResult BrokerCore::OpenSession(const std::string& client_id, bool clean_start,
                                               std::shared_ptr<SessionSink> sink,
                                               mqtt::Version version, uint16_t receive_maximum,
                                               uint32_t expiry_s) {
  OpenResult r;
  std::lock_guard<std::mutex> lock(sessions_mu_);
  auto it = sessions_.find(client_id);
  if (it != sessions_.end()) {
    r.previous = it->second->sink();
    if (clean_start) {
      RemoveSessionLocked(it->second);
    } else {
      r.session = it->second;
      r.present = true;
    }
  }
  if (!r.session) {
    r.session =
        std::make_shared<Session>(client_id, options.max_queued_messages, &changed_sessions);
    sessions_.emplace(client_id, r.session);
  }
  expiries_.Clear(client_id);
  r.session->Attach(std::move(sink), version, receive_maximum, expiry_s);
  metrics.sessions->Set(static_cast<int64_t>(sessions_.size()));
  return r;
}

void BrokerCore::RemoveSessionLocked(std::shared_ptr<Session> session) {
  for (const auto& [filter, rec] : session->Subscriptions()) {
    tree.Unsubscribe(session.get(), filter);
  }
  auto it = sessions_.find(session->client_id());
  if (it != sessions_.end() && it->second == session) {
    sessions_.erase(it);
    expiries_.Clear(session->client_id());
    changed_sessions.Add(session->client_id());
  }
  metrics.sessions->Set(static_cast<int64_t>(sessions_.size()));
  metrics.subscriptions->Set(static_cast<int64_t>(tree.size()));
}

bool BrokerCore::CloseSession(const std::shared_ptr<Session>& session, const SessionSink* sink) {
  if (!session->Detach(sink, WallMillis())) return false;
  std::lock_guard<std::mutex> lock(sessions_mu_);
  // Re-check under the lock: a new connection may have attached meanwhile.
  if (session->online()) return true;
  uint32_t expiry_s = session->expiry_interval_s();
  if (expiry_s == 0) {
    // Also when it was removed meanwhile: its subscriptions go from the tree.
    RemoveSessionLocked(session);
  } else if (auto it = sessions_.find(session->client_id());
             expiry_s != kSessionNeverExpires && it != sessions_.end() && it->second == session) {
    // From the session's own time: a connection that attached and left meanwhile
    // detached it later than this one did.
    expiries_.Set(session->client_id(), ExpiryDue(*session, expiry_s));
  }
  return true;
}

std::vector<std::string> BrokerCore::SweepSessions(int64_t now_ms) {
  std::vector<std::string> removed;
  std::lock_guard<std::mutex> lock(sessions_mu_);
  for (auto& id : expiries_.TakeDue(now_ms)) {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second->online()) continue;
    std::shared_ptr<Session> s = it->second;
    uint32_t expiry_s = s->expiry_interval_s();
    if (expiry_s == kSessionNeverExpires) continue;
    if (int64_t due = ExpiryDue(*s, expiry_s); due > now_ms) {
      expiries_.Set(id, due);  // not yet: its entry was older than its state
      continue;
    }
    RemoveSessionLocked(s);
    removed.push_back(std::move(id));
  }
  return removed;
}

BrokerCore::SessionChanges BrokerCore::TakeSessionChanges(size_t max_upserts) {
  SessionChanges out;
  // Taken as many at a time as snapshots may still be made (the gone ones make none), so
  // that those past the batch stay where they are.
  while (out.upserts.size() < max_upserts) {
    std::vector<std::string> ids = changed_sessions.Take(max_upserts - out.upserts.size());
    if (ids.empty()) break;
    for (std::string& id : ids) {
      std::shared_ptr<Session> s = FindSession(id);
      // Cleared whether it is written or not: a session that becomes persistent later (a
      // takeover with a non-zero expiry) is told again.
      if (s) s->ClearChangedMark();
      if (s && s->expiry_interval_s() != 0) {
        out.upserts.push_back(s->Snapshot());
      } else {
        out.gone.push_back(std::move(id));
      }
    }
  }
  return out;
}

void BrokerCore::ReturnSessionChanges(const SessionChanges& changes) {
  for (const auto& u : changes.upserts) changed_sessions.Add(u.client_id);
  for (const auto& id : changes.gone) changed_sessions.Add(id);
}

size_t BrokerCore::expiring_session_count() const {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  return expiries_.size();
}

bool BrokerCore::RemoveSessionTakenElsewhere(const std::string& client_id, int64_t since_ms,
                                             std::shared_ptr<SessionSink>* sink) {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  auto it = sessions_.find(client_id);
  if (it == sessions_.end() || it->second->attached_at_ms() >= since_ms) return false;
  std::shared_ptr<Session> session = it->second;
  *sink = session->sink();
  RemoveSessionLocked(session);
  return true;
}

std::shared_ptr<Session> BrokerCore::FindSession(const std::string& client_id) const {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  auto it = sessions_.find(client_id);
  return it == sessions_.end() ? nullptr : it->second;
}

std::vector<std::pair<std::string, int64_t>> BrokerCore::ConnectedClients() const {
  std::vector<std::pair<std::string, int64_t>> out;
  std::lock_guard<std::mutex> lock(sessions_mu_);
  for (const auto& [id, session] : sessions_) {
    if (session->online()) out.emplace_back(id, session->attached_at_ms());
  }
  return out;
}

size_t BrokerCore::session_count() const {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  return sessions_.size();
}

void BrokerCore::RestoreSession(SessionState state) {
  if (state.disconnected_at_ms == 0) state.disconnected_at_ms = WallMillis();
  auto subs = state.subscriptions;
  auto session =
      std::make_shared<Session>(std::move(state), options.max_queued_messages, &changed_sessions);
  std::lock_guard<std::mutex> lock(sessions_mu_);
  for (const auto& [filter, rec] : subs) tree.Subscribe(session, filter, rec.options, rec.id);
  sessions_[session->client_id()] = session;
  if (uint32_t expiry_s = session->expiry_interval_s(); expiry_s != kSessionNeverExpires) {
    expiries_.Set(session->client_id(), ExpiryDue(*session, expiry_s));
  }
  metrics.sessions->Set(static_cast<int64_t>(sessions_.size()));
  metrics.subscriptions->Set(static_cast<int64_t>(tree.size()));
}

void BrokerCore::Retain(const MessagePtr& msg) {
  if (!msg->retain || IsBasicIngestTopic(msg->topic)) return;
  // The server's own $SYS topics (a fixed few, never saved) take none of the limits.
  const bool counted = !(msg->origin_client_id.empty() && msg->topic.starts_with("$SYS/"));
  if (RetainRefusal why = retained.Apply(msg, counted); why != RetainRefusal::kNone) {
    RetainRefused(msg->origin_client_id, msg->topic, msg->payload.size(), why);
    return;
  }
  metrics.retained->Set(static_cast<int64_t>(retained.size()));
  metrics.retained_bytes->Set(static_cast<int64_t>(retained.bytes()));
}

void BrokerCore::RetainRefused(std::string_view client_id, std::string_view topic,
                               size_t payload_bytes, RetainRefusal why) {
  const RetainedLimits& l = retained.limits();
  std::string what;
  switch (why) {
    case RetainRefusal::kPayloadTooLarge:
      metrics.refused_retained_payload->Add(1);
      what =
          fmt::format("its payload is over max_retained_payload_bytes ({})", l.max_payload_bytes);
      break;
    case RetainRefusal::kClientShareFull: {
      metrics.refused_retained_client->Add(1);
      RetainedShare share = retained.share(client_id);
      what = fmt::format(
          "the client's retained messages are at max_retained_messages_per_client ({}) or "
          "max_retained_bytes_per_client ({}) (it holds {} messages, {} bytes)",
          l.max_messages_per_client, l.max_bytes_per_client, share.messages, share.bytes);
      break;
    }
    default:
      metrics.refused_retained_store->Add(1);
      what = fmt::format(
          "the retained store is full (max_retained_messages {}, max_retained_bytes {}; it "
          "holds {} messages, {} bytes)",
          l.max_messages, l.max_bytes, retained.counted_messages(), retained.bytes());
  }
  static LogThrottle throttle(10000);
  uint64_t held = 0;
  if (!throttle.Allow(&held)) return;
  log->warn(
      "retained message not retained client_id={} topic={} payload_bytes={}: {}; a clear "
      "(an empty retained message) makes room; more since the last report={}",
      client_id, topic.substr(0, 256), payload_bytes, what, held);
}

void BrokerCore::Route(const MessagePtr& msg) {
  Retain(msg);
  thread_local std::vector<SubscriptionMatch> matches;
  matches.clear();
  MatchSubscribers(msg->topic, msg->origin_client_id, &matches);
  Deliver(msg, matches);
}

void BrokerCore::MatchSubscribers(std::string_view topic, std::string_view publisher,
                                  std::vector<SubscriptionMatch>* out) const {
  if (IsBasicIngestTopic(topic)) return;  // for its rule alone (basic_ingest.h)
  tree.Match(topic, publisher, out);
}

void BrokerCore::Deliver(const MessagePtr& msg, std::vector<SubscriptionMatch>& matches) {
  for (auto& m : matches) {
    auto* session = static_cast<Session*>(m.subscriber.get());
    mqtt::QoS qos = std::min(msg->qos, m.max_qos);
    bool retain = m.retain_as_published && msg->retain;
    Enqueue(session, msg, qos, retain, std::move(m.subscription_ids));
  }
  matches.clear();
}

void BrokerCore::Enqueue(Session* session, const MessagePtr& msg, mqtt::QoS qos, bool retain,
                         std::vector<uint32_t> subscription_ids) {
  bool displaced = false;
  bool kept = session->Enqueue(msg, qos, retain, std::move(subscription_ids), &displaced);
  if (kept && !displaced) return;
  metrics.messages_dropped->Add(1);
  static LogThrottle throttle(10000);
  if (uint64_t held = 0; displaced && throttle.Allow(&held)) {
    log->warn("queue full, oldest message dropped client_id={} online={} queue_limit={} "
              "more_since_last_report={}",
              session->client_id(), session->online(), session->queue_limit(), held);
  }
}

void BrokerCore::ScheduleWill(const std::string& client_id, WillSender sender, mqtt::Publish will,
                              int64_t due_ms) {
  std::lock_guard<std::mutex> lock(wills_mu_);
  ScheduleWillLocked(client_id, std::move(sender), std::move(will), due_ms, true);
}

void BrokerCore::RestoreWill(WillState state) {
  std::lock_guard<std::mutex> lock(wills_mu_);
  ScheduleWillLocked(state.client_id, {std::move(state.thing), std::move(state.principal)},
                     std::move(state.will), state.due_ms, false);
}

void BrokerCore::ScheduleWillLocked(const std::string& client_id, WillSender sender,
                                    mqtt::Publish will, int64_t due_ms, bool changed) {
  PendingWill w{std::move(will.topic), std::move(will.payload), will.qos, will.retain, nullptr,
                std::move(sender)};
  if (will.properties != mqtt::Properties{}) {
    w.properties = std::make_unique<mqtt::Properties>(std::move(will.properties));
  }
  wills_[client_id] = std::move(w);
  wills_due_.Set(client_id, due_ms);
  if (changed) wills_changed_.insert(client_id);
  metrics.wills_pending->Set(static_cast<int64_t>(wills_.size()));
}

void BrokerCore::PublishWill(const MessagePtr& will, const WillSender& sender) {
  Route(will);
  if (interceptor == nullptr) return;
  InboundMessage im{will->origin_client_id,
                    sender.thing,
                    will->topic,
                    will->payload,
                    will->qos,
                    will->retain,
                    &will->properties,
                    will->received_at_ms,
                    "",
                    sender.principal};
  interceptor->OnPublish(im, {});
}

void BrokerCore::CancelWill(const std::string& client_id) {
  std::lock_guard<std::mutex> lock(wills_mu_);
  if (wills_.erase(client_id) == 0) return;
  wills_due_.Clear(client_id);
  wills_changed_.insert(client_id);
  metrics.wills_pending->Set(static_cast<int64_t>(wills_.size()));
}

size_t BrokerCore::SweepWills(int64_t now_ms) {
  std::vector<std::pair<MessagePtr, WillSender>> due;
  {
    std::lock_guard<std::mutex> lock(wills_mu_);
    for (const auto& id : wills_due_.TakeDue(now_ms)) {
      auto node = wills_.extract(id);
      if (node.empty()) continue;
      wills_changed_.insert(id);
      PendingWill& w = node.mapped();
      due.emplace_back(MessageFromPublish(w.TakePublish(), id, now_ms), std::move(w.sender));
    }
    if (!due.empty()) metrics.wills_pending->Set(static_cast<int64_t>(wills_.size()));
  }
  for (const auto& [m, sender] : due) PublishWill(m, sender);
  return due.size();
}

size_t BrokerCore::pending_will_count() {
  std::lock_guard<std::mutex> lock(wills_mu_);
  return wills_.size();
}

mqtt::Publish BrokerCore::PendingWill::TakePublish() {
  mqtt::Publish p;
  p.topic = std::move(topic);
  p.payload = std::move(payload);
  p.qos = qos;
  p.retain = retain;
  if (properties) p.properties = std::move(*properties);
  return p;
}

BrokerCore::PendingWill BrokerCore::PendingWill::Copy() const {
  return PendingWill{topic,
                     payload,
                     qos,
                     retain,
                     properties ? std::make_unique<mqtt::Properties>(*properties) : nullptr,
                     sender};
}

BrokerCore::WillChanges BrokerCore::TakeWillChanges(size_t max_upserts) {
  WillChanges out;
  std::lock_guard<std::mutex> lock(wills_mu_);
  for (auto it = wills_changed_.begin(); it != wills_changed_.end();) {
    auto w = wills_.find(*it);
    if (w == wills_.end()) {
      out.gone.push_back(std::move(wills_changed_.extract(it++).value()));
      continue;
    }
    if (out.upserts.size() >= max_upserts) break;  // the rest stay for the next call
    const PendingWill& p = w->second;
    WillState& state = out.upserts.emplace_back();
    state.client_id = *it;
    state.due_ms = wills_due_.Due(*it).value_or(0);  // every waiting will has one
    state.will = p.Copy().TakePublish();
    state.thing = p.sender.thing;
    state.principal = p.sender.principal;
    it = wills_changed_.erase(it);
  }
  return out;
}

size_t BrokerCore::unsaved_will_count() {
  std::lock_guard<std::mutex> lock(wills_mu_);
  return wills_changed_.size();
}

void BrokerCore::ReturnWillChanges(const WillChanges& changes) {
  std::lock_guard<std::mutex> lock(wills_mu_);
  for (const auto& u : changes.upserts) wills_changed_.insert(u.client_id);
  for (const auto& id : changes.gone) wills_changed_.insert(id);
}

void BrokerCore::AddConnection(SessionSink* conn, std::weak_ptr<SessionSink> weak,
                               std::string thing) {
  std::lock_guard<std::mutex> lock(conns_mu_);
  conns_[conn] = ConnEntry{std::move(weak), std::move(thing)};
  metrics.connections->Set(static_cast<int64_t>(conns_.size()));
}

void BrokerCore::RemoveConnection(SessionSink* conn) {
  std::lock_guard<std::mutex> lock(conns_mu_);
  conns_.erase(conn);
  metrics.connections->Set(static_cast<int64_t>(conns_.size()));
  conns_cv_.notify_all();
}

std::vector<std::shared_ptr<SessionSink>> BrokerCore::Connections(const std::string* thing) const {
  std::vector<std::shared_ptr<SessionSink>> out;
  std::lock_guard<std::mutex> lock(conns_mu_);
  for (const auto& [ptr, e] : conns_) {
    if (thing != nullptr && e.thing != *thing) continue;
    if (auto c = e.conn.lock()) out.push_back(std::move(c));
  }
  return out;
}

size_t BrokerCore::connection_count() const {
  std::lock_guard<std::mutex> lock(conns_mu_);
  return conns_.size();
}

bool BrokerCore::WaitNoConnections(int timeout_ms) {
  std::unique_lock<std::mutex> lock(conns_mu_);
  return conns_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                            [&] { return conns_.empty(); });
}

}  // namespace tributary::broker
