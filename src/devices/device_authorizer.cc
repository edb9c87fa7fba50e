#include "devices/device_authorizer.h"

#include <openssl/crypto.h>

#include <cctype>

#include "base/log.h"
#include "devices/policy_grant.h"
#include "devices/thing_registry.h"

namespace tributary::devices {
namespace {

constexpr const char* kAdminUser = "admin";
constexpr const char* kMetricName = "tributary_device_auth_decisions_total";
constexpr const char* kMetricHelp = "MQTT connection authentication decisions by outcome";

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// "AB:cd:..." -> "abcd...": the registry keys certificates by lower-case hex.
std::string NormalizeFingerprint(const std::string& fp) {
  std::string out;
  out.reserve(fp.size());
  for (char c : fp)
    if (c != ':') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

std::string Describe(const broker::ClientIdentity& id) {
  return "client '" + id.client_id + "' from " +
         (id.remote_address.empty() ? std::string("an unknown address") : id.remote_address);
}

}  // namespace

DeviceAuthorizer::DeviceAuthorizer(const DeviceRegistry* registry, std::string admin_token,
                                   bool allow_anonymous, MetricsRegistry* metrics)
    : registry_(registry), admin_token_(std::move(admin_token)), allow_anonymous_(allow_anonymous) {
  if (metrics != nullptr) {
    allowed_thing_ = metrics->NewCounter(kMetricName, kMetricHelp, {{"outcome", "thing"}});
    allowed_admin_ = metrics->NewCounter(kMetricName, kMetricHelp, {{"outcome", "admin"}});
    allowed_anonymous_ = metrics->NewCounter(kMetricName, kMetricHelp, {{"outcome", "anonymous"}});
    denied_ = metrics->NewCounter(kMetricName, kMetricHelp, {{"outcome", "denied"}});
  }
}

Result<std::shared_ptr<const broker::ClientGrant>> DeviceAuthorizer::Authenticate(
    const broker::ClientIdentity& id) {
  auto result = id.cert_sha256.empty() ? AuthenticateWithoutCertificate(id)
                                       : AuthenticateCertificate(id);
  if (!result.ok()) {
    if (denied_) denied_->Add();
    Logger("devices")->info("connection refused client_id={} addr={} reason=\"{}\"", id.client_id,
                            id.remote_address, result.status().message());
  }
  return result;
}

Result<std::shared_ptr<const broker::ClientGrant>> DeviceAuthorizer::AuthenticateCertificate(
    const broker::ClientIdentity& id) {
  std::string cn = id.cert_common_name.value_or("");
  std::optional<CertificateLookup> cert =
      registry_->LookupCertificate(NormalizeFingerprint(id.cert_sha256));
  if (!cert)
    return PermissionDenied("certificate sha256:" + id.cert_sha256 + " (CN '" + cn + "') of " +
                            Describe(id) +
                            " is not registered; it was deleted or issued by another CA");
  if (!cert->thing_active)
    return PermissionDenied("thing '" + cert->thing + "' is deactivated (" + Describe(id) +
                            "); run `tributary thing activate " + cert->thing + "`");
  if (cert->status != CertificateStatus::kActive)
    return PermissionDenied("certificate sha256:" + id.cert_sha256 + " of thing '" + cert->thing +
                            "' is " + CertificateStatusName(cert->status) + " (" + Describe(id) +
                            ")");
  auto grant = PolicyGrant::Compile(cert->policies, cert->thing, id.client_id);
  if (!grant->CanConnect(id.client_id)) {
    std::string attached;
    for (const std::string& p : cert->policy_names) attached += (attached.empty() ? "" : ", ") + p;
    return PermissionDenied("thing '" + cert->thing + "' may not connect with client id '" +
                            id.client_id + "': no attached policy (" +
                            (attached.empty() ? std::string("none attached") : attached) +
                            ") allows iot:Connect on client/" + id.client_id +
                            "; the default policy requires the thing name as client id");
  }
  if (allowed_thing_) allowed_thing_->Add();
  return std::shared_ptr<const broker::ClientGrant>(std::move(grant));
}

Result<std::shared_ptr<const broker::ClientGrant>>
DeviceAuthorizer::AuthenticateWithoutCertificate(const broker::ClientIdentity& id) {
  if (id.username && *id.username == kAdminUser) {
    if (admin_token_.empty())
      return Unauthenticated("the admin login is disabled on this server (" + Describe(id) + ")");
    if (!id.password || !ConstantTimeEquals(*id.password, admin_token_))
      return Unauthenticated("wrong password for user 'admin' (" + Describe(id) +
                             "); the password is the admin token in <data-dir>/admin.token");
    if (allowed_admin_) allowed_admin_->Add();
    return std::shared_ptr<const broker::ClientGrant>(std::make_shared<AllowAllGrant>(kAdminUser));
  }
  if (allow_anonymous_) {
    if (allowed_anonymous_) allowed_anonymous_->Add();
    return std::shared_ptr<const broker::ClientGrant>(std::make_shared<AllowAllGrant>());
  }
  return Unauthenticated("no client certificate presented (" + Describe(id) +
                         "); devices connect over TLS with the certificate and key from their "
                         "connection kit, see `tributary thing create`");
}

}  // namespace tributary::devices
