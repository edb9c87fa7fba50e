// HttpPostQueue: the server's HttpSink. Requests of rules' http actions wait in a bounded
// queue and are sent by a few worker threads (objstore's HTTP/1.1 client: one request a
// connection, https verified against the system's CAs or `ca_file`). A request the
// endpoint answers with 429 or 5xx, or that cannot reach it (refused, reset, timed out),
// is tried again after a growing pause, up to `attempts` times; any other non-2xx answer
// is final. Past the queue's bounds a Post is refused at once (kResourceExhausted). Stop
// (and the destructor) sends what is queued, then stops the threads. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "base/bounded_work_queue.h"
#include "rules/http_sink.h"

namespace tributary::objstore {
class HttpTransport;
}

namespace tributary::rules {

struct HttpPostQueueOptions {
  int threads = 4;
  size_t max_requests = 4096;  // queued and in flight
  uint64_t max_bytes = 64ull << 20;
  int attempts = 3;
  int64_t initial_backoff_ms = 200;  // doubled after each failed attempt
  int timeout_ms = 10'000;           // per attempt: connect, TLS, request and response
  std::string ca_file = {};          // PEM CAs for https instead of the system's
};

class HttpPostQueue : public HttpSink {
 public:
  explicit HttpPostQueue(HttpPostQueueOptions options = {});

  void Post(HttpPost post, HttpDone done) override;
  void Stop() { queue_.Stop(); }

  size_t requests() const { return queue_.items(); }  // queued and in flight

 private:
  struct Item {
    HttpPost post;
    HttpDone done;
  };
  Status Send(const HttpPost& post);
  Status SendOnce(const HttpPost& post, bool* retry);
  Result<std::shared_ptr<objstore::HttpTransport>> TransportFor(const std::string& base);

  const HttpPostQueueOptions options_;
  std::mutex transports_mu_;
  std::map<std::string, std::shared_ptr<objstore::HttpTransport>> transports_;  // by base
  BoundedWorkQueue<Item> queue_;  // last: its workers use the members above
};

}  // namespace tributary::rules
