#include "objstore/http_transport.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <limits>

namespace tributary::objstore {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using Clock = std::chrono::steady_clock;

// Runs one asynchronous operation at a time to completion or until its deadline. On
// timeout the operation is cancelled through `cancel` and beast::error::timeout is
// returned. Setting the connection up has one deadline for all its steps; each write or
// read step has a deadline of its own, idle_ms from its start, so that a transfer that
// keeps making progress is never cut off. A total_ms caps them all.
class Stepper {
 public:
  Stepper(asio::io_context& ioc, const Timeouts& timeouts)
      : ioc_(ioc), timeouts_(timeouts), start_(Clock::now()) {
    connect_deadline_ = Capped(start_ + std::chrono::milliseconds(timeouts_.connect_ms));
  }

  // Resolving, connecting, the TLS handshake.
  template <typename Start, typename Cancel>
  beast::error_code Connecting(Start start, Cancel cancel) {
    return Run(connect_deadline_, start, cancel);
  }

  // One write_some or read_some: it completes as soon as some bytes have moved.
  template <typename Start, typename Cancel>
  beast::error_code Transferring(Start start, Cancel cancel) {
    return Run(Capped(Clock::now() + std::chrono::milliseconds(timeouts_.idle_ms)), start, cancel);
  }

 private:
  Clock::time_point Capped(Clock::time_point deadline) const {
    if (timeouts_.total_ms <= 0) return deadline;
    return std::min(deadline, start_ + std::chrono::milliseconds(timeouts_.total_ms));
  }

  template <typename Start, typename Cancel>
  beast::error_code Run(Clock::time_point deadline, Start start, Cancel cancel) {
    bool done = false;
    beast::error_code result;
    start([&](beast::error_code ec, auto&&...) {
      done = true;
      result = ec;
    });
    ioc_.restart();
    ioc_.run_until(deadline);
    if (done) return result;
    cancel();
    ioc_.restart();
    ioc_.run();  // let the cancelled operation finish before its locals go away
    return beast::error::timeout;
  }

  asio::io_context& ioc_;
  Timeouts timeouts_;
  Clock::time_point start_;
  Clock::time_point connect_deadline_;
};

Status TransportError(const std::string& what, const std::string& where, beast::error_code ec) {
  std::string msg = what + " " + where + " failed: " + ec.message();
  if (ec == beast::error::timeout) return {ErrorCode::kDeadlineExceeded, msg + " (timed out)"};
  return Unavailable(msg);
}

// A failed TLS handshake. Only a certificate the handshake refused is the
// configuration's fault (kFailedPrecondition); a connection closed or reset half-way
// (stream_truncated, EOF, ECONNRESET: a restarting server, a proxy, a load balancer) or
// any other failure is worth another attempt.
Status HandshakeError(const std::string& where, beast::error_code ec, SSL* ssl, bool verify_peer) {
  std::string msg = "TLS handshake with " + where + " failed: ";
  if (ec == beast::error::timeout) return TransportError("TLS handshake with", where, ec);
  bool refused_certificate = ec.category() == asio::error::get_ssl_category() &&
                             ERR_GET_REASON(ec.value()) == SSL_R_CERTIFICATE_VERIFY_FAILED;
  long verify_result = SSL_get_verify_result(ssl);
  if (verify_peer && (refused_certificate || verify_result != X509_V_OK)) {
    std::string why = verify_result != X509_V_OK ? X509_verify_cert_error_string(verify_result)
                                                 : "it is not issued for this host name";
    return FailedPrecondition(msg + "the server's certificate is not accepted (" + why +
                              "; is it issued by a CA this host trusts, for this name?)");
  }
  if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof ||
      ec == asio::error::connection_reset)
    return Unavailable(msg + "the connection was closed before the handshake finished (" +
                       ec.message() + ")");
  return Unavailable(msg + ec.message());
}

// Writes the request and reads the response, one write_some / read_some step at a time
// (each with the idle timeout). `*request_sent` turns true once the last byte is written.
template <typename Stream>
Result<HttpResponse> Exchange(Stream& stream, Stepper& step, const std::string& where,
                              const HttpRequest& request, bool* request_sent) {
  http::request<http::string_body> req;
  req.method_string(request.method);
  req.target(request.target);
  req.version(11);
  for (const auto& [name, value] : request.headers) req.set(name, value);
  req.body() = request.body;
  req.prepare_payload();

  auto cancel = [&] { beast::get_lowest_layer(stream).socket().close(); };
  http::request_serializer<http::string_body> serializer(req);
  while (!serializer.is_done()) {
    beast::error_code ec = step.Transferring(
        [&](auto handler) { http::async_write_some(stream, serializer, std::move(handler)); },
        cancel);
    if (ec) return TransportError("sending " + request.method + " to", where, ec);
  }
  if (request_sent) *request_sent = true;

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (request.method == "HEAD") parser.skip(true);  // Content-Length describes the object
  while (!parser.is_done()) {
    beast::error_code ec = step.Transferring(
        [&](auto handler) { http::async_read_some(stream, buffer, parser, std::move(handler)); },
        cancel);
    if (ec) return TransportError("reading the response from", where, ec);
  }

  auto res = parser.release();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = std::move(res.body());
  return out;
}

}  // namespace

std::string HttpResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

Result<Endpoint> ParseEndpoint(const std::string& url, std::string_view what) {
  const std::string named = std::string(what) + " '" + url + "'";
  Endpoint ep;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    ep.tls = true;
    rest = url.substr(8);
  } else {
    return InvalidArgument(named + " must start with http:// or https://");
  }
  size_t slash = rest.find('/');
  if (slash != std::string::npos && rest.substr(slash) != "/")
    return InvalidArgument(named + " has a path; S3 endpoints have none");
  std::string hostport = rest.substr(0, slash);
  ep.port = ep.tls ? "443" : "80";
  if (!hostport.empty() && hostport.front() == '[') {  // [::1]:9000
    size_t close = hostport.find(']');
    if (close == std::string::npos)
      return InvalidArgument(named + " has no ']'");
    ep.host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':')
        return InvalidArgument(named + " is malformed");
      ep.port = hostport.substr(close + 2);
      ep.default_port = false;
    }
  } else {
    size_t colon = hostport.rfind(':');
    ep.host = hostport.substr(0, colon);
    if (colon != std::string::npos) {
      ep.port = hostport.substr(colon + 1);
      ep.default_port = false;
    }
  }
  if (ep.host.empty()) return InvalidArgument(named + " has no host");
  if (ep.port.empty() || ep.port.find_first_not_of("0123456789") != std::string::npos ||
      ep.port.size() > 5 || std::stoi(ep.port) == 0 || std::stoi(ep.port) > 65535)
    return InvalidArgument(named + " has a bad port '" + ep.port + "'");
  if (!ep.default_port && ep.port == (ep.tls ? "443" : "80")) ep.default_port = true;
  return ep;
}

std::string HostHeader(const std::string& host, const Endpoint& endpoint) {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return endpoint.default_port ? h : h + ":" + endpoint.port;
}

Result<std::unique_ptr<HttpTransport>> HttpTransport::Create(Endpoint endpoint,
                                                             TransportOptions options) {
  std::shared_ptr<asio::ssl::context> tls;
  if (endpoint.tls) {
    try {
      tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
      tls->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                       asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      if (options.ca_file.empty()) {
        tls->set_default_verify_paths();
      } else {
        tls->load_verify_file(options.ca_file);
      }
      tls->set_verify_mode(options.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none);
    } catch (const boost::system::system_error& e) {
      return InvalidArgument("cannot set up TLS for " + endpoint.host + " (CA file '" +
                             options.ca_file + "'): " + e.code().message());
    }
  }
  return std::unique_ptr<HttpTransport>(
      new HttpTransport(std::move(endpoint), std::move(options), std::move(tls)));
}

HttpTransport::HttpTransport(Endpoint endpoint, TransportOptions options,
                             std::shared_ptr<asio::ssl::context> tls)
    : endpoint_(std::move(endpoint)), options_(std::move(options)), tls_(std::move(tls)) {}

HttpTransport::~HttpTransport() = default;

Result<HttpResponse> HttpTransport::Send(const std::string& host, const HttpRequest& request,
                                         const Timeouts& timeouts, bool* request_sent) {
  if (request_sent) *request_sent = false;
  std::string connect_host = options_.connect_host.empty() ? host : options_.connect_host;
  std::string where = (endpoint_.tls ? "https://" : "http://") + host + ":" + endpoint_.port;
  asio::io_context ioc;
  Stepper step(ioc, timeouts);

  tcp::resolver resolver(ioc);
  tcp::resolver::results_type addresses;
  beast::error_code ec = step.Connecting(
      [&](auto handler) {
        resolver.async_resolve(connect_host, endpoint_.port,
                               [&, handler](beast::error_code e, tcp::resolver::results_type r) {
                                 addresses = std::move(r);
                                 handler(e);
                               });
      },
      [&] { resolver.cancel(); });
  if (ec) return TransportError("resolving", where, ec);

  beast::tcp_stream tcp_stream(ioc);
  ec = step.Connecting(
      [&](auto handler) { tcp_stream.async_connect(addresses, std::move(handler)); },
      [&] { tcp_stream.socket().close(); });
  if (ec) return TransportError("connecting to", where, ec);

  if (!endpoint_.tls) {
    auto response = Exchange(tcp_stream, step, where, request, request_sent);
    beast::error_code ignored;
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return response;
  }

  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *tls_);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()))
    return Unavailable("cannot set TLS SNI name '" + host + "' for " + where);
  if (options_.verify_peer) stream.set_verify_callback(asio::ssl::host_name_verification(host));
  ec = step.Connecting(
      [&](auto handler) {
        stream.async_handshake(asio::ssl::stream_base::client, std::move(handler));
      },
      [&] { beast::get_lowest_layer(stream).socket().close(); });
  if (ec) return HandshakeError(where, ec, stream.native_handle(), options_.verify_peer);
  auto response = Exchange(stream, step, where, request, request_sent);
  // No TLS close_notify round trip: the response is complete, and S3 servers commonly
  // drop the connection without one anyway.
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  return response;
}

}  // namespace tributary::objstore
