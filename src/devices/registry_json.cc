// JSON renderings of registry values for the HTTP API.
#include "base/clock.h"
#include "devices/thing_registry.h"

namespace tributary::devices {

using nlohmann::json;

json ToJson(const Thing& thing) {
  return json{{"name", thing.name},
              {"created_at", FormatIso8601Millis(thing.created_at_ms)},
              {"active", thing.active},
              {"attributes", thing.attributes}};
}

json ToJson(const Certificate& cert) {
  return json{{"fingerprint", cert.fingerprint},
              {"thing", cert.thing},
              {"status", CertificateStatusName(cert.status)},
              {"created_at", FormatIso8601Millis(cert.created_at_ms)},
              {"expires_at", FormatIso8601Millis(cert.expires_at_ms)},
              {"pem", cert.pem}};
}

json ToJson(const Policy& policy) {
  return json{{"name", policy.name},
              {"document", policy.document},
              {"created_at", FormatIso8601Millis(policy.created_at_ms)},
              {"things", policy.things}};
}

json ToJson(const ThingDescription& description) {
  json out = ToJson(description.thing);
  json certs = json::array();
  for (const Certificate& c : description.certificates) certs.push_back(ToJson(c));
  out["certificates"] = std::move(certs);
  out["policies"] = description.policies;
  return out;
}

json ToJson(const CreatedThing& created) {
  json out = ToJson(created.thing);
  out["policies"] = created.policies;
  out["certificate"] = json{{"fingerprint", created.certificate.fingerprint},
                            {"serial", created.certificate.serial},
                            {"not_before", FormatIso8601Millis(created.certificate.not_before * 1000)},
                            {"not_after", FormatIso8601Millis(created.certificate.not_after * 1000)},
                            {"certificate_pem", created.certificate.cert_pem},
                            {"private_key_pem", created.certificate.key_pem}};
  return out;
}

}  // namespace tributary::devices
