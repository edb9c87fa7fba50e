// HttpPostQueue against a small HTTP server on loopback that this test runs (a thread
// answering each connection with the next status of a script): bodies and headers
// arrive, 503s are tried again, 4xx is final, an endpoint nobody listens on fails after
// its attempts, and the queue's bound refuses at once.
#include "rules/http_post_queue.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace tributary::rules {
namespace {

// Answers each request with the next status of `script` (200 once it runs out) and
// keeps what it was sent.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::deque<int> script) : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 16);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (true) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string in;
      char buf[4096];
      size_t need = std::string::npos;
      while (need == std::string::npos || in.size() < need) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
        size_t end = in.find("\r\n\r\n");
        if (need == std::string::npos && end != std::string::npos) {
          size_t cl = in.find("Content-Length: ");
          size_t length = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
          need = end + 4 + length;
        }
      }
      int status = 200;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(in);
        if (!script_.empty()) {
          status = script_.front();
          script_.pop_front();
        }
      }
      std::string body = status == 200 ? "" : "nope";
      std::string out = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      (void)::write(c, out.data(), out.size());
      ::close(c);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::deque<int> script_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

Status PostAndWait(HttpPostQueue& q, HttpPost post) {
  std::promise<Status> p;
  q.Post(std::move(post), [&](const Status& s) { p.set_value(s); });
  return p.get_future().get();
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(HttpPostQueueTest, PostsTheBodyAndHeadersAndRetriesA503) {
  ScriptedServer server({503, 200});
  HttpPostQueue q({.threads = 2, .initial_backoff_ms = 10});
  Status st = PostAndWait(q, {server.base(), "/alarm/d1?x=1", {{"X-Device", "d1"}}, R"({"level":3})"});
  EXPECT_TRUE(st.ok()) << st.ToString();
  auto got = server.requests();
  ASSERT_EQ(got.size(), 2u) << "the 503 was not tried again";
  for (const std::string& r : got) {
    EXPECT_TRUE(Has(r, "POST /alarm/d1?x=1 HTTP/1.1\r\n")) << r;
    EXPECT_TRUE(Has(r, "X-Device: d1\r\n")) << r;
    EXPECT_TRUE(Has(r, "Content-Type: application/json\r\n")) << r;
    EXPECT_TRUE(Has(r, "\r\n\r\n{\"level\":3}")) << r;
  }
}

// A body that is not JSON goes as application/octet-stream, as AWS IoT's http action
// sends it; a rule's own Content-Type or User-Agent is sent instead of ours, not beside it.
TEST(HttpPostQueueTest, TheDefaultHeadersGiveWayToTheRulesAndFollowTheBody) {
  ScriptedServer server({200, 200});
  HttpPostQueue q({.threads = 1});
  HttpPost binary{server.base(), "/raw", {}, std::string("\x00\x01bin", 5)};
  binary.json = false;
  ASSERT_TRUE(PostAndWait(q, binary).ok());
  ASSERT_TRUE(PostAndWait(q, {server.base(),
                              "/own",
                              {{"user-agent", "meter/2"}, {"Content-Type", "text/csv"}},
                              "a,b\n"})
                  .ok());
  auto got = server.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(Has(got[0], "Content-Type: application/octet-stream\r\n")) << got[0];
  EXPECT_TRUE(Has(got[0], "User-Agent: tributary-rules\r\n")) << got[0];
  EXPECT_TRUE(Has(got[1], "user-agent: meter/2\r\n")) << got[1];
  EXPECT_TRUE(Has(got[1], "Content-Type: text/csv\r\n")) << got[1];
  EXPECT_FALSE(Has(got[1], "tributary-rules")) << got[1];
  EXPECT_FALSE(Has(got[1], "application/json")) << got[1];
}

TEST(HttpPostQueueTest, A4xxIsFinalAndRepeated5xxFailAfterTheAttempts) {
  ScriptedServer server({404, 500, 502, 503});
  HttpPostQueue q({.threads = 1, .attempts = 3, .initial_backoff_ms = 5});
  Status not_found = PostAndWait(q, {server.base(), "/x", {}, "{}"});
  EXPECT_EQ(not_found.code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(not_found.message(), "POST " + server.base() + "/x answered 404: nope");
  Status down = PostAndWait(q, {server.base(), "/y", {}, "{}"});
  EXPECT_EQ(down.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(down.message(), "POST " + server.base() + "/y answered 503: nope (after 3 attempts)");
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(HttpPostQueueTest, AnEndpointNobodyListensOnAndAFullQueueAreErrors) {
  uint16_t port;
  {
    ScriptedServer gone({});
    port = static_cast<uint16_t>(std::stoi(gone.base().substr(gone.base().rfind(':') + 1)));
  }
  HttpPostQueue q({.threads = 1, .attempts = 2, .initial_backoff_ms = 5, .timeout_ms = 2000});
  Status refused = PostAndWait(q, {"http://127.0.0.1:" + std::to_string(port), "/", {}, "{}"});
  EXPECT_EQ(refused.code(), ErrorCode::kUnavailable) << refused.ToString();
  EXPECT_TRUE(Has(refused.message(), "(after 2 attempts)")) << refused.message();

  HttpPostQueue small({.threads = 1, .max_requests = 10, .max_bytes = 3});
  Status full = PostAndWait(small, {"http://127.0.0.1:1", "/", {}, "1234"});
  EXPECT_EQ(full.code(), ErrorCode::kResourceExhausted) << full.ToString();
  small.Stop();
  Status stopped = PostAndWait(small, {"http://127.0.0.1:1", "/", {}, "1"});
  EXPECT_EQ(stopped.code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace tributary::rules
