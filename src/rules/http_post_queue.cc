#include "rules/http_post_queue.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "base/ascii.h"
#include "base/utf8.h"
#include "objstore/http_transport.h"

namespace tributary::rules {

HttpPostQueue::HttpPostQueue(HttpPostQueueOptions options)
    : options_(std::move(options)),
      queue_({.threads = options_.threads,
              .max_items = options_.max_requests,
              .max_bytes = options_.max_bytes,
              .name = "http action queue",
              .unit = "requests",
              .thread_name = "httpact"},
             [this](Item& item) { item.done(Send(item.post)); }) {}

void HttpPostQueue::Post(HttpPost post, HttpDone done) {
  Item item{std::move(post), std::move(done)};
  if (Status refused = queue_.Push(item, item.post.body.size()); !refused.ok()) item.done(refused);
}

Status HttpPostQueue::Send(const HttpPost& post) {
  int64_t backoff_ms = options_.initial_backoff_ms;
  Status last;
  for (int attempt = 1; attempt <= std::max(1, options_.attempts); ++attempt) {
    bool retry = false;
    last = SendOnce(post, &retry);
    if (last.ok() || !retry) return last;
    if (attempt < options_.attempts) {
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms *= 2;
    }
  }
  return Status(last.code(), last.message() + " (after " +
                                 std::to_string(std::max(1, options_.attempts)) + " attempts)");
}

Status HttpPostQueue::SendOnce(const HttpPost& post, bool* retry) {
  const std::string url = post.base + post.target;
  Result<std::shared_ptr<objstore::HttpTransport>> transport = TransportFor(post.base);
  if (!transport.ok()) return transport.status();
  const objstore::Endpoint& ep = (*transport)->endpoint();
  objstore::HttpRequest request;
  request.method = "POST";
  request.target = post.target;
  request.headers.emplace_back("Host", objstore::HostHeader(ep.host, ep));
  bool content_type = false, user_agent = false;
  for (const auto& [name, value] : post.headers) {
    content_type = content_type || EqualsIgnoreCase(name, "content-type");
    user_agent = user_agent || EqualsIgnoreCase(name, "user-agent");
    request.headers.emplace_back(name, value);
  }
  if (!content_type) {
    request.headers.emplace_back("Content-Type",
                                 post.json ? "application/json" : "application/octet-stream");
  }
  if (!user_agent) request.headers.emplace_back("User-Agent", "tributary-rules");
  request.body = post.body;
  Result<objstore::HttpResponse> response = (*transport)->Send(ep.host, request, options_.timeout_ms);
  if (!response.ok()) {
    ErrorCode code = response.status().code();
    *retry = code == ErrorCode::kUnavailable || code == ErrorCode::kDeadlineExceeded;
    return Status(code, "POST " + PrintableUtf8(url) + ": " + response.status().message());
  }
  if (response->status >= 200 && response->status < 300) return Status::Ok();
  *retry = response->status == 429 || response->status >= 500;
  // The start of the answer, one line of valid UTF-8 whatever the endpoint sent: the
  // message goes into the rule's error document.
  std::string body = PrintableUtf8(Utf8Prefix(response->body, 200));
  std::string m = "POST " + PrintableUtf8(url) + " answered " + std::to_string(response->status) +
                  (body.empty() ? "" : ": " + body);
  return *retry ? Unavailable(std::move(m)) : FailedPrecondition(std::move(m));
}

Result<std::shared_ptr<objstore::HttpTransport>> HttpPostQueue::TransportFor(
    const std::string& base) {
  std::lock_guard lock(transports_mu_);
  if (auto it = transports_.find(base); it != transports_.end()) return it->second;
  TRY_ASSIGN(objstore::Endpoint ep, objstore::ParseEndpoint(base + "/", "http action url"));
  objstore::TransportOptions options;
  options.ca_file = options_.ca_file;
  TRY_ASSIGN(std::unique_ptr<objstore::HttpTransport> t,
             objstore::HttpTransport::Create(std::move(ep), std::move(options)));
  std::shared_ptr<objstore::HttpTransport> shared = std::move(t);
  if (transports_.size() < 256) transports_[base] = shared;
  return shared;
}

}  // namespace tributary::rules
