#include "app/client_publish.h"

#include <memory>

#include "app/server.h"
#include "base/clock.h"
#include "broker/broker.h"

namespace tributary::app {

void PublishAsClient(Server* server, ClientMessage message, std::function<void(broker::PublishVerdict)> done) {
  auto m = std::make_shared<ClientMessage>(std::move(message));
  const mqtt::QoS qos = m->qos == 1 ? mqtt::QoS::kAtLeastOnce : mqtt::QoS::kAtMostOnce;
  broker::InboundMessage msg{};
  msg.principal = m->principal;
  msg.over_http = true;
  msg.topic = m->topic;
  msg.payload = m->payload;
  msg.qos = qos;
  msg.retain = m->retain;
  msg.received_at_ms = WallMillis();
  // After the verdict, as a device's PUBACK: delivered to subscribers only if accepted.
  auto finish = [server, m, qos, done = std::move(done)](broker::PublishVerdict verdict) {
    if (verdict == broker::PublishVerdict::kAccepted) {
      server->broker().Publish(m->topic, m->payload, qos, m->retain);
    }
    done(verdict);
  };
  if (qos == mqtt::QoS::kAtMostOnce) {
    server->interceptor().OnPublish(msg, {});
    finish(broker::PublishVerdict::kAccepted);
  } else {
    server->interceptor().OnPublish(msg, std::move(finish));
  }
}

}  // namespace tributary::app
