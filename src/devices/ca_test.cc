#include "devices/ca.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "base/files.h"
#include "devices/test_util.h"

namespace tributary::devices {
namespace {

using testing::RunCommand;
using testing::TempDir;

int FileMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 0777);
}

X509Ptr LoadCert(const std::string& path) {
  auto pem = ReadFile(path);
  EXPECT_TRUE(pem.ok()) << pem.status().ToString();
  auto cert = CertificateFromPem(pem.ok() ? *pem : "", path);
  EXPECT_TRUE(cert.ok()) << cert.status().ToString();
  return cert.ok() ? std::move(cert).value() : nullptr;
}

// Verifies `cert` against `ca` with OpenSSL's own chain builder; returns the error text.
std::string VerifyWithStore(X509* ca, X509* cert, int purpose) {
  X509StorePtr store(X509_STORE_new());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_add_cert(store.get(), ca);
  X509_STORE_CTX_init(ctx.get(), store.get(), cert, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  if (X509_verify_cert(ctx.get()) == 1) return "";
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

TEST(CertificateAuthorityTest, CreatesCaOnFirstStartAndReloadsTheSameOne) {
  TempDir dir;
  std::string pki = dir.path() + "/pki";
  auto first = CertificateAuthority::Open(pki);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(FileMode(pki + "/ca.key"), 0600);
  EXPECT_EQ(FileMode(pki + "/server.key"), 0600);
  EXPECT_EQ(FileMode(pki), 0700);
  EXPECT_EQ((*first)->ca_name().rfind("Tributary CA ", 0), 0u) << (*first)->ca_name();
  EXPECT_EQ((*first)->ca_fingerprint().size(), 64u);

  X509Ptr ca = LoadCert(pki + "/ca.crt");
  ASSERT_TRUE(ca);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_CRL_SIGN);
  auto not_after = NotAfterUnix(ca.get());
  ASSERT_TRUE(not_after.ok());
  EXPECT_GT(*not_after - time(nullptr), 3649LL * 86400);

  std::string server_before = *ReadFile(pki + "/server.crt");
  auto second = CertificateAuthority::Open(pki);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ((*second)->ca_fingerprint(), (*first)->ca_fingerprint());
  EXPECT_EQ((*second)->ca_cert_pem(), (*first)->ca_cert_pem());
  EXPECT_EQ(*ReadFile(pki + "/server.crt"), server_before) << "a valid server cert was reissued";

  // A certificate issued before the restart still verifies after it.
  auto issued = (*first)->IssueClientCertificate("before-restart", 30);
  ASSERT_TRUE(issued.ok());
  EXPECT_TRUE((*second)->Verify(issued->cert_pem).ok());
}

TEST(CertificateAuthorityTest, ClientCertificateVerifiesAndNamesTheThing) {
  TempDir dir;
  auto ca = CertificateAuthority::Open(dir.path());
  ASSERT_TRUE(ca.ok()) << ca.status().ToString();
  auto issued = (*ca)->IssueClientCertificate("sensor-1", 365);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();

  auto cert = CertificateFromPem(issued->cert_pem, "issued");
  ASSERT_TRUE(cert.ok());
  X509Ptr ca_cert = LoadCert(dir.path() + "/ca.crt");
  EXPECT_EQ(VerifyWithStore(ca_cert.get(), cert->get(), X509_PURPOSE_SSL_CLIENT), "");
  EXPECT_NE(VerifyWithStore(ca_cert.get(), cert->get(), X509_PURPOSE_SSL_SERVER), "")
      << "a client certificate must not pass as a server certificate";
  EXPECT_EQ(CommonName(cert->get()), "sensor-1");
  uint32_t eku = X509_get_extended_key_usage(cert->get());
  EXPECT_TRUE(eku & XKU_SSL_CLIENT);
  EXPECT_FALSE(eku & XKU_SSL_SERVER);
  EXPECT_EQ(X509_check_ca(cert->get()), 0);

  EXPECT_EQ(*Sha256Fingerprint(cert->get()), issued->fingerprint);
  EXPECT_EQ(issued->fingerprint.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NEAR(static_cast<double>(issued->not_after - time(nullptr)), 365.0 * 86400, 120.0);
  EXPECT_GE(issued->serial.size(), 30u) << issued->serial;

  auto key = PrivateKeyFromPem(issued->key_pem, "issued key");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(X509_check_private_key(cert->get(), key->get()), 1);

  auto other = (*ca)->IssueClientCertificate("sensor-1", 10);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->serial, issued->serial);
  EXPECT_NE(other->fingerprint, issued->fingerprint);
  EXPECT_NEAR(static_cast<double>(other->not_after - time(nullptr)), 10.0 * 86400, 120.0);
  EXPECT_TRUE((*ca)->Verify(issued->cert_pem).ok());
}

TEST(CertificateAuthorityTest, OpensslCommandLineAgrees) {
  TempDir dir;
  auto ca = CertificateAuthority::Open(dir.path() + "/pki");
  ASSERT_TRUE(ca.ok()) << ca.status().ToString();
  auto issued = (*ca)->IssueClientCertificate("cli-check", 365);
  ASSERT_TRUE(issued.ok());
  std::string device = dir.path() + "/device.crt";
  ASSERT_TRUE(WriteFileAtomic(device, issued->cert_pem).ok());

  auto verify = RunCommand("openssl verify -purpose sslclient -CAfile " + (*ca)->ca_cert_path() +
                           " " + device);
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find(": OK"), std::string::npos) << verify.output;

  auto server = RunCommand("openssl verify -purpose sslserver -CAfile " + (*ca)->ca_cert_path() +
                           " " + (*ca)->server_cert_path());
  EXPECT_EQ(server.exit_code, 0) << server.output;

  auto fp = RunCommand("openssl x509 -noout -fingerprint -sha256 -in " + device);
  ASSERT_EQ(fp.exit_code, 0) << fp.output;
  std::string hex;
  for (char c : fp.output.substr(fp.output.find('=') + 1))
    if (std::isxdigit(static_cast<unsigned char>(c))) hex.push_back(static_cast<char>(std::tolower(c)));
  EXPECT_EQ(hex, issued->fingerprint);
}

TEST(CertificateAuthorityTest, ServerCertificateCoversLocalNamesAndIsReissuedWhenMissing) {
  TempDir dir;
  auto ca = CertificateAuthority::Open(dir.path(), {"broker.example.com", "10.1.2.3"});
  ASSERT_TRUE(ca.ok()) << ca.status().ToString();
  X509Ptr server = LoadCert((*ca)->server_cert_path());
  ASSERT_TRUE(server);
  EXPECT_EQ(X509_check_host(server.get(), "localhost", 0, 0, nullptr), 1);
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof(host) - 1), 0);
  EXPECT_EQ(X509_check_host(server.get(), host, 0, 0, nullptr), 1) << host;
  EXPECT_EQ(X509_check_host(server.get(), "broker.example.com", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(server.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(server.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(server.get(), "10.1.2.3", 0), 1);
  EXPECT_EQ(X509_check_host(server.get(), "evil.example.org", 0, 0, nullptr), 0);
  EXPECT_TRUE(X509_get_extended_key_usage(server.get()) & XKU_SSL_SERVER);
  X509Ptr ca_cert = LoadCert((*ca)->ca_cert_path());
  EXPECT_EQ(VerifyWithStore(ca_cert.get(), server.get(), X509_PURPOSE_SSL_SERVER), "");

  std::string old_pem = *ReadFile((*ca)->server_cert_path());
  std::filesystem::remove((*ca)->server_cert_path());
  auto again = CertificateAuthority::Open(dir.path(), {"broker.example.com", "10.1.2.3"});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto new_pem = ReadFile((*again)->server_cert_path());
  ASSERT_TRUE(new_pem.ok()) << "server.crt was not reissued";
  EXPECT_NE(*new_pem, old_pem);
  EXPECT_TRUE((*again)->Verify(*new_pem).ok());

  // Asking for a name the current certificate lacks reissues it too.
  auto wider = CertificateAuthority::Open(dir.path(), {"other.example.com"});
  ASSERT_TRUE(wider.ok());
  X509Ptr reissued = LoadCert((*wider)->server_cert_path());
  EXPECT_EQ(X509_check_host(reissued.get(), "other.example.com", 0, 0, nullptr), 1);
}

TEST(CertificateAuthorityTest, RejectsIncompleteCaAndForeignCertificates) {
  TempDir dir;
  ASSERT_TRUE(CertificateAuthority::Open(dir.path() + "/a").ok());
  std::filesystem::remove(dir.path() + "/a/ca.crt");
  auto broken = CertificateAuthority::Open(dir.path() + "/a");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(broken.status().message().find("ca.crt is missing"), std::string::npos)
      << broken.status().message();

  auto ca_b = CertificateAuthority::Open(dir.path() + "/b");
  auto ca_c = CertificateAuthority::Open(dir.path() + "/c");
  ASSERT_TRUE(ca_b.ok() && ca_c.ok());
  auto from_c = (*ca_c)->IssueClientCertificate("intruder", 30);
  ASSERT_TRUE(from_c.ok());
  Status st = (*ca_b)->Verify(from_c->cert_pem);
  EXPECT_EQ(st.code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(st.message().find("intruder"), std::string::npos) << st.message();

  EXPECT_EQ((*ca_b)->IssueClientCertificate("x", 0).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CertificateAuthority::Open(dir.path() + "/d", {"bad name!"}).status().code(),
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace tributary::devices
