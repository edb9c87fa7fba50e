// A NATS client connection: publish, subscribe, request/reply (one reply or many), over
// one TCP connection (TLS when the server or the options ask for it) that reconnects by
// itself. The NATS core protocol only; JetStream is built on top of it in jetstream.h.
//
//   TRY_ASSIGN(auto nc, Connection::Connect(options));
//   TRY_ASSIGN(uint64_t sid, nc->Subscribe("telemetry.>", [](Message& m) { ... }));
//   TRY(nc->Publish("telemetry.dev-1", payload));
//   TRY_ASSIGN(Message reply, nc->RequestSync("svc.echo", "hi", 1000));
//
// Threads: each connection has one I/O thread ("nats-io") that owns the socket: it
// writes what Publish queued, parses what the server sends, answers PINGs, sends its
// own, times requests out and reconnects. Every public method is thread-safe and none
// waits on the network except Connect, RequestSync and Flush. Callbacks (subscription
// handlers, request completions) run on the I/O thread, one at a time and never under
// the connection's lock: they may Publish, Subscribe, Unsubscribe and Request, but must
// not block for long (reading stops meanwhile and the server may drop a slow consumer)
// and must not call RequestSync, Flush or destroy the connection.
//
// Lost connection: pending requests fail with Unavailable("connection to NATS <host:port>
// lost: <why>"), whatever was queued but not written is dropped, and the I/O thread
// reconnects with backoff (reconnect_wait_ms doubling up to 5 s), re-sending CONNECT and
// every subscription. Publish and Request fail with Unavailable meanwhile. A reconnect
// runs the whole handshake again, TLS included.
//
// Clusters: the client knows a pool of servers, the options' host:port and `servers`
// first, then those each INFO's connect_urls names (the cluster's other servers, learned
// at every connect and whenever the cluster changes; forgotten when it no longer names
// them). Connect tries them in that order;
// a reconnect tries the others before the one that was lost, a pass over the pool per
// backoff step. TLS to a learned server checks the certificate for the first server's
// host name (or tls_server_name), as the cluster's servers share it.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "nats/connect_options.h"
#include "nats/message.h"
#include "nats/protocol.h"
#include "nats/socket.h"
#include "nats/transport.h"

namespace tributary::nats {

// How a Request's failure reads, for callers that must tell the cases apart (the
// JetStream helper does): a 503 status reply and a timeout, both Unavailable.
inline constexpr std::string_view kNoRespondersPrefix = "no responders on ";
bool IsNoResponders(const Status& status);  // Unavailable("no responders on <subject>")
bool IsTimeout(const Status& status);  // Unavailable("NATS request to <subject> timed out ...")

class Connection {
 public:
  // Outgoing bytes queued and not yet written (to the socket) past which Publish says
  // ResourceExhausted.
  static constexpr size_t kMaxQueuedBytes = 64u << 20;

  // Connects (TCP, reads INFO, runs the TLS handshake when INFO says tls_required or
  // options.tls is set, sends CONNECT {"verbose":false,"pedantic":false,"headers":true,
  // "no_responders":true,"protocol":1,"name":...,"lang":"cpp","version":"tributary",
  // user/pass or auth_token}, then PING and waits for its PONG so that an auth error
  // comes back here) within connect_timeout_ms, then starts the I/O thread. Errors name
  // host:port: Unavailable if the server cannot be reached (or the TLS handshake times
  // out or breaks); Unauthenticated (PermissionDenied for a permissions error) with the
  // server's -ERR text if it refuses the credentials, or with OpenSSL's reason if it
  // refuses the client certificate; FailedPrecondition if options.tls is set and the
  // server does not offer TLS, or if the server's certificate fails verification
  // ("certificate verify failed: <reason>"); InvalidArgument if a TLS file cannot be used.
  static Result<std::unique_ptr<Connection>> Connect(ConnectOptions options);
  // Stops the thread (after up to 1 s spent writing what is still queued); outstanding
  // requests get Unavailable("NATS connection closed").
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Queues PUB, or HPUB when `headers` has entries; never waits on the network.
  // InvalidArgument for a bad subject or reply (empty, blanks, wildcards) or bad header,
  // or headers + data over the server's max_payload; Unavailable while disconnected;
  // ResourceExhausted while kMaxQueuedBytes are waiting to be written.
  Status Publish(std::string_view subject, std::string_view data, std::string_view reply = {},
                 const Headers* headers = nullptr);

  // Publish for a caller that sends the same headers over and over (the broker's bridge):
  // `header_block` is already encoded (EncodeHeaderBlock's bytes, or empty) and is not
  // checked again. Inside a CompletionBatch (base/completion_batch.h) the I/O thread is
  // woken once, when the batch closes, instead of for each message; so do not call it
  // inside a batch that then waits on this connection (RequestSync, Flush).
  Status PublishEncoded(std::string_view subject, std::string_view data,
                        std::string_view header_block);

  using MessageFn = std::function<void(Message&)>;
  // Calls `fn` on the I/O thread for each message on `subject` (wildcards allowed), or
  // for its share when `queue_group` is given. Survives reconnects (re-SUB'd); may be
  // called while disconnected. Returns the subscription id for Unsubscribe.
  Result<uint64_t> Subscribe(std::string subject, MessageFn fn, std::string queue_group = {});
  // No more calls once this returns when called on the I/O thread (from a callback);
  // from another thread, a call already under way may still finish.
  void Unsubscribe(uint64_t sid);

  // One reply (the first message on a unique inbox), or Unavailable on timeout or lost
  // connection; a 503 status reply (no responders) gives Unavailable("no responders on
  // <subject>"). `done` runs exactly once, on the I/O thread (or on the caller's thread
  // if the request fails before it is sent: bad subject, too large, disconnected).
  using ReplyFn = std::function<void(Result<Message>)>;
  void Request(std::string_view subject, std::string_view data, int64_t timeout_ms, ReplyFn done,
               const Headers* headers = nullptr);

  // Many replies on one inbox (JetStream's pull fetch). `on_message` gets each reply,
  // status replies (404, 408, 503 ...) included as they are, and returns false to end;
  // at the timeout it gets Unavailable("NATS request to <subject> timed out after N ms"),
  // on a lost connection the Unavailable above, and that ends it too. After returning
  // false or receiving an error it is never called again. Runs where Request's does.
  using ManyFn = std::function<bool(Result<Message>)>;
  void RequestMany(std::string_view subject, std::string_view data, int64_t timeout_ms,
                   ManyFn on_message);
  // The same with a header block on the request (JetStream publishes with headers).
  void RequestMany(std::string_view subject, std::string_view data, int64_t timeout_ms,
                   ManyFn on_message, const Headers* headers);

  // Request, waiting for the result. FailedPrecondition on the I/O thread.
  Result<Message> RequestSync(std::string_view subject, std::string_view data, int64_t timeout_ms,
                              const Headers* headers = nullptr);

  // PING and wait for its PONG: what was published before has reached the server.
  // Unavailable on timeout or lost connection; FailedPrecondition on the I/O thread.
  Status Flush(int64_t timeout_ms);

  bool connected() const;
  uint64_t reconnects() const;
  // host:port of the server connected to (or being tried), and of every server known.
  std::string server() const;
  std::vector<std::string> known_servers() const;
  std::string server_version() const;  // from INFO
  bool jetstream() const;              // INFO's "jetstream"
  size_t max_payload() const;          // INFO's "max_payload"
  const ConnectOptions& options() const { return options_; }

 private:
  struct Subscription {
    std::string subject, queue_group;
    std::shared_ptr<MessageFn> fn;
  };
  // A request waiting for its reply (or replies). Request's replies come to the shared
  // wildcard inbox and are told apart by the inbox's last token; RequestMany has an inbox
  // and a subscription of its own, because JetStream delivers pulled messages under their
  // own subjects ("MSG orders.new <sid> $JS.ACK..."), so only the sid says where they go.
  struct Pending {
    std::string subject;
    int64_t timeout_ms = 0;
    std::multimap<SteadyTime, uint64_t>::iterator deadline;
    ReplyFn reply;                 // Request
    std::shared_ptr<ManyFn> many;  // RequestMany
    uint64_t sid = 0;              // RequestMany's subscription
  };
  // A Flush waiting for the PONG to its PING.
  struct PongWaiter {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Status status;
    void Finish(const Status& s);
  };

  Connection(ConnectOptions options, WakeFd wake);

  // Reads INFO, upgrades to TLS if called for, sends CONNECT and PING, reads until the
  // PONG (or an -ERR). The transport to serve the connection on.
  Result<std::unique_ptr<Transport>> Handshake(Fd fd, SteadyTime deadline);
  // Runs the TLS handshake on `fd` (making tls_ when first needed).
  Result<std::unique_ptr<Transport>> UpgradeToTls(Fd fd, SteadyTime deadline, Canceller cancel);
  // One Read into the parser: bytes read (0 if none were ready; read_want_ says what to
  // poll for), or why the connection is lost.
  Result<size_t> ReadSome(Transport& t, std::vector<ServerOp>* ops);
  void ApplyInfo(const ServerInfo& info);
  // Queues one message; the caller holds mu_. Sets *wake when the thread must be woken.
  Status QueueLocked(std::string_view subject, std::string_view reply,
                     std::string_view header_block, std::string_view data, bool* wake);
  // Subject, reply and headers (encoded into *header_block); the size is checked later.
  Status CheckMessage(std::string_view subject, std::string_view reply, const Headers* headers,
                      std::string* header_block) const;
  void StartRequest(std::string_view subject, std::string_view data, int64_t timeout_ms,
                    const Headers* headers, ReplyFn reply, std::shared_ptr<ManyFn> many);
  void QueueSubscriptionsLocked();
  bool OnIoThread() const { return std::this_thread::get_id() == io_thread_id_.load(); }

  // The I/O thread.
  void Run();
  Status Serve();  // until the connection is lost (the reason) or stop (Cancelled)
  Status Dispatch(std::vector<ServerOp>& ops);
  void DispatchReply(Message& msg);
  void DispatchMany(uint64_t token, Message& msg);
  // Forgets a pending request (and unsubscribes RequestMany's inbox); mu_ held.
  void ErasePendingLocked(std::unordered_map<uint64_t, Pending>::iterator it);
  void ExpireRequests(SteadyTime now);
  SteadyTime NextDeadline(SteadyTime cap);
  void FailAll(const Status& why);  // pending requests and flushes
  bool Reconnect();                 // false when stopped first
  struct PoolServer {
    ServerAddress address;
    bool learned = false;  // from connect_urls, not the options
  };
  // Dials `server` and runs the handshake (it becomes current_).
  Result<std::unique_ptr<Transport>> Dial(const PoolServer& server, SteadyTime deadline,
                                          Canceller cancel);
  // Adds the servers of INFO's connect_urls that the pool does not hold yet, and forgets
  // learned ones a non-empty list no longer names (they left the cluster).
  void LearnServersLocked(const std::vector<std::string>& connect_urls);

  const ConnectOptions options_;
  const WakeFd wake_;
  const std::shared_ptr<spdlog::logger> log_;
  std::string inbox_prefix_;  // "_INBOX.<22 random>.": prefix + token, prefix + "m." + token
  std::atomic<bool> stop_{false};
  std::atomic<std::thread::id> io_thread_id_;
  std::thread thread_;

  // Owned by the I/O thread (and by Connect before it starts).
  std::unique_ptr<Transport> transport_;
  Want read_want_ = Want::kRead;           // what the last Read needs before the next
  std::shared_ptr<const TlsContext> tls_;  // made by Connect or the first TLS handshake
  Parser parser_;
  std::string last_error_;  // the server's last -ERR, for the lost-connection reason
  std::vector<ServerOp> after_handshake_;  // read with the handshake's PONG, for Serve
  int pings_outstanding_ = 0;

  mutable std::mutex mu_;
  // Written by the I/O thread (and by Connect before it starts) under mu_; that thread
  // reads them without.
  std::vector<PoolServer> pool_;
  PoolServer current_;  // the server of the connection, or of the last attempt
  // current_'s host:port, for messages (mu_ held, or on the I/O thread).
  std::string Where() const { return HostPort(current_.address.host, current_.address.port); }
  bool connected_ = false;
  uint64_t reconnects_ = 0;
  std::string server_version_;
  bool jetstream_ = false, server_headers_ = true;
  size_t max_payload_ = 1u << 20;
  std::string out_;           // queued for the I/O thread to write
  size_t writing_bytes_ = 0;  // taken from out_ by the I/O thread, not written yet
  uint64_t next_sid_ = 1;
  uint64_t inbox_sid_ = 0;
  std::map<uint64_t, Subscription> subs_;
  uint64_t next_token_ = 1;
  std::unordered_map<uint64_t, Pending> pending_;
  std::unordered_map<uint64_t, uint64_t> many_sids_;  // RequestMany's sid -> token
  std::multimap<SteadyTime, uint64_t> deadlines_;
  std::deque<std::shared_ptr<PongWaiter>> pong_waiters_;  // one per PING sent; null for keep-alives
};

}  // namespace tributary::nats
