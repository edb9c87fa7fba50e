#include "net/tls_context.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/hex.h"

namespace tributary::net {
namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<ssl::context>> MakeServerTlsContext(const TlsServerConfig& c) {
  std::string step;
  try {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                     ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    step = "server certificate '" + c.cert_file + "'";
    ctx->use_certificate_chain_file(c.cert_file);
    step = "server key '" + c.key_file + "'";
    ctx->use_private_key_file(c.key_file, ssl::context::pem);
    if (!c.ca_file.empty()) {
      step = "CA certificate '" + c.ca_file + "'";
      ctx->load_verify_file(c.ca_file);
      int mode = ssl::verify_peer;
      if (c.require_client_cert) mode |= ssl::verify_fail_if_no_peer_cert;
      ctx->set_verify_mode(mode);
      // Tell clients which CA we accept, so they pick the right certificate.
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c.ca_file.c_str());
      if (names != nullptr) SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
    } else if (c.require_client_cert) {
      return InvalidArgument("TLS server: client certificates are required but no CA file is set");
    }
    return ctx;
  } catch (const std::exception& e) {
    return InvalidArgument("TLS server context: cannot use " + step + ": " + e.what());
  }
}

Result<std::shared_ptr<ssl::context>> MakeClientTlsContext(const TlsClientConfig& c) {
  std::string step;
  try {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    if (!c.ca_file.empty()) {
      step = "CA certificate '" + c.ca_file + "'";
      ctx->load_verify_file(c.ca_file);
      ctx->set_verify_mode(ssl::verify_peer);
    }
    if (!c.cert_file.empty()) {
      step = "client certificate '" + c.cert_file + "'";
      ctx->use_certificate_chain_file(c.cert_file);
      step = "client key '" + c.key_file + "'";
      ctx->use_private_key_file(c.key_file, ssl::context::pem);
    }
    return ctx;
  } catch (const std::exception& e) {
    return InvalidArgument("TLS client context: cannot use " + step + ": " + e.what());
  }
}

PeerCertificate PeerCertificateOf(SSL* ssl) {
  PeerCertificate out;
  if (ssl == nullptr) return out;
  X509* cert = SSL_get_peer_certificate(ssl);
  if (cert == nullptr) return out;
  if (SSL_get_verify_result(ssl) != X509_V_OK) {
    X509_free(cert);
    return out;
  }
  out.present = true;
  char cn[256] = {0};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0) {
    out.common_name = cn;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) == 1) {
    out.sha256 = HexEncode(md, len);
  }
  X509_free(cert);
  return out;
}

}  // namespace tributary::net
