// The byte pipe under one MQTT connection: plain TCP, TLS, or WebSocket over TLS
// (binary frames, subprotocol "mqtt"). The broker's protocol logic sees only this
// interface; mqtt_listener.h builds transports after the handshakes.
//
// Thread-safety: a transport belongs to one io_context (context()); call it and get its
// completion handlers only there. At most one read and one write may be outstanding.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <functional>
#include <memory>
#include <string>

#include "net/tls_context.h"

namespace tributary::net {

struct TransportPeer {
  std::string listener;        // "tcp", "tls" or "ws"
  std::string remote_address;  // "127.0.0.1:53412"
  PeerCertificate certificate; // verified client certificate, if any
};

class MqttTransport {
 public:
  using Handler = std::function<void(const boost::system::error_code&, size_t)>;
  virtual ~MqttTransport() = default;

  virtual boost::asio::io_context& context() = 0;
  // Reads some bytes into `buf` (for WebSocket, part of a binary message).
  virtual void AsyncRead(boost::asio::mutable_buffer buf, Handler handler) = 0;
  // Writes all of `buf` (for WebSocket, as one binary message).
  virtual void AsyncWrite(boost::asio::const_buffer buf, Handler handler) = 0;
  // Closes the socket now; outstanding operations complete with an error.
  virtual void Close() = 0;

  const TransportPeer& peer() const { return peer_; }

 protected:
  TransportPeer peer_;
};

// "address:port" of the socket's peer, or "unknown".
std::string AddressOf(const boost::asio::ip::tcp::socket& s);

}  // namespace tributary::net
