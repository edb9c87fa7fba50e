// The HTTP/1.1 client under the S3 backend: one request per connection, http:// or
// https:// (OpenSSL through Beast; the peer certificate and host name are verified
// against the system's CAs unless told otherwise). Timeouts (`Timeouts`): one for
// setting the connection up (resolving, connecting, the TLS handshake), one for each
// write or read that makes no progress, and optionally one for the whole request; a
// large object on a slow link that keeps moving is not cut off.
//
// net/'s HttpCall is not used: it speaks plain http only and words its errors for the
// Tributary API. Transport failures come back as kUnavailable (refused, reset, DNS, a
// connection lost during the TLS handshake) or kDeadlineExceeded (timeout), which the S3
// client retries; a certificate the handshake does not accept is kFailedPrecondition
// (retrying would not help).
//
// Thread-safety: Send may be called from many threads at once; each call has its own
// io_context and connection.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace boost::asio::ssl {
class context;
}

namespace tributary::objstore {

struct Endpoint {
  bool tls = false;
  std::string host;  // name or address, without brackets
  std::string port;  // "80" / "443" when the URL names none
  bool default_port = true;
};

// "http://127.0.0.1:9000", "https://s3.eu-west-1.amazonaws.com". A path other than "/"
// is refused: S3 endpoints have none. Errors name the URL as `what` says ("s3_endpoint
// 'x' has no host": the server's setting, which is where the lake's endpoint comes from).
Result<Endpoint> ParseEndpoint(const std::string& url, std::string_view what = "s3_endpoint");

// The Host header for `host` on `endpoint`'s port: "[v6]" in brackets, ":port" unless the
// scheme's default.
std::string HostHeader(const std::string& host, const Endpoint& endpoint);

struct HttpRequest {
  std::string method;
  std::string target;  // "/bucket/key?query", already encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string Header(const std::string& lower_name) const;
};

struct TransportOptions {
  bool verify_peer = true;   // https: check the certificate chain and host name
  std::string ca_file;       // https: PEM CAs to trust instead of the system's
  std::string connect_host;  // connect here whatever the Host header says (tests; "" = no)
};

struct Timeouts {
  int connect_ms = 30000;  // resolving, connecting and the TLS handshake, together
  int idle_ms = 30000;     // each write or read of the request: the longest it waits for
                           // progress (a byte sent or received), however long it runs
  int total_ms = 0;        // the whole request, connection included; 0: no limit
};

class HttpTransport {
 public:
  static Result<std::unique_ptr<HttpTransport>> Create(Endpoint endpoint, TransportOptions options);
  ~HttpTransport();

  // Sends to `host` (the Host header's name; also the TLS SNI and verified name) on the
  // endpoint's port, and reads the whole response. A HEAD response has no body.
  // `request_sent` (optional) is set once the whole request has been written: a failure
  // after that (a timeout or reset while waiting for the response) may come after the
  // server acted on the request; before it, the server cannot have.
  Result<HttpResponse> Send(const std::string& host, const HttpRequest& request,
                            const Timeouts& timeouts, bool* request_sent = nullptr);
  // With one deadline for everything (rules' HTTP actions, whose bodies are small).
  Result<HttpResponse> Send(const std::string& host, const HttpRequest& request, int timeout_ms) {
    return Send(host, request, Timeouts{timeout_ms, timeout_ms, timeout_ms});
  }

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  HttpTransport(Endpoint endpoint, TransportOptions options,
                std::shared_ptr<boost::asio::ssl::context> tls);
  Endpoint endpoint_;
  TransportOptions options_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace tributary::objstore
