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
#include <string_view>

#include "net/connection_limiter.h"
#include "net/tls_context.h"

namespace tributary::net {

struct TransportPeer {
  const char* listener = "";   // "tcp", "tls" or "ws"
  std::string remote_address;  // "127.0.0.1:53412"
  // The verified client certificate, if any (TLS and WebSocket only; null for TCP).
  std::shared_ptr<const PeerCertificate> certificate;

  // The address without its port ("127.0.0.1", "::1"), or "" when it is not known.
  std::string_view ip() const {
    size_t colon = remote_address.rfind(':');
    if (colon == std::string::npos) return {};
    return std::string_view(remote_address).substr(0, colon);
  }
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

  // Whether the transport can wait for bytes to read without a buffer to read them into
  // (AsyncWaitReadable, then ReadSome): plain TCP can, so that an idle connection needs
  // no read buffer of its own. TLS and WebSocket read only through AsyncRead.
  virtual bool CanWaitReadable() const { return false; }
  // Calls `handler` (with n = 0) once there is something to read, or an error.
  virtual void AsyncWaitReadable(Handler handler);
  // Reads what has arrived into `buf` without waiting: boost::asio::error::would_block
  // when nothing has; boost::asio::error::eof once the peer has closed.
  virtual size_t ReadSome(boost::asio::mutable_buffer buf, boost::system::error_code& ec);
  // Closes the socket now; outstanding operations complete with an error.
  virtual void Close() = 0;

  const TransportPeer& peer() const { return peer_; }
  // Counts the connection against its listener's caps until the transport is destroyed.
  void set_admission(ConnectionLimiter::Ticket admission) { admission_ = std::move(admission); }
  // Counts the connection against its listener's handshake cap until EndHandshake (the
  // broker calls it once it has accepted the CONNECT) or the transport is destroyed.
  void set_handshake_admission(ConnectionLimiter::Ticket admission) {
    handshake_ = std::move(admission);
  }
  void EndHandshake() { handshake_.Reset(); }

 protected:
  TransportPeer peer_;

 private:
  ConnectionLimiter::Ticket admission_;
  ConnectionLimiter::Ticket handshake_;
};

// "address:port" of the socket's peer, or "unknown".
std::string AddressOf(const boost::asio::ip::tcp::socket& s);

}  // namespace tributary::net
