#include "app/admin_token.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <strings.h>
#include <unistd.h>

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

// Whether a Host header names this machine as a client on it would: an address (a page
// that rebinds its own domain to 127.0.0.1 still sends that domain), `localhost` or a name
// under it, or the machine's host name; empty (HTTP/1.0) too.
bool HostNamesThisMachine(std::string_view host) {
  if (host.starts_with('[')) return host.find(']') != std::string_view::npos;  // IPv6
  host = host.substr(0, host.find(':'));
  if (host.empty()) return true;
  std::string name(host);
  in_addr v4;
  if (inet_pton(AF_INET, name.c_str(), &v4) == 1) return true;
  if (strcasecmp(name.c_str(), "localhost") == 0 ||
      (name.size() > 10 && strcasecmp(name.c_str() + name.size() - 10, ".localhost") == 0)) {
    return true;
  }
  char own[256] = {};
  if (gethostname(own, sizeof own - 1) != 0) return false;
  std::string_view own_name(own);
  return strcasecmp(name.c_str(), own) == 0 ||
         strcasecmp(name.c_str(), std::string(own_name.substr(0, own_name.find('.'))).c_str()) == 0;
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
  return (req.from_loopback && HostNamesThisMachine(req.Header("host"))) ||
         BearerTokenMatches(req.Header("authorization"), metrics_token);
}

}  // namespace tributary::app
