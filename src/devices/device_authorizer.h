// The broker's Authorizer for Tributary's device model. Who may connect:
//
//   client presents                         result
//   certificate of an active thing          grant compiled from the thing's policies,
//     whose policies allow iot:Connect        if they allow iot:Connect on client/<id>
//     on client/<client id>
//   certificate, unknown/inactive/revoked   kPermissionDenied naming the fingerprint/thing
//   certificate, thing deactivated          kPermissionDenied
//   certificate, client id not allowed      kPermissionDenied
//   no certificate, user "admin" with the   allow-all grant (operators, the console)
//     admin token as password
//   no certificate, user "admin", wrong     kUnauthenticated
//     password
//   no certificate, allow_anonymous         allow-all grant
//   no certificate otherwise                kUnauthenticated
//
// Thread-safety: Authenticate may be called from any thread at once; it reads the
// registry's in-memory mirror (no database query) and compiles a grant.
#pragma once

#include <memory>
#include <string>

#include "base/metrics.h"
#include "broker/hooks.h"

namespace tributary::devices {

class DeviceRegistry;

class DeviceAuthorizer final : public broker::Authorizer {
 public:
  // `registry` must outlive the authorizer. An empty `admin_token` disables the admin
  // login. `metrics` may be null.
  DeviceAuthorizer(const DeviceRegistry* registry, std::string admin_token, bool allow_anonymous,
                   MetricsRegistry* metrics);

  Result<std::shared_ptr<const broker::ClientGrant>> Authenticate(
      const broker::ClientIdentity& id) override;

 private:
  Result<std::shared_ptr<const broker::ClientGrant>> AuthenticateCertificate(
      const broker::ClientIdentity& id);
  Result<std::shared_ptr<const broker::ClientGrant>> AuthenticateWithoutCertificate(
      const broker::ClientIdentity& id);

  const DeviceRegistry* registry_;
  std::string admin_token_;
  bool allow_anonymous_;
  Counter* allowed_thing_ = nullptr;
  Counter* allowed_admin_ = nullptr;
  Counter* allowed_anonymous_ = nullptr;
  Counter* denied_ = nullptr;
};

}  // namespace tributary::devices
