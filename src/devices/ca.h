// The server's own certificate authority. It signs the server's TLS certificate and one
// client certificate per thing, so a device is identified by the certificate it shows
// during the TLS handshake (the AWS IoT model) and nothing outside Tributary is needed.
//
// On-disk layout under `pki_dir` (created 0700):
//   ca.key      EC P-256 private key, PKCS#8 PEM, mode 0600
//   ca.crt      self-signed CA certificate, 10 years
//   server.key  the TLS server's key, mode 0600
//   server.crt  the TLS server's certificate (SANs localhost, hostname, 127.0.0.1, ::1);
//               reissued at start-up when missing, expiring or signed by another CA
//
// Thread-safety: Open() once; afterwards every method may be called from any thread
// (issuing takes an internal mutex).
//
//   TRY_ASSIGN(auto ca, CertificateAuthority::Open(data_dir + "/pki"));
//   TRY_ASSIGN(IssuedCertificate c, ca->IssueClientCertificate("sensor-1", 365));
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "devices/x509_util.h"

namespace tributary::devices {

// A freshly issued certificate with its key. The key is shown once and never stored.
struct IssuedCertificate {
  std::string cert_pem;
  std::string key_pem;
  std::string fingerprint;  // lower-case hex SHA-256 of the DER certificate
  std::string serial;       // lower-case hex
  int64_t not_before = 0;   // Unix seconds
  int64_t not_after = 0;
};

class CertificateAuthority {
 public:
  // Loads the CA from `pki_dir`, creating it on first start, and makes sure a valid
  // server certificate exists. `extra_server_names` are added to the server
  // certificate's SANs (DNS names, or IP addresses when they parse as one).
  static Result<std::unique_ptr<CertificateAuthority>> Open(
      const std::string& pki_dir, const std::vector<std::string>& extra_server_names = {});

  // A client certificate for a thing: CN = `thing`, extendedKeyUsage clientAuth,
  // random 128-bit serial, valid `validity_days` days from now (minus 5 minutes of
  // clock-skew slack at the start).
  Result<IssuedCertificate> IssueClientCertificate(const std::string& thing,
                                                   int validity_days) const;

  // Whether `cert_pem` was signed by this CA and is valid now (X509_verify_cert).
  // The error says why not.
  Status Verify(const std::string& cert_pem) const;

  const std::string& pki_dir() const { return pki_dir_; }
  std::string ca_cert_path() const { return pki_dir_ + "/ca.crt"; }
  std::string server_cert_path() const { return pki_dir_ + "/server.crt"; }
  std::string server_key_path() const { return pki_dir_ + "/server.key"; }
  const std::string& ca_cert_pem() const { return ca_pem_; }
  const std::string& ca_fingerprint() const { return ca_fingerprint_; }
  const std::string& ca_name() const { return ca_name_; }  // "Tributary CA 3fa2..."

 private:
  CertificateAuthority() = default;
  Status LoadOrCreate();
  Status EnsureServerCertificate(const std::vector<std::string>& extra_names);
  Status IssueServerCertificate(const std::vector<std::string>& names);

  std::string pki_dir_;
  PkeyPtr key_;
  X509Ptr cert_;
  std::string ca_pem_;
  std::string ca_fingerprint_;
  std::string ca_name_;
  mutable std::mutex mu_;  // serialises signing with key_
};

}  // namespace tributary::devices
