// The HTTP/1.1 client under the S3 backend: one request per connection, http:// or
// https:// (OpenSSL through Beast; the peer certificate and host name are verified
// against the system's CAs unless told otherwise), with one deadline per request that
// covers resolving, connecting, the TLS handshake, writing and reading.
//
// net/'s HttpCall is not used: it speaks plain http only and words its errors for the
// Tributary API. Transport failures come back as kUnavailable (refused, reset, DNS) or
// kDeadlineExceeded (timeout), which the S3 client retries; a failed TLS handshake is
// kFailedPrecondition (retrying would not help).
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
// is refused: S3 endpoints have none. Errors name the URL as `what` says ("lake.endpoint
// 'x' has no host").
Result<Endpoint> ParseEndpoint(const std::string& url, std::string_view what = "lake.endpoint");

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

class HttpTransport {
 public:
  static Result<std::unique_ptr<HttpTransport>> Create(Endpoint endpoint, TransportOptions options);
  ~HttpTransport();

  // Sends to `host` (the Host header's name; also the TLS SNI and verified name) on the
  // endpoint's port, and reads the whole response. A HEAD response has no body.
  Result<HttpResponse> Send(const std::string& host, const HttpRequest& request, int timeout_ms);

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  HttpTransport(Endpoint endpoint, TransportOptions options,
                std::shared_ptr<boost::asio::ssl::context> tls);
  Endpoint endpoint_;
  TransportOptions options_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace tributary::objstore
