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
  // A message may quote what a request or a device sent: bytes that are not UTF-8 become
  // U+FFFD rather than an exception.
  r.body = nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump(
               -1, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
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
  // The path's segments as sent, each decoded once: an encoded slash (%2F) stays inside
  // its segment, and %25 is a '%' (decoding the decoded path again made %252F a '/').
  // A request built without raw_path (by hand) gives its path as it would be sent.
  std::vector<std::string> parts =
      Split(request.raw_path.empty() ? request.path : request.raw_path);
  for (std::string& part : parts) part = UrlDecode(part, false);
  std::string allowed;  // the methods the path takes, when it is known ("GET,PUT")
  for (const auto& route : routes_) {
    // A last "{name+}" takes the rest of the path, one segment or more.
    const bool greedy = !route.segments.empty() && route.segments.back().size() > 3 &&
                        route.segments.back().ends_with("+}");
    if (greedy ? parts.size() < route.segments.size() : route.segments.size() != parts.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (size_t i = 0; i < route.segments.size() && match; ++i) {
      const std::string& seg = route.segments[i];
      if (greedy && i + 1 == route.segments.size()) {
        std::string rest = parts[i];
        for (size_t j = i + 1; j < parts.size(); ++j) rest += "/" + parts[j];
        params[seg.substr(1, seg.size() - 3)] = std::move(rest);
      } else if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        params[seg.substr(1, seg.size() - 2)] = parts[i];
      } else {
        match = seg == parts[i];
      }
    }
    if (!match) continue;
    if (route.method != request.method) {
      if (("," + allowed + ",").find("," + route.method + ",") == std::string::npos) {
        allowed += (allowed.empty() ? "" : ",") + route.method;
      }
      continue;
    }
    request.params = std::move(params);
    if (route.async_handler) return route.async_handler(request, std::move(respond));
    return respond(route.handler(request));
  }
  if (!allowed.empty()) {
    HttpResponse refused = JsonError(
        405, "method_not_allowed",
        request.method + " is not allowed on " + request.path + " (it takes " + allowed + ")");
    refused.headers["Allow"] = allowed;
    return respond(std::move(refused));
  }
  respond(JsonError(404, "not_found", "no such API path: " + request.path));
}

}  // namespace tributary::net
