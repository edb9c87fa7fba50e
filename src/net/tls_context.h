// TLS contexts for servers (the MQTT TLS and WebSocket listeners) and clients (tests,
// tools). Both require TLS 1.2 or newer. Exceptions from Asio/OpenSSL are caught here
// and returned as a Status naming the file that could not be used.
//
// Thread-safety: building a context is thread-safe; a built context may be shared by
// many streams on any thread once configured.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

#include "base/status.h"

namespace tributary::net {

struct TlsServerConfig {
  std::string cert_file;  // PEM server certificate (chain)
  std::string key_file;   // PEM private key
  std::string ca_file;    // PEM CA that client certificates must chain to; "" = no client certs
  // true: a client without a valid certificate fails the handshake (MQTT TLS listener);
  // false: a certificate is requested and verified if sent, but optional (WebSocket).
  bool require_client_cert = true;
};

Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const TlsServerConfig& c);

struct TlsClientConfig {
  std::string ca_file;    // PEM CA that the server certificate must chain to
  std::string cert_file;  // optional client certificate
  std::string key_file;
};

Result<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(const TlsClientConfig& c);

// The peer certificate of an established TLS connection: common name and lower-case hex
// SHA-256 fingerprint of its DER encoding. Empty strings when there is none.
struct PeerCertificate {
  std::string common_name;
  std::string sha256;
  bool present = false;
};
PeerCertificate PeerCertificateOf(SSL* ssl);

}  // namespace tributary::net
