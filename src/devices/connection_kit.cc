#include "devices/connection_kit.h"

#include <cctype>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "devices/connection_kit_templates.h"

namespace tributary::devices {
namespace {

// Replaces every {{KEY}} in `text` by its value.
std::string Fill(std::string text, const std::vector<std::pair<std::string, std::string>>& vars) {
  for (const auto& [key, value] : vars) {
    const std::string marker = "{{" + key + "}}";
    for (size_t pos = text.find(marker); pos != std::string::npos;
         pos = text.find(marker, pos + value.size()))
      text.replace(pos, marker.size(), value);
  }
  return text;
}

Status ValidateHost(const std::string& host) {
  if (host.empty() || host.size() > 253) return InvalidArgument("kit host must be 1-253 characters");
  for (size_t i = 0; i < host.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(host[i]);
    if (!std::isalnum(c) && c != '.' && c != '-' && c != ':')
      return InvalidArgument("kit host '" + host + "': character at position " +
                             std::to_string(i) +
                             " is not allowed (a DNS name or an IP address is expected)");
  }
  return Status::Ok();
}

Status ValidatePort(const char* what, int port) {
  if (port < 1 || port > 65535)
    return InvalidArgument(std::string("kit ") + what + " must be 1..65535, got " +
                           std::to_string(port));
  return Status::Ok();
}

// npm package names are lower case without ':'.
std::string PackageName(const std::string& thing) {
  std::string out = "tributary-device-";
  for (char c : thing) out.push_back(c == ':' ? '-' : static_cast<char>(std::tolower(c)));
  return out;
}

}  // namespace

std::string KitTopic(const std::string& thing) { return "devices/" + thing + "/pollution"; }

ConnectionKitInput KitInputFor(const CreatedThing& created, const CertificateAuthority& ca,
                               const KitEndpoint& endpoint) {
  return ConnectionKitInput{created.thing.name, created.certificate.cert_pem,
                            created.certificate.key_pem, ca.ca_cert_pem(), endpoint};
}

Result<std::vector<KitFile>> BuildConnectionKit(const ConnectionKitInput& in) {
  TRY(ValidateThingName(in.thing));
  TRY(ValidateHost(in.endpoint.host));
  TRY(ValidatePort("mqtt_tls_port", in.endpoint.mqtt_tls_port));
  // A server with its WebSocket listener off (-1) still gives kits; they name TLS only.
  if (in.endpoint.mqtt_ws_port != -1) TRY(ValidatePort("mqtt_ws_port", in.endpoint.mqtt_ws_port));
  TRY(ValidatePort("http_port", in.endpoint.http_port));
  if (in.endpoint.https_port != -1) TRY(ValidatePort("https_port", in.endpoint.https_port));
  if (in.cert_pem.empty() || in.key_pem.empty() || in.ca_pem.empty())
    return InvalidArgument("connection kit for '" + in.thing +
                           "' needs the certificate, the key and the CA certificate");

  const std::string topic = KitTopic(in.thing);
  nlohmann::json endpoint = {
      {"host", in.endpoint.host},
      {"mqtt_tls_port", in.endpoint.mqtt_tls_port},
      {"mqtt_ws_port", in.endpoint.mqtt_ws_port == -1 ? nlohmann::json(nullptr)
                                                      : nlohmann::json(in.endpoint.mqtt_ws_port)},
      {"http_port", in.endpoint.http_port},
      {"https_port", in.endpoint.https_port == -1 ? nlohmann::json(nullptr)
                                                  : nlohmann::json(in.endpoint.https_port)},
      {"thing", in.thing},
      {"client_id", in.thing},
      {"topic", topic}};
  const std::vector<std::pair<std::string, std::string>> vars = {
      {"THING", in.thing},
      {"HOST", in.endpoint.host},
      {"TLS_PORT", std::to_string(in.endpoint.mqtt_tls_port)},
      {"WS_URL", in.endpoint.mqtt_ws_port == -1
                     ? std::string()
                     : " and\n`wss://" + in.endpoint.host + ":" +
                           std::to_string(in.endpoint.mqtt_ws_port) + "` (MQTT over WebSocket)"},
      {"HTTP_API", in.endpoint.https_port == -1
                       ? "port " + std::to_string(in.endpoint.http_port) +
                             " (plain HTTP: by default on the server's own machine only)"
                       : "`https://" + in.endpoint.host + ":" +
                             std::to_string(in.endpoint.https_port) +
                             "` (its certificate checks against `ca.crt`)"},
      {"TOPIC", topic},
      {"PACKAGE", PackageName(in.thing)}};
  return std::vector<KitFile>{
      {"device.crt", in.cert_pem, 0644},
      {"device.key", in.key_pem, 0600},
      {"ca.crt", in.ca_pem, 0644},
      {"endpoint.json", endpoint.dump(2) + "\n", 0644},
      {"publish.sh", Fill(kit_templates::kPublishSh, vars), 0755},
      {"device.js", Fill(kit_templates::kDeviceJs, vars), 0644},
      {"package.json", Fill(kit_templates::kPackageJson, vars), 0644},
      {"README.md", Fill(kit_templates::kReadme, vars), 0644},
  };
}

Status WriteConnectionKit(const std::string& dir, const ConnectionKitInput& input) {
  TRY_ASSIGN(std::vector<KitFile> files, BuildConnectionKit(input));
  std::error_code ec;
  if (std::filesystem::exists(dir + "/device.key", ec))
    return AlreadyExists("'" + dir + "/device.key' already exists; choose another directory for "
                         "the kit of '" + input.thing + "' or remove the old kit");
  bool created = !std::filesystem::exists(dir, ec);
  if (created) TRY(MakeDirs(dir, 0700));
  for (const KitFile& f : files) TRY(WriteFileAtomic(dir + "/" + f.name, f.contents, f.mode));
  return Status::Ok();
}

}  // namespace tributary::devices
