#include "net/tls_transport.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>

#include "base/socket_bio.h"

namespace tributary::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// ---- what to do after an SSL call that did not succeed

enum class Next { kWaitRead, kWaitWrite, kFail };

// `saved_errno` is errno right after the call (ClearErrors() before it).
Next Classify(SSL* ssl, int ret, int saved_errno, error_code* ec) {
  int err = SSL_get_error(ssl, ret);
  Next next = Next::kFail;
  switch (err) {
    case SSL_ERROR_WANT_READ: next = Next::kWaitRead; break;
    case SSL_ERROR_WANT_WRITE: next = Next::kWaitWrite; break;
    case SSL_ERROR_ZERO_RETURN: *ec = asio::error::eof; break;  // the peer's close_notify
    case SSL_ERROR_SYSCALL:
      *ec = saved_errno != 0 ? error_code(saved_errno, asio::error::get_system_category())
                             : error_code(asio::error::eof);
      break;
    default: {
      unsigned long e = ERR_peek_error();
      if (e == 0) {
        *ec = asio::error::connection_aborted;
      } else if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
                 ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        *ec = asio::error::eof;  // closed without close_notify, as a TCP peer would
      } else {
        *ec = error_code(static_cast<int>(e), asio::error::get_ssl_category());
      }
    }
  }
  ERR_clear_error();
  return next;
}

// Before each SSL call: SSL_get_error reads this thread's OpenSSL error queue, which
// other TLS work on the thread (a WebSocket connection, an HTTPS client) may have left
// entries in; errno tells a failed system call from a closed connection.
void ClearErrors() {
  ERR_clear_error();
  errno = 0;
}

asio::socket_base::wait_type WaitFor(Next n) {
  return n == Next::kWaitRead ? asio::socket_base::wait_read : asio::socket_base::wait_write;
}

// ---- the transport

class TlsTransport final : public MqttTransport {
 public:
  TlsTransport(tcp::socket socket, SSL* ssl) : socket_(std::move(socket)), ssl_(ssl) {
    peer_.listener = "tls";
    peer_.remote_address = AddressOf(socket_);
    peer_.certificate = std::make_shared<PeerCertificate>(PeerCertificateOf(ssl_));
  }
  ~TlsTransport() override { SSL_free(ssl_); }

  asio::io_context& context() override {
    return static_cast<asio::io_context&>(socket_.get_executor().context());
  }
  void AsyncRead(asio::mutable_buffer buf, Handler h) override { Read(buf, std::move(h), true); }
  void AsyncWrite(asio::const_buffer buf, Handler h) override {
    Write(buf, 0, std::move(h), true);
  }
  void Close() override {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  // Handlers must not run inside the call that started the operation.
  void Finish(Handler h, error_code ec, size_t n, bool initiating) {
    if (initiating) {
      asio::post(context(), [h = std::move(h), ec, n] { h(ec, n); });
    } else {
      h(ec, n);
    }
  }

  // The handlers of the waits below hold the connection's handler, and so the
  // connection that owns this transport: `this` outlives them. After Close() the socket
  // is no longer open and OpenSSL must not touch its descriptor (its number may already
  // be another connection's).
  void Read(asio::mutable_buffer buf, Handler h, bool initiating) {
    if (!socket_.is_open()) return Finish(std::move(h), asio::error::operation_aborted, 0, initiating);
    size_t n = 0;
    ClearErrors();
    int ret = SSL_read_ex(ssl_, buf.data(), buf.size(), &n);
    if (ret == 1) return Finish(std::move(h), {}, n, initiating);
    error_code ec;
    Next next = Classify(ssl_, ret, errno, &ec);
    if (next == Next::kFail) return Finish(std::move(h), ec, 0, initiating);
    socket_.async_wait(WaitFor(next), [this, buf, h = std::move(h)](const error_code& e) mutable {
      if (e) return h(e, 0);
      Read(buf, std::move(h), false);
    });
  }

  void Write(asio::const_buffer buf, size_t done, Handler h, bool initiating) {
    if (!socket_.is_open()) {
      return Finish(std::move(h), asio::error::operation_aborted, done, initiating);
    }
    const char* data = static_cast<const char*>(buf.data());
    while (done < buf.size()) {
      size_t n = 0;
      ClearErrors();
      int ret = SSL_write_ex(ssl_, data + done, buf.size() - done, &n);
      if (ret == 1) {
        done += n;
        continue;
      }
      error_code ec;
      Next next = Classify(ssl_, ret, errno, &ec);
      if (next == Next::kFail) return Finish(std::move(h), ec, done, initiating);
      socket_.async_wait(WaitFor(next),
                         [this, buf, done, h = std::move(h)](const error_code& e) mutable {
        if (e) return h(e, done);
        Write(buf, done, std::move(h), false);
      });
      return;
    }
    Finish(std::move(h), {}, done, initiating);
  }

  tcp::socket socket_;
  SSL* ssl_;
};

// ---- the handshake

class Handshake : public std::enable_shared_from_this<Handshake> {
 public:
  Handshake(tcp::socket socket, SSL* ssl, std::chrono::milliseconds timeout, TlsAccepted done)
      : socket_(std::move(socket)), ssl_(ssl), timer_(socket_.get_executor()),
        timeout_(timeout), done_(std::move(done)) {}
  ~Handshake() {
    if (ssl_ != nullptr) SSL_free(ssl_);
  }

  void Start() {
    timer_.expires_after(timeout_);
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (ec) return;
      self->timed_out_ = true;
      error_code ignored;
      self->socket_.close(ignored);  // the pending wait ends, and with it the handshake
    });
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Step(); });
  }

 private:
  void Step() {
    ClearErrors();
    int ret = SSL_do_handshake(ssl_);
    if (ret == 1) {
      timer_.cancel();
      std::unique_ptr<MqttTransport> t =
          std::make_unique<TlsTransport>(std::move(socket_), std::exchange(ssl_, nullptr));
      done_(std::move(t));
      return;
    }
    error_code ec;
    Next next = Classify(ssl_, ret, errno, &ec);
    if (next == Next::kFail) return Fail(ec.message());
    socket_.async_wait(WaitFor(next), [self = shared_from_this()](const error_code& e) {
      if (e) return self->Fail(e.message());
      self->Step();
    });
  }

  void Fail(const std::string& why) {
    timer_.cancel();
    error_code ignored;
    socket_.close(ignored);
    done_(Unavailable(timed_out_ ? "handshake not finished within " +
                                       std::to_string(timeout_.count()) + " ms"
                                 : why));
  }

  tcp::socket socket_;
  SSL* ssl_;
  asio::steady_timer timer_;
  std::chrono::milliseconds timeout_;
  TlsAccepted done_;
  bool timed_out_ = false;
};

}  // namespace

void AcceptTls(tcp::socket socket, asio::ssl::context& tls, std::chrono::milliseconds timeout,
               TlsAccepted done) {
  auto fail = [&](const std::string& why) {
    asio::post(socket.get_executor(), [done = std::move(done), why] { done(Unavailable(why)); });
  };
  error_code ec;
  socket.non_blocking(true, ec);
  if (!ec) socket.set_option(tcp::no_delay(true), ec);
  if (ec) return fail("cannot set up the socket: " + ec.message());
  SSL* ssl = SSL_new(tls.native_handle());
  BIO* bio = ssl != nullptr ? NewSocketBio(socket.native_handle()) : nullptr;
  if (bio == nullptr) {
    SSL_free(ssl);
    ERR_clear_error();
    return fail("out of memory for a TLS connection");
  }
  SSL_set_bio(ssl, bio, bio);
  SSL_set_accept_state(ssl);
  // Partial writes let one SSL_write_ex send what the socket takes and resume later;
  // released buffers are what keeps an idle connection small; read-ahead fetches several
  // records in one recv.
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                        SSL_MODE_RELEASE_BUFFERS);
  SSL_set_read_ahead(ssl, 1);
  SSL_set_options(ssl, SSL_OP_NO_RENEGOTIATION);
  std::make_shared<Handshake>(std::move(socket), ssl, timeout, std::move(done))->Start();
}

}  // namespace tributary::net
