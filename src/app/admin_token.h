// The HTTP API's administrator token. The first start writes a random token to
// <data-dir>/admin.token (mode 0600); later starts read it back. Clients send it as
// `Authorization: Bearer <token>`.
#pragma once

#include <string>

#include "base/status.h"

namespace tributary::app {

Result<std::string> LoadOrCreateAdminToken(const std::string& data_dir);

// Constant-time comparison of a request's Authorization header with the token.
bool BearerTokenMatches(const std::string& authorization_header, const std::string& token);

}  // namespace tributary::app
