// HTTP requests and responses as plain values, shared by the HTTP server, the client
// and the API handlers. No Beast types leak out of net/.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace tributary::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path without the query string: "/things/sensor-1"
  std::string raw_path;  // the path as sent, still percent-encoded (what SigV4 signs for S3)
  // Decoded query parameters; of a name given more than once, the first value (the one
  // S3 signs and takes).
  std::map<std::string, std::string> query;
  // Every decoded query parameter in the order sent, repeated names included (what SigV4
  // signs: ?a=2&a=1 signs both). Filled beside `query` by AddQuery.
  std::vector<std::pair<std::string, std::string>> query_pairs;
  // Names lower-cased; the values of a name sent more than once joined with ',' in the
  // order sent (RFC 9110 section 5.3, and what SigV4 signs).
  std::map<std::string, std::string> headers;
  std::map<std::string, std::string> params;   // path parameters filled in by the Router
  std::string body;
  std::string remote_address;  // "<address>:<port>"
  bool from_loopback = false;  // the peer is this machine (127.0.0.0/8, ::1)

  // Header value or "" (name must be lower-case).
  const std::string& Header(const std::string& name) const;
  // Adds a decoded query parameter to `query` and `query_pairs`.
  void AddQuery(std::string name, std::string value);
};

// A body too large to hold at once (S3's GetObject of a large object), given piece by
// piece: the server asks for the next piece after writing the one before, so one piece at
// a time is in memory, and a slow client slows the reads instead of growing a buffer.
// `length` goes out as Content-Length. A piece that fails, comes back empty or overshoots
// `length` closes the connection: the client sees a short body, never a false whole one.
struct HttpBodySource {
  uint64_t length = 0;
  // Produces the next piece and hands it to `done`, from any thread; called again only
  // after `done`, while bytes remain.
  std::function<void(std::function<void(Result<std::string>)> done)> next;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
  std::string body;
  // An answer to HEAD: the length GET would have sent, as Content-Length, with no body.
  std::optional<uint64_t> head_length;
  // When set, the body comes from it (and `body` is ignored).
  std::shared_ptr<HttpBodySource> body_source;
};

// A request body too large to hold at once (S3's PutObject of a large object), taken
// piece by piece as it is read: the server reads the next piece after `write` says the
// one before is taken, so one piece at a time is in memory and a slow store slows the
// client instead of growing a buffer.
struct HttpBodySink {
  // Takes the next piece; `done` (from any thread) with OK asks for the next one, with an
  // error stops the reading (then `finish` is called, not complete).
  std::function<void(std::string piece, std::function<void(Status)> done)> write;
  // After the body's last piece (`complete`), or once the reading stopped short (a write
  // failed, the client went away or sent less than it announced: not `complete`; the
  // sink must then undo what it wrote): the answer, from any thread. After a short body
  // the connection closes once the answer is written, if it still can be.
  std::function<void(bool complete, std::function<void(HttpResponse)> respond)> finish;
};

// Percent-decoding of a path or query component ('+' as space only in queries).
std::string UrlDecode(const std::string& in, bool plus_is_space);
std::string UrlEncode(const std::string& in);

}  // namespace tributary::net
