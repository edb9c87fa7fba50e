// The I/O thread of a Connection: the handshake, the loop that writes, reads, dispatches
// and keeps time, and reconnecting. The public calls are in connection.cc.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <optional>

#include "base/thread_name.h"
#include "nats/connection.h"
#include "nats/credentials.h"

namespace tributary::nats {
namespace {

constexpr int kMaxPollMs = 100;            // timers are checked at least this often
constexpr size_t kReadChunk = 256u << 10;  // one recv() at most
constexpr int kMaxReadsPerTurn = 16;       // then write, so that replies go out
constexpr int64_t kMaxReconnectWaitMs = 5000;
constexpr int64_t kCloseFlushMs = 1000;  // the destructor's last writes

SteadyTime Now() { return std::chrono::steady_clock::now(); }

bool Contains(std::string_view text, std::string_view lower_needle) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find(lower_needle) != std::string::npos;
}

// An -ERR during the handshake: the server refuses this client.
Status HandshakeError(const std::string& where, const std::string& text) {
  std::string m = "NATS server at " + where + " refused the connection: " + text;
  if (Contains(text, "permissions violation")) return PermissionDenied(std::move(m));
  if (Contains(text, "authorization") || Contains(text, "authentication")) {
    return Unauthenticated(m + " (check the user/password, token or credentials file)");
  }
  return FailedPrecondition(std::move(m));
}

Status Closed() { return Status(ErrorCode::kCancelled, "NATS connection closed"); }

}  // namespace

Result<size_t> Connection::ReadSome(Transport& t, std::vector<ServerOp>* ops) {
  TRY_ASSIGN(IoProgress got, t.Read(parser_.Reserve(kReadChunk), kReadChunk));
  if (got.closed) {
    return Unavailable("the server closed the connection" +
                       (last_error_.empty() ? std::string() : " after -ERR '" + last_error_ + "'"));
  }
  read_want_ = got.want;
  if (got.bytes > 0) TRY(parser_.Commit(got.bytes, ops));
  return got.bytes;
}

Result<std::unique_ptr<Transport>> Connection::Handshake(Fd fd, SteadyTime deadline) {
  parser_.Reset();
  last_error_.clear();
  read_want_ = Want::kRead;
  Canceller cancel{&wake_, &stop_};
  auto fail = [&](const Status& st) {
    ErrorCode code = st.code();
    switch (code) {
      case ErrorCode::kCancelled:
        return st;
      case ErrorCode::kProtocolError:       // not a NATS server
      case ErrorCode::kFailedPrecondition:  // the server's certificate is not trusted
      case ErrorCode::kUnauthenticated:     // the server refused the client certificate
      case ErrorCode::kInvalidArgument:     // a TLS file cannot be used
        break;
      default:
        code = ErrorCode::kUnavailable;
    }
    return Status(code, "cannot connect to NATS at " + Where() + ": " + st.message());
  };
  std::vector<ServerOp> ops;
  // Waits until `t` has something to read (as its last Read said) and reads once.
  auto read = [&](Transport& t, const std::string& what) -> Result<size_t> {
    if (!t.HasBufferedInput()) {
      TRY(WaitReady(t.fd(), PollEvents(read_want_), deadline, cancel, what));
    }
    return ReadSome(t, &ops);
  };

  // INFO comes in plain text, TLS or not.
  auto plain = std::make_unique<PlainTransport>(std::move(fd));
  while (ops.empty()) {
    Result<size_t> got = read(*plain, "waiting for INFO");
    if (!got.ok()) return fail(got.status());
  }
  if (ops.front().kind != OpKind::kInfo) {
    return ProtocolError("cannot connect to NATS at " + Where() +
                         ": it did not begin with INFO (is it a NATS server?)");
  }
  Result<ServerInfo> info = ParseServerInfo(ops.front().text);
  if (!info.ok()) return fail(info.status());
  if (options_.tls && !info->tls_required && !info->tls_available) {
    return FailedPrecondition("the NATS server at " + Where() +
                              " does not offer TLS (its INFO has neither tls_required nor "
                              "tls_available): connect with nats://, or give the server a "
                              "certificate");
  }
  ApplyInfo(*info);
  ops.erase(ops.begin());

  std::unique_ptr<Transport> t;
  if (info->tls_required || options_.tls) {
    Result<std::unique_ptr<Transport>> secured = UpgradeToTls(plain->TakeFd(), deadline, cancel);
    if (!secured.ok()) return fail(secured.status());
    t = std::move(*secured);
    read_want_ = Want::kRead;
  } else {
    t = std::move(plain);
  }

  // Read at each connect: credentials renewed on disk take effect at the next one.
  Result<std::optional<UserCredentials>> identity = LoadIdentity(options_);
  if (!identity.ok()) return fail(identity.status());
  std::optional<SignedNonce> signed_nonce;
  if (*identity) signed_nonce = SignNonce(**identity, info->nonce);
  std::string hello =
      EncodeConnect(options_, signed_nonce ? &*signed_nonce : nullptr) + "PING\r\n";
  size_t off = 0;
  while (off < hello.size()) {
    Result<IoProgress> put = t->Write(hello.data() + off, hello.size() - off);
    if (!put.ok()) {
      return fail(Status(put.status().code(), "sending CONNECT: " + put.status().message()));
    }
    off += put->bytes;
    if (off < hello.size()) {
      Status ready = WaitReady(t->fd(), PollEvents(put->want), deadline, cancel, "sending CONNECT");
      if (!ready.ok()) return fail(ready);
    }
  }

  while (true) {
    for (size_t k = 0; k < ops.size(); ++k) {
      const ServerOp& op = ops[k];
      if (op.kind == OpKind::kErr) return HandshakeError(Where(), op.text);
      if (op.kind == OpKind::kPong) {
        // What came in the same read after it (an INFO as the cluster grows, a PING) is
        // the served connection's.
        after_handshake_.assign(std::make_move_iterator(ops.begin() + k + 1),
                                std::make_move_iterator(ops.end()));
        return t;
      }
      if (op.kind == OpKind::kInfo) {
        if (auto update = ParseServerInfo(op.text); update.ok()) ApplyInfo(*update);
      }
    }
    ops.clear();
    Result<size_t> got = read(*t, "waiting for the PONG to CONNECT");
    if (!got.ok()) {
      // The server may have closed right after an -ERR that arrived with this read.
      for (ServerOp& op : ops) {
        if (op.kind == OpKind::kErr) return HandshakeError(Where(), op.text);
      }
      return fail(got.status());
    }
  }
}

Result<std::unique_ptr<Transport>> Connection::UpgradeToTls(Fd fd, SteadyTime deadline,
                                                            Canceller cancel) {
  if (!tls_) {  // a nats:// URL, and the server requires TLS
    TRY_ASSIGN(tls_, TlsContext::Create(options_));
  }
  // A learned server shares the cluster's certificate: checked for the first host's name.
  const std::string name = !options_.tls_server_name.empty() ? options_.tls_server_name
                           : current_.learned               ? options_.host
                                                            : current_.address.host;
  return StartTls(std::move(fd), tls_, name, deadline, cancel);
}

void Connection::Run() {
  io_thread_id_ = std::this_thread::get_id();
  SetThreadName("nats-io");
  while (true) {
    Status why = Serve();
    transport_.reset();
    parser_.Reset();
    {
      std::lock_guard lock(mu_);
      connected_ = false;
      out_.clear();
      writing_bytes_ = 0;
    }
    if (stop_ || why.code() == ErrorCode::kCancelled) break;
    Status lost = Unavailable("connection to NATS " + Where() + " lost: " + why.message());
    log_->warn("{}; reconnecting", lost.message());
    FailAll(lost);
    if (!Reconnect()) break;
  }
  FailAll(Unavailable("NATS connection closed"));
}

Result<std::unique_ptr<Transport>> Connection::Dial(const PoolServer& server,
                                                    SteadyTime deadline, Canceller cancel) {
  {
    std::lock_guard lock(mu_);
    current_ = server;
  }
  TRY_ASSIGN(Fd fd, DialTcp(current_.address.host, current_.address.port, deadline, cancel));
  return Handshake(std::move(fd), deadline);
}

bool Connection::Reconnect() {
  int64_t wait = options_.reconnect_wait_ms;
  Canceller cancel{&wake_, &stop_};
  while (!stop_) {
    SteadyTime until = DeadlineAfterMs(wait);
    while (!stop_ && Now() < until) {
      pollfd p{wake_.get(), POLLIN, 0};
      if (::poll(&p, 1, PollTimeoutMs(until, 1000)) > 0) wake_.Drain();
    }
    if (stop_) return false;
    // A pass over the pool as it is now (a handshake's INFO may change it), the other
    // servers first, in order after the lost one, which comes last.
    std::vector<PoolServer> pass;
    {
      std::lock_guard lock(mu_);
      size_t lost = 0;
      while (lost < pool_.size() && !(pool_[lost].address == current_.address)) ++lost;
      for (size_t k = 1; k <= pool_.size(); ++k) pass.push_back(pool_[(lost + k) % pool_.size()]);
    }
    const size_t n = pass.size();
    for (size_t k = 1; k <= n; ++k) {
      Result<std::unique_ptr<Transport>> t =
          Dial(pass[k - 1], DeadlineAfterMs(options_.connect_timeout_ms), cancel);
      if (t.ok()) {
        transport_ = std::move(*t);
        {
          std::lock_guard lock(mu_);
          connected_ = true;
          ++reconnects_;
          out_.clear();
          QueueSubscriptionsLocked();
        }
        log_->info("reconnected to NATS at {}", Where());
        return true;
      }
      if (t.status().code() == ErrorCode::kCancelled || stop_) return false;
      if (n > 1) log_->warn("reconnecting to NATS at {} failed: {}", Where(), t.status().message());
      if (k == n) {
        wait = std::min(wait * 2, std::max(kMaxReconnectWaitMs, options_.reconnect_wait_ms));
        if (n == 1) {
          log_->warn("reconnecting to NATS at {} failed: {}; next attempt in {} ms", Where(),
                     t.status().message(), wait);
        } else {
          log_->warn("none of the {} NATS servers known took the connection; next attempt in {} ms",
                     n, wait);
        }
      }
    }
  }
  return false;
}

Status Connection::Serve() {
  std::string wbuf;
  size_t woff = 0;
  std::vector<ServerOp> ops;
  pings_outstanding_ = 0;
  SteadyTime next_ping = DeadlineAfterMs(options_.ping_interval_ms);
  std::optional<SteadyTime> close_by;
  Want write_want = Want::kWrite;  // what a Write that stopped short needs
  if (!after_handshake_.empty()) {
    ops.swap(after_handshake_);
    after_handshake_.clear();
    TRY(Dispatch(ops));
    ops.clear();
  }
  while (true) {
    // Write what is queued for as long as the socket takes it: few, large writes. A
    // Write that stops short found the socket full (or TLS needing to read first).
    while (true) {
      if (woff == wbuf.size()) {
        wbuf.clear();
        woff = 0;
        std::lock_guard lock(mu_);
        wbuf.swap(out_);
        writing_bytes_ = wbuf.size();
      }
      if (wbuf.empty()) break;
      TRY_ASSIGN(IoProgress put, transport_->Write(wbuf.data() + woff, wbuf.size() - woff));
      if (put.bytes > 0) {
        woff += put.bytes;
        std::lock_guard lock(mu_);
        writing_bytes_ = wbuf.size() - woff;
      }
      if (woff < wbuf.size()) {
        write_want = put.want;
        break;
      }
    }
    bool writing = woff < wbuf.size();
    if (stop_) {
      if (!close_by) close_by = DeadlineAfterMs(kCloseFlushMs);
      if (!writing || Now() >= *close_by) return Closed();
    }

    SteadyTime wake_at = NextDeadline(std::min(next_ping, DeadlineAfterMs(kMaxPollMs)));
    if (close_by) wake_at = std::min(wake_at, *close_by);
    short read_events = PollEvents(read_want_);
    short events = static_cast<short>(read_events | (writing ? PollEvents(write_want) : 0));
    bool buffered = transport_->HasBufferedInput();  // read without waiting
    pollfd fds[2] = {{transport_->fd(), events, 0}, {wake_.get(), POLLIN, 0}};
    int ready = ::poll(fds, 2, buffered ? 0 : PollTimeoutMs(wake_at, kMaxPollMs));
    if (ready < 0 && errno != EINTR) return Unavailable("poll: " + ErrnoText(errno));
    if (ready > 0 && (fds[1].revents & POLLIN)) wake_.Drain();
    if (buffered || (ready > 0 && (fds[0].revents & (read_events | POLLHUP | POLLERR)))) {
      for (int i = 0; i < kMaxReadsPerTurn; ++i) {
        Result<size_t> got = ReadSome(*transport_, &ops);
        if (!ops.empty()) {
          TRY(Dispatch(ops));
          ops.clear();
        }
        if (!got.ok()) return got.status();
        if (*got < kReadChunk) break;
      }
    }

    SteadyTime now = Now();
    ExpireRequests(now);
    if (now >= next_ping) {
      if (pings_outstanding_ >= 2) {
        return Unavailable("no PONG to the last 2 PINGs (sent " +
                           std::to_string(options_.ping_interval_ms) + " ms apart)");
      }
      std::lock_guard lock(mu_);
      out_ += "PING\r\n";
      pong_waiters_.push_back(nullptr);
      ++pings_outstanding_;
      next_ping = now + std::chrono::milliseconds(options_.ping_interval_ms);
    }
  }
}

Status Connection::Dispatch(std::vector<ServerOp>& ops) {
  for (ServerOp& op : ops) {
    switch (op.kind) {
      case OpKind::kMsg: {
        if (op.sid == inbox_sid_) {
          DispatchReply(op.msg);
          break;
        }
        std::shared_ptr<MessageFn> fn;
        std::optional<uint64_t> many_token;
        {
          std::lock_guard lock(mu_);
          if (auto m = many_sids_.find(op.sid); m != many_sids_.end()) {
            many_token = m->second;
          } else if (auto it = subs_.find(op.sid); it != subs_.end()) {
            fn = it->second.fn;
          }
        }
        if (many_token) {
          DispatchMany(*many_token, op.msg);
          break;
        }
        if (!fn) break;  // unsubscribed meanwhile
        try {
          (*fn)(op.msg);
        } catch (const std::exception& e) {
          log_->error("NATS subscription callback for '{}' threw: {}", op.msg.subject, e.what());
        }
        break;
      }
      case OpKind::kPing: {
        std::lock_guard lock(mu_);
        out_ += "PONG\r\n";
        break;
      }
      case OpKind::kPong: {
        pings_outstanding_ = 0;
        std::shared_ptr<PongWaiter> waiter;
        {
          std::lock_guard lock(mu_);
          if (!pong_waiters_.empty()) {
            waiter = std::move(pong_waiters_.front());
            pong_waiters_.pop_front();
          }
        }
        if (waiter) waiter->Finish(Status::Ok());
        break;
      }
      case OpKind::kOk:
        break;
      case OpKind::kErr:
        last_error_ = op.text;
        log_->warn("NATS server at {} says: -ERR '{}'", Where(), op.text);
        break;
      case OpKind::kInfo: {
        Result<ServerInfo> info = ParseServerInfo(op.text);
        if (info.ok()) ApplyInfo(*info);
        break;
      }
    }
  }
  return Status::Ok();
}

void Connection::DispatchReply(Message& msg) {
  std::string_view subject = msg.subject;
  if (subject.substr(0, inbox_prefix_.size()) != inbox_prefix_) return;
  std::string_view rest = subject.substr(inbox_prefix_.size());
  uint64_t token = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), token);
  if (ec != std::errc() || end != rest.data() + rest.size()) return;

  ReplyFn reply;
  std::string request_subject;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(token);
    if (it == pending_.end() || !it->second.reply) return;  // late: timed out already
    reply = std::move(it->second.reply);
    request_subject = std::move(it->second.subject);
    ErasePendingLocked(it);
  }
  try {
    if (msg.status == 503) {
      reply(Unavailable(std::string(kNoRespondersPrefix) + request_subject));
    } else {
      reply(std::move(msg));
    }
  } catch (const std::exception& e) {
    log_->error("NATS request callback threw: {}", e.what());
  }
}

void Connection::DispatchMany(uint64_t token, Message& msg) {
  std::shared_ptr<ManyFn> many;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(token);
    if (it == pending_.end()) return;
    many = it->second.many;
  }
  bool more = false;
  try {
    more = (*many)(std::move(msg));
  } catch (const std::exception& e) {
    log_->error("NATS request callback threw: {}", e.what());
  }
  if (more) return;
  std::lock_guard lock(mu_);
  if (auto it = pending_.find(token); it != pending_.end()) ErasePendingLocked(it);
}

void Connection::ExpireRequests(SteadyTime now) {
  std::vector<Pending> expired;
  {
    std::lock_guard lock(mu_);
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      auto it = pending_.find(deadlines_.begin()->second);
      if (it == pending_.end()) {  // cannot happen: both are erased together
        deadlines_.erase(deadlines_.begin());
        continue;
      }
      expired.push_back(std::move(it->second));
      ErasePendingLocked(it);
    }
  }
  for (Pending& p : expired) {
    Status st = Unavailable("NATS request to " + p.subject + " timed out after " +
                            std::to_string(p.timeout_ms) + " ms");
    try {
      if (p.reply) p.reply(st);
      if (p.many) (*p.many)(st);
    } catch (const std::exception& e) {
      log_->error("NATS request callback threw: {}", e.what());
    }
  }
}

SteadyTime Connection::NextDeadline(SteadyTime cap) {
  std::lock_guard lock(mu_);
  if (deadlines_.empty()) return cap;
  return std::min(cap, deadlines_.begin()->first);
}

void Connection::FailAll(const Status& why) {
  std::unordered_map<uint64_t, Pending> pending;
  std::deque<std::shared_ptr<PongWaiter>> waiters;
  {
    std::lock_guard lock(mu_);
    pending.swap(pending_);
    deadlines_.clear();
    many_sids_.clear();
    waiters.swap(pong_waiters_);
  }
  // In the order the requests were made.
  std::vector<std::pair<uint64_t, Pending*>> ordered;
  for (auto& [token, p] : pending) ordered.emplace_back(token, &p);
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [token, p] : ordered) {
    try {
      if (p->reply) p->reply(why);
      if (p->many) (*p->many)(why);
    } catch (const std::exception& e) {
      log_->error("NATS request callback threw: {}", e.what());
    }
  }
  for (auto& w : waiters) {
    if (w) w->Finish(why);
  }
}

}  // namespace tributary::nats
