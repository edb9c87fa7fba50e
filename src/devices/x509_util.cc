#include "devices/x509_util.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cctype>
#include <ctime>

#include "base/hex.h"

namespace tributary::devices {
namespace {

Result<std::string> BioContents(BIO* bio, std::string_view what) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len < 0 || data == nullptr) return Internal(OpenSslError(what));
  return std::string(data, static_cast<size_t>(len));
}

Result<int64_t> AsnTimeToUnix(const ASN1_TIME* t, std::string_view what) {
  struct tm tm_utc = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm_utc) != 1)
    return InvalidArgument(OpenSslError(std::string("certificate ") + std::string(what) +
                                        " is not a valid time"));
  return static_cast<int64_t>(timegm(&tm_utc));
}

}  // namespace

std::string OpenSslError(std::string_view what) {
  std::string out(what);
  bool first = true;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    out += first ? ": " : "; ";
    out += buf;
    first = false;
  }
  return out;
}

Result<PkeyPtr> GenerateEcKey() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Internal(OpenSslError("generating an EC P-256 key"));
  return key;
}

Result<std::string> PrivateKeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return Internal(OpenSslError("encoding a private key as PEM"));
  return BioContents(bio.get(), "reading the PEM private key");
}

Result<std::string> CertificateToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return Internal(OpenSslError("encoding a certificate as PEM"));
  return BioContents(bio.get(), "reading the PEM certificate");
}

Result<PkeyPtr> PrivateKeyFromPem(std::string_view pem, std::string_view source) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key)
    return InvalidArgument(OpenSslError(std::string(source) + " is not a PEM private key"));
  return key;
}

Result<X509Ptr> CertificateFromPem(std::string_view pem, std::string_view source) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert)
    return InvalidArgument(OpenSslError(std::string(source) + " is not a PEM certificate"));
  return cert;
}

Result<std::string> Sha256Fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1)
    return Internal(OpenSslError("computing a certificate's SHA-256 fingerprint"));
  return HexEncode(md, len);
}

std::string CommonName(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  int idx = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
  if (idx < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

Result<int64_t> NotAfterUnix(X509* cert) { return AsnTimeToUnix(X509_get0_notAfter(cert), "notAfter"); }

Result<int64_t> NotBeforeUnix(X509* cert) {
  return AsnTimeToUnix(X509_get0_notBefore(cert), "notBefore");
}

std::string SerialHex(X509* cert) {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!bn) return "";
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return "";
  std::string out(hex);
  OPENSSL_free(hex);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace tributary::devices
