// How to reach a NATS server: its address, the credentials CONNECT carries, TLS, and the
// client's timing (connect timeout, reconnect backoff, keep-alive PINGs). Plain data,
// filled by hand or from a nats:// or tls:// URL (url.h); Connection::Connect takes one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tributary::nats {

struct ServerAddress {
  std::string host;
  uint16_t port = 4222;
  bool operator==(const ServerAddress&) const = default;
};

struct ConnectOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 4222;
  // More servers of the same cluster, tried in turn when host:port cannot be reached (a
  // URL list "nats://a:4222,nats://b:4222" fills it). The client also learns the
  // cluster's servers from each INFO's connect_urls and fails over to them.
  std::vector<ServerAddress> servers;
  std::string user, password, token;  // CONNECT's user/pass or auth_token
  // Or an identity proven by signing the server's nonce (credentials.h), read at each
  // connect: a .creds file (user JWT and seed) or a file holding a user's NKey seed. At
  // most one of the two, and then no user, password or token.
  std::string creds_file;
  std::string nkey_seed_file;
  std::string name = "tributary";     // CONNECT's name
  // CONNECT's echo: false, and the server does not send this connection the messages it
  // published itself (for a connection that publishes on subjects it subscribes to).
  bool echo = true;
  int64_t connect_timeout_ms = 5000;  // dial, TLS handshake and CONNECT together
  int64_t reconnect_wait_ms = 250;    // first wait after a lost connection; doubles up to 5 s
  int64_t ping_interval_ms = 20000;   // client PINGs; 2 missing PONGs = connection lost

  // TLS. The client upgrades to TLS right after the server's INFO when the server requires
  // it, or when `tls` is set (then a server that does not offer TLS is refused). The
  // server's certificate is always verified, against `tls_ca_file` and for
  // `tls_server_name`: there is no way to turn verification off.
  bool tls = false;             // TLS required by the client (a tls:// URL sets it)
  std::string tls_ca_file;      // PEM CA bundle; empty = the system's default CA store
  std::string tls_cert_file;    // PEM client certificate (chain), for servers that verify
  std::string tls_key_file;     // clients (`verify: true`); both or neither
  std::string tls_server_name;  // the name (or IP) the certificate must hold; empty = host
};

// "host:port", with an IPv6 address in brackets: "[::1]:4222". For messages and logs.
std::string HostPort(const std::string& host, uint16_t port);
std::string HostPort(const ConnectOptions& options);  // options.host, options.port

}  // namespace tributary::nats
