// HttpSink: where a rule's http action hands its requests (one POST per message). The
// server's is an HttpPostQueue (http_post_queue.h); tests give their own.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace tributary::rules {

struct HttpPost {
  std::string base;    // "https://host[:port]"
  std::string target;  // "/path?query"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The default Content-Type (the headers may name another): application/json for a JSON
  // body, application/octet-stream otherwise, as AWS IoT's http action sends.
  bool json = true;
};

using HttpDone = std::function<void(const Status&)>;

class HttpSink {
 public:
  virtual ~HttpSink() = default;
  // Sends `post`. `done` is called exactly once, from any thread: OK once the endpoint
  // answered 2xx, or an error saying what it answered or why it could not be reached
  // (kResourceExhausted when too many requests wait).
  virtual void Post(HttpPost post, HttpDone done) = 0;
};

}  // namespace tributary::rules
