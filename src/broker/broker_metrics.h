// The broker's counters and gauges, registered once in the MetricsRegistry under
// tributary_mqtt_*. Updated lock-free from every io_context.
#pragma once

#include "base/metrics.h"

namespace tributary::broker {

struct BrokerMetrics {
  explicit BrokerMetrics(MetricsRegistry* registry);

  Counter* connections_total;    // accepted after CONNECT
  Gauge* connections;            // open now
  Gauge* sessions;               // including offline persistent ones
  Gauge* wills_pending;          // delayed wills waiting to be published
  Gauge* state_unsaved;          // changes the last flush to broker.db left for the next
  Gauge* subscriptions;
  Gauge* retained;
  Counter* messages_received;    // PUBLISH in
  Counter* messages_sent;        // PUBLISH out
  Counter* bytes_received;
  Counter* bytes_sent;
  Counter* publish_denied;
  Counter* subscribe_denied;
  Counter* messages_dropped;     // queue overflow, too large for the client, expired, CanReceive
  Counter* protocol_errors;      // connections closed for a malformed or wrong packet
  Counter* auth_failures;
  Gauge* retained_bytes;  // topics and payloads of the retained messages
  // tributary_mqtt_limit_refusals_total{limit=...}: what a limit refused (BrokerOptions).
  Counter* refused_connections;       // closed as soon as accepted
  Counter* refused_handshakes;        // closed as soon as accepted: its address's handshakes
  Counter* refused_subscriptions;     // a SUBSCRIBE's filter past the session's count
  Counter* refused_topic_filters;     // a filter too long
  Counter* refused_retained_payload;  // a retained message's payload too large
  Counter* refused_retained_store;    // a retained message past the store's count or bytes
  Counter* refused_retained_client;   // past its publisher's share of them
};

}  // namespace tributary::broker
