#include "net/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace tributary::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<Url> ParseUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0)
    return InvalidArgument("endpoint '" + url + "' must start with http://");
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  Url out;
  out.base_path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos || hostport.find(']') > colon && hostport.front() == '[') {
    out.host = hostport;
    out.port = "80";
  } else {
    out.host = hostport.substr(0, colon);
    out.port = hostport.substr(colon + 1);
  }
  if (!out.host.empty() && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty()) return InvalidArgument("endpoint '" + url + "' has no host");
  return out;
}

Result<HttpResponse> HttpCall(const std::string& base_url, const std::string& method,
                              const std::string& path_and_query, const std::string& body,
                              const std::map<std::string, std::string>& headers, int timeout_s) {
  TRY_ASSIGN(Url url, ParseUrl(base_url));
  std::string where = url.host + ":" + url.port;
  try {
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(timeout_s));
    auto endpoints = resolver.resolve(url.host, url.port);
    stream.connect(endpoints);
    http::request<http::string_body> req(http::string_to_verb(method),
                                         url.base_path + path_and_query, 11);
    req.set(http::field::host, url.host);
    req.set(http::field::user_agent, "tributary-cli");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() && headers.find("Content-Type") == headers.end())
      req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    stream.expires_after(std::chrono::seconds(timeout_s));
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
    beast::error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return out;
  } catch (const boost::system::system_error& e) {
    return Unavailable("cannot reach the Tributary server at " + where + " (" + e.code().message() +
                       "); is `tributary server` running? (--endpoint / TRIBUTARY_ENDPOINT)");
  }
}

}  // namespace tributary::net
