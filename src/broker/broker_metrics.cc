#include "broker/broker_metrics.h"

namespace tributary::broker {
namespace {

Counter* Refusals(MetricsRegistry* r, const char* limit) {
  return r->NewCounter("tributary_mqtt_limit_refusals_total",
                       "Refused for a limit: connections closed as soon as accepted, topic "
                       "filters refused, retained messages not retained",
                       {{"limit", limit}});
}

}  // namespace

BrokerMetrics::BrokerMetrics(MetricsRegistry* r)
    : connections_total(r->NewCounter("tributary_mqtt_connections_total",
                                      "MQTT connections accepted (CONNACK success)")),
      connections(r->NewGauge("tributary_mqtt_connections", "MQTT connections open")),
      sessions(r->NewGauge("tributary_mqtt_sessions", "MQTT sessions, online and offline")),
      wills_pending(r->NewGauge("tributary_mqtt_wills_pending",
                                "Delayed wills (MQTT 5) waiting to be published")),
      state_unsaved(r->NewGauge(
          "tributary_mqtt_state_unsaved",
          "Sessions and delayed wills whose changes the last save to broker.db left for the "
          "next ones (the saves' backlog)")),
      subscriptions(r->NewGauge("tributary_mqtt_subscriptions", "MQTT subscriptions")),
      retained(r->NewGauge("tributary_mqtt_retained_messages", "Retained messages")),
      messages_received(
          r->NewCounter("tributary_mqtt_messages_received_total", "PUBLISH packets received")),
      messages_sent(r->NewCounter("tributary_mqtt_messages_sent_total", "PUBLISH packets sent")),
      bytes_received(r->NewCounter("tributary_mqtt_bytes_received_total", "Bytes received")),
      bytes_sent(r->NewCounter("tributary_mqtt_bytes_sent_total", "Bytes sent")),
      publish_denied(r->NewCounter("tributary_mqtt_publish_denied_total",
                                   "PUBLISH packets refused by authorization")),
      subscribe_denied(r->NewCounter("tributary_mqtt_subscribe_denied_total",
                                     "Topic filters refused by authorization")),
      messages_dropped(r->NewCounter("tributary_mqtt_messages_dropped_total",
                                     "Messages not delivered: queue full, expired, too large "
                                     "for the client or not receivable")),
      protocol_errors(r->NewCounter("tributary_mqtt_protocol_errors_total",
                                    "Connections closed for a malformed or unexpected packet")),
      auth_failures(r->NewCounter("tributary_mqtt_auth_failures_total",
                                  "CONNECTs refused by the authorizer")),
      retained_bytes(r->NewGauge("tributary_mqtt_retained_bytes",
                                 "Topics and payloads of the retained messages, bytes")),
      refused_connections(Refusals(r, "connections")),
      refused_handshakes(Refusals(r, "handshakes_per_address")),
      refused_subscriptions(Refusals(r, "subscriptions_per_session")),
      refused_topic_filters(Refusals(r, "topic_filter_bytes")),
      refused_retained_payload(Refusals(r, "retained_payload_bytes")),
      refused_retained_store(Refusals(r, "retained_store")),
      refused_retained_client(Refusals(r, "retained_per_client")) {}

}  // namespace tributary::broker
