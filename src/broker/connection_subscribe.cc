// SUBSCRIBE and UNSUBSCRIBE.
//
//   filter case                          v5 SUBACK reason        3.1.1
//   granted                              0x00 / 0x01 / 0x02      same
//   invalid filter                       0x8F Topic filter invalid  0x80
//   longer than max_topic_filter_bytes   0x8F Topic filter invalid  0x80
//   under $aws/rules/ (Basic Ingest)     0x8F Topic filter invalid  0x80
//   ClientGrant::CanSubscribe false      0x87 Not authorized        0x80
//   new, the session at                  0x97 Quota exceeded        0x80
//     max_subscriptions_per_session      (a filter it has already is replaced)
//   no-local on a $share filter          DISCONNECT 0x82 (protocol error)
//
// Refusals for a limit are counted in tributary_mqtt_limit_refusals_total and logged at
// most once per 10 s.
//
// Retained messages go out after the SUBACK, with RETAIN set, for non-shared filters:
// retain handling 0 always, 1 only when the subscription is new, 2 never.
#include "base/clock.h"
#include "base/log_throttle.h"
#include "broker/basic_ingest.h"
#include "broker/connection.h"
#include "mqtt/topic.h"

namespace tributary::broker {
namespace {

LogThrottle long_filter_log(10000);
LogThrottle quota_log(10000);

}  // namespace

void Connection::HandleSubscribe(mqtt::Subscribe&& s) {
  const BrokerOptions& opt = core_->options;
  bool v5 = version_ == mqtt::Version::kV5;
  uint32_t sub_id = 0;
  if (v5 && !s.properties.subscription_identifiers.empty()) {
    sub_id = s.properties.subscription_identifiers.front();
    if (sub_id == 0) {
      Fail(mqtt::ReasonCode::kProtocolError, "SUBSCRIBE: subscription identifier 0");
      return;
    }
  }
  mqtt::Suback ack;
  ack.packet_id = s.packet_id;
  struct RetainedOut {
    MessagePtr msg;
    mqtt::QoS qos;
  };
  std::vector<RetainedOut> retained;
  int64_t now = WallMillis();
  for (auto& [filter, opts] : s.filters) {
    if (!mqtt::IsValidTopicFilter(filter)) {
      ack.reasons.push_back(mqtt::ReasonCode::kTopicFilterInvalid);
      continue;
    }
    if (opt.max_topic_filter_bytes != 0 && filter.size() > opt.max_topic_filter_bytes) {
      core_->metrics.refused_topic_filters->Add(1);
      if (uint64_t held; long_filter_log.Allow(&held)) {
        core_->log->warn(
            "subscribe refused client_id={}: a topic filter of {} bytes, over "
            "max_topic_filter_bytes ({}); more since the last report={}",
            client_id_, filter.size(), opt.max_topic_filter_bytes, held);
      }
      ack.reasons.push_back(mqtt::ReasonCode::kTopicFilterInvalid);
      continue;
    }
    auto shared_filter = mqtt::ParseSharedFilter(filter);
    bool shared = shared_filter.has_value();
    // Basic Ingest topics go to their rule alone (basic_ingest.h).
    if (IsBasicIngestTopic(shared ? std::string_view(shared_filter->filter) : std::string_view(filter))) {
      core_->log->debug("subscribe refused client_id={} filter={}: Basic Ingest topics have no subscribers",
                        client_id_, filter);
      ack.reasons.push_back(mqtt::ReasonCode::kTopicFilterInvalid);
      continue;
    }
    if (shared && opts.no_local && v5) {
      Fail(mqtt::ReasonCode::kProtocolError, "SUBSCRIBE: no local on shared filter " + filter);
      return;
    }
    if (grant_ && !grant_->CanSubscribe(filter)) {
      core_->metrics.subscribe_denied->Add(1);
      core_->log->debug("subscribe denied client_id={} filter={}", client_id_, filter);
      ack.reasons.push_back(mqtt::ReasonCode::kNotAuthorized);
      continue;
    }
    if (!v5) opts = mqtt::SubscribeOptions{opts.max_qos, false, false, 0};
    auto added = session_->AddSubscription(filter, SubscriptionRecord{opts, sub_id},
                                           opt.max_subscriptions_per_session);
    if (added == Session::SubscriptionAdded::kOverQuota) {
      core_->metrics.refused_subscriptions->Add(1);
      if (uint64_t held; quota_log.Allow(&held)) {
        core_->log->warn(
            "subscribe refused client_id={} filter={}: the session has {} "
            "subscriptions (max_subscriptions_per_session); more since the last "
            "report={}",
            client_id_, filter, opt.max_subscriptions_per_session, held);
      }
      ack.reasons.push_back(mqtt::ReasonCode::kQuotaExceeded);
      continue;
    }
    bool is_new = added == Session::SubscriptionAdded::kNew;
    core_->tree.Subscribe(session_, filter, opts, sub_id);
    ack.reasons.push_back(static_cast<mqtt::ReasonCode>(opts.max_qos));
    if (!shared && (opts.retain_handling == 0 || (opts.retain_handling == 1 && is_new))) {
      for (auto& m : core_->retained.Match(filter, now)) {
        retained.push_back(RetainedOut{std::move(m), opts.max_qos});
      }
    }
  }
  core_->metrics.subscriptions->Set(static_cast<int64_t>(core_->tree.size()));
  Send(ack);
  std::vector<uint32_t> ids;
  if (sub_id != 0) ids.push_back(sub_id);
  for (auto& r : retained) {
    core_->Enqueue(session_.get(), r.msg, std::min(r.msg->qos, r.qos), /*retain=*/true, ids);
  }
  Flush();
}

void Connection::HandleUnsubscribe(mqtt::Unsubscribe&& u) {
  mqtt::Unsuback ack;
  ack.packet_id = u.packet_id;
  for (const auto& filter : u.filters) {
    bool existed = session_->RemoveSubscription(filter);
    core_->tree.Unsubscribe(session_.get(), filter);
    ack.reasons.push_back(existed ? mqtt::ReasonCode::kSuccess
                                  : mqtt::ReasonCode::kNoSubscriptionExisted);
  }
  core_->metrics.subscriptions->Set(static_cast<int64_t>(core_->tree.size()));
  Send(ack);
}

}  // namespace tributary::broker
