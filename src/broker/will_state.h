// A delayed will (MQTT 5 Will Delay Interval) as it waits to be published, and as
// persistence writes it to broker.db and reads it back (state_codec.h): a restart keeps the
// wills of the sessions it keeps.
#pragma once

#include <cstdint>
#include <string>

#include "mqtt/packet.h"

namespace tributary::broker {

struct WillState {
  std::string client_id;
  int64_t due_ms = 0;  // Unix ms: when it is published
  // Topic, payload, QoS, retain and properties, the Will Delay Interval taken out.
  mqtt::Publish will;
  // Who sent it, as the interceptor sees its client's PUBLISHes (BrokerCore::WillSender).
  std::string thing;
  std::string principal;
};

}  // namespace tributary::broker
