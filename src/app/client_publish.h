// Publishing from the HTTP API as a device's PUBLISH goes: to the other servers (with
// --broker-nats-url), the live watches, device shadows and the rules first (a QoS 1
// message waits for their verdict, a stream's log included), then, if they take it, to
// this server's subscribers. Used by the console's test publish (/v1/live/publish) and
// AWS IoT's HTTPS publish (POST /topics/{topic}).
#pragma once

#include <functional>
#include <string>

#include "broker/hooks.h"

namespace tributary::app {

class Server;

// As the rules see it: published over HTTP, so clientid() is "n/a" and traceid()
// Undefined, as on AWS IoT; principal() is who the request authenticated as.
struct ClientMessage {
  std::string principal;  // the HTTP API's user, kAwsAccessKeyId ("admin")
  std::string topic;
  std::string payload;
  int qos = 0;  // 0 or 1
  bool retain = false;
};

// `done` gets the verdict (kAccepted once delivered to subscribers), from any thread.
void PublishAsClient(Server* server, ClientMessage message, std::function<void(broker::PublishVerdict)> done);

}  // namespace tributary::app
