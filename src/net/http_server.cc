#include "net/http_server.h"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "base/log.h"
#include "base/log_throttle.h"
#include "net/connection_limiter.h"
#include "net/listen_address.h"

namespace tributary::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// The request line and header fields (not the body: the caller moves it in).
HttpRequest ToRequest(const http::request<http::string_body>& in, const std::string& remote,
                      bool from_loopback) {
  HttpRequest r;
  r.method = std::string(in.method_string());
  std::string target(in.target());
  size_t q = target.find('?');
  r.raw_path = target.substr(0, q);
  r.path = UrlDecode(r.raw_path, false);
  if (q != std::string::npos) {
    std::string query = target.substr(q + 1);
    size_t i = 0;
    while (i <= query.size()) {
      size_t amp = query.find('&', i);
      if (amp == std::string::npos) amp = query.size();
      std::string pair = query.substr(i, amp - i);
      if (!pair.empty()) {
        size_t eq = pair.find('=');
        r.AddQuery(UrlDecode(pair.substr(0, eq), true),
                   eq == std::string::npos ? "" : UrlDecode(pair.substr(eq + 1), true));
      }
      i = amp + 1;
    }
  }
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // A name sent again adds its value to the first's, as one list (RFC 9110 section 5.3).
    std::string value(field.value());
    auto [it, added] = r.headers.try_emplace(std::move(name), value);
    if (!added) it->second += ',' + value;
  }
  r.remote_address = remote;
  r.from_loopback = from_loopback;
  return r;
}

// How long a client has to finish the TLS handshake, and a closing one.
constexpr int kTlsHandshakeSeconds = 10;
// The reads that drop what a client sends after the connection's last answer.
constexpr size_t kLingerReadBytes = 64 * 1024;

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// What a server's connections share with it: whether it stopped, and how many handlers
// are running. A connection counts itself in before it calls the handler and looks at
// `stopped` after, and Stop sets `stopped` before it waits for the count to fall to 0:
// so no handler starts after Stop returns (the components it reaches may be gone).
struct ServerState {
  std::atomic<bool> stopped{false};
  std::atomic<int> in_handler{0};
  // Body bytes being read for requests not yet checked (unchecked_body_budget_bytes), in
  // all and per address (an entry while it has some).
  std::mutex mu;
  uint64_t unchecked_body_bytes = 0;                            // mu
  std::unordered_map<std::string, uint64_t> unchecked_by_peer;  // mu

  // Takes `bytes` of the unchecked-body budgets (all, and `ip`'s unless loopback).
  bool TakeUnchecked(const std::string& ip, bool loopback, uint64_t bytes,
                     const HttpServerOptions& o) {
    std::lock_guard<std::mutex> lock(mu);
    if (unchecked_body_bytes + bytes > o.unchecked_body_budget_bytes) return false;
    auto it = unchecked_by_peer.find(ip);
    uint64_t held = it == unchecked_by_peer.end() ? 0 : it->second;
    if (!loopback && o.unchecked_body_budget_per_peer_bytes != 0 &&
        held + bytes > o.unchecked_body_budget_per_peer_bytes) {
      return false;
    }
    unchecked_body_bytes += bytes;
    unchecked_by_peer[ip] = held + bytes;
    return true;
  }
  void ReturnUnchecked(const std::string& ip, uint64_t bytes) {
    std::lock_guard<std::mutex> lock(mu);
    unchecked_body_bytes -= bytes;
    if (auto it = unchecked_by_peer.find(ip); it != unchecked_by_peer.end()) {
      if ((it->second -= bytes) == 0) unchecked_by_peer.erase(it);
    }
  }
};

// One connection: plain (beast::tcp_stream) or HTTPS (TlsStream, the handshake first).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // `ip`: the peer's address; `admission` counts this connection against the caps.
  Session(tcp::socket socket, const HttpAsyncHandler* handler, const HttpServerOptions* options,
          std::shared_ptr<ServerState> state, std::string ip, bool loopback,
          ConnectionLimiter::Ticket admission)
      : stream_(MakeStream(std::move(socket), options)),
        handler_(handler),
        options_(options),
        state_(std::move(state)),
        admission_(std::move(admission)),
        ip_(std::move(ip)),
        loopback_(loopback) {
    beast::error_code ec;
    auto ep = Lowest().socket().remote_endpoint(ec);
    if (!ec) {
      remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
      remote_loopback_ = IsLoopbackAddress(ep.address().to_string());
    }
  }
  ~Session() { ReleaseBudget(); }

  void Run() {
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(kTlsHandshakeSeconds));
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return self->Abort();  // not TLS, or a certificate the client refused
        self->ReadNext();
      });
    } else {
      ReadNext();
    }
  }

 private:
  void ReadNext() {
    body_parser_.reset();
    header_request_.reset();
    parser_.emplace();
    // No limit while the header is read: OnHeader applies max_body_bytes, or takes a
    // longer announced body piece by piece (large_body).
    // (Not boost::none: this Beast compares a Content-Length with none as "over".)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    Lowest().expires_after(std::chrono::seconds(options_->idle_timeout_s));
    // The header first: a client that sent "Expect: 100-continue" waits for the go-ahead
    // before the body (the AWS SDKs do so from 2 MiB on, and wait seconds otherwise).
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnRead(ec);
    if (state_->stopped) return Close();  // the server stopped: no request is begun
    const auto& header = parser_->get();
    head_request_ = header.method() == http::verb::head;
    const bool no_body = parser_->is_done();
    // The header as a request, converted at most once for the questions asked of it.
    std::optional<HttpRequest> converted;
    auto header_request = [&]() -> HttpRequest& {
      if (!converted) converted = ToRequest(header, remote_, remote_loopback_);
      return *converted;
    };
    if (!no_body && options_->refuse_before_body) {
      if (auto refusal = options_->refuse_before_body(header_request())) {
        return Write(std::move(*refusal), false);
      }
    }
    auto expect = header.find(http::field::expect);
    const bool wants_continue =
        expect != header.end() && beast::iequals(expect->value(), "100-continue");
    std::shared_ptr<HttpBodySink> sink;
    std::optional<HttpRequest> request;
    if (auto length = parser_->content_length(); length && *length > options_->max_body_bytes) {
      request = std::move(header_request());
    } else if (!no_body && options_->body_in_pieces) {
      request = std::move(header_request());
      if (!options_->body_in_pieces(*request)) {
        header_request_ = std::move(request);  // converted once: the body joins it when read
        request.reset();
      }
    }
    if (request) {
      std::optional<HttpResponse> refusal;
      if (options_->large_body) sink = options_->large_body(*request, &refusal);
      if (!sink) {
        if (refusal) return Write(std::move(*refusal), false);
        return RefuseBodyTooLarge();
      }
      // The body's pieces go to the sink as they come: no limit but the announced length.
      body_parser_.emplace(std::move(*parser_));
    } else {
      parser_->body_limit(options_->max_body_bytes);  // a chunked body is counted as it comes
    }
    if (!sink && !no_body && !TakeBudget(header_request)) {
      HttpRequest& h = header_request_ ? *header_request_ : header_request();
      return Write(options_->busy
                       ? options_->busy(h)
                       : JsonError(503, "unavailable",
                                   "the server is reading as many request bodies from clients "
                                   "not yet authenticated as it takes; retry"),
                   false);
    }
    auto go_on = [self = this->shared_from_this(), sink] {
      if (sink) return self->ReadPiece(sink);
      self->ReadBody();
    };
    if (no_body || !wants_continue) return go_on();
    auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_, header.version());
    http::async_write(stream_, *interim, [self = this->shared_from_this(), interim, go_on](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      go_on();
    });
  }

  // Counts this request's body against the budget of bodies read before they are checked,
  // if it is one of them; false when the budget has no room for it.
  template <typename HeaderFn>
  bool TakeBudget(HeaderFn& header_request) {
    const uint64_t budget = options_->unchecked_body_budget_bytes;
    if (budget == 0) return true;
    if (options_->checked_on_header &&
        options_->checked_on_header(header_request_ ? *header_request_ : header_request())) {
      return true;
    }
    auto length = parser_->content_length();
    const uint64_t want =
        length ? std::min<uint64_t>(*length, options_->max_body_bytes) : options_->max_body_bytes;
    if (!state_->TakeUnchecked(ip_, loopback_, want, *options_)) return false;
    reserved_ = want;
    return true;
  }
  void ReleaseBudget() {
    if (reserved_ != 0) state_->ReturnUnchecked(ip_, reserved_);
    reserved_ = 0;
  }

  // Reads the next piece of a large body into `sink`; after the last, `sink` answers.
  void ReadPiece(std::shared_ptr<HttpBodySink> sink) {
    piece_.resize(options_->large_body_piece_bytes);
    body_parser_->get().body().data = piece_.data();
    body_parser_->get().body().size = piece_.size();
    Lowest().expires_after(std::chrono::seconds(options_->idle_timeout_s));
    http::async_read_some(stream_, buffer_, *body_parser_, [self = this->shared_from_this(), sink](beast::error_code ec, size_t) {
      if (ec == http::error::need_buffer) ec = {};
      const size_t got = self->piece_.size() - self->body_parser_->get().body().size;
      if (ec) return self->EndShort(sink);  // the client went away or sent less than announced
      const bool last = self->body_parser_->is_done();
      auto next = [self, sink, last](Status taken) {
        asio::post(self->stream_.get_executor(), [self, sink, last, taken] {
          if (!taken.ok()) return self->EndShort(sink);
          if (!last) return self->ReadPiece(sink);
          const bool keep_alive = self->body_parser_->keep_alive();
          sink->finish(true, self->Responder(keep_alive));
        });
      };
      if (got == 0) return next(Status::Ok());
      std::string piece = self->piece_.substr(0, got);
      sink->write(std::move(piece), std::move(next));
    });
  }

  // A large body that ended short: the sink undoes its work and answers if it can; the
  // connection then closes (the rest of the body, if any, is never read).
  void EndShort(const std::shared_ptr<HttpBodySink>& sink) { sink->finish(false, Responder(false)); }

  void RefuseBodyTooLarge() {
    if (options_->body_too_large) {
      HttpRequest header = ToRequest(parser_->get(), remote_, remote_loopback_);
      return Write(options_->body_too_large(header), false);
    }
    return Write(JsonError(413, "resource_exhausted",
                           "request body larger than " + std::to_string(options_->max_body_bytes) + " bytes"),
                 false);
  }

  // An answer that may come from another thread: the write is posted to this connection's
  // executor. `answered` keeps a late second answer from writing twice.
  HttpRespond Responder(bool keep_alive) {
    auto answered = std::make_shared<std::atomic<bool>>(false);
    return [self = this->shared_from_this(), keep_alive, answered](HttpResponse r) {
      if (answered->exchange(true)) return;
      asio::post(self->stream_.get_executor(), [self, keep_alive, r = std::move(r)]() mutable {
        self->Write(std::move(r), keep_alive);
      });
    };
  }

  // Reads the body as it comes. The idle timeout starts again with each part that arrives,
  // as for a large body's pieces: a body is cut when its client stops sending, not when a
  // slow link takes past the timeout for all of it (16 MiB at 200 KB/s is 80 s). The
  // header is read under one timeout as a whole (ReadNext).
  void ReadBody() {
    if (parser_->is_done()) return OnRead({});
    Lowest().expires_after(std::chrono::seconds(options_->idle_timeout_s));
    http::async_read_some(stream_, buffer_, *parser_,
                          [self = this->shared_from_this()](beast::error_code ec, size_t) {
                            if (ec) return self->OnRead(ec);
                            self->ReadBody();
                          });
  }

  void OnRead(beast::error_code ec) {
    ReleaseBudget();  // read (the handler checks it now), or never to be
    if (ec == http::error::end_of_stream || ec == beast::error::timeout) return Close();
    if (ec) {
      if (ec == http::error::body_limit) return RefuseBodyTooLarge();
      return Close();
    }
    http::request<http::string_body> req = parser_->release();
    bool keep_alive = req.keep_alive();
    HttpRequest request =
        header_request_ ? std::move(*header_request_) : ToRequest(req, remote_, remote_loopback_);
    header_request_.reset();
    request.body = std::move(req.body());
    // A handler that throws before answering gets a 500.
    HttpRespond respond = Responder(keep_alive);
    state_->in_handler.fetch_add(1);
    if (state_->stopped) {  // after counting in: see ServerState
      state_->in_handler.fetch_sub(1);
      return Close();
    }
    try {
      (*handler_)(request, respond);
    } catch (const std::exception& e) {
      respond(JsonError(500, "internal", std::string("unexpected error: ") + e.what()));
    }
    state_->in_handler.fetch_sub(1);
  }

  void Write(HttpResponse r, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "tributary");
    res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    for (const auto& [k, v] : options_->default_headers) {
      if (res->find(k) == res->end()) res->set(k, v);  // beast compares names case-insensitively
    }
    res->keep_alive(keep_alive);
    // An answer to HEAD has the header of the answer to GET and no body, whatever the
    // handler gave: bytes after it would be read as the start of the next answer.
    if (head_request_ && !r.head_length && !r.body_source) {
      r.head_length = r.body.size();
      r.body.clear();
    }
    std::shared_ptr<HttpBodySource> source = std::move(r.body_source);
    if (source) {
      res->content_length(source->length);  // the pieces follow the header
    } else if (r.head_length) {
      res->content_length(*r.head_length);  // nothing follows the header
    } else {
      res->body() = std::move(r.body);
      res->prepare_payload();
    }
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res, keep_alive, source](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        if (source) return self->WritePieces(source, source->length, keep_alive);
                        if (!keep_alive) return self->Close();
                        self->ReadNext();
                      });
  }

  // Writes `remaining` more bytes of `source`'s body, one piece at a time.
  void WritePieces(std::shared_ptr<HttpBodySource> source, uint64_t remaining, bool keep_alive) {
    if (remaining == 0) {
      if (!keep_alive) return Close();
      return ReadNext();
    }
    source->next([self = this->shared_from_this(), source, remaining, keep_alive](Result<std::string> piece) {
      asio::post(self->stream_.get_executor(), [self, source, remaining, keep_alive,
                                                 piece = std::move(piece)]() mutable {
        if (!piece.ok() || piece->empty() || piece->size() > remaining) {
          Logger("http")->warn("ending a response {} bytes short: {}", remaining,
                      !piece.ok()        ? piece.status().ToString()
                      : piece->empty()   ? std::string("the body's source ended early")
                                         : std::string("the body's source gave more than it announced"));
          return self->Abort();
        }
        auto data = std::make_shared<std::string>(std::move(*piece));
        self->Lowest().expires_after(std::chrono::seconds(self->options_->idle_timeout_s));
        asio::async_write(self->stream_, asio::buffer(*data),
                          [self, source, data, remaining, keep_alive](beast::error_code ec, size_t) {
                            if (ec) return self->Close();
                            self->WritePieces(source, remaining - data->size(), keep_alive);
                          });
      });
    });
  }

  // Ends the connection at once, mid-answer: the client reads fewer bytes than announced.
  void Abort() {
    beast::error_code ec;
    Lowest().socket().close(ec);
  }

  // Ends the connection after its last answer, which the client must be able to read.
  void Close() {
    if constexpr (kTls) {
      // TLS's close_notify first, so that the client sees the end of the answer, not a cut.
      Lowest().expires_after(std::chrono::seconds(kTlsHandshakeSeconds));
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->Linger(); });
    } else {
      beast::error_code ec;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      Linger();
    }
  }

  // Reads what the client still sends and drops it, until the client closes or linger_ms
  // have passed since the first call. A socket closed with bytes unread is reset, and a
  // client still sending a body the server refused before reading it (a chunked body past
  // the limit, a large one sent without "Expect: 100-continue") could lose the answer.
  void Linger() {
    const auto now = std::chrono::steady_clock::now();
    if (!linger_until_) linger_until_ = now + std::chrono::milliseconds(options_->linger_ms);
    if (now >= *linger_until_) return Abort();
    Lowest().expires_after(*linger_until_ - now);
    piece_.resize(kLingerReadBytes);
    Lowest().async_read_some(
        asio::buffer(piece_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return self->Abort();  // the client's end (EOF), a reset, or the time is over
          self->Linger();
        });
  }

  static Stream MakeStream(tcp::socket socket, const HttpServerOptions* options) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *options->tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // A large body's reading (HttpServerOptions::large_body): the header's parser moved
  // into one that fills `piece_`.
  std::optional<http::request_parser<http::buffer_body>> body_parser_;
  // The header as OnHeader converted it to ask body_in_pieces, when the body is read whole.
  std::optional<HttpRequest> header_request_;
  std::string piece_;
  const HttpAsyncHandler* handler_;
  const HttpServerOptions* options_;
  std::shared_ptr<ServerState> state_;
  ConnectionLimiter::Ticket admission_;  // counts this connection against the caps
  bool head_request_ = false;  // the request being answered is a HEAD
  uint64_t reserved_ = 0;      // of ServerState::unchecked_body_bytes, for the body being read
  const std::string ip_;       // the peer's address, as ServerState counts it
  const bool loopback_;
  std::string remote_;
  bool remote_loopback_ = false;
  std::optional<std::chrono::steady_clock::time_point> linger_until_;  // set by the first Linger()
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, Runtime* runtime, HttpAsyncHandler handler)
      : options_(std::move(options)),
        runtime_(runtime),
        handler_(std::move(handler)),
        acceptor_(runtime->At(0)) {}

  Result<int> Start() {
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.bind_address, ec);
    const std::string what = options_.tls ? "HTTPS" : "HTTP";
    if (ec) return InvalidArgument(what + " bind address '" + options_.bind_address + "': " + ec.message());
    tcp::endpoint ep(address, static_cast<uint16_t>(options_.port));
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Unavailable("cannot listen for " + what + " on " + options_.bind_address + ":" +
                         std::to_string(options_.port) + ": " + ec.message());
    int port = acceptor_.local_endpoint().port();
    Accept();
    return port;
  }

  void Stop() {
    stopped_ = true;
    state_->stopped = true;
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      retry_.cancel();
    });
    // Handlers running now finish before the server's components go (a bounded wait: a
    // handler that never returns does not hold the shutdown for ever). Requests read
    // later are not handled; their connections close.
    for (int waited_ms = 0; state_->in_handler.load() > 0 && waited_ms < 10000; ++waited_ms) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

 private:
  void Accept() {
    acceptor_.async_accept(runtime_->Next(), [this](beast::error_code ec, tcp::socket socket) {
      if (stopped_ || !acceptor_.is_open()) return;
      if (ec) {
        // Out of file descriptors (EMFILE) and the like: accepting again at once would
        // fail again at once, spinning a core. Try again in 100 ms.
        if (uint64_t held; accept_errors_.Allow(&held)) {
          Logger("http")->warn(
              "accepting a connection failed: {} (and {} more since the last "
              "report); trying again in 100 ms",
              ec.message(), held);
        }
        retry_.expires_after(std::chrono::milliseconds(100));
        retry_.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec && !stopped_) Accept();
        });
        return;
      }
      beast::error_code peer_ec;
      const tcp::endpoint peer = socket.remote_endpoint(peer_ec);
      std::string ip = peer_ec ? std::string() : peer.address().to_string();
      const bool loopback = !peer_ec && IsLoopbackAddress(ip) && options_.loopback_peers_unlimited;
      ConnectionLimiter::Ticket admission = limiter_->Admit(ip);
      if (!admission) {
        if (uint64_t held; refused_.Allow(&held)) {
          Logger("http")->warn(
              "connection from {} closed at once: at most {} connections in all, {} from one "
              "address (and {} more since the last report)",
              ip, options_.max_connections, options_.max_connections_per_peer, held);
        }
        beast::error_code close_ec;
        socket.close(close_ec);
        return Accept();
      }
      if (options_.tls) {
        std::make_shared<Session<TlsStream>>(std::move(socket), &handler_, &options_, state_,
                                             std::move(ip), loopback, std::move(admission))
            ->Run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(std::move(socket), &handler_, &options_,
                                                     state_, std::move(ip), loopback,
                                                     std::move(admission))
            ->Run();
      }
      Accept();
    });
  }

  HttpServerOptions options_;
  Runtime* runtime_;
  HttpAsyncHandler handler_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_{acceptor_.get_executor()};
  LogThrottle accept_errors_{10000};
  LogThrottle refused_{10000};
  std::atomic<bool> stopped_{false};
  std::shared_ptr<ServerState> state_ = std::make_shared<ServerState>();
  std::shared_ptr<ConnectionLimiter> limiter_ =
      ConnectionLimiter::Create({options_.max_connections, options_.max_connections_per_peer,
                                 options_.loopback_peers_unlimited});
};

HttpServer::HttpServer(HttpServerOptions options, Runtime* runtime, HttpAsyncHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), runtime, std::move(handler))) {}

HttpServer::HttpServer(HttpServerOptions options, Runtime* runtime, HttpHandler handler)
    : HttpServer(std::move(options), runtime,
                 HttpAsyncHandler([handler = std::move(handler)](HttpRequest& req, HttpRespond respond) {
                   respond(handler(req));
                 })) {}

HttpServer::~HttpServer() = default;

Status HttpServer::Start() {
  TRY_ASSIGN(port_, impl_->Start());
  return Status::Ok();
}

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace tributary::net
