// An HTTP/1.1 server on Boost.Beast, plain or over TLS (HTTPS): keep-alive, bounded
// request bodies, read timeouts. Each connection lives on one io_context of the Runtime;
// the handler runs there, so it must not block for long (hand long work to a background
// job, or use an asynchronous handler that answers when the work is done).
//
// Thread-safety: Start/Stop from the owning thread; the handler may be called from any
// Runtime thread concurrently.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "base/status.h"
#include "net/router.h"
#include "net/runtime.h"

namespace tributary::net {

struct HttpServerOptions {
  std::string bind_address = "0.0.0.0";
  int port = 8080;  // 0 picks a free port
  // Set: HTTPS (a TLS handshake first, with this server context; net/tls_context.h).
  std::shared_ptr<boost::asio::ssl::context> tls;
  size_t max_body_bytes = 16 * 1024 * 1024;
  // A connection is closed when a request's header (counted from the end of the request
  // before, or the accept) takes longer than this, or when a body stops coming for this
  // long: each part of a body that arrives starts the time again.
  int idle_timeout_s = 60;
  // The answer to a request whose body passes max_body_bytes, given the request as far
  // as it was read (no body); unset: a JSON 413. The connection closes after it.
  std::function<HttpResponse(const HttpRequest&)> body_too_large;
  // A request whose header announces (Content-Length) a body past max_body_bytes, given
  // the request as far as it was read (no body), before an "Expect: 100-continue" is
  // answered: a sink to take the body piece by piece, or null with `*refusal` the answer
  // to send instead (unset: body_too_large's). Unset: body_too_large for all of them.
  std::function<std::shared_ptr<HttpBodySink>(const HttpRequest& header, std::optional<HttpResponse>* refusal)>
      large_body;
  // A request whose body large_body takes whatever its length (announced, or chunked
  // without a Content-Length), when this says so given the header: a body in an encoding
  // that is decoded as it comes. Unset: only bodies announced past max_body_bytes.
  std::function<bool(const HttpRequest& header)> body_in_pieces;
  // Asked with the header of a request that has a body, before the body is read: an
  // answer refuses the request at once (a missing token), and the connection closes,
  // so that nobody without the token can make the server hold bodies of 16 MiB.
  std::function<std::optional<HttpResponse>(const HttpRequest& header)> refuse_before_body;
  // Requests whose header alone cannot show who sent them (an AWS signature covers the
  // body's hash) are read whole before they are checked. So that clients without the
  // secret cannot make the server hold unbounded memory (many connections, 16 MiB each),
  // the bodies of such requests being read share this budget (their Content-Length, or
  // max_body_bytes when chunked); past it a request is answered `busy` (unset: a JSON
  // 503) and its connection closed, before its body is read. 0: no budget.
  // `checked_on_header` tells them apart: true when the header was enough (the
  // refuse_before_body question passed on a token); unset: every request counts.
  uint64_t unchecked_body_budget_bytes = 0;
  uint64_t unchecked_body_budget_per_peer_bytes =
      0;  // of it, one address's (not loopback's); 0: none
  std::function<bool(const HttpRequest& header)> checked_on_header;
  std::function<HttpResponse(const HttpRequest& header)> busy;
  // Connections held at once, in all and from one address (loopback's are not counted
  // against that): past either a new connection is closed as soon as it is accepted, so
  // that clients holding idle connections cannot take every descriptor. 0: no cap.
  size_t max_connections = 0;
  size_t max_connections_per_peer = 0;
  bool loopback_peers_unlimited = true;  // false: loopback's counted as any address's (tests)
  // Headers every answer carries unless it sets them itself (case-insensitive names):
  // the server's keep stored objects (an S3 GetObject of text/html a device uploaded)
  // from running as pages of the console's origin.
  std::map<std::string, std::string> default_headers;
  // The size of the pieces a sink is given.
  size_t large_body_piece_bytes = 1 << 20;
  // After the last answer on a connection, how long what the client still sends is read
  // and dropped before the connection closes (the client closing ends it sooner).
  int linger_ms = 5000;
};

class HttpServer {
 public:
  // `runtime` must outlive the server.
  HttpServer(HttpServerOptions options, Runtime* runtime, HttpHandler handler);
  // The handler may answer later from any thread; the connection waits for it (the
  // next request on a keep-alive connection is read after the answer is written).
  HttpServer(HttpServerOptions options, Runtime* runtime, HttpAsyncHandler handler);
  ~HttpServer();

  Status Start();  // binds and accepts; the Runtime must be running
  void Stop();     // stops accepting; open connections end at their next read
  int port() const { return port_; }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = -1;
};

}  // namespace tributary::net
