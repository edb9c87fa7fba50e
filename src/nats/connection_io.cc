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
    return Unauthenticated(m + " (check the user/password or token)");
  }
  return FailedPrecondition(std::move(m));
}

Status Closed() { return Status(ErrorCode::kCancelled, "NATS connection closed"); }

}  // namespace

Result<size_t> Connection::ReadSome(const Fd& fd, std::vector<ServerOp>* ops) {
  ssize_t n = ::recv(fd.get(), parser_.Reserve(kReadChunk), kReadChunk, 0);
  if (n > 0) {
    TRY(parser_.Commit(static_cast<size_t>(n), ops));
    return static_cast<size_t>(n);
  }
  if (n == 0) {
    return Unavailable("the server closed the connection" +
                       (last_error_.empty() ? std::string() : " after -ERR '" + last_error_ + "'"));
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return size_t{0};
  return Unavailable("read: " + ErrnoText(errno));
}

Status Connection::Handshake(const Fd& fd, SteadyTime deadline) {
  parser_.Reset();
  last_error_.clear();
  Canceller cancel{&wake_, &stop_};
  auto fail = [&](const Status& st) {
    if (st.code() == ErrorCode::kCancelled) return st;
    return Status(st.code() == ErrorCode::kProtocolError ? st.code() : ErrorCode::kUnavailable,
                  "cannot connect to NATS at " + where_ + ": " + st.message());
  };
  std::vector<ServerOp> ops;
  while (ops.empty()) {
    Status ready = WaitReady(fd.get(), POLLIN, deadline, cancel, "waiting for INFO");
    if (!ready.ok()) return fail(ready);
    Result<size_t> got = ReadSome(fd, &ops);
    if (!got.ok()) return fail(got.status());
  }
  if (ops.front().kind != OpKind::kInfo) {
    return ProtocolError("cannot connect to NATS at " + where_ +
                         ": it did not begin with INFO (is it a NATS server?)");
  }
  Result<ServerInfo> info = ParseServerInfo(ops.front().text);
  if (!info.ok()) return fail(info.status());
  if (info->tls_required) {
    return FailedPrecondition("NATS server at " + where_ +
                              " requires TLS, which this client does not speak");
  }
  ApplyInfo(*info);
  ops.erase(ops.begin());

  std::string hello = EncodeConnect(options_) + "PING\r\n";
  size_t off = 0;
  while (off < hello.size()) {
    ssize_t n = ::send(fd.get(), hello.data() + off, hello.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      Status ready = WaitReady(fd.get(), POLLOUT, deadline, cancel, "sending CONNECT");
      if (!ready.ok()) return fail(ready);
    } else {
      return fail(Unavailable("sending CONNECT: " + ErrnoText(errno)));
    }
  }

  while (true) {
    for (ServerOp& op : ops) {
      if (op.kind == OpKind::kErr) return HandshakeError(where_, op.text);
      if (op.kind == OpKind::kPong) return Status::Ok();
      if (op.kind == OpKind::kInfo) {
        if (auto update = ParseServerInfo(op.text); update.ok()) ApplyInfo(*update);
      }
    }
    ops.clear();
    Status ready = WaitReady(fd.get(), POLLIN, deadline, cancel, "waiting for the PONG to CONNECT");
    if (!ready.ok()) return fail(ready);
    Result<size_t> got = ReadSome(fd, &ops);
    if (!got.ok()) {
      // The server may have closed right after an -ERR that arrived with this read.
      for (ServerOp& op : ops) {
        if (op.kind == OpKind::kErr) return HandshakeError(where_, op.text);
      }
      return fail(got.status());
    }
  }
}

void Connection::Run() {
  io_thread_id_ = std::this_thread::get_id();
  SetThreadName("nats-io");
  while (true) {
    Status why = Serve();
    sock_.Reset();
    parser_.Reset();
    {
      std::lock_guard lock(mu_);
      connected_ = false;
      out_.clear();
      writing_bytes_ = 0;
    }
    if (stop_ || why.code() == ErrorCode::kCancelled) break;
    Status lost = Unavailable("connection to NATS " + where_ + " lost: " + why.message());
    log_->warn("{}; reconnecting", lost.message());
    FailAll(lost);
    if (!Reconnect()) break;
  }
  FailAll(Unavailable("NATS connection closed"));
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
    SteadyTime deadline = DeadlineAfterMs(options_.connect_timeout_ms);
    Result<Fd> fd = DialTcp(options_.host, options_.port, deadline, cancel);
    Status st = fd.ok() ? Handshake(*fd, deadline) : fd.status();
    if (st.ok()) {
      sock_ = std::move(*fd);
      {
        std::lock_guard lock(mu_);
        connected_ = true;
        ++reconnects_;
        out_.clear();
        QueueSubscriptionsLocked();
      }
      log_->info("reconnected to NATS at {}", where_);
      return true;
    }
    if (st.code() == ErrorCode::kCancelled) return false;
    wait = std::min(wait * 2, std::max(kMaxReconnectWaitMs, options_.reconnect_wait_ms));
    log_->warn("reconnecting to NATS at {} failed: {}; next attempt in {} ms", where_, st.message(),
               wait);
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
  while (true) {
    // Write what is queued for as long as the socket takes it: few, large writes.
    while (true) {
      if (woff == wbuf.size()) {
        wbuf.clear();
        woff = 0;
        std::lock_guard lock(mu_);
        wbuf.swap(out_);
        writing_bytes_ = wbuf.size();
      }
      if (wbuf.empty()) break;
      ssize_t n = ::send(sock_.get(), wbuf.data() + woff, wbuf.size() - woff, MSG_NOSIGNAL);
      if (n > 0) {
        woff += static_cast<size_t>(n);
        std::lock_guard lock(mu_);
        writing_bytes_ = wbuf.size() - woff;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      } else {
        return Unavailable("write: " + ErrnoText(errno));
      }
    }
    bool writing = woff < wbuf.size();
    if (stop_) {
      if (!close_by) close_by = DeadlineAfterMs(kCloseFlushMs);
      if (!writing || Now() >= *close_by) return Closed();
    }

    SteadyTime wake_at = NextDeadline(std::min(next_ping, DeadlineAfterMs(kMaxPollMs)));
    if (close_by) wake_at = std::min(wake_at, *close_by);
    pollfd fds[2] = {{sock_.get(), static_cast<short>(POLLIN | (writing ? POLLOUT : 0)), 0},
                     {wake_.get(), POLLIN, 0}};
    int ready = ::poll(fds, 2, PollTimeoutMs(wake_at, kMaxPollMs));
    if (ready < 0 && errno != EINTR) return Unavailable("poll: " + ErrnoText(errno));
    if (ready > 0 && (fds[1].revents & POLLIN)) wake_.Drain();
    if (ready > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      for (int i = 0; i < kMaxReadsPerTurn; ++i) {
        Result<size_t> got = ReadSome(sock_, &ops);
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
        log_->warn("NATS server at {} says: -ERR '{}'", where_, op.text);
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
