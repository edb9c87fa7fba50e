#include "devices/ca.h"

#include <arpa/inet.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cctype>
#include <ctime>
#include <filesystem>

#include "base/files.h"
#include "base/ids.h"

namespace tributary::devices {
namespace {

constexpr int kCaValidityDays = 3650;
constexpr int kServerValidityDays = 397;
constexpr int64_t kRenewBeforeSeconds = 30 * 86400;
constexpr long kSkewSlackSeconds = 300;

bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

bool IsIpAddress(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool IsDnsName(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  return true;
}

// A certificate's fixed parts: version 3, random 128-bit serial, validity, subject CN,
// issuer, public key. Extensions and signature are added by the caller.
Result<X509Ptr> NewCertificate(const std::string& common_name, EVP_PKEY* subject_key,
                               X509* issuer, int validity_days) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1)
    return Internal(OpenSslError("allocating a certificate"));
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1)
    return Internal(OpenSslError("drawing a random certificate serial"));
  BignumPtr bn(BN_bin2bn(serial, sizeof(serial), nullptr));
  ASN1_INTEGER* asn_serial = bn ? X509_get_serialNumber(cert.get()) : nullptr;
  if (asn_serial == nullptr || BN_to_ASN1_INTEGER(bn.get(), asn_serial) == nullptr)
    return Internal(OpenSslError("setting the certificate serial"));
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kSkewSlackSeconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), validity_days, 0, nullptr) == nullptr)
    return Internal(OpenSslError("setting the certificate validity"));
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1)
    return InvalidArgument(OpenSslError("certificate common name '" + common_name + "'"));
  X509_NAME* issuer_name = issuer ? X509_get_subject_name(issuer) : name;
  if (X509_set_issuer_name(cert.get(), issuer_name) != 1 ||
      X509_set_pubkey(cert.get(), subject_key) != 1)
    return Internal(OpenSslError("setting the certificate issuer and key"));
  return cert;
}

// Adds extensions in order, written in openssl.cnf syntax ("critical,CA:TRUE").
Status AddExtensions(X509* cert, X509* issuer,
                     const std::vector<std::pair<int, std::string>>& extensions) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
      return Internal(OpenSslError(std::string("adding extension ") + OBJ_nid2sn(nid) + "=" + value));
  }
  return Status::Ok();
}

Status Sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0) return Internal(OpenSslError("signing a certificate"));
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<CertificateAuthority>> CertificateAuthority::Open(
    const std::string& pki_dir, const std::vector<std::string>& extra_server_names) {
  if (pki_dir.empty()) return InvalidArgument("the PKI directory must not be empty");
  std::unique_ptr<CertificateAuthority> ca(new CertificateAuthority());
  ca->pki_dir_ = pki_dir;
  TRY(MakeDirs(pki_dir, 0700));
  TRY(ca->LoadOrCreate());
  TRY(ca->EnsureServerCertificate(extra_server_names));
  return ca;
}

Status CertificateAuthority::LoadOrCreate() {
  std::string key_path = pki_dir_ + "/ca.key";
  std::string cert_path = ca_cert_path();
  bool have_key = Exists(key_path), have_cert = Exists(cert_path);
  if (have_key != have_cert) {
    return FailedPrecondition(
        "the CA in '" + pki_dir_ + "' is incomplete: " + (have_key ? cert_path : key_path) +
        " is missing. Restore it from a backup, or move ca.key and ca.crt away to create a new "
        "CA (every certificate issued so far would stop working)");
  }
  if (have_key) {
    TRY_ASSIGN(std::string key_pem, ReadFile(key_path));
    TRY_ASSIGN(key_, PrivateKeyFromPem(key_pem, key_path));
    TRY_ASSIGN(ca_pem_, ReadFile(cert_path));
    TRY_ASSIGN(cert_, CertificateFromPem(ca_pem_, cert_path));
    if (X509_check_private_key(cert_.get(), key_.get()) != 1)
      return FailedPrecondition(OpenSslError(key_path + " does not belong to " + cert_path));
  } else {
    TRY_ASSIGN(key_, GenerateEcKey());
    std::string name = "Tributary CA " + RandomHex(8);
    TRY_ASSIGN(cert_, NewCertificate(name, key_.get(), nullptr, kCaValidityDays));
    TRY(AddExtensions(cert_.get(), nullptr,
                      {{NID_basic_constraints, "critical,CA:TRUE"},
                       {NID_key_usage, "critical,keyCertSign,cRLSign"},
                       {NID_subject_key_identifier, "hash"}}));
    TRY(Sign(cert_.get(), key_.get()));
    TRY_ASSIGN(std::string key_pem, PrivateKeyToPem(key_.get()));
    TRY_ASSIGN(ca_pem_, CertificateToPem(cert_.get()));
    // The key first: a crash in between leaves a key without a certificate, which the
    // next start reports instead of silently minting a second CA.
    TRY(WriteFileAtomic(key_path, key_pem, 0600));
    TRY(WriteFileAtomic(cert_path, ca_pem_, 0644));
  }
  TRY_ASSIGN(ca_fingerprint_, Sha256Fingerprint(cert_.get()));
  ca_name_ = CommonName(cert_.get());
  return Status::Ok();
}

Status CertificateAuthority::EnsureServerCertificate(const std::vector<std::string>& extra) {
  std::vector<std::string> names = {"localhost", "127.0.0.1", "::1"};
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0 && IsDnsName(host) &&
      std::string(host) != "localhost")
    names.push_back(host);
  for (const std::string& n : extra) {
    if (!IsIpAddress(n) && !IsDnsName(n))
      return InvalidArgument("server name '" + n + "' is neither a DNS name nor an IP address");
    names.push_back(n);
  }

  std::string cert_path = server_cert_path(), key_path = server_key_path();
  if (Exists(cert_path) && Exists(key_path)) {
    auto cert_pem = ReadFile(cert_path);
    auto key_pem = ReadFile(key_path);
    bool usable = cert_pem.ok() && key_pem.ok() && Verify(*cert_pem).ok();
    if (usable) {
      auto cert = CertificateFromPem(*cert_pem, cert_path);
      auto key = PrivateKeyFromPem(*key_pem, key_path);
      auto not_after = cert.ok() ? NotAfterUnix(cert->get()) : Result<int64_t>(0);
      usable = cert.ok() && key.ok() && not_after.ok() &&
               *not_after - static_cast<int64_t>(time(nullptr)) > kRenewBeforeSeconds &&
               X509_check_private_key(cert->get(), key->get()) == 1;
      for (size_t i = 0; usable && i < names.size(); ++i) {
        const std::string& n = names[i];
        usable = IsIpAddress(n) ? X509_check_ip_asc(cert->get(), n.c_str(), 0) == 1
                                : X509_check_host(cert->get(), n.c_str(), n.size(), 0, nullptr) == 1;
      }
    }
    if (usable) return Status::Ok();
  }
  return IssueServerCertificate(names);
}

Status CertificateAuthority::IssueServerCertificate(const std::vector<std::string>& names) {
  TRY_ASSIGN(PkeyPtr key, GenerateEcKey());
  TRY_ASSIGN(X509Ptr cert, NewCertificate(names[0], key.get(), cert_.get(), kServerValidityDays));
  std::string san;
  for (const std::string& n : names) {
    std::string entry = (IsIpAddress(n) ? "IP:" : "DNS:") + n;
    if (san.find(entry + ",") != std::string::npos || san.ends_with(entry)) continue;
    if (!san.empty()) san += ",";
    san += entry;
  }
  TRY(AddExtensions(cert.get(), cert_.get(),
                    {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                     {NID_ext_key_usage, "serverAuth"},
                     {NID_subject_key_identifier, "hash"},
                     {NID_authority_key_identifier, "keyid"},
                     {NID_subject_alt_name, san}}));
  {
    std::lock_guard<std::mutex> lock(mu_);
    TRY(Sign(cert.get(), key_.get()));
  }
  TRY_ASSIGN(std::string key_pem, PrivateKeyToPem(key.get()));
  TRY_ASSIGN(std::string cert_pem, CertificateToPem(cert.get()));
  TRY(WriteFileAtomic(server_key_path(), key_pem, 0600));
  TRY(WriteFileAtomic(server_cert_path(), cert_pem, 0644));
  return Status::Ok();
}

Result<IssuedCertificate> CertificateAuthority::IssueClientCertificate(const std::string& thing,
                                                                       int validity_days) const {
  if (thing.empty()) return InvalidArgument("a client certificate needs a thing name");
  if (validity_days < 1 || validity_days > 36500)
    return InvalidArgument("certificate validity must be 1..36500 days, got " +
                           std::to_string(validity_days));
  TRY_ASSIGN(PkeyPtr key, GenerateEcKey());
  TRY_ASSIGN(X509Ptr cert, NewCertificate(thing, key.get(), cert_.get(), validity_days));
  TRY(AddExtensions(cert.get(), cert_.get(),
                    {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, "critical,digitalSignature"},
                     {NID_ext_key_usage, "clientAuth"},
                     {NID_subject_key_identifier, "hash"},
                     {NID_authority_key_identifier, "keyid"}}));
  {
    std::lock_guard<std::mutex> lock(mu_);
    TRY(Sign(cert.get(), key_.get()));
  }
  IssuedCertificate out;
  TRY_ASSIGN(out.cert_pem, CertificateToPem(cert.get()));
  TRY_ASSIGN(out.key_pem, PrivateKeyToPem(key.get()));
  TRY_ASSIGN(out.fingerprint, Sha256Fingerprint(cert.get()));
  out.serial = SerialHex(cert.get());
  TRY_ASSIGN(out.not_before, NotBeforeUnix(cert.get()));
  TRY_ASSIGN(out.not_after, NotAfterUnix(cert.get()));
  return out;
}

Status CertificateAuthority::Verify(const std::string& cert_pem) const {
  TRY_ASSIGN(X509Ptr cert, CertificateFromPem(cert_pem, "the certificate to verify"));
  X509StorePtr store(X509_STORE_new());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), cert_.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1)
    return Internal(OpenSslError("preparing certificate verification"));
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    return PermissionDenied("certificate '" + CommonName(cert.get()) + "' does not verify against " +
                            ca_name_ + ": " + X509_verify_cert_error_string(err));
  }
  return Status::Ok();
}

}  // namespace tributary::devices
