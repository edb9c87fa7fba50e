// PUBLISH from the client, the acknowledgement flows in both directions, and wills.
//
// Authorization of an incoming PUBLISH (ClientGrant::CanPublish false): the message is
// dropped and counted in tributary_mqtt_publish_denied_total, and
//   v5:    QoS 1 -> PUBACK 0x87, QoS 2 -> PUBREC 0x87 (the QoS 2 flow ends there)
//   3.1.1: acknowledged normally (PUBACK / PUBREC ... PUBCOMP) because 3.1.1 acks carry
//          no reason code and closing would make the client resend forever.
// With a MessageInterceptor, QoS 1/2 messages are acknowledged only after the
// interceptor's done(kAccepted); a refusal answers 0x80, or 0x97 for kQuotaExceeded (v5),
// or closes a 3.1.1 connection without acknowledging. QoS 1 messages are routed at once,
// QoS 2 and retained ones only once accepted (see AcceptPublish).
//
// A retained PUBLISH the retained store's limits refuse (RetainedStore::Check: a payload
// over max_retained_payload_bytes, a store at max_retained_messages or max_retained_bytes)
// is counted in tributary_mqtt_limit_refusals_total and logged at most once per 10 s, and
//   v5 QoS 1/2: refused, PUBACK / PUBREC 0x97 Quota exceeded: not delivered either
//   v5 QoS 0, 3.1.1: delivered as a message that is not retained (3.1.1 acks carry no
//                    reason code); the topic keeps the message it retained before
#include <boost/asio/post.hpp>
#include <mutex>
#include <utility>

#include "base/clock.h"
#include "base/completion_batch.h"
#include "broker/basic_ingest.h"
#include "broker/connection.h"
#include "mqtt/topic.h"

namespace tributary::broker {
namespace {

// A verdict given while the interceptor's OnPublish is still running on the connection's
// thread (no rule matched the topic, or the record was refused at once) is left here and
// acted on when OnPublish returns, without the hand-off through the verdict queue.
struct InlineVerdict {
  const void* connection = nullptr;
  uint16_t packet_id = 0;
  bool given = false;
  PublishVerdict verdict = PublishVerdict::kRefused;
  MessagePtr msg;
};
thread_local InlineVerdict* t_inline_verdict = nullptr;

void PostToContext(void* context, CompletionBatch::Task run) {
  boost::asio::post(*static_cast<boost::asio::io_context*>(context), std::move(run));
}

mqtt::PubAck MakeAck(mqtt::PacketType type, uint16_t id, mqtt::ReasonCode reason) {
  mqtt::PubAck a;
  a.type = type;
  a.packet_id = id;
  a.reason = reason;
  return a;
}

}  // namespace

void Connection::HandlePublish(mqtt::Publish&& p) {
  const BrokerOptions& opt = core_->options;
  core_->metrics.messages_received->Add(1);
  if (version_ == mqtt::Version::kV5 && p.properties.topic_alias) {
    uint16_t alias = *p.properties.topic_alias;
    if (alias == 0 || alias > opt.topic_alias_maximum) {
      Fail(mqtt::ReasonCode::kTopicAliasInvalid,
           "PUBLISH: topic alias " + std::to_string(alias) + " outside 1.." +
               std::to_string(opt.topic_alias_maximum));
      return;
    }
    if (!p.topic.empty()) {
      if (!topic_aliases_) {
        topic_aliases_ =
            std::make_unique<std::vector<std::string>>(size_t{opt.topic_alias_maximum} + 1);
      }
      (*topic_aliases_)[alias] = p.topic;
    } else if (!topic_aliases_ || (*topic_aliases_)[alias].empty()) {
      Fail(mqtt::ReasonCode::kProtocolError,
           "PUBLISH: topic alias " + std::to_string(alias) + " used before it was set");
      return;
    } else {
      p.topic = (*topic_aliases_)[alias];
    }
  }
  if (!mqtt::IsValidTopicName(p.topic)) {
    Fail(mqtt::ReasonCode::kTopicNameInvalid, "PUBLISH: invalid topic name '" + p.topic + "'");
    return;
  }
  if (p.payload.size() > opt.max_payload_size) {
    Fail(mqtt::ReasonCode::kPacketTooLarge,
         "PUBLISH: payload of " + std::to_string(p.payload.size()) + " bytes exceeds " +
             std::to_string(opt.max_payload_size));
    return;
  }
  uint16_t id = p.packet_id;
  mqtt::QoS qos = p.qos;
  // Receive Maximum is announced only in MQTT 5; 3.1.1 clients are not limited.
  size_t limit = version_ == mqtt::Version::kV5 ? opt.receive_maximum : SIZE_MAX;
  // With an interceptor, a QoS 2 message's identifier waits for the verdict before it is
  // held for good.
  const bool verdict_to_come = core_->interceptor != nullptr;
  auto let_go = [&] {
    if (verdict_to_come) {
      session_->InboundQos2Settle(id, PublishVerdict::kRefused);
    } else {
      session_->InboundQos2Release(id);
    }
  };
  if (qos == mqtt::QoS::kExactlyOnce) {
    switch (
        session_->InboundQos2Begin(id, verdict_to_come, [this, id] { return ResendWaiter(id); })) {
      case Session::Qos2Begin::kNew:
        break;
      case Session::Qos2Begin::kHeld:
        // A resend of a message we already hold: acknowledge, do not route it again.
        Send(MakeAck(mqtt::PacketType::kPubrec, id, mqtt::ReasonCode::kSuccess));
        return;
      case Session::Qos2Begin::kAwaitingVerdict:
        // A resend of one whose verdict is still to come (its first copy came on a
        // connection since lost): answered with that verdict, so that a refused message
        // is sent again, not taken for stored.
        return;
    }
  }
  // In flight from the client: QoS 1 waiting for the verdict, and the QoS 2 identifiers
  // held (this one's included; those waiting for the verdict are among them, once).
  if (qos != mqtt::QoS::kAtMostOnce && (pending_inbound_ - pending_inbound_qos2_) +
                                               session_->InboundQos2Count() +
                                               (qos == mqtt::QoS::kAtLeastOnce) >
                                           limit) {
    // Not taken: its identifier is not held, so a resend after the reconnect is routed.
    if (qos == mqtt::QoS::kExactlyOnce) let_go();
    Fail(mqtt::ReasonCode::kReceiveMaximumExceeded,
         "more than " + std::to_string(opt.receive_maximum) + " QoS 1/2 PUBLISH unacknowledged");
    return;
  }
  if (grant_ && !grant_->CanPublish(p.topic)) {
    core_->metrics.publish_denied->Add(1);
    core_->log->debug("publish denied client_id={} topic={}", client_id_, p.topic);
    bool v5 = version_ == mqtt::Version::kV5;
    mqtt::ReasonCode rc = v5 ? mqtt::ReasonCode::kNotAuthorized : mqtt::ReasonCode::kSuccess;
    if (qos == mqtt::QoS::kAtLeastOnce) {
      Send(MakeAck(mqtt::PacketType::kPuback, id, rc));
    } else if (qos == mqtt::QoS::kExactlyOnce) {
      if (v5) {
        let_go();
      } else if (verdict_to_come) {
        session_->InboundQos2Settle(id, PublishVerdict::kAccepted);  // held until PUBREL
      }
      Send(MakeAck(mqtt::PacketType::kPubrec, id, rc));
    }
    return;
  }
  if (p.retain && !p.payload.empty() && !IsBasicIngestTopic(p.topic)) {
    if (RetainRefusal why = core_->retained.Check(p.topic, p.payload.size(), client_id_);
        why != RetainRefusal::kNone) {
      core_->RetainRefused(client_id_, p.topic, p.payload.size(), why);
      if (version_ == mqtt::Version::kV5 && qos != mqtt::QoS::kAtMostOnce) {
        if (qos == mqtt::QoS::kExactlyOnce) let_go();
        Send(MakeAck(
            qos == mqtt::QoS::kAtLeastOnce ? mqtt::PacketType::kPuback : mqtt::PacketType::kPubrec,
            id, mqtt::ReasonCode::kQuotaExceeded));
        return;
      }
      p.retain = false;
    }
  }
  AcceptPublish(std::move(p), id);
}

void Connection::AcceptPublish(mqtt::Publish&& p, uint16_t packet_id) {
  MessageInterceptor* ic = core_->interceptor;
  // Received when read: one clock reading for every PUBLISH of a read.
  int64_t now_ms = last_rx_wall_ms_;
  if (ic == nullptr || p.qos == mqtt::QoS::kAtMostOnce) {
    MessagePtr msg = MessageFromPublish(std::move(p), client_id_, now_ms);
    core_->Route(msg);
    if (ic != nullptr) {
      InboundMessage im{client_id_,
                        grant_->thing(),
                        msg->topic,
                        msg->payload,
                        msg->qos,
                        msg->retain,
                        &msg->properties,
                        msg->received_at_ms,
                        transport_->peer().ip(),
                        principal_};
      ic->OnPublish(im, {});
    }
    if (msg->qos == mqtt::QoS::kAtLeastOnce) {
      Send(MakeAck(mqtt::PacketType::kPuback, packet_id, mqtt::ReasonCode::kSuccess));
    } else if (msg->qos == mqtt::QoS::kExactlyOnce) {
      Send(MakeAck(mqtt::PacketType::kPubrec, packet_id, mqtt::ReasonCode::kSuccess));
    }
    return;
  }
  ++pending_inbound_;
  mqtt::QoS qos = p.qos;
  if (qos == mqtt::QoS::kExactlyOnce) ++pending_inbound_qos2_;
  // A Message is built only when somebody could receive it: a retained message, or one
  // with matching subscriptions now. Device telemetry that only rules consume (the
  // common case) is never copied into one, and the wait for durability holds a packet
  // identifier instead of the whole message.
  thread_local std::vector<SubscriptionMatch> matches;
  matches.clear();
  core_->MatchSubscribers(p.topic, client_id_, &matches);
  MessagePtr msg;
  if (p.retain || !matches.empty()) msg = MessageFromPublish(std::move(p), client_id_, now_ms);
  // A QoS 1 message goes to its subscribers now; only the acknowledgement (and for a
  // retained one, the retained store, which must hold only accepted messages) waits for
  // the verdict, so subscribers never wait for a stream's WAL and get a publisher's
  // messages in the order sent. If the verdict refuses it the publisher sends it again
  // and subscribers may get it twice, which QoS 1 allows. QoS 2 (exactly once) is routed
  // after an accepting verdict.
  MessagePtr held;
  bool retain_only = false;
  if (msg && qos == mqtt::QoS::kAtLeastOnce) {
    core_->Deliver(msg, matches);
    if (msg->retain) {
      held = msg;
      retain_only = true;
    }
  } else {
    held = msg;
    matches.clear();
  }
  std::string_view ip = transport_->peer().ip();
  // The message's fields where they are now: in `msg` when one was built, else in `p`.
  InboundMessage im{client_id_,
                    grant_->thing(),
                    msg ? msg->topic : p.topic,
                    msg ? msg->payload : p.payload,
                    msg ? msg->qos : p.qos,
                    msg ? msg->retain : p.retain,
                    msg ? &msg->properties : &p.properties,
                    now_ms,
                    ip,
                    principal_};
  if (!verdicts_) verdicts_ = std::make_unique<VerdictQueue>();
  InlineVerdict inline_verdict;
  inline_verdict.connection = this;
  inline_verdict.packet_id = packet_id;
  InlineVerdict* outer = std::exchange(t_inline_verdict, &inline_verdict);
  ic->OnPublish(im, [self = shared_from_this(), msg = std::move(held), packet_id, qos,
                     retain_only](PublishVerdict verdict) mutable {
    if (InlineVerdict* v = t_inline_verdict;
        v != nullptr && v->connection == self.get() && v->packet_id == packet_id) {
      v->given = true;
      v->verdict = verdict;
      v->msg = std::move(msg);
      return;
    }
    bool post;
    {
      VerdictQueue& q = *self->verdicts_;
      std::lock_guard<std::mutex> lock(q.mu);
      q.queued.push_back({std::move(msg), packet_id, qos, verdict, retain_only});
      post = !std::exchange(q.drain_posted, true);
    }
    // Inside a stream's group commit, one post per I/O thread for all its connections.
    if (post) {
      CompletionBatch::Post(&self->transport_->context(), &PostToContext,
                            [self] { self->DrainInterceptorVerdicts(); });
    }
  });
  t_inline_verdict = outer;
  if (inline_verdict.given) {
    Verdict v{std::move(inline_verdict.msg), packet_id, qos, inline_verdict.verdict, retain_only};
    OnInterceptorDone(v);
  }
}

void Connection::DrainInterceptorVerdicts() {
  std::vector<Verdict>& batch = verdicts_->batch;  // only this handler uses it
  {
    std::lock_guard<std::mutex> lock(verdicts_->mu);
    batch.swap(verdicts_->queued);
    verdicts_->drain_posted = false;
  }
  for (Verdict& v : batch) OnInterceptorDone(v);
  batch.clear();
  StartWrite();
}

void Connection::OnInterceptorDone(Verdict& v) {
  --pending_inbound_;
  const bool ok = v.verdict == PublishVerdict::kAccepted;
  uint16_t packet_id = v.packet_id;
  bool qos2 = v.qos == mqtt::QoS::kExactlyOnce;
  if (qos2) --pending_inbound_qos2_;
  // Accepted even if the client is gone meanwhile.
  if (ok && v.msg) {
    if (v.retain_only) {
      core_->Retain(v.msg);
    } else {
      core_->Route(v.msg);
    }
  }
  v.msg.reset();
  // The identifier is settled even if the client is gone meanwhile: held if accepted;
  // let go if refused, so that its resend on the next connection is routed, not taken for
  // one already held. A resend waiting for this verdict gets it.
  if (qos2) {
    if (std::shared_ptr<Session> s = session_ ? session_ : former_session_.lock()) {
      s->InboundQos2Settle(packet_id, v.verdict);
    }
  }
  if (state_ != State::kConnected || !session_) return;
  Acknowledge(qos2 ? mqtt::PacketType::kPubrec : mqtt::PacketType::kPuback, packet_id, v.verdict);
}

void Connection::Acknowledge(mqtt::PacketType type, uint16_t packet_id, PublishVerdict verdict) {
  if (verdict == PublishVerdict::kAccepted) {
    Send(MakeAck(type, packet_id, mqtt::ReasonCode::kSuccess));
  } else if (version_ == mqtt::Version::kV5) {
    Send(MakeAck(type, packet_id,
                 verdict == PublishVerdict::kQuotaExceeded ? mqtt::ReasonCode::kQuotaExceeded
                                                           : mqtt::ReasonCode::kUnspecifiedError));
  } else {
    publish_will_ = true;
    Fail(mqtt::ReasonCode::kUnspecifiedError,
         verdict == PublishVerdict::kQuotaExceeded
             ? "message interceptor refused a PUBLISH: a limit was hit (quota exceeded)"
             : "message interceptor refused a PUBLISH");
  }
}

Session::Qos2Waiter Connection::ResendWaiter(uint16_t packet_id) {
  return [self = shared_from_this(), packet_id](PublishVerdict verdict) {
    boost::asio::post(self->transport_->context(), [self, packet_id, verdict] {
      if (self->state_ != State::kConnected || !self->session_) return;
      self->Acknowledge(mqtt::PacketType::kPubrec, packet_id, verdict);
      self->StartWrite();
    });
  };
}

void Connection::HandleAck(const mqtt::PubAck& a) {
  bool v5 = version_ == mqtt::Version::kV5;
  switch (a.type) {
    case mqtt::PacketType::kPuback:
      session_->OnPuback(a.packet_id);
      Flush();
      break;
    case mqtt::PacketType::kPubrec: {
      bool error = mqtt::IsError(a.reason);
      if (session_->OnPubrec(a.packet_id, error)) {
        if (!error) {
          Send(MakeAck(mqtt::PacketType::kPubrel, a.packet_id, mqtt::ReasonCode::kSuccess));
        }
      } else {
        Send(MakeAck(mqtt::PacketType::kPubrel, a.packet_id,
                     v5 ? mqtt::ReasonCode::kPacketIdentifierNotFound
                        : mqtt::ReasonCode::kSuccess));
      }
      Flush();
      break;
    }
    case mqtt::PacketType::kPubrel: {
      bool found = session_->InboundQos2Release(a.packet_id);
      Send(MakeAck(mqtt::PacketType::kPubcomp, a.packet_id,
                   found || !v5 ? mqtt::ReasonCode::kSuccess
                                : mqtt::ReasonCode::kPacketIdentifierNotFound));
      break;
    }
    case mqtt::PacketType::kPubcomp:
      session_->OnPubcomp(a.packet_id);
      Flush();
      break;
    default:
      break;
  }
}

void Connection::PublishWill() {
  if (!will_) return;
  mqtt::Publish p;
  p.topic = std::move(will_->topic);
  p.payload = std::move(will_->payload);
  p.qos = will_->qos;
  p.retain = will_->retain;
  p.properties = std::move(will_->properties);
  uint32_t delay = p.properties.will_delay_interval.value_or(0);
  p.properties.will_delay_interval.reset();
  will_.reset();
  int64_t now = WallMillis();
  if (delay > session_expiry_s_) delay = session_expiry_s_;
  BrokerCore::WillSender sender{grant_ ? std::string(grant_->thing()) : std::string(), principal_};
  if (delay == 0) {
    auto msg = MessageFromPublish(std::move(p), client_id_, now);
    core_->log->info("publishing will client_id={} topic={}", client_id_, msg->topic);
    core_->PublishWill(msg, sender);
  } else {
    core_->log->info("will scheduled client_id={} topic={} delay_s={}", client_id_, p.topic, delay);
    core_->ScheduleWill(client_id_, std::move(sender), std::move(p), now + int64_t{delay} * 1000);
  }
}

}  // namespace tributary::broker
