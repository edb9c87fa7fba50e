// A blocking HTTP/1.1 client for the CLI and tests: one request per connection, over
// http:// or https:// (the server's certificate verified against a CA file, or the
// system's CAs, and the host name or address it names).
// Thread-compatible: each call uses its own io_context.
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "net/http_types.h"

namespace tributary::net {

struct Url {
  bool tls = false;  // https://
  std::string host;
  std::string port;
  std::string base_path;  // "" or "/prefix"
};

// "http://127.0.0.1:8080" -> {false, 127.0.0.1, 8080, ""}; "https://h" -> {true, h, 443, ""}.
// Errors name what is wrong.
Result<Url> ParseUrl(const std::string& url);

// Sends the request and returns the response, whatever its status. Transport
// failures (refused, timeout, a certificate not trusted) are kUnavailable with the
// address in the message. `ca_file`: the PEM CA an https:// server's certificate must
// chain to ("" = the system's).
Result<HttpResponse> HttpCall(const std::string& base_url, const std::string& method,
                              const std::string& path_and_query, const std::string& body = "",
                              const std::map<std::string, std::string>& headers = {},
                              int timeout_s = 30, const std::string& ca_file = "");

}  // namespace tributary::net
