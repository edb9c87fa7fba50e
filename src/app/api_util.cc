#include "app/api.h"

#include <charconv>

namespace tributary::app {

net::HttpResponse JsonResponse(const nlohmann::json& body, int status) {
  net::HttpResponse r;
  r.status = status;
  r.body = body.dump() + "\n";
  return r;
}

net::HttpResponse ErrorResponse(const Status& status) {
  return net::JsonError(HttpStatusFor(status.code()), std::string(ErrorCodeName(status.code())),
                        status.message());
}

Result<nlohmann::json> ParseBody(const net::HttpRequest& request) {
  if (request.body.empty()) return InvalidArgument("request body is empty; expected a JSON object");
  try {
    return nlohmann::json::parse(request.body);
  } catch (const nlohmann::json::parse_error& e) {
    return InvalidArgument("request body is not valid JSON at byte " + std::to_string(e.byte) + ": " +
                           e.what());
  } catch (const nlohmann::json::exception& e) {  // out_of_range: a number like 1e999
    return InvalidArgument(std::string("request body is not valid JSON: ") + e.what());
  }
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
