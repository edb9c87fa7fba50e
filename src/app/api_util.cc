#include "app/api.h"

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

}  // namespace tributary::app
