#include "app/console.h"

#include <cstdint>
#include <cstdio>

#include "app/console_assets.h"
#include "base/files.h"
#include "base/fnv1a.h"

namespace tributary::app {
namespace {

constexpr const char kPrefix[] = "/console/";

const char* ContentType(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  if (path.ends_with(".json")) return "application/json";
  if (path.ends_with(".png")) return "image/png";
  return "application/octet-stream";
}

std::string Etag(const std::string& body) {
  // FNV-1a from the start value the ETags have always had.
  uint64_t h = Fnv1a64(body, 1469598103934665603ull);
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

void AddSecurityHeaders(net::HttpResponse* r) {
  r->headers["Content-Security-Policy"] =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  r->headers["X-Content-Type-Options"] = "nosniff";
  r->headers["X-Frame-Options"] = "DENY";
  r->headers["Referrer-Policy"] = "no-referrer";
}

net::HttpResponse Plain(int status, const std::string& text) {
  net::HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = text + "\n";
  AddSecurityHeaders(&r);
  return r;
}

// A relative path of letters, digits, '-', '_', '.' and '/' with no empty, "." or ".."
// segment: nothing outside the console's folder can be named.
bool SafeRelativePath(const std::string& p) {
  if (p.empty() || p.size() > 200) return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    std::string seg = p.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    for (char c : seg) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                c == '_' || c == '.';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

}  // namespace

Console::Console(std::string dir) : dir_(std::move(dir)) {}

bool Console::Handles(const std::string& path) {
  return path == "/" || path == "/console" || path.rfind(kPrefix, 0) == 0;
}

std::optional<std::string> Console::Load(const std::string& relative) const {
  if (dir_.empty()) {
    for (const EmbeddedFile& f : ConsoleAssets())
      if (f.path == relative) return std::string(f.body);
    return std::nullopt;
  }
  Result<std::string> text = ReadFile(dir_ + "/" + relative);
  if (!text.ok()) return std::nullopt;
  return std::move(text).value();
}

std::optional<net::HttpResponse> Console::Serve(const net::HttpRequest& request) const {
  if (!Handles(request.path)) return std::nullopt;
  if (request.method != "GET") {
    net::HttpResponse r = Plain(405, "the console's files are read with GET; the API is under /v1/");
    r.headers["Allow"] = "GET";
    return r;
  }
  if (request.path == "/" || request.path == "/console") {
    net::HttpResponse r = Plain(302, "the console is at /console/");
    r.headers["Location"] = "/console/";
    return r;
  }
  std::string relative = request.path.substr(sizeof(kPrefix) - 1);
  if (relative.empty()) relative = "index.html";
  if (!SafeRelativePath(relative)) return Plain(404, "no console file '" + relative + "'");
  std::optional<std::string> body = Load(relative);
  if (!body) return Plain(404, "no console file '" + relative + "'");
  net::HttpResponse r;
  r.content_type = ContentType(relative);
  AddSecurityHeaders(&r);
  r.headers["Cache-Control"] = "no-cache";
  std::string etag = Etag(*body);
  r.headers["ETag"] = etag;
  if (request.Header("if-none-match") == etag) {
    r.status = 304;
    return r;
  }
  r.body = std::move(*body);
  return r;
}

}  // namespace tributary::app
