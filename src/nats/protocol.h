// The NATS client protocol as bytes, with no I/O: a parser for what the server sends and
// encoders for what the client sends. Connection feeds the parser whatever read()
// returned, at any boundary, and appends the encodings to its outgoing buffer.
//
//   server → client                                  ServerOp
//   INFO {"server_id":..,"max_payload":1048576}\r\n   kInfo, text = the JSON
//   MSG <subject> <sid> [reply] <#bytes>\r\n<payload>\r\n
//                                                    kMsg, sid, msg
//   HMSG <subject> <sid> [reply] <#hdr> <#total>\r\n<header block><payload>\r\n
//                                                    kMsg with msg.status/headers
//   PING\r\n  PONG\r\n  +OK\r\n                       kPing, kPong, kOk
//   -ERR 'Authorization Violation'\r\n                kErr, text = Authorization Violation
//
//   client → server
//   CONNECT {...}\r\n   PING\r\n   PONG\r\n
//   PUB <subject> [reply] <#bytes>\r\n<payload>\r\n
//   HPUB <subject> [reply] <#hdr> <#total>\r\n<header block><payload>\r\n
//   SUB <subject> [queue group] <sid>\r\n   UNSUB <sid>\r\n
//
// Not thread-safe: one parser per connection, used by its I/O thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "nats/connect_options.h"
#include "nats/credentials.h"
#include "nats/message.h"

namespace tributary::nats {

// The largest message the parser takes whatever the server claims: a guard against a
// corrupt byte count, far above any max_payload a server is configured with.
inline constexpr size_t kMaxParsedMessageBytes = 64u << 20;

enum class OpKind { kInfo, kMsg, kPing, kPong, kOk, kErr };

struct ServerOp {
  OpKind kind = OpKind::kOk;
  std::string text;  // kInfo: the JSON; kErr: the message without its quotes
  uint64_t sid = 0;  // kMsg
  Message msg;       // kMsg
};

class Parser {
 public:
  // Room for at least `min` more bytes: read() into it, then Commit what was read.
  char* Reserve(size_t min);
  // Parses every operation the committed bytes complete and appends them to *ops.
  // ProtocolError (with the offending line) on anything a server would not send; the
  // parser must then be Reset with the connection.
  Status Commit(size_t n, std::vector<ServerOp>* ops);
  // Reserve + copy + Commit, for tests and the handshake.
  Status Feed(std::string_view bytes, std::vector<ServerOp>* ops);
  // Forgets everything buffered: for a new connection.
  void Reset();

 private:
  Status ParseControlLine(std::string_view line, std::vector<ServerOp>* ops);

  std::string buf_;
  size_t size_ = 0;     // bytes of buf_ holding data
  size_t pos_ = 0;      // start of the first byte not parsed yet
  size_t scanned_ = 0;  // bytes after pos_ known to hold no CRLF (control line so far)
  bool in_payload_ = false;
  ServerOp pending_;  // MSG/HMSG whose payload has not all arrived
  size_t header_bytes_ = 0;
  size_t total_bytes_ = 0;
};

// What the server's INFO says that the client uses.
struct ServerInfo {
  std::string server_id, version;
  size_t max_payload = 1u << 20;
  bool headers = false, jetstream = false, auth_required = false;
  bool tls_required = false;   // the client must upgrade to TLS after INFO
  bool tls_available = false;  // it may (a server with allow_non_tls)
  // The cluster's servers a client may connect to, "host:port" each (may be empty).
  std::vector<std::string> connect_urls;
  std::string nonce;  // to sign with an NKey (credentials.h); empty if the server sent none
};
Result<ServerInfo> ParseServerInfo(std::string_view json);

// The CONNECT line (with its CRLF) for these options: verbose and pedantic off, headers
// and no_responders on, user/pass or auth_token when given, and jwt, nkey and sig from
// `identity` when not null.
std::string EncodeConnect(const ConnectOptions& options, const SignedNonce* identity = nullptr);

// Subjects are dot-separated tokens of anything but blanks and control characters:
// "telemetry.dev-1.temp". Publishing needs a literal subject; a subscription may use
// "*" for one token and ">" as the last token for one or more. InvalidArgument saying why.
Status ValidateSubject(std::string_view subject, bool wildcards_allowed);

// Appends PUB, or HPUB when `header_block` is not empty.
void AppendPub(std::string* out, std::string_view subject, std::string_view reply,
               std::string_view header_block, std::string_view data);
void AppendSub(std::string* out, std::string_view subject, std::string_view queue_group,
               uint64_t sid);
void AppendUnsub(std::string* out, uint64_t sid);

}  // namespace tributary::nats
