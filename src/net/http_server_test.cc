#include "net/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net/http_client.h"
#include "net/testing/loopback_socket.h"

namespace tributary::net {
namespace {

using testing_support::ConnectLoopback;
using testing_support::ReadUntil;

// A plain-text answer.
HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

TEST(HttpServerTest, RoutesParamsQueryAndErrors) {
  Runtime runtime(2);
  Router router;
  router.Add("GET", "/things/{name}", [](HttpRequest& r) {
    HttpResponse res;
    res.body = r.params["name"] + "|" + r.query["x"] + "|" + r.Header("x-test") +
               (r.from_loopback ? "" : "|not loopback");
    return res;
  });
  router.Add("POST", "/echo", [](HttpRequest& r) {
    HttpResponse res;
    res.status = 201;
    res.body = r.body;
    return res;
  });
  router.Add("POST", "/topics/{topic+}", [](HttpRequest& r) {
    HttpResponse res;
    res.body = "topic=" + r.params["topic"];
    return res;
  });
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.max_body_bytes = 1000;
  HttpServer server(opts, &runtime, [&](HttpRequest& r) { return router.Route(r); });
  ASSERT_TRUE(runtime.Start().ok());
  ASSERT_TRUE(server.Start().ok());
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());

  auto r = HttpCall(base, "GET", "/things/a%20b?x=1+2", "", {{"X-Test", "yes"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "a b|1 2|yes");

  // Each segment is decoded once: %25 is '%', %2F a slash inside the name, %252F the
  // three characters %2F.
  for (const auto& [sent, name] :
       std::vector<std::pair<std::string, std::string>>{{"/things/a%2Fb", "a/b"},
                                                        {"/things/a%252Fb", "a%2Fb"},
                                                        {"/things/%25", "%"},
                                                        {"/things/%252e%252e", "%2e%2e"}}) {
    r = HttpCall(base, "GET", sent);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200) << sent;
    EXPECT_EQ(r->body, name + "||") << sent;
  }

  r = HttpCall(base, "POST", "/echo", "{\"k\":1}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "{\"k\":1}");

  // A greedy parameter takes the rest of the path, however it was encoded.
  r = HttpCall(base, "POST", "/topics/devices/t1/pm");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "topic=devices/t1/pm");
  r = HttpCall(base, "POST", "/topics/devices%2Ft1%2Fpm");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "topic=devices/t1/pm");
  r = HttpCall(base, "POST", "/topics/one");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "topic=one");
  r = HttpCall(base, "POST", "/topics");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);

  r = HttpCall(base, "GET", "/nope");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("/nope"), std::string::npos);

  r = HttpCall(base, "DELETE", "/echo");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 405);
  EXPECT_NE(r->body.find("DELETE is not allowed on /echo (it takes POST)"), std::string::npos)
      << r->body;

  r = HttpCall(base, "POST", "/echo", std::string(5000, 'x'));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 413);

  server.Stop();
  runtime.Stop();
  runtime.Join();
}

// "Expect: 100-continue" gets "100 Continue" before the client sends the body (the AWS
// SDKs wait for it from 2 MiB on), and a HEAD answer carries a length and no body.
TEST(HttpServerTest, AnswersExpectContinueAndHead) {
  Runtime runtime(1);
  Router router;
  router.Add("POST", "/echo", [](HttpRequest& r) {
    HttpResponse res;
    res.body = r.body;
    return res;
  });
  router.Add("HEAD", "/object", [](HttpRequest&) {
    HttpResponse res;
    res.head_length = 12345;
    return res;
  });
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  HttpServer server(opts, &runtime, [&](HttpRequest& r) { return router.Route(r); });
  ASSERT_TRUE(runtime.Start().ok());
  ASSERT_TRUE(server.Start().ok());

  int fd = ConnectLoopback(server.port(), 2);
  ASSERT_GE(fd, 0);
  std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), 0), static_cast<ssize_t>(head.size()));
  std::string interim = ReadUntil(fd, "\r\n\r\n");
  EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << interim;
  ASSERT_EQ(::send(fd, "hello", 5, 0), 5);
  std::string answer = ReadUntil(fd, "hello");
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_NE(answer.find("hello"), std::string::npos) << answer;

  std::string head_request = "HEAD /object HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, head_request.data(), head_request.size(), 0), static_cast<ssize_t>(head_request.size()));
  std::string head_answer = ReadUntil(fd, "\r\n\r\n");
  EXPECT_EQ(head_answer.rfind("HTTP/1.1 200", 0), 0u) << head_answer;
  EXPECT_NE(head_answer.find("Content-Length: 12345\r\n"), std::string::npos) << head_answer;

  // A HEAD the router refuses (405, with a JSON body for GET) gets the header alone: the
  // next answer on the connection starts right after it.
  std::string two =
      "HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\n"
      "Content-Length: 4\r\n\r\nnext";
  ASSERT_EQ(::send(fd, two.data(), two.size(), 0), static_cast<ssize_t>(two.size()));
  std::string both = ReadUntil(fd, "next");
  ASSERT_EQ(both.rfind("HTTP/1.1 405", 0), 0u) << both;
  EXPECT_NE(both.find("\r\nAllow: POST\r\n"), std::string::npos) << both;
  size_t end_of_first = both.find("\r\n\r\n") + 4;
  EXPECT_EQ(both.compare(end_of_first, 12, "HTTP/1.1 200"), 0) << both;
  ::close(fd);

  server.Stop();
  runtime.Stop();
  runtime.Join();
}

// A request refused on its header (no token) is answered before its body is read: a
// client that announces 15 MiB and sends none of it gets the refusal at once.
TEST(HttpServerTest, ARefusalOnTheHeaderComesBeforeTheBody) {
  Runtime runtime(1);
  std::atomic<int> handled{0};
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.refuse_before_body = [](const HttpRequest& header) -> std::optional<HttpResponse> {
    if (header.Header("authorization") == "Bearer yes") return std::nullopt;
    return Text(401, "no token");
  };
  HttpServer server(opts, &runtime, [&](HttpRequest& r) {
    ++handled;
    return Text(200, "took " + std::to_string(r.body.size()));
  });
  ASSERT_TRUE(runtime.Start().ok());
  ASSERT_TRUE(server.Start().ok());
  int fd = ConnectLoopback(server.port(), 2);
  ASSERT_GE(fd, 0);
  std::string head = "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 15728640\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), 0), static_cast<ssize_t>(head.size()));
  std::string answer = ReadUntil(fd, "no token");
  EXPECT_EQ(answer.rfind("HTTP/1.1 401", 0), 0u) << answer;
  EXPECT_EQ(handled.load(), 0);
  ::close(fd);
  // With the token, the body is read and the handler answers.
  fd = ConnectLoopback(server.port(), 2);
  ASSERT_GE(fd, 0);
  std::string ok =
      "POST /x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer yes\r\nContent-Length: 3\r\n\r\nabc";
  ASSERT_EQ(::send(fd, ok.data(), ok.size(), 0), static_cast<ssize_t>(ok.size()));
  EXPECT_NE(ReadUntil(fd, "took 3").find("took 3"), std::string::npos);
  ::close(fd);
  server.Stop();
  runtime.Stop();
  runtime.Join();
}

// A name sent more than once: every query value in order (the map keeps the first), and a
// header's values joined with ',' in the order sent (what SigV4 signs of each).
TEST(HttpServerTest, RepeatedQueryNamesAndHeadersKeepEveryValue) {
  Runtime runtime(1);
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  HttpServer server(opts, &runtime, [&](HttpRequest& r) {
    std::string seen;
    for (const auto& [name, value] : r.query_pairs) seen += name + "=" + value + ";";
    return Text(200, "[" + seen + "|" + r.query["p"] + "|" + r.Header("my-header1") + "|" +
                         r.Header("host") + "]");
  });
  ASSERT_TRUE(runtime.Start().ok());
  ASSERT_TRUE(server.Start().ok());
  int fd = ConnectLoopback(server.port(), 2);
  ASSERT_GE(fd, 0);
  std::string request =
      "GET /q?p=2&p=1&x=%20y&flag&&p=3 HTTP/1.1\r\nHost: x\r\nMy-Header1: value2\r\n"
      "my-header1: value2\r\nMY-HEADER1: value1\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string answer = ReadUntil(fd, "]");
  EXPECT_NE(answer.find("[p=2;p=1;x= y;flag=;p=3;|2|value2,value2,value1|x]"), std::string::npos)
      << answer;
  ::close(fd);
  server.Stop();
  runtime.Stop();
  runtime.Join();
}

// Default headers go on every answer that does not set them itself.
TEST(HttpServerTest, DefaultHeadersGoOnAnswersThatLackThem) {
  Runtime runtime(1);
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.default_headers = {{"Content-Security-Policy", "sandbox"},
                          {"X-Content-Type-Options", "nosniff"}};
  HttpServer server(opts, &runtime, [&](HttpRequest& r) {
    HttpResponse res = Text(200, "<script>x</script>");
    res.content_type = "text/html";
    if (r.path == "/own") res.headers["content-security-policy"] = "default-src 'self'";
    return res;
  });
  ASSERT_TRUE(runtime.Start().ok());
  ASSERT_TRUE(server.Start().ok());
  for (const std::string path : {"/stored", "/own"}) {
    int fd = ConnectLoopback(server.port(), 2);
    ASSERT_GE(fd, 0);
    std::string get = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ASSERT_EQ(::send(fd, get.data(), get.size(), 0), static_cast<ssize_t>(get.size()));
    std::string answer = ReadUntil(fd, "</script>");
    ::close(fd);
    EXPECT_NE(answer.find("X-Content-Type-Options: nosniff\r\n"), std::string::npos) << answer;
    if (path == "/stored") {
      EXPECT_NE(answer.find("Content-Security-Policy: sandbox\r\n"), std::string::npos) << answer;
    } else {
      EXPECT_NE(answer.find("default-src 'self'"), std::string::npos) << answer;
      EXPECT_EQ(answer.find(": sandbox"), std::string::npos) << answer;
    }
  }
  server.Stop();
  runtime.Stop();
  runtime.Join();
}

// Past the cap on connections (in all, from one address) a new one is closed as soon as
// it is accepted; one closing makes room again.
TEST(HttpServerTest, ConnectionsPastTheCapAreClosedAtOnce) {
  Runtime runtime(1);
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.max_connections = 3;
  opts.max_connections_per_peer = 2;
  opts.loopback_peers_unlimited = false;
  HttpServer server(opts, &runtime, [&](HttpRequest&) { return Text(200, "here"); });
  ASSERT_TRUE(runtime.Start().ok());
  ASSERT_TRUE(server.Start().ok());
  auto ask = [](int fd) {
    std::string get = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n";
    if (::send(fd, get.data(), get.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(get.size()))
      return std::string();
    return ReadUntil(fd, "here");
  };
  int a = ConnectLoopback(server.port(), 2), b = ConnectLoopback(server.port(), 2);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  EXPECT_NE(ask(a).find("here"), std::string::npos);
  EXPECT_NE(ask(b).find("here"), std::string::npos);
  int c = ConnectLoopback(server.port(), 2);  // a third from the same address
  ASSERT_GE(c, 0);
  EXPECT_EQ(ask(c).find("here"), std::string::npos);
  ::close(c);
  ::close(a);
  // Once the server has seen A go, there is room again.
  bool admitted = false;
  for (int i = 0; i < 50 && !admitted; ++i) {
    int d = ConnectLoopback(server.port(), 2);
    ASSERT_GE(d, 0);
    admitted = ask(d).find("here") != std::string::npos;
    ::close(d);
    if (!admitted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(admitted);
  ::close(b);
  server.Stop();
  runtime.Stop();
  runtime.Join();
}

// Bodies read before their request can be checked share a budget: past it a request is
// answered 503 before its body is read; a body read (or a connection gone) gives its
// share back; requests the header let in do not count.
TEST(HttpServerTest, UncheckedBodiesShareABudget) {
  Runtime runtime(1);
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.unchecked_body_budget_bytes = 100;
  opts.checked_on_header = [](const HttpRequest& h) {
    return h.Header("authorization") == "Bearer yes";
  };
  HttpServer server(opts, &runtime, [&](HttpRequest& r) {
    return Text(200, "took " + std::to_string(r.body.size()));
  });
  ASSERT_TRUE(runtime.Start().ok());
  ASSERT_TRUE(server.Start().ok());
  auto post = [](int length, const std::string& extra = "") {
    return "POST /x HTTP/1.1\r\nHost: x\r\n" + extra + "Content-Length: " + std::to_string(length) +
           "\r\n\r\n";
  };
  // A holds 80 of the 100 while its body trickles (taken when its header is read: the
  // "100 Continue" comes after).
  int a = ConnectLoopback(server.port(), 2);
  ASSERT_GE(a, 0);
  std::string head_a = post(80, "Expect: 100-continue\r\n");
  ASSERT_EQ(::send(a, head_a.data(), head_a.size(), 0), static_cast<ssize_t>(head_a.size()));
  EXPECT_NE(ReadUntil(a, "100 Continue").find("100 Continue"), std::string::npos);
  std::string start_a(10, 'a');
  ASSERT_EQ(::send(a, start_a.data(), start_a.size(), 0), static_cast<ssize_t>(start_a.size()));
  int b = ConnectLoopback(server.port(), 2);
  ASSERT_GE(b, 0);
  std::string head_b = post(50);
  ASSERT_EQ(::send(b, head_b.data(), head_b.size(), 0), static_cast<ssize_t>(head_b.size()));
  std::string answer = ReadUntil(b, "retry");
  EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0u) << answer;
  ::close(b);
  // One the header lets in is read whatever the budget.
  int c = ConnectLoopback(server.port(), 2);
  ASSERT_GE(c, 0);
  std::string with_token = post(50, "Authorization: Bearer yes\r\n") + std::string(50, 'c');
  ASSERT_EQ(::send(c, with_token.data(), with_token.size(), 0),
            static_cast<ssize_t>(with_token.size()));
  EXPECT_NE(ReadUntil(c, "took 50").find("took 50"), std::string::npos);
  ::close(c);
  // A's body ends: its share comes back, and the next one is read.
  std::string rest(70, 'a');
  ASSERT_EQ(::send(a, rest.data(), rest.size(), 0), static_cast<ssize_t>(rest.size()));
  EXPECT_NE(ReadUntil(a, "took 80").find("took 80"), std::string::npos);
  ::close(a);
  int d = ConnectLoopback(server.port(), 2);
  ASSERT_GE(d, 0);
  std::string full_d = post(90) + std::string(90, 'd');
  ASSERT_EQ(::send(d, full_d.data(), full_d.size(), 0), static_cast<ssize_t>(full_d.size()));
  EXPECT_NE(ReadUntil(d, "took 90").find("took 90"), std::string::npos);
  ::close(d);
  server.Stop();
  runtime.Stop();
  runtime.Join();
}

// Once Stop returns no handler runs: a request read later on an open keep-alive
// connection is not handled (the server's components may be gone), the connection closes.
TEST(HttpServerTest, NoHandlerRunsAfterStop) {
  Runtime runtime(1);
  std::atomic<int> handled{0};
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  HttpServer server(opts, &runtime, [&](HttpRequest&) {
    ++handled;
    return Text(200, "ok");
  });
  ASSERT_TRUE(runtime.Start().ok());
  ASSERT_TRUE(server.Start().ok());
  int fd = ConnectLoopback(server.port(), 2);
  ASSERT_GE(fd, 0);
  std::string get = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, get.data(), get.size(), 0), static_cast<ssize_t>(get.size()));
  EXPECT_NE(ReadUntil(fd, "ok").find("ok"), std::string::npos);
  EXPECT_EQ(handled.load(), 1);
  server.Stop();
  ASSERT_EQ(::send(fd, get.data(), get.size(), 0), static_cast<ssize_t>(get.size()));
  char buf[256];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);  // the close (0), not an answer
  EXPECT_LE(n, 0) << std::string(buf, n > 0 ? n : 0);
  EXPECT_EQ(handled.load(), 1);
  ::close(fd);
  runtime.Stop();
  runtime.Join();
}

// A body given piece by piece arrives whole, in order, with the announced length, and the
// connection goes on to the next request; a source that fails mid-way ends the
// connection short of the announced length, so the client cannot take it for whole.
TEST(HttpServerTest, AsyncRouteAnswersFromAnotherThread) {
  Runtime runtime(1);
  Router router;
  std::vector<std::thread> workers;
  std::mutex mu;
  router.AddAsync("POST", "/slow/{n}", [&](HttpRequest& r, HttpRespond respond) {
    std::string body = r.params["n"] + ":" + r.body;
    std::lock_guard<std::mutex> lock(mu);
    workers.emplace_back([respond = std::move(respond), body] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      HttpResponse res;
      res.body = body;
      respond(res);
      respond(HttpResponse{});  // a second answer is ignored
    });
  });
  router.Add("GET", "/fast", [](HttpRequest&) { return Text(200, "ok"); });
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  HttpServer server(opts, &runtime, [&](HttpRequest& r, HttpRespond respond) {
    router.Dispatch(r, std::move(respond));
  });
  ASSERT_TRUE(runtime.Start().ok());
  ASSERT_TRUE(server.Start().ok());
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());

  Result<HttpResponse> slow = Unavailable("not yet");
  std::thread caller([&] { slow = HttpCall(base, "POST", "/slow/7", "x"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto start = std::chrono::steady_clock::now();
  auto fast = HttpCall(base, "GET", "/fast");
  auto fast_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(fast.ok());
  EXPECT_EQ(fast->body, "ok");
  EXPECT_LT(fast_ms, 200) << "the slow request held the only Runtime thread";
  caller.join();
  ASSERT_TRUE(slow.ok()) << slow.status().ToString();
  EXPECT_EQ(slow->status, 200);
  EXPECT_EQ(slow->body, "7:x");

  for (auto& t : workers) t.join();
  server.Stop();
  runtime.Stop();
  runtime.Join();
}

TEST(HttpClientTest, RefusedConnectionIsUnavailable) {
  auto r = HttpCall("http://127.0.0.1:1", "GET", "/healthz", "", {}, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.status().message().find("127.0.0.1:1"), std::string::npos);
}

TEST(UrlTest, ParsesAndRejects) {
  auto u = ParseUrl("http://localhost:9000/api/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->port, "9000");
  EXPECT_EQ(u->base_path, "/api");
  EXPECT_FALSE(u->tls);
  auto secure = ParseUrl("https://tributary.example");
  ASSERT_TRUE(secure.ok());
  EXPECT_TRUE(secure->tls);
  EXPECT_EQ(secure->port, "443");
  EXPECT_EQ(ParseUrl("ftp://x").status().message(), "endpoint 'ftp://x' must start with http:// or https://");
}

}  // namespace
}  // namespace tributary::net
