#include "net/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "net/tls_context.h"

namespace tributary::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<Url> ParseUrl(const std::string& url) {
  Url out;
  out.tls = url.rfind("https://", 0) == 0;
  if (!out.tls && url.rfind("http://", 0) != 0) {
    return InvalidArgument("endpoint '" + url + "' must start with http:// or https://");
  }
  std::string rest = url.substr(out.tls ? 8 : 7);
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  out.base_path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos || (hostport.find(']') > colon && hostport.front() == '[')) {
    out.host = hostport;
    out.port = out.tls ? "443" : "80";
  } else {
    out.host = hostport.substr(0, colon);
    out.port = hostport.substr(colon + 1);
  }
  if (!out.host.empty() && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty()) return InvalidArgument("endpoint '" + url + "' has no host");
  return out;
}

namespace {

// One request and its answer on a connected stream (plain or TLS).
template <class Stream>
HttpResponse Exchange(Stream& stream, const Url& url, const std::string& method, const std::string& path_and_query,
                      const std::string& body, const std::map<std::string, std::string>& headers, int timeout_s) {
  http::request<http::string_body> req(http::string_to_verb(method), url.base_path + path_and_query, 11);
  req.set(http::field::host, url.host);
  req.set(http::field::user_agent, "tributary-cli");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() && headers.find("Content-Type") == headers.end())
    req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(timeout_s));
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256ull * 1024 * 1024);
  http::read(stream, buffer, parser);
  auto res = parser.release();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[http::field::content_type]);
  for (const auto& f : res) out.headers[std::string(f.name_string())] = std::string(f.value());
  out.body = std::move(res.body());
  return out;
}

}  // namespace

Result<HttpResponse> HttpCall(const std::string& base_url, const std::string& method,
                              const std::string& path_and_query, const std::string& body,
                              const std::map<std::string, std::string>& headers, int timeout_s,
                              const std::string& ca_file) {
  TRY_ASSIGN(Url url, ParseUrl(base_url));
  std::string where = url.host + ":" + url.port;
  std::shared_ptr<asio::ssl::context> tls;
  if (url.tls) {
    auto made = MakeClientTlsContext({ca_file, "", ""});
    if (!made.ok()) return made.status();
    tls = *made;
    if (ca_file.empty()) {  // the system's CAs
      tls->set_default_verify_paths();
      tls->set_verify_mode(asio::ssl::verify_peer);
    }
  }
  try {
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    beast::tcp_stream tcp(ioc);
    tcp.expires_after(std::chrono::seconds(timeout_s));
    tcp.connect(resolver.resolve(url.host, url.port));
    if (!url.tls) {
      HttpResponse out = Exchange(tcp, url, method, path_and_query, body, headers, timeout_s);
      beast::error_code ec;
      tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
      return out;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), *tls);
    // The certificate must name the host (a DNS name or an IP address), sent as SNI.
    stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
    boost::system::error_code parsed;
    asio::ip::make_address(url.host, parsed);
    if (parsed) SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());
    try {
      stream.handshake(asio::ssl::stream_base::client);
    } catch (const boost::system::system_error& e) {
      return Unavailable("TLS with the Tributary server at " + where + " failed (" + e.code().message() + ")" +
                         (ca_file.empty() ? "; give the CA that issued its certificate: --ca-file <data-dir>/pki/ca.crt"
                                          : "; is its certificate from '" + ca_file + "', naming " + url.host + "?"));
    }
    HttpResponse out = Exchange(stream, url, method, path_and_query, body, headers, timeout_s);
    beast::error_code ec;
    stream.shutdown(ec);  // close_notify; the server's own may not come before the socket closes
    return out;
  } catch (const boost::system::system_error& e) {
    return Unavailable("cannot reach the Tributary server at " + where + " (" + e.code().message() +
                       "); is `tributary server` running? (--endpoint / TRIBUTARY_ENDPOINT)");
  }
}

}  // namespace tributary::net
