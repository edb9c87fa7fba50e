// RAII owners for OpenSSL objects and the few X.509 helpers the CA, the registry and
// the tests share: PEM encoding both ways, SHA-256 fingerprints, OpenSSL error text.
// Every function is thread-safe (they touch only their arguments and the per-thread
// OpenSSL error queue).
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::devices {

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE, X509_STORE_free>>;
using X509StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO, BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BIGNUM, BN_free>>;

// Drains this thread's OpenSSL error queue into "<what>: <reason>; <reason>".
std::string OpenSslError(std::string_view what);

// A new EC P-256 key pair.
Result<PkeyPtr> GenerateEcKey();

Result<std::string> PrivateKeyToPem(EVP_PKEY* key);   // unencrypted PKCS#8
Result<std::string> CertificateToPem(X509* cert);
// `source` names the input in error messages ("ca.key", "certificate of thing 't1'").
Result<PkeyPtr> PrivateKeyFromPem(std::string_view pem, std::string_view source);
Result<X509Ptr> CertificateFromPem(std::string_view pem, std::string_view source);

// Lower-case hex SHA-256 of the DER encoding: what `openssl x509 -fingerprint -sha256`
// prints, without the colons.
Result<std::string> Sha256Fingerprint(X509* cert);

// The subject's commonName, or "" when it has none.
std::string CommonName(X509* cert);

// notAfter / notBefore as Unix seconds.
Result<int64_t> NotAfterUnix(X509* cert);
Result<int64_t> NotBeforeUnix(X509* cert);

// Serial number as lower-case hex.
std::string SerialHex(X509* cert);

}  // namespace tributary::devices
