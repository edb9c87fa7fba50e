// Accepts MQTT connections on one port and hands each, after its TLS / WebSocket
// handshake, to the broker as an MqttTransport on the io_context it will live on
// (connections are spread round-robin over the Runtime's io_contexts). A handshake that
// does not finish within `handshake_timeout` is abandoned. A WebSocket upgrade request
// is read as a header alone, of at most 8 KiB: one that announces a body (a
// Content-Length above 0, or chunked) is answered 400 and closed before its body is read.
// With a `limiter`, each accepted socket is counted against its caps from the accept,
// handshake included, until its transport is destroyed; with a `handshake_limiter`, also
// against that one's until the broker accepts its CONNECT. Past a cap it is closed at once.
//
//   kind  transport                         client certificate
//   tcp   plain TCP                          none
//   tls   TLS 1.2+                           required, verified against the CA
//   ws    WebSocket (subprotocol mqtt) / TLS requested, verified if sent, optional
//
// Thread-safety: Create/Stop from the owning thread. `on_connection` runs on the new
// connection's io_context and never after Stop() has returned.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/metrics.h"
#include "base/status.h"
#include "net/connection_limiter.h"
#include "net/mqtt_transport.h"
#include "net/runtime.h"

namespace tributary::net {

enum class ListenerKind { kTcp, kTls, kWs };
const char* ListenerKindName(ListenerKind k);

struct MqttListenerOptions {
  ListenerKind kind = ListenerKind::kTcp;
  std::string bind_address = "0.0.0.0";
  int port = 0;  // 0 picks a free port
  std::shared_ptr<boost::asio::ssl::context> tls;  // for kTls and kWs
  std::chrono::milliseconds handshake_timeout{10000};
  // Connections held at once; the listeners of one broker share it. Null: no caps.
  std::shared_ptr<ConnectionLimiter> limiter;
  Counter* refused = nullptr;  // counts the connections a cap closed at once; may be null
  // Connections still in their handshake, counted from the accept until the broker
  // accepts their CONNECT (MqttTransport::EndHandshake); the listeners of one broker
  // share it. Null: no cap.
  std::shared_ptr<ConnectionLimiter> handshake_limiter;
  Counter* refused_handshakes = nullptr;  // counts the connections that cap closed; may be null
};

class MqttListener {
 public:
  using OnConnection = std::function<void(std::unique_ptr<MqttTransport>)>;

  static Result<std::unique_ptr<MqttListener>> Create(Runtime* runtime,
                                                      const MqttListenerOptions& options,
                                                      OnConnection on_connection);
  ~MqttListener();

  int port() const { return port_; }
  // Stops accepting; pending handshakes are dropped. Idempotent.
  void Stop();

  class Impl;

 private:
  MqttListener() = default;
  std::shared_ptr<Impl> impl_;
  int port_ = -1;
};

}  // namespace tributary::net
