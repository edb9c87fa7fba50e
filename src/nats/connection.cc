#include "nats/connection.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <optional>

#include "base/completion_batch.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/start_thread.h"
#include "nats/credentials.h"
#include "nats/url.h"

namespace tributary::nats {

bool IsNoResponders(const Status& status) {
  return status.code() == ErrorCode::kUnavailable &&
         std::string_view(status.message()).substr(0, kNoRespondersPrefix.size()) ==
             kNoRespondersPrefix;
}

bool IsTimeout(const Status& status) {
  std::string_view m = status.message();
  return status.code() == ErrorCode::kUnavailable && m.substr(0, 13) == "NATS request " &&
         m.find(" timed out after ") != std::string_view::npos;
}

void Connection::PongWaiter::Finish(const Status& s) {
  std::lock_guard lock(mu);
  if (done) return;
  done = true;
  status = s;
  cv.notify_all();
}

Connection::Connection(ConnectOptions options, WakeFd wake)
    : options_(std::move(options)),
      wake_(std::move(wake)),
      log_(Logger("nats")),
      inbox_prefix_("_INBOX." + RandomHex(11) + ".") {
  inbox_sid_ = next_sid_++;
  pool_.push_back({{options_.host, options_.port}, false});
  for (const ServerAddress& more : options_.servers) {
    if (std::none_of(pool_.begin(), pool_.end(),
                     [&](const PoolServer& p) { return p.address == more; })) {
      pool_.push_back({more, false});
    }
  }
  current_ = pool_.front();
}

Result<std::unique_ptr<Connection>> Connection::Connect(ConnectOptions options) {
  if (options.host.empty()) return InvalidArgument("NATS host is empty");
  if (options.port == 0) return InvalidArgument("NATS port is 0");
  if (options.connect_timeout_ms <= 0)
    return InvalidArgument("NATS connect_timeout_ms must be positive");
  options.reconnect_wait_ms = std::max<int64_t>(options.reconnect_wait_ms, 10);
  options.ping_interval_ms = std::max<int64_t>(options.ping_interval_ms, 100);
  TRY_ASSIGN(WakeFd wake, WakeFd::Open());
  std::unique_ptr<Connection> c(new Connection(std::move(options), std::move(wake)));
  const ConnectOptions& o = c->options_;
  if (o.tls || !o.tls_ca_file.empty() || !o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    // Bad TLS files are found now, not at the first (re)connect to a TLS server.
    TRY_ASSIGN(c->tls_, TlsContext::Create(o));
  }
  // So are bad credential files (they are read again at each connect).
  TRY(LoadIdentity(o).status());
  // The servers the options name, in turn (not those the first INFO may add).
  const std::vector<PoolServer> seeds = c->pool_;
  std::vector<Status> failures;
  for (size_t i = 0; i < seeds.size() && !c->transport_; ++i) {
    Result<std::unique_ptr<Transport>> t =
        c->Dial(seeds[i], DeadlineAfterMs(o.connect_timeout_ms), {});
    if (t.ok()) {
      c->transport_ = std::move(*t);
    } else {
      failures.push_back(t.status());
    }
  }
  if (!c->transport_) {
    if (failures.size() == 1) return failures.front();
    std::string all;
    for (const Status& f : failures) all += (all.empty() ? "" : "; ") + f.message();
    return Status(failures.front().code(), "none of the " + std::to_string(failures.size()) +
                                               " NATS servers could be reached: " + all);
  }
  {
    std::lock_guard lock(c->mu_);
    c->connected_ = true;
    c->QueueSubscriptionsLocked();
  }
  Connection* p = c.get();
  TRY_ASSIGN(c->thread_, StartThread("nats", [p] { p->Run(); }));
  return c;
}

Connection::~Connection() {
  if (!thread_.joinable()) return;
  if (OnIoThread()) {
    std::fprintf(stderr,
                 "nats: a Connection was destroyed from one of its own callbacks; "
                 "its I/O thread cannot join itself\n");
    std::abort();
  }
  stop_ = true;
  wake_.Signal();
  thread_.join();
}

void Connection::ApplyInfo(const ServerInfo& info) {
  std::lock_guard lock(mu_);
  server_version_ = info.version;
  jetstream_ = info.jetstream;
  server_headers_ = info.headers;
  max_payload_ = info.max_payload;
  LearnServersLocked(info.connect_urls);
}

void Connection::LearnServersLocked(const std::vector<std::string>& connect_urls) {
  if (connect_urls.empty()) return;  // a lone server, or an INFO that says nothing of them
  constexpr size_t kMaxServers = 64;  // a bound on what servers may make us hold
  std::vector<ServerAddress> advertised;
  for (const std::string& url : connect_urls) {
    if (std::optional<ServerAddress> address = ParseHostPort(url)) advertised.push_back(*address);
  }
  auto advertises = [&](const ServerAddress& a) {
    return std::find(advertised.begin(), advertised.end(), a) != advertised.end();
  };
  auto pooled = [&](const ServerAddress& a) {
    return std::any_of(pool_.begin(), pool_.end(), [&](const PoolServer& p) { return p.address == a; });
  };
  // Learned servers the cluster no longer names have left it: trying them would only
  // slow a failover down (one connect timeout each, for a host that does not answer).
  std::erase_if(pool_, [&](const PoolServer& p) {
    bool gone = p.learned && !advertises(p.address) && !(p.address == current_.address);
    if (gone) {
      log_->info("NATS server {} forgotten: {} no longer names it",
                 HostPort(p.address.host, p.address.port), Where());
    }
    return gone;
  });
  for (ServerAddress& address : advertised) {
    if (pool_.size() >= kMaxServers || pooled(address)) continue;
    log_->info("NATS server {} learned from {}", HostPort(address.host, address.port), Where());
    pool_.push_back({std::move(address), true});
  }
}

std::string Connection::server() const {
  std::lock_guard lock(mu_);
  return Where();
}

std::vector<std::string> Connection::known_servers() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const PoolServer& p : pool_) out.push_back(HostPort(p.address.host, p.address.port));
  return out;
}

Status Connection::CheckMessage(std::string_view subject, std::string_view reply,
                                const Headers* headers, std::string* header_block) const {
  TRY(ValidateSubject(subject, false));
  if (!reply.empty()) TRY(ValidateSubject(reply, false).WithContext("reply subject"));
  if (headers != nullptr && !headers->empty()) {
    TRY_ASSIGN(*header_block, EncodeHeaderBlock(*headers));
  }
  return Status::Ok();
}

Status Connection::QueueLocked(std::string_view subject, std::string_view reply,
                               std::string_view header_block, std::string_view data, bool* wake) {
  size_t size = header_block.size() + data.size();
  if (size > max_payload_) {
    return InvalidArgument("NATS message to '" + std::string(subject) + "' is " +
                           std::to_string(size) +
                           " bytes (headers and data), over the server's max_payload of " +
                           std::to_string(max_payload_) + " bytes");
  }
  if (!connected_) return Unavailable("not connected to NATS at " + Where() + " (reconnecting)");
  if (!header_block.empty() && !server_headers_) {
    return FailedPrecondition("NATS server at " + Where() +
                              " does not support headers (it is older than 2.2)");
  }
  if (out_.size() + writing_bytes_ + size > kMaxQueuedBytes) {
    return ResourceExhausted("NATS connection to " + Where() +
                             " has 64 MiB queued for writing: the server is not keeping up");
  }
  *wake = out_.empty() && !OnIoThread();
  AppendPub(&out_, subject, reply, header_block, data);
  return Status::Ok();
}

Status Connection::Publish(std::string_view subject, std::string_view data, std::string_view reply,
                           const Headers* headers) {
  std::string block;
  TRY(CheckMessage(subject, reply, headers, &block));
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    TRY(QueueLocked(subject, reply, block, data, &wake));
  }
  if (wake) wake_.Signal();
  return Status::Ok();
}

Status Connection::PublishEncoded(std::string_view subject, std::string_view data,
                                  std::string_view header_block) {
  TRY(ValidateSubject(subject, false));
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    TRY(QueueLocked(subject, {}, header_block, data, &wake));
  }
  if (!wake) return Status::Ok();
  if (CompletionBatch::IsOpen()) {
    // One wake for the batch: the queue stays non-empty until the I/O thread runs, so
    // the batch's later messages ask for none.
    CompletionBatch::Post(
        const_cast<WakeFd*>(&wake_),
        [](void* fd, CompletionBatch::Task run) {
          static_cast<const WakeFd*>(fd)->Signal();
          run();
        },
        [] {});
  } else {
    wake_.Signal();
  }
  return Status::Ok();
}

Result<uint64_t> Connection::Subscribe(std::string subject, MessageFn fn, std::string queue_group) {
  TRY(ValidateSubject(subject, true));
  for (char c : queue_group) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return InvalidArgument("NATS queue group '" + queue_group +
                             "' holds a blank or control character");
    }
  }
  if (!fn) return InvalidArgument("NATS subscription to '" + subject + "' has no callback");
  bool wake = false;
  uint64_t sid;
  {
    std::lock_guard lock(mu_);
    sid = next_sid_++;
    if (connected_) {
      wake = out_.empty() && !OnIoThread();
      AppendSub(&out_, subject, queue_group, sid);
    }
    subs_[sid] = Subscription{std::move(subject), std::move(queue_group),
                              std::make_shared<MessageFn>(std::move(fn))};
  }
  if (wake) wake_.Signal();
  return sid;
}

void Connection::Unsubscribe(uint64_t sid) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (subs_.erase(sid) == 0) return;
    if (connected_) {
      wake = out_.empty() && !OnIoThread();
      AppendUnsub(&out_, sid);
    }
  }
  if (wake) wake_.Signal();
}

void Connection::QueueSubscriptionsLocked() {
  AppendSub(&out_, inbox_prefix_ + "*", "", inbox_sid_);
  for (const auto& [sid, sub] : subs_) AppendSub(&out_, sub.subject, sub.queue_group, sid);
}

void Connection::StartRequest(std::string_view subject, std::string_view data, int64_t timeout_ms,
                              const Headers* headers, ReplyFn reply, std::shared_ptr<ManyFn> many) {
  std::string block;
  Status st = CheckMessage(subject, {}, headers, &block);
  bool wake = false;
  if (st.ok()) {
    std::lock_guard lock(mu_);
    uint64_t token = next_token_++;
    uint64_t sid = 0;
    std::string inbox;
    size_t queued = out_.size();
    if (many) {
      sid = next_sid_++;
      inbox = inbox_prefix_ + "m." + std::to_string(token);
      if (connected_) AppendSub(&out_, inbox, "", sid);
    } else {
      inbox = inbox_prefix_ + std::to_string(token);
    }
    st = QueueLocked(subject, inbox, block, data, &wake);
    if (st.ok()) {
      wake = queued == 0 && !OnIoThread();
      Pending& p = pending_[token];
      p.subject = std::string(subject);
      p.timeout_ms = timeout_ms;
      p.deadline = deadlines_.emplace(DeadlineAfterMs(timeout_ms), token);
      p.reply = std::move(reply);
      p.many = std::move(many);
      p.sid = sid;
      if (sid != 0) many_sids_[sid] = token;
    } else {
      out_.resize(queued);  // the SUB, if any
    }
  }
  if (!st.ok()) {
    if (reply) reply(st);
    if (many) (*many)(st);
    return;
  }
  if (wake) wake_.Signal();
}

void Connection::ErasePendingLocked(std::unordered_map<uint64_t, Pending>::iterator it) {
  deadlines_.erase(it->second.deadline);
  if (it->second.sid != 0) {
    many_sids_.erase(it->second.sid);
    if (connected_) AppendUnsub(&out_, it->second.sid);
  }
  pending_.erase(it);
}

void Connection::Request(std::string_view subject, std::string_view data, int64_t timeout_ms,
                         ReplyFn done, const Headers* headers) {
  if (!done) return;
  StartRequest(subject, data, timeout_ms, headers, std::move(done), nullptr);
}

void Connection::RequestMany(std::string_view subject, std::string_view data, int64_t timeout_ms,
                             ManyFn on_message) {
  RequestMany(subject, data, timeout_ms, std::move(on_message), nullptr);
}

void Connection::RequestMany(std::string_view subject, std::string_view data, int64_t timeout_ms,
                             ManyFn on_message, const Headers* headers) {
  if (!on_message) return;
  StartRequest(subject, data, timeout_ms, headers, nullptr,
               std::make_shared<ManyFn>(std::move(on_message)));
}

Result<Message> Connection::RequestSync(std::string_view subject, std::string_view data,
                                        int64_t timeout_ms, const Headers* headers) {
  if (OnIoThread()) {
    return FailedPrecondition(
        "NATS RequestSync called on the connection's I/O thread (from a callback): use Request");
  }
  auto promise = std::make_shared<std::promise<Result<Message>>>();
  auto future = promise->get_future();
  Request(
      subject, data, timeout_ms, [promise](Result<Message> r) { promise->set_value(std::move(r)); },
      headers);
  return future.get();
}

Status Connection::Flush(int64_t timeout_ms) {
  if (OnIoThread()) {
    return FailedPrecondition("NATS Flush called on the connection's I/O thread (from a callback)");
  }
  auto waiter = std::make_shared<PongWaiter>();
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (!connected_) return Unavailable("not connected to NATS at " + Where() + " (reconnecting)");
    wake = out_.empty();
    out_ += "PING\r\n";
    pong_waiters_.push_back(waiter);
  }
  if (wake) wake_.Signal();
  std::unique_lock lock(waiter->mu);
  if (!waiter->cv.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 0)),
                           [&] { return waiter->done; })) {
    return Unavailable("NATS flush to " + server() + " timed out after " +
                       std::to_string(timeout_ms) + " ms");
  }
  return waiter->status;
}

bool Connection::connected() const {
  std::lock_guard lock(mu_);
  return connected_;
}

uint64_t Connection::reconnects() const {
  std::lock_guard lock(mu_);
  return reconnects_;
}

std::string Connection::server_version() const {
  std::lock_guard lock(mu_);
  return server_version_;
}

bool Connection::jetstream() const {
  std::lock_guard lock(mu_);
  return jetstream_;
}

size_t Connection::max_payload() const {
  std::lock_guard lock(mu_);
  return max_payload_;
}

}  // namespace tributary::nats
