// Connection kits: everything a device needs to talk to Tributary, written into one
// directory when a thing is created (AWS IoT's "connect a device" download):
//
//   device.crt     the thing's client certificate            0644
//   device.key     its private key (shown once, not stored)  0600
//   ca.crt         the server's CA, to verify the broker      0644
//   endpoint.json  host, ports, thing, client id, topic       0644
//   publish.sh     one-shot publisher with mosquitto_pub      0755
//   device.js      Node.js example (npm package `mqtt`)       0644
//   package.json   for `npm install` / `npm start`            0644
//   README.md      how to run the above                       0644
//
// Both examples publish the reference device's air-quality reading to
// devices/<thing>/pollution. Pure functions plus file writes; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "devices/ca.h"
#include "devices/thing_registry.h"

namespace tributary::devices {

struct KitEndpoint {
  std::string host = "localhost";  // a DNS name or IP address in the server certificate
  int mqtt_tls_port = 8883;
  int mqtt_ws_port = 8443;
  int http_port = 8080;   // plain HTTP: the server's own machine unless configured otherwise
  int https_port = 8444;  // the HTTP API over TLS, the one to use past that machine; -1 off
};

struct ConnectionKitInput {
  std::string thing;
  std::string cert_pem;
  std::string key_pem;
  std::string ca_pem;
  KitEndpoint endpoint;
};

struct KitFile {
  std::string name;      // file name inside the kit directory
  std::string contents;
  int mode = 0644;
};

// The input for a freshly created thing.
ConnectionKitInput KitInputFor(const CreatedThing& created, const CertificateAuthority& ca,
                               const KitEndpoint& endpoint);

// The kit's files, e.g. for an HTTP response. Validates the thing name, host and ports.
Result<std::vector<KitFile>> BuildConnectionKit(const ConnectionKitInput& input);

// Writes the kit into `dir` (created 0700 if missing). Refuses to overwrite an existing
// device.key, so a kit is never silently replaced by another thing's.
Status WriteConnectionKit(const std::string& dir, const ConnectionKitInput& input);

// The MQTT topic the examples publish to: "devices/<thing>/pollution".
std::string KitTopic(const std::string& thing);

}  // namespace tributary::devices
