#include <charconv>

#include "app/api.h"
#include "base/json_text.h"

namespace tributary::app {

net::HttpResponse JsonResponse(const nlohmann::json& body, int status) {
  net::HttpResponse r;
  r.status = status;
  // Answers echo device data (a rule trial's output, a rendered header): a byte that is not
  // UTF-8 becomes U+FFFD rather than an exception on the HTTP thread.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

net::HttpResponse ErrorResponse(const Status& status) {
  return net::JsonError(HttpStatusFor(status.code()), std::string(ErrorCodeName(status.code())),
                        status.message());
}

Result<nlohmann::json> ParseBody(const net::HttpRequest& request) {
  if (request.body.empty()) return InvalidArgument("request body is empty; expected a JSON object");
  return ParseJsonText(request.body, "the request body");
}

std::string QueryParam(const net::HttpRequest& request, const std::string& name) {
  auto it = request.query.find(name);
  return it == request.query.end() ? std::string() : it->second;
}

Result<int64_t> QueryInt(const net::HttpRequest& req, const std::string& key, int64_t fallback, int64_t max) {
  auto it = req.query.find(key);
  if (it == req.query.end() || it->second.empty()) return fallback;
  int64_t v = -1;
  const std::string& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0 || v > max) {
    return InvalidArgument("query parameter '" + key + "': '" + s + "' is not an integer 0.." + std::to_string(max));
  }
  return v;
}

}  // namespace tributary::app
