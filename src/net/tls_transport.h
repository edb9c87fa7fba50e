// MQTT over TLS with OpenSSL on the socket itself: OpenSSL reads and writes the
// non-blocking socket through a small BIO of ours, and Asio only waits for the socket to
// become readable or writable. Asio's ssl::stream instead keeps two 17 KiB buffers and a
// BIO pair with two more for a connection's whole life, about 68 KiB per idle device;
// here SSL_MODE_RELEASE_BUFFERS gives OpenSSL's record buffers back whenever they are
// empty, so an idle connection holds only OpenSSL's session state (docs/architecture.md,
// "Memory per connection"; BENCHMARKS.md, "Memory per idle TLS connection").
//
// Thread-safety: as MqttTransport. The handshake and the transport run on the socket's
// io_context only.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <functional>
#include <memory>

#include "base/status.h"
#include "net/mqtt_transport.h"

namespace tributary::net {

using TlsAccepted = std::function<void(Result<std::unique_ptr<MqttTransport>>)>;

// Runs the server side of a TLS handshake on `socket` with `tls`'s certificates and
// verification, and calls `done` on the socket's io_context with a transport (its peer's
// listener name is "tls") or with the reason the handshake failed. A handshake not
// finished within `timeout` fails and closes the socket.
void AcceptTls(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls,
               std::chrono::milliseconds timeout, TlsAccepted done);

}  // namespace tributary::net
