// Maps (method, path pattern) to handlers. Patterns are literal segments and
// `{name}` parameters: "/things/{name}/certificates"; a last `{name+}` takes the rest of
// the path, slashes included ("/topics/{topic+}": "devices/t1/pm"). Build the table at start-up;
// Route() is then read-only and safe from any thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "net/http_types.h"

namespace tributary::net {

using HttpHandler = std::function<HttpResponse(HttpRequest&)>;
// Answers a request later, from any thread, exactly once. Used by handlers whose work
// must not hold a Runtime thread (a model invocation waits for a worker process).
using HttpRespond = std::function<void(HttpResponse)>;
using HttpAsyncHandler = std::function<void(HttpRequest&, HttpRespond)>;

class Router {
 public:
  void Add(const std::string& method, const std::string& pattern, HttpHandler handler);
  void AddAsync(const std::string& method, const std::string& pattern, HttpAsyncHandler handler);
  // Fills request.params and calls the handler; a synchronous one's answer goes to
  // `respond` at once. 404 for an unknown path, 405 for a known path with another
  // method, both with a JSON error body.
  void Dispatch(HttpRequest& request, HttpRespond respond) const;
  // For synchronous routes only (an asynchronous route answers 500 here).
  HttpResponse Route(HttpRequest& request) const;

 private:
  struct Route_ {
    std::string method;
    std::vector<std::string> segments;
    HttpHandler handler;
    HttpAsyncHandler async_handler;
  };
  std::vector<Route_> routes_;
};

// {"error": {"code": "<error_code_name>", "message": "..."}} with the given status.
HttpResponse JsonError(int status, const std::string& code, const std::string& message);

}  // namespace tributary::net
