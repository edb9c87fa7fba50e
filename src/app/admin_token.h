// The HTTP API's tokens. The first start writes a random administrator token to
// <data-dir>/admin.token and a scraper's token, good for GET /metrics only, to
// <data-dir>/metrics.token (both mode 0600); later starts read them back. Clients send one
// as `Authorization: Bearer <token>`.
#pragma once

#include <string>

#include "base/status.h"
#include "net/http_types.h"

namespace tributary::app {

Result<std::string> LoadOrCreateAdminToken(const std::string& data_dir);
Result<std::string> LoadOrCreateMetricsToken(const std::string& data_dir);

// Constant-time comparison of a request's Authorization header with the token.
bool BearerTokenMatches(const std::string& authorization_header, const std::string& token);

// Whether `req` may read /metrics without the administrator's token: from this machine
// addressed as this machine (its Host an address, localhost or the host name: a web page
// that rebinds its own name to 127.0.0.1 does not read it), or with the scraper's token
// (Prometheus's `authorization: credentials_file:`).
bool MetricsOpenTo(const net::HttpRequest& req, const std::string& metrics_token);

}  // namespace tributary::app
