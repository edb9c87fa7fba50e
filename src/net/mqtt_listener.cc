#include "net/mqtt_listener.h"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <mutex>

#include "base/log.h"
#include "base/log_throttle.h"
#include "net/tls_transport.h"

namespace tributary::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using SslStream = asio::ssl::stream<tcp::socket>;
using WsStream = websocket::stream<SslStream>;

// An upgrade request's header is read whole before it is looked at: at most this much
// (as the HTTP server's). It has no body.
constexpr uint32_t kMaxUpgradeHeaderBytes = 8 * 1024;

class TcpTransport : public MqttTransport {
 public:
  explicit TcpTransport(tcp::socket s) : TcpTransport(AddressOf(s), s) {}

  asio::io_context& context() override {
    return static_cast<asio::io_context&>(socket_.get_executor().context());
  }
  void AsyncRead(asio::mutable_buffer buf, Handler h) override {
    socket_.async_read_some(buf, std::move(h));
  }
  void AsyncWrite(asio::const_buffer buf, Handler h) override {
    asio::async_write(socket_, buf, std::move(h));
  }
  bool CanWaitReadable() const override { return true; }
  void AsyncWaitReadable(Handler h) override {
    socket_.async_wait(tcp::socket::wait_read,
                       [h = std::move(h)](const boost::system::error_code& ec) { h(ec, 0); });
  }
  size_t ReadSome(asio::mutable_buffer buf, boost::system::error_code& ec) override {
    return socket_.read_some(buf, ec);
  }
  void Close() override {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  // The peer's address is read before the socket moves to its own type.
  TcpTransport(std::string remote_address, tcp::socket& s) : socket_(OnItsContext(s)) {
    peer_.listener = "tcp";
    peer_.remote_address = std::move(remote_address);
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);  // for ReadSome; Asio's own operations do not mind
  }

  // A socket bound to its io_context's own executor rather than the type-erased
  // any_io_executor: the socket and each pending operation are 32 bytes or more smaller,
  // which a fleet of idle connections feels.
  using Socket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;
  static Socket OnItsContext(tcp::socket& s) {
    auto& ctx = static_cast<asio::io_context&>(s.get_executor().context());
    boost::system::error_code ec;
    tcp::endpoint local = s.local_endpoint(ec);
    tcp protocol = ec ? tcp::v4() : local.protocol();
    tcp::socket::native_handle_type fd = s.release(ec);
    if (ec) return Socket(ctx.get_executor());  // closed: reads and writes will fail
    return Socket(ctx.get_executor(), protocol, fd);
  }

  Socket socket_;
};

class WsTransport : public MqttTransport {
 public:
  WsTransport(std::unique_ptr<WsStream> ws, std::string remote)
      : ws_(std::move(ws)) {
    peer_.listener = "ws";
    peer_.remote_address = std::move(remote);
    peer_.certificate =
        std::make_shared<PeerCertificate>(PeerCertificateOf(ws_->next_layer().native_handle()));
    ws_->binary(true);
  }
  asio::io_context& context() override {
    return static_cast<asio::io_context&>(ws_->get_executor().context());
  }
  void AsyncRead(asio::mutable_buffer buf, Handler h) override {
    ws_->async_read_some(buf, std::move(h));
  }
  void AsyncWrite(asio::const_buffer buf, Handler h) override {
    ws_->async_write(buf, std::move(h));
  }
  // Sends a WebSocket close frame first (clients treat a bare TCP close as an error),
  // then closes the socket when the close completes or after one second. The stream
  // is shared with the handlers so that it outlives this transport if needed.
  void Close() override {
    if (closing_) return;
    closing_ = true;
    auto ws = ws_;
    auto timer = std::make_shared<asio::steady_timer>(context(), std::chrono::seconds(1));
    timer->async_wait([ws](boost::system::error_code ec) {
      if (!ec) Shut(*ws);
    });
    ws->async_close(websocket::close_code::normal, [ws, timer](boost::system::error_code) {
      timer->cancel();
      Shut(*ws);
    });
  }

 private:
  static void Shut(WsStream& ws) {
    boost::system::error_code ec;
    auto& sock = ws.next_layer().next_layer();
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
  }

  std::shared_ptr<WsStream> ws_;
  bool closing_ = false;
};

}  // namespace

void MqttTransport::AsyncWaitReadable(Handler handler) {
  asio::post(context(), [h = std::move(handler)] { h(asio::error::operation_not_supported, 0); });
}

size_t MqttTransport::ReadSome(asio::mutable_buffer, boost::system::error_code& ec) {
  ec = asio::error::operation_not_supported;
  return 0;
}

std::string AddressOf(const tcp::socket& s) {
  boost::system::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "unknown";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

const char* ListenerKindName(ListenerKind k) {
  switch (k) {
    case ListenerKind::kTcp: return "tcp";
    case ListenerKind::kTls: return "tls";
    case ListenerKind::kWs: return "ws";
  }
  return "?";
}

// The tickets an accepted socket holds: the connection caps' until its transport is
// destroyed, the handshake cap's until the broker accepts its CONNECT.
struct Admission {
  ConnectionLimiter::Ticket connection;
  ConnectionLimiter::Ticket handshake;

  void GiveTo(MqttTransport* t) {
    t->set_admission(std::move(connection));
    t->set_handshake_admission(std::move(handshake));
  }
};

class MqttListener::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(Runtime* rt, MqttListenerOptions o, OnConnection cb)
      : runtime(rt), options(std::move(o)), on_connection(std::move(cb)),
        acceptor(rt->At(0)), retry(rt->At(0)), log(Logger("broker")) {}

  void Accept() {
    auto self = shared_from_this();
    acceptor.async_accept(runtime->Next(), [self](boost::system::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (ec) {
        // E.g. out of file descriptors: back off instead of spinning.
        self->log->warn("accept failed listener={} error=\"{}\"",
                        ListenerKindName(self->options.kind), ec.message());
        self->retry.expires_after(std::chrono::milliseconds(100));
        self->retry.async_wait([self](boost::system::error_code e) {
          if (!e && self->acceptor.is_open()) self->Accept();
        });
        return;
      }
      Admission admission;
      if (!self->Admit(s, &admission)) return self->Accept();
      self->Handshake(std::move(s), std::move(admission));
      self->Accept();
    });
  }

  // Counts the connection in, or closes it at once when a cap says no.
  bool Admit(tcp::socket& s, Admission* admission) {
    if (!options.limiter && !options.handshake_limiter) return true;
    boost::system::error_code ec;
    tcp::endpoint peer = s.remote_endpoint(ec);
    std::string ip = ec ? std::string() : peer.address().to_string();
    if (options.limiter) {
      admission->connection = options.limiter->Admit(ip);
      if (!admission->connection) {
        if (options.refused != nullptr) options.refused->Add();
        if (uint64_t held; refused_log.Allow(&held)) {
          const ConnectionCaps& caps = options.limiter->caps();
          log->warn(
              "connection closed at once listener={} remote={}: at most {} MQTT connections "
              "in all, {} from one address (0: no cap); more since the last report={}",
              ListenerKindName(options.kind), ip, caps.max_connections, caps.max_per_address, held);
        }
        s.close(ec);
        return false;
      }
    }
    if (options.handshake_limiter) {
      admission->handshake = options.handshake_limiter->Admit(ip);
      if (!admission->handshake) {
        admission->connection.Reset();
        if (options.refused_handshakes != nullptr) options.refused_handshakes->Add();
        if (uint64_t held; refused_handshake_log.Allow(&held)) {
          log->warn(
              "connection closed at once listener={} remote={}: at most {} MQTT connections "
              "from one address may be without an accepted CONNECT "
              "(--mqtt-max-handshakes-per-address); more since the last report={}",
              ListenerKindName(options.kind), ip, options.handshake_limiter->caps().max_per_address,
              held);
        }
        s.close(ec);
        return false;
      }
    }
    return true;
  }

  void Deliver(std::unique_ptr<MqttTransport> t) {
    std::lock_guard<std::mutex> lock(mu);
    if (stopped) return;
    on_connection(std::move(t));
  }

  // Runs the handshake on the io_context the connection will live on.
  void Handshake(tcp::socket s, Admission admission) {
    auto& ctx = static_cast<asio::io_context&>(s.get_executor().context());
    struct Accepted {
      tcp::socket socket;
      Admission admission;
    };
    auto a = std::make_shared<Accepted>(Accepted{std::move(s), std::move(admission)});
    asio::post(ctx, [self = shared_from_this(), a] {
      switch (self->options.kind) {
        case ListenerKind::kTcp: {
          auto t = std::make_unique<TcpTransport>(std::move(a->socket));
          a->admission.GiveTo(t.get());
          self->Deliver(std::move(t));
          break;
        }
        case ListenerKind::kTls:
          self->TlsHandshake(std::move(a->socket), std::move(a->admission));
          break;
        case ListenerKind::kWs:
          self->WsHandshake(std::move(a->socket), std::move(a->admission));
          break;
      }
    });
  }

  void TlsHandshake(tcp::socket s, Admission admission) {
    auto self = shared_from_this();
    auto held = std::make_shared<Admission>(std::move(admission));
    AcceptTls(std::move(s), *options.tls, options.handshake_timeout,
              [self, held](Result<std::unique_ptr<MqttTransport>> t) {
                if (!t.ok()) {
                  self->log->info("tls handshake failed listener=tls error=\"{}\"",
                                  t.status().message());
                  return;
                }
                held->GiveTo(t->get());
                self->Deliver(std::move(t).value());
              });
  }

  struct WsPending {
    std::unique_ptr<WsStream> ws;
    beast::flat_buffer buffer{2 * kMaxUpgradeHeaderBytes};
    http::request_parser<http::empty_body> parser;
    http::response<http::string_body> refusal;
    std::string remote;
    Admission admission;
  };

  void WsHandshake(tcp::socket s, Admission admission) {
    auto& ctx = static_cast<asio::io_context&>(s.get_executor().context());
    auto p = std::make_shared<WsPending>();
    p->remote = AddressOf(s);
    p->admission = std::move(admission);
    p->ws = std::make_unique<WsStream>(std::move(s), *options.tls);
    p->parser.header_limit(kMaxUpgradeHeaderBytes);
    auto timer = std::make_shared<asio::steady_timer>(ctx, options.handshake_timeout);
    timer->async_wait([p](boost::system::error_code ec) {
      if (!ec && p->ws) {
        boost::system::error_code ignored;
        p->ws->next_layer().next_layer().close(ignored);
      }
    });
    auto self = shared_from_this();
    p->ws->next_layer().async_handshake(
        asio::ssl::stream_base::server, [self, p, timer](boost::system::error_code ec) {
      if (ec) {
        timer->cancel();
        self->log->info("tls handshake failed listener=ws error=\"{}\"", ec.message());
        return;
      }
      http::async_read_header(
          p->ws->next_layer(), p->buffer, p->parser,
          [self, p, timer](boost::system::error_code ec, size_t) {
            if (!ec && (p->parser.chunked() || p->parser.content_length().value_or(0) > 0)) {
              return self->RefuseUpgrade(p, timer, "a WebSocket upgrade request has no body");
            }
            const http::request<http::empty_body>& request = p->parser.get();
            if (ec || !websocket::is_upgrade(request)) {
              timer->cancel();
              self->log->info("websocket upgrade failed remote={} error=\"{}\"", p->remote,
                              ec ? ec.message() : "not a websocket upgrade request");
              return;
            }
            auto proto = request[http::field::sec_websocket_protocol];
            bool wants_mqtt = proto.find("mqtt") != beast::string_view::npos;
            p->ws->set_option(
                websocket::stream_base::decorator([wants_mqtt](websocket::response_type& res) {
                  if (wants_mqtt) res.set(http::field::sec_websocket_protocol, "mqtt");
                }));
            p->ws->async_accept(request, [self, p, timer](boost::system::error_code ec) {
              timer->cancel();
              if (ec) {
                self->log->info("websocket accept failed remote={} error=\"{}\"", p->remote,
                                ec.message());
                return;
              }
              auto t = std::make_unique<WsTransport>(std::move(p->ws), p->remote);
              p->admission.GiveTo(t.get());
              self->Deliver(std::move(t));
            });
          });
    });
  }

  // Answers 400 with `why` and closes, the body not read (the handshake's timer still
  // bounds the write).
  void RefuseUpgrade(const std::shared_ptr<WsPending>& p,
                     const std::shared_ptr<asio::steady_timer>& timer, const std::string& why) {
    log->info("websocket upgrade refused remote={}: {}", p->remote, why);
    p->refusal = http::response<http::string_body>(http::status::bad_request, 11);
    p->refusal.set(http::field::connection, "close");
    p->refusal.set(http::field::content_type, "text/plain");
    p->refusal.body() = why + "\n";
    p->refusal.prepare_payload();
    http::async_write(p->ws->next_layer(), p->refusal,
                      [p, timer](boost::system::error_code, size_t) { timer->cancel(); });
  }

  Runtime* runtime;
  MqttListenerOptions options;
  OnConnection on_connection;
  tcp::acceptor acceptor;
  asio::steady_timer retry;
  std::shared_ptr<spdlog::logger> log;
  LogThrottle refused_log{10000};
  LogThrottle refused_handshake_log{10000};
  std::mutex mu;
  bool stopped = false;
};

Result<std::unique_ptr<MqttListener>> MqttListener::Create(Runtime* runtime,
                                                           const MqttListenerOptions& options,
                                                           OnConnection on_connection) {
  if (options.kind != ListenerKind::kTcp && !options.tls) {
    return InvalidArgument(std::string("MQTT listener '") + ListenerKindName(options.kind) +
                           "' needs a TLS context (server certificate and key)");
  }
  auto impl = std::make_shared<Impl>(runtime, options, std::move(on_connection));
  std::string where = options.bind_address + ":" + std::to_string(options.port);
  try {
    tcp::endpoint ep(asio::ip::make_address(options.bind_address),
                     static_cast<unsigned short>(options.port));
    impl->acceptor.open(ep.protocol());
    impl->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl->acceptor.bind(ep);
    impl->acceptor.listen(asio::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    return Unavailable(std::string("MQTT listener '") + ListenerKindName(options.kind) +
                       "': cannot listen on " + where + ": " + e.what());
  }
  std::unique_ptr<MqttListener> l(new MqttListener());
  l->port_ = impl->acceptor.local_endpoint().port();
  l->impl_ = impl;
  asio::post(impl->acceptor.get_executor(), [impl] { impl->Accept(); });
  return l;
}

MqttListener::~MqttListener() { Stop(); }

void MqttListener::Stop() {
  if (!impl_) return;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopped = true;
  }
  auto impl = impl_;
  asio::post(impl->acceptor.get_executor(), [impl] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
    impl->retry.cancel();
  });
  impl_.reset();
}

}  // namespace tributary::net
