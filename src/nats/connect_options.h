// How to reach a NATS server: its address, the credentials CONNECT carries, and the
// client's timing (connect timeout, reconnect backoff, keep-alive PINGs). Plain data,
// filled by hand or from a nats:// URL (url.h); Connection::Connect takes one.
#pragma once

#include <cstdint>
#include <string>

namespace tributary::nats {

struct ConnectOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 4222;
  std::string user, password, token;  // CONNECT's user/pass or auth_token
  std::string name = "tributary";     // CONNECT's name
  int64_t connect_timeout_ms = 5000;
  int64_t reconnect_wait_ms = 250;   // first wait after a lost connection; doubles up to 5 s
  int64_t ping_interval_ms = 20000;  // client PINGs; 2 missing PONGs = connection lost
};

// "host:port", with an IPv6 address in brackets: "[::1]:4222". For messages and logs.
std::string HostPort(const ConnectOptions& options);

}  // namespace tributary::nats
