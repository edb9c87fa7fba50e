// TLS for the NATS client: the SSL_CTX (TlsContext), the handshake (StartTls) and the
// transport that runs SSL_read/SSL_write on the connection's non-blocking socket.
#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string_view>

#include "base/socket_bio.h"
#include "nats/transport.h"

namespace tributary::nats {
namespace {

// With read-ahead on, one recv() fetches up to this many bytes of records; SSL_read then
// decrypts them one record (16 KiB at most) at a time without a system call.
constexpr size_t kReadAheadBytes = 128u << 10;

// ---- errors

// Before each SSL call: SSL_get_error reads this thread's OpenSSL error queue, which
// other TLS work on the thread may have left entries in; errno tells a failed system
// call from a closed connection.
void ClearErrors() {
  ERR_clear_error();
  errno = 0;
}

std::string ReasonText(unsigned long e) {
  if (e == 0) return "unknown TLS error";
  if (const char* reason = ERR_reason_error_string(e)) return reason;
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

// The first error queued, as text; the queue is cleared.
std::string TakeErrorText() {
  std::string text = ReasonText(ERR_peek_error());
  ERR_clear_error();
  return text;
}

bool IsIpAddress(const std::string& name) {
  unsigned char addr[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, name.c_str(), addr) == 1 ||
         ::inet_pton(AF_INET6, name.c_str(), addr) == 1;
}

// Alerts a server sends when it does not accept the client's certificate (or its lack
// of one).
bool IsClientCertificateAlert(int reason) {
  switch (reason) {
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
      return true;
    default:
      return false;
  }
}

// ---- the transport

class TlsTransport final : public Transport {
 public:
  TlsTransport(Fd fd, SSL* ssl, std::shared_ptr<const TlsContext> context, std::string server_name)
      : fd_(std::move(fd)),
        ssl_(ssl),
        context_(std::move(context)),
        server_name_(std::move(server_name)) {}
  ~TlsTransport() override {
    // A close_notify when the session is sound (never after a fatal error), without
    // waiting for the server's.
    if (established_ && !broken_) {
      ClearErrors();
      SSL_shutdown(ssl_);
    }
    SSL_free(ssl_);
    ERR_clear_error();
  }
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  int fd() const override { return fd_.get(); }
  bool HasBufferedInput() const override { return buffered_; }

  Status Handshake(SteadyTime deadline, Canceller cancel) {
    while (true) {
      ClearErrors();
      int ret = SSL_do_handshake(ssl_);
      if (ret == 1) {
        established_ = true;
        return Status::Ok();
      }
      IoProgress stall;
      TRY(Stalled(ret, errno, "TLS handshake", &stall));
      if (stall.closed) return Unavailable("TLS handshake: the server closed the connection");
      TRY(WaitReady(fd_.get(), PollEvents(stall.want), deadline, cancel, "TLS handshake"));
    }
  }

  // Decrypts record after record into `buf` while OpenSSL holds more, so that a Read
  // returning less than `len` means there is nothing more until poll() says so.
  Result<IoProgress> Read(char* buf, size_t len) override {
    buffered_ = false;
    if (!deferred_.ok()) return deferred_;
    IoProgress got;
    if (deferred_closed_) {
      got.closed = true;
      return got;
    }
    while (got.bytes < len) {
      size_t n = 0;
      ClearErrors();
      int ret = SSL_read_ex(ssl_, buf + got.bytes, len - got.bytes, &n);
      if (ret == 1) {
        got.bytes += n;
        if (SSL_has_pending(ssl_) == 0) return got;
        continue;
      }
      IoProgress stall;
      Status st = Stalled(ret, errno, "TLS read", &stall);
      if (got.bytes == 0) {
        if (!st.ok()) return st;
        return stall;
      }
      // Hand over what was read first; the next Read, which poll() must not hold up,
      // says what came after.
      deferred_ = st;
      deferred_closed_ = stall.closed;
      buffered_ = !st.ok() || stall.closed;
      got.want = stall.want;
      return got;
    }
    buffered_ = SSL_has_pending(ssl_) != 0;
    return got;
  }

  Result<IoProgress> Write(const char* data, size_t len) override {
    IoProgress put;
    while (put.bytes < len) {
      size_t n = 0;
      ClearErrors();
      // Partial writes are on: each call sends one record (or finishes the one a
      // previous call began), and reports only what is sent.
      int ret = SSL_write_ex(ssl_, data + put.bytes, len - put.bytes, &n);
      if (ret == 1) {
        put.bytes += n;
        continue;
      }
      IoProgress stall;
      Status st = Stalled(ret, errno, "TLS write", &stall);
      if (!st.ok()) return UnreadAlertOr(std::move(st));
      if (stall.closed) return Unavailable("TLS write: the server closed the connection");
      put.want = stall.want;
      return put;
    }
    return put;
  }

 private:
  // After an SSL call that returned `ret` <= 0 (`saved_errno` right after it): OK with
  // stall->want when the call is to be repeated once the socket is ready, OK with
  // stall->closed when the server closed the connection, else why the session failed.
  Status Stalled(int ret, int saved_errno, std::string_view during, IoProgress* stall) {
    std::string what(during);
    switch (SSL_get_error(ssl_, ret)) {
      case SSL_ERROR_WANT_READ:
        stall->want = Want::kRead;
        ERR_clear_error();
        return Status::Ok();
      case SSL_ERROR_WANT_WRITE:
        stall->want = Want::kWrite;
        ERR_clear_error();
        return Status::Ok();
      case SSL_ERROR_ZERO_RETURN:  // the server's close_notify
        stall->closed = true;
        ERR_clear_error();
        return Status::Ok();
      case SSL_ERROR_SYSCALL:
        broken_ = true;
        ERR_clear_error();
        if (saved_errno == 0) {
          stall->closed = true;
          return Status::Ok();
        }
        return Unavailable(what + ": " + ErrnoText(saved_errno));
      default:
        break;
    }
    broken_ = true;
    unsigned long e = ERR_peek_error();
    int reason = ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : 0;
    std::string text = what + ": " + TakeErrorText();
    if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {  // closed without close_notify
      stall->closed = true;
      return Status::Ok();
    }
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) return VerifyFailed(std::move(text));
    if (IsClientCertificateAlert(reason)) {
      return Unauthenticated(
          text + (context_->has_client_cert()
                      ? " (the server does not accept the certificate in tls_cert_file)"
                      : " (the server wants a client certificate: set tls_cert_file and "
                        "tls_key_file)"));
    }
    return Unavailable(std::move(text));
  }

  // A write that finds the connection reset may have been refused by an alert not read
  // yet: with TLS 1.3 the server checks the client's certificate after the client's side
  // of the handshake is over, so CONNECT meets the reset while the alert that says why
  // waits in the socket. The alert's error when there is one, else `write_error`.
  Status UnreadAlertOr(Status write_error) {
    char scratch[512];
    size_t n = 0;
    ClearErrors();
    int ret = SSL_read_ex(ssl_, scratch, sizeof(scratch), &n);
    if (ret == 1) return write_error;
    IoProgress ignored;
    Status alert = Stalled(ret, errno, "TLS", &ignored);
    bool told = !alert.ok() && alert.code() != ErrorCode::kUnavailable;
    return told ? alert : write_error;
  }

  // "...: certificate verify failed: <what X509 verification said> (what to do)".
  Status VerifyFailed(std::string text) {
    long result = SSL_get_verify_result(ssl_);
    text += ": ";
    text += X509_verify_cert_error_string(result);
    switch (result) {
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        text += " (the server's certificate is not for '" + server_name_ +
                "': connect by a name it holds, or set tls_server_name to one)";
        break;
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        text += context_->ca_file().empty()
                    ? " (no tls_ca_file is set and the system's CA store does not trust the "
                      "server's certificate: set tls_ca_file to the CA that signed it)"
                    : " (no CA in tls_ca_file '" + context_->ca_file() +
                          "' signed the server's certificate)";
        break;
      default:
        break;
    }
    return FailedPrecondition(std::move(text));
  }

  Fd fd_;
  SSL* const ssl_;
  const std::shared_ptr<const TlsContext> context_;
  const std::string server_name_;
  bool established_ = false;  // the handshake finished
  bool broken_ = false;       // a fatal error: no close_notify
  bool buffered_ = false;     // Read stopped with more to hand over (records, an error)
  Status deferred_;           // a Read error held back behind the bytes read before it
  bool deferred_closed_ = false;
};

}  // namespace

// ---- the context

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Result<std::shared_ptr<const TlsContext>> TlsContext::Create(const ConnectOptions& options) {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return InvalidArgument(
        "NATS TLS: tls_cert_file and tls_key_file go together (a client certificate and its "
        "key): set both or neither");
  }
  auto readable = [](std::string_view option, const std::string& file) -> Status {
    if (::access(file.c_str(), R_OK) == 0) return Status::Ok();
    return InvalidArgument("NATS TLS: cannot read " + std::string(option) + " '" + file +
                           "': " + ErrnoText(errno));
  };
  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_client_method());
  if (raw == nullptr) return Internal("NATS TLS: SSL_CTX_new failed: " + TakeErrorText());
  std::shared_ptr<const TlsContext> context(
      new TlsContext(raw, options.tls_ca_file, !options.tls_cert_file.empty()));
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nullptr);
  // Partial writes let one SSL_write_ex send what the socket takes and resume later (with
  // the rest of the same buffer, which may have moved); read-ahead fetches many records
  // in one recv().
  SSL_CTX_set_mode(raw, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_read_ahead(raw, 1);
  SSL_CTX_set_default_read_buffer_len(raw, kReadAheadBytes);
  SSL_CTX_set_options(raw, SSL_OP_NO_RENEGOTIATION);

  if (!options.tls_ca_file.empty()) {
    TRY(readable("tls_ca_file", options.tls_ca_file));
    if (SSL_CTX_load_verify_locations(raw, options.tls_ca_file.c_str(), nullptr) != 1) {
      return InvalidArgument("NATS TLS: cannot use tls_ca_file '" + options.tls_ca_file +
                             "' as PEM CA certificates: " + TakeErrorText());
    }
  } else if (SSL_CTX_set_default_verify_paths(raw) != 1) {
    return Internal("NATS TLS: cannot use the system's CA store: " + TakeErrorText());
  }
  if (!options.tls_cert_file.empty()) {
    TRY(readable("tls_cert_file", options.tls_cert_file));
    TRY(readable("tls_key_file", options.tls_key_file));
    if (SSL_CTX_use_certificate_chain_file(raw, options.tls_cert_file.c_str()) != 1) {
      return InvalidArgument("NATS TLS: cannot use tls_cert_file '" + options.tls_cert_file +
                             "' as a PEM certificate: " + TakeErrorText());
    }
    auto mismatch = [&] {
      return InvalidArgument("NATS TLS: the key in tls_key_file '" + options.tls_key_file +
                             "' does not belong to the certificate in tls_cert_file '" +
                             options.tls_cert_file + "': " + TakeErrorText());
    };
    if (SSL_CTX_use_PrivateKey_file(raw, options.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      unsigned long e = ERR_peek_error();
      if (ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH) {
        return mismatch();
      }
      return InvalidArgument("NATS TLS: cannot use tls_key_file '" + options.tls_key_file +
                             "' as a PEM private key: " + TakeErrorText());
    }
    if (SSL_CTX_check_private_key(raw) != 1) return mismatch();
  }
  return context;
}

// ---- the handshake

Result<std::unique_ptr<Transport>> StartTls(Fd fd, std::shared_ptr<const TlsContext> context,
                                            const std::string& server_name, SteadyTime deadline,
                                            Canceller cancel) {
  ERR_clear_error();
  SSL* ssl = SSL_new(context->get());
  BIO* bio = ssl != nullptr ? NewSocketBio(fd.get()) : nullptr;
  if (bio == nullptr) {
    SSL_free(ssl);
    return Internal("TLS: cannot make a session: " + TakeErrorText());
  }
  SSL_set_bio(ssl, bio, bio);
  SSL_set_connect_state(ssl);
  auto transport = std::make_unique<TlsTransport>(std::move(fd), ssl, context, server_name);

  // What the certificate must hold: the IP address, or the DNS name (which SNI carries
  // too, for servers with a certificate per name).
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  bool named = false;
  if (IsIpAddress(server_name)) {
    named = X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str()) == 1;
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    named = X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), server_name.size()) == 1 &&
            SSL_set_tlsext_host_name(ssl, server_name.c_str()) == 1;
  }
  if (!named) {
    return InvalidArgument("TLS: cannot verify the server's certificate for '" + server_name +
                           "': " + TakeErrorText());
  }
  TRY(transport->Handshake(deadline, cancel));
  return std::unique_ptr<Transport>(std::move(transport));
}

}  // namespace tributary::nats
