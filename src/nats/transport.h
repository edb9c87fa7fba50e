// The byte stream under a Connection: the TCP socket itself (PlainTransport), or TLS over
// it (StartTls: OpenSSL driving the same non-blocking socket). Read and Write never
// block; when one cannot go on it says which readiness poll() must wait for before the
// call is worth repeating, and with TLS that is not always the obvious one:
//
//   call    socket state                                  IoProgress
//   Read    data ready                                    bytes > 0
//   Read    nothing ready                                 bytes 0, want kRead
//   Read    TLS must send first (key update, full sndbuf) bytes 0, want kWrite
//   Read    the server closed (FIN, close_notify)         closed
//   Write   the socket took everything                    bytes == len
//   Write   the socket buffer is full                     bytes < len, want kWrite
//   Write   TLS must read first                           bytes < len, want kRead
//
// A Write that stopped short must be repeated with the same unwritten bytes (OpenSSL
// holds the record it began). Errors are Unavailable, except TLS failures that retrying
// will not cure (see StartTls). A transport belongs to one thread at a time: Connect's,
// then the connection's I/O thread.
#pragma once

#include <poll.h>

#include <cstddef>
#include <memory>
#include <string>

#include "base/status.h"
#include "nats/connect_options.h"
#include "nats/socket.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace tributary::nats {

enum class Want { kRead, kWrite };

// POLLIN or POLLOUT.
inline short PollEvents(Want want) { return want == Want::kRead ? POLLIN : POLLOUT; }

struct IoProgress {
  size_t bytes = 0;         // moved by the call
  Want want = Want::kRead;  // when fewer bytes than asked moved: what to poll for
  bool closed = false;      // Read: the server closed the connection (bytes is 0)
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual int fd() const = 0;
  // Up to `len` bytes into `buf`.
  virtual Result<IoProgress> Read(char* buf, size_t len) = 0;
  // As much of `data` as the socket takes now.
  virtual Result<IoProgress> Write(const char* data, size_t len) = 0;
  // Input already taken off the socket that poll() cannot see (TLS records read ahead,
  // or the close or error a Read held back behind the bytes before it): Read again
  // without waiting.
  virtual bool HasBufferedInput() const { return false; }
};

// recv()/send() on the socket, one system call per Read or Write.
class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(Fd fd) : fd_(std::move(fd)) {}
  int fd() const override { return fd_.get(); }
  Result<IoProgress> Read(char* buf, size_t len) override;
  Result<IoProgress> Write(const char* data, size_t len) override;
  // The socket, for StartTls; the transport is empty afterwards.
  Fd TakeFd() { return std::move(fd_); }

 private:
  Fd fd_;
};

// A client SSL_CTX for one Connection: TLS 1.2 or later, the server's certificate
// verified against tls_ca_file (or the system's CA store), the client certificate when
// given. The files are read once, here; reconnects reuse what was read. Immutable.
class TlsContext {
 public:
  // InvalidArgument naming the option and file that cannot be used, with OpenSSL's
  // reason (missing file, not PEM, key not matching the certificate, only one of
  // tls_cert_file/tls_key_file).
  static Result<std::shared_ptr<const TlsContext>> Create(const ConnectOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  ssl_ctx_st* get() const { return ctx_; }
  const std::string& ca_file() const { return ca_file_; }
  bool has_client_cert() const { return has_client_cert_; }

 private:
  TlsContext(ssl_ctx_st* ctx, std::string ca_file, bool has_client_cert)
      : ctx_(ctx), ca_file_(std::move(ca_file)), has_client_cert_(has_client_cert) {}
  ssl_ctx_st* const ctx_;
  const std::string ca_file_;
  const bool has_client_cert_;
};

// Runs the client side of a TLS handshake on `fd` (connected, the server's INFO read)
// by `deadline`, verifying that the server's certificate chains to the context's CAs
// and holds `server_name` (a DNS name, also sent as SNI, or an IP address). Errors:
//   FailedPrecondition  "TLS handshake: certificate verify failed: <X509 reason> (hint)"
//   Unauthenticated     the server refused the client certificate, or its absence
//                       ("... tlsv13 alert certificate required"); with TLS 1.3 this
//                       only shows on the first Read after the handshake
//   Unavailable         timed out, connection reset or closed, any other TLS error
//   Cancelled           `cancel` said stop
Result<std::unique_ptr<Transport>> StartTls(Fd fd, std::shared_ptr<const TlsContext> context,
                                            const std::string& server_name, SteadyTime deadline,
                                            Canceller cancel);

}  // namespace tributary::nats
