// A blocking HTTP/1.1 client for the CLI and tests: one request per connection,
// plain http:// URLs only (the API listens on loopback or behind a TLS proxy).
// Thread-compatible: each call uses its own io_context.
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "net/http_types.h"

namespace tributary::net {

struct Url {
  std::string host;
  std::string port;
  std::string base_path;  // "" or "/prefix"
};

// "http://127.0.0.1:8080" -> {127.0.0.1, 8080, ""}. Errors name what is wrong.
Result<Url> ParseUrl(const std::string& url);

// Sends the request and returns the response, whatever its status. Transport
// failures (refused, timeout) are kUnavailable with the address in the message.
Result<HttpResponse> HttpCall(const std::string& base_url, const std::string& method,
                              const std::string& path_and_query, const std::string& body = "",
                              const std::map<std::string, std::string>& headers = {},
                              int timeout_s = 30);

}  // namespace tributary::net
