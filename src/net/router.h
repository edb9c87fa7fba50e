// Maps (method, path pattern) to handlers. Patterns are literal segments and
// `{name}` parameters: "/things/{name}/certificates". Build the table at start-up;
// Route() is then read-only and safe from any thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "net/http_types.h"

namespace tributary::net {

using HttpHandler = std::function<HttpResponse(HttpRequest&)>;

class Router {
 public:
  void Add(const std::string& method, const std::string& pattern, HttpHandler handler);
  // Fills request.params. 404 for an unknown path, 405 for a known path with another
  // method, both with a JSON error body.
  HttpResponse Route(HttpRequest& request) const;

 private:
  struct Route_ {
    std::string method;
    std::vector<std::string> segments;
    HttpHandler handler;
  };
  std::vector<Route_> routes_;
};

// {"error": {"code": "<error_code_name>", "message": "..."}} with the given status.
HttpResponse JsonError(int status, const std::string& code, const std::string& message);

}  // namespace tributary::net
