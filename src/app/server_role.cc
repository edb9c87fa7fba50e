#include "app/server_role.h"

#include <filesystem>

#include <fmt/format.h>

#include "base/files.h"
#include "base/ids.h"

namespace tributary::app {

Status RequireCopiedCa(const std::string& pki_dir) {
  for (const char* file : {"ca.crt", "ca.key"}) {
    std::error_code ec;
    if (!std::filesystem::exists(pki_dir + "/" + file, ec)) {
      return FailedPrecondition(fmt::format(
          "role 'ingest': {}/{} is missing. Copy ca.crt and ca.key from the control server's "
          "<data-dir>/pki/ into {}/ (mode 0600): devices' certificates are signed by that CA, "
          "and an ingest server never makes a CA of its own",
          pki_dir, file, pki_dir));
    }
  }
  return Status::Ok();
}

Result<uint64_t> LoadOrCreateEpochSalt(const std::string& data_dir) {
  const std::string path = data_dir + "/epoch.salt";
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    TRY_ASSIGN(std::string text, ReadFile(path));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    uint64_t salt = 0;
    bool hex = text.size() == 16 &&
               text.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (hex) salt = std::stoull(text, nullptr, 16);
    if (!hex || salt == 0) {
      return DataLoss(fmt::format("{} must hold 16 lower-case hex digits, not all zero; it "
                                  "numbers this server's stream records apart from other "
                                  "servers': restore it, or delete it while no stream holds "
                                  "undelivered records",
                                  path));
    }
    return salt;
  }
  uint64_t salt = 0;
  while (salt == 0) salt = std::stoull(RandomHex(8), nullptr, 16);
  TRY(WriteFileAtomic(path, fmt::format("{:016x}\n", salt), 0600));
  return salt;
}

std::optional<std::string> ControlServerOnly(std::string_view path) {
  static constexpr std::string_view kPrefixes[] = {
      "/v1/catalog",   "/v1/crawlers",       "/v1/jobs",   "/v1/training-jobs",
      "/v1/models",    "/v1/endpoint-configs", "/v1/endpoints", "/v1/transform-jobs",
      "/v1/monitors",  "/v1/forecast"};
  for (std::string_view prefix : kPrefixes) {
    if (path.substr(0, prefix.size()) != prefix) continue;
    if (path.size() != prefix.size() && path[prefix.size()] != '/') continue;
    return fmt::format("{} is served by the control server: this server's role is 'ingest' "
                       "(broker, rules and delivery streams only)",
                       prefix);
  }
  return std::nullopt;
}

}  // namespace tributary::app
