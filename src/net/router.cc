#include "net/router.h"

#include <nlohmann/json.hpp>

namespace tributary::net {
namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

HttpResponse JsonError(int status, const std::string& code, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump() + "\n";
  return r;
}

void Router::Add(const std::string& method, const std::string& pattern, HttpHandler handler) {
  routes_.push_back({method, Split(pattern), std::move(handler), nullptr});
}

void Router::AddAsync(const std::string& method, const std::string& pattern,
                      HttpAsyncHandler handler) {
  routes_.push_back({method, Split(pattern), nullptr, std::move(handler)});
}

HttpResponse Router::Route(HttpRequest& request) const {
  HttpResponse out;
  bool answered = false;
  Dispatch(request, [&](HttpResponse r) {
    out = std::move(r);
    answered = true;
  });
  if (!answered) return JsonError(500, "internal", request.path + " answers asynchronously");
  return out;
}

void Router::Dispatch(HttpRequest& request, HttpRespond respond) const {
  std::vector<std::string> parts = Split(request.path);
  bool path_known = false;
  for (const auto& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (size_t i = 0; i < parts.size() && match; ++i) {
      const std::string& seg = route.segments[i];
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        params[seg.substr(1, seg.size() - 2)] = UrlDecode(parts[i], false);
      } else {
        match = seg == parts[i];
      }
    }
    if (!match) continue;
    path_known = true;
    if (route.method != request.method) continue;
    request.params = std::move(params);
    if (route.async_handler) return route.async_handler(request, std::move(respond));
    return respond(route.handler(request));
  }
  if (path_known)
    return respond(JsonError(405, "method_not_allowed",
                             request.method + " is not allowed on " + request.path));
  respond(JsonError(404, "not_found", "no such API path: " + request.path));
}

}  // namespace tributary::net
