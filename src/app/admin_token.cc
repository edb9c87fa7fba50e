#include "app/admin_token.h"

#include <openssl/crypto.h>

#include <filesystem>

#include "base/files.h"
#include "base/ids.h"

namespace tributary::app {

namespace {

Result<std::string> LoadOrCreateToken(const std::string& path, const std::string& what) {
  if (std::filesystem::exists(path)) {
    TRY_ASSIGN(std::string token, ReadFile(path));
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    if (token.size() < 16)
      return DataLoss(what + " in '" + path +
                      "' is shorter than 16 characters; delete it to get a new one");
    return token;
  }
  std::string token = RandomHex(24);
  TRY(WriteFileAtomic(path, token + "\n", 0600));
  return token;
}

}  // namespace

Result<std::string> LoadOrCreateAdminToken(const std::string& data_dir) {
  return LoadOrCreateToken(data_dir + "/admin.token", "admin token");
}

Result<std::string> LoadOrCreateMetricsToken(const std::string& data_dir) {
  return LoadOrCreateToken(data_dir + "/metrics.token", "metrics token");
}

bool BearerTokenMatches(const std::string& header, const std::string& token) {
  const std::string prefix = "Bearer ";
  if (header.size() != prefix.size() + token.size() || header.rfind(prefix, 0) != 0) return false;
  return CRYPTO_memcmp(header.data() + prefix.size(), token.data(), token.size()) == 0;
}

bool MetricsOpenTo(const net::HttpRequest& req, const std::string& metrics_token) {
  return req.from_loopback || BearerTokenMatches(req.Header("authorization"), metrics_token);
}

}  // namespace tributary::app
