// The web console: the files of web/ served at /console/ (and "/" redirected there).
//
// The files hold no data and are served without a token; every API call the page makes
// carries the admin token the user typed in, kept in the tab's sessionStorage. Responses
// carry a Content-Security-Policy that allows only the server's own scripts, styles and
// API (no inline script, no other origin, no framing), `nosniff`, and an ETag so that a
// reload revalidates instead of downloading again.
#pragma once

#include <optional>
#include <string>

#include "net/http_types.h"

namespace tributary::app {

class Console {
 public:
  // `dir` empty: the files compiled into the binary (console_assets.h). Otherwise the
  // files are read from `dir` at each request, for working on the console without
  // rebuilding (`--console-dir web`).
  explicit Console(std::string dir = "");

  // Answers a request for "/", "/console" or a path under "/console/"; nullopt for any
  // other path (the API's).
  std::optional<net::HttpResponse> Serve(const net::HttpRequest& request) const;

  static bool Handles(const std::string& path);

 private:
  std::optional<std::string> Load(const std::string& relative) const;
  std::string dir_;
};

}  // namespace tributary::app
