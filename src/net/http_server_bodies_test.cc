// The HTTP server's bodies taken and written piece by piece (HttpBodySource,
// HttpBodySink), and a refusal that must reach a client still sending its body.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "net/http_client.h"
#include "net/http_server.h"
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

TEST(HttpServerTest, WritesABodyPieceByPiece) {
  Runtime runtime(1);
  Router router;
  static constexpr size_t kPiece = 300000;
  std::vector<std::thread> readers;
  std::mutex mu;
  int calls = 0;
  auto source = [&](uint64_t length, uint64_t fail_at) {
    auto s = std::make_shared<HttpBodySource>();
    s->length = length;
    auto offset = std::make_shared<uint64_t>(0);
    s->next = [&, s = s.get(), offset, fail_at](std::function<void(Result<std::string>)> done) {
      std::lock_guard<std::mutex> lock(mu);
      ++calls;
      readers.emplace_back([s, offset, fail_at, done = std::move(done)] {  // as a worker would
        if (*offset >= fail_at) return done(Unavailable("the disk went away"));
        size_t n = static_cast<size_t>(std::min<uint64_t>(kPiece, s->length - *offset));
        std::string piece(n, '\0');
        for (size_t i = 0; i < n; ++i) piece[i] = static_cast<char>('a' + (*offset + i) % 26);
        *offset += n;
        done(std::move(piece));
      });
    };
    return s;
  };
  router.Add("GET", "/big", [&](HttpRequest&) {
    HttpResponse res;
    res.content_type = "application/octet-stream";
    res.body = "ignored";
    res.body_source = source(1000001, UINT64_MAX);
    return res;
  });
  router.Add("GET", "/broken", [&](HttpRequest&) {
    HttpResponse res;
    res.body_source = source(1000001, kPiece);
    return res;
  });
  router.Add("GET", "/small", [](HttpRequest&) { return Text(200, "next"); });
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  HttpServer server(opts, &runtime, [&](HttpRequest& r) { return router.Route(r); });
  ASSERT_TRUE(runtime.Start().ok());
  ASSERT_TRUE(server.Start().ok());
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());

  auto whole = HttpCall(base, "GET", "/big");
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  ASSERT_EQ(whole->body.size(), 1000001u);
  for (size_t i = 0; i < whole->body.size(); i += 99991) {
    ASSERT_EQ(whole->body[i], static_cast<char>('a' + i % 26)) << "at " << i;
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(calls, 4);  // 3 whole pieces and the rest
  }

  int fd = ConnectLoopback(server.port(), 5);
  ASSERT_GE(fd, 0);
  // Kept alive: a streamed answer, then the next request on the same connection.
  std::string two = "GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /small HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, two.data(), two.size(), 0), static_cast<ssize_t>(two.size()));
  std::string got = ReadUntil(fd, "\r\n\r\nnext");
  EXPECT_NE(got.find("Content-Length: 1000001\r\n"), std::string::npos) << got.substr(0, 300);
  EXPECT_EQ(got.find("ignored"), std::string::npos);
  EXPECT_NE(got.find("\r\n\r\nnext"), std::string::npos) << "no answer after the streamed one";
  ::close(fd);

  fd = ConnectLoopback(server.port(), 5);
  ASSERT_GE(fd, 0);
  std::string broken = "GET /broken HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, broken.data(), broken.size(), 0), static_cast<ssize_t>(broken.size()));
  std::string partial = ReadUntil(fd, "never there");  // until the server ends the connection
  size_t header_end = partial.find("\r\n\r\n");
  ASSERT_NE(header_end, std::string::npos) << partial.substr(0, 300);
  EXPECT_NE(partial.find("Content-Length: 1000001\r\n"), std::string::npos);
  EXPECT_EQ(partial.size() - header_end - 4, kPiece)
      << "the body should stop where the source failed";
  ::close(fd);

  server.Stop();
  runtime.Stop();
  runtime.Join();
  for (auto& t : readers) t.join();
}

// A body past the limit goes to the sink large_body gives, piece by piece and in order,
// after the 100-continue; the sink's answer goes out and the connection goes on. A
// refusal is answered before the body is sent (no 100-continue); a body cut short, or a
// write that fails, finishes the sink not complete.
TEST(HttpServerTest, TakesALargeBodyPieceByPiece) {
  Runtime runtime(1);
  Router router;
  router.Add("GET", "/small", [](HttpRequest&) { return Text(200, "next"); });
  std::mutex mu;
  std::vector<std::string> finished;  // "<path> complete|short <bytes>", in order
  std::map<std::string, int> pieces;  // per path
  std::vector<std::thread> writers;
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.max_body_bytes = 1000;
  opts.large_body_piece_bytes = 700;
  opts.body_in_pieces = [](const HttpRequest& header) {
    return header.path.rfind("/pieces", 0) == 0;
  };
  opts.large_body = [&](const HttpRequest& header,
                        std::optional<HttpResponse>* refusal) -> std::shared_ptr<HttpBodySink> {
    EXPECT_TRUE(header.body.empty());
    if (header.path == "/refused") {
      *refusal = Text(403, "not you");
      return nullptr;
    }
    if (header.path == "/default") return nullptr;
    struct State {
      std::string body;
      int pieces = 0;
    };
    auto state = std::make_shared<State>();
    auto sink = std::make_shared<HttpBodySink>();
    const std::string path = header.path;
    sink->write = [&, state, path](std::string piece, std::function<void(Status)> done) {
      EXPECT_LE(piece.size(), 700u);
      std::lock_guard<std::mutex> lock(mu);
      writers.emplace_back(
          [state, path, piece = std::move(piece), done = std::move(done)] {  // as a worker would
            state->body += piece;
            ++state->pieces;
            done(path == "/failing" && state->body.size() > 1500 ? Unavailable("disk full")
                                                                 : Status::Ok());
          });
    };
    sink->finish = [&, state, path](bool complete, std::function<void(HttpResponse)> respond) {
      std::string line =
          path + (complete ? " complete " : " short ") + std::to_string(state->body.size());
      bool in_order = true;
      for (size_t i = 0; i < state->body.size(); ++i)
        in_order = in_order && state->body[i] == static_cast<char>('a' + i % 26);
      {
        std::lock_guard<std::mutex> lock(mu);
        finished.push_back(line + (in_order ? "" : " garbled"));
        pieces[path] = state->pieces;
      }
      respond(Text(complete ? 201 : 500, line));
    };
    return sink;
  };
  HttpServer server(opts, &runtime, [&](HttpRequest& r) { return router.Route(r); });
  ASSERT_TRUE(runtime.Start().ok());
  ASSERT_TRUE(server.Start().ok());
  std::string body(5000, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  auto head = [](const std::string& path, size_t length) {
    return "PUT " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(length) +
           "\r\nExpect: 100-continue\r\n\r\n";
  };

  int fd = ConnectLoopback(server.port(), 5);
  ASSERT_GE(fd, 0);
  std::string h = head("/upload", body.size());
  ASSERT_EQ(::send(fd, h.data(), h.size(), 0), static_cast<ssize_t>(h.size()));
  std::string interim = ReadUntil(fd, "\r\n\r\n");
  EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << interim;
  ASSERT_EQ(::send(fd, body.data(), body.size(), 0), static_cast<ssize_t>(body.size()));
  std::string answer = ReadUntil(fd, "/upload complete 5000");
  EXPECT_EQ(answer.rfind("HTTP/1.1 201", 0), 0u) << answer;
  EXPECT_NE(answer.find("/upload complete 5000"), std::string::npos) << answer;
  // Kept alive: the next request on the same connection.
  std::string small = "GET /small HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, small.data(), small.size(), 0), static_cast<ssize_t>(small.size()));
  EXPECT_NE(ReadUntil(fd, "next").find("next"), std::string::npos);
  ::close(fd);

  // Refused before the body: no 100 Continue, the refusal, the connection closed.
  for (const auto& [path, want] : {std::pair<std::string, std::string>{"/refused", "HTTP/1.1 403"},
                                   {"/default", "HTTP/1.1 413"}}) {
    fd = ConnectLoopback(server.port(), 5);
    ASSERT_GE(fd, 0);
    h = head(path, body.size());
    ASSERT_EQ(::send(fd, h.data(), h.size(), 0), static_cast<ssize_t>(h.size()));
    std::string refused = ReadUntil(fd, "never there");
    EXPECT_EQ(refused.rfind(want, 0), 0u) << path << ": " << refused;
    EXPECT_EQ(refused.find("100 Continue"), std::string::npos) << refused;
    ::close(fd);
  }

  // A write that fails stops the reading: the sink answers, the connection ends.
  fd = ConnectLoopback(server.port(), 5);
  ASSERT_GE(fd, 0);
  h = head("/failing", body.size());
  ASSERT_EQ(::send(fd, h.data(), h.size(), 0), static_cast<ssize_t>(h.size()));
  ReadUntil(fd, "\r\n\r\n");
  ::send(fd, body.data(), body.size(), MSG_NOSIGNAL);
  std::string failed = ReadUntil(fd, "never there");
  EXPECT_EQ(failed.rfind("HTTP/1.1 500", 0), 0u) << failed;
  EXPECT_NE(failed.find("/failing short "), std::string::npos) << failed;
  ::close(fd);

  // The client goes away mid-body: finished short, nothing answered.
  fd = ConnectLoopback(server.port(), 5);
  ASSERT_GE(fd, 0);
  h = head("/cut", body.size());
  ASSERT_EQ(::send(fd, h.data(), h.size(), 0), static_cast<ssize_t>(h.size()));
  ReadUntil(fd, "\r\n\r\n");
  ASSERT_EQ(::send(fd, body.data(), 1200, 0), 1200);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::close(fd);
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (finished.size() == 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_EQ(finished.size(), 3u);
    EXPECT_EQ(finished[0], "/upload complete 5000");
    EXPECT_GE(pieces["/upload"], 8);  // at most 700 bytes each
    // The failing write is the one past 1,500 bytes: no piece is taken after it.
    ASSERT_EQ(finished[1].rfind("/failing short ", 0), 0u) << finished[1];
    const int taken = std::stoi(finished[1].substr(15));
    EXPECT_GT(taken, 1500) << finished[1];
    EXPECT_LE(taken, 2200) << finished[1];
    EXPECT_EQ(finished[2], "/cut short 1200");
  }

  // body_in_pieces: a small body, and a chunked one without a Content-Length, go to the
  // sink too; other small bodies do not.
  fd = ConnectLoopback(server.port(), 5);
  ASSERT_GE(fd, 0);
  std::string small_put =
      "PUT /pieces/small HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n" + body.substr(0, 300);
  ASSERT_EQ(::send(fd, small_put.data(), small_put.size(), 0),
            static_cast<ssize_t>(small_put.size()));
  std::string small_answer = ReadUntil(fd, "complete 300");
  EXPECT_EQ(small_answer.rfind("HTTP/1.1 201", 0), 0u) << small_answer;
  std::string chunked =
      "PUT /pieces/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  chunked += "bb8\r\n" + body.substr(0, 3000) + "\r\n7d0\r\n" + body.substr(3000) + "\r\n0\r\n\r\n";
  ASSERT_EQ(::send(fd, chunked.data(), chunked.size(), 0), static_cast<ssize_t>(chunked.size()));
  std::string chunked_answer = ReadUntil(fd, "complete 5000");
  EXPECT_NE(chunked_answer.find("/pieces/chunked complete 5000"), std::string::npos)
      << chunked_answer;
  std::string other = "PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
  ASSERT_EQ(::send(fd, other.data(), other.size(), 0), static_cast<ssize_t>(other.size()));
  std::string other_answer = ReadUntil(fd, "\r\n\r\n");
  EXPECT_EQ(other_answer.find("complete"), std::string::npos) << other_answer;
  ::close(fd);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(finished.size(), 5u);
  }

  server.Stop();
  runtime.Stop();
  runtime.Join();
  std::lock_guard<std::mutex> lock(mu);
  for (auto& t : writers) t.join();
}

// A refusal answered before the body is read, to a client that sends the body anyway
// before it reads (a chunked body past the limit, or a large body without "Expect:
// 100-continue"): the server reads and drops what still comes, and closes only when
// the client has closed or the lingering time is over. Closed with the body unread, the
// connection would be reset, and the client could lose the answer it had not read.
TEST(HttpServerTest, ARefusalReachesAClientStillSendingItsBody) {
  Runtime runtime(1);
  Router router;
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.max_body_bytes = 1 << 20;
  opts.linger_ms = 1500;
  opts.large_body = [](const HttpRequest&,
                       std::optional<HttpResponse>* refusal) -> std::shared_ptr<HttpBodySink> {
    *refusal = Text(403, "not you");
    return nullptr;
  };
  HttpServer server(opts, &runtime, [&](HttpRequest& r) { return router.Route(r); });
  ASSERT_TRUE(runtime.Start().ok());
  ASSERT_TRUE(server.Start().ok());
  const std::string body(8 << 20, 'x');
  auto send_all = [](int fd, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0)
        return std::string(std::strerror(errno)) + " after " + std::to_string(sent) + " bytes";
      sent += static_cast<size_t>(n);
    }
    return std::string("sent");
  };
  // Announced past the limit, refused from the header; chunked past the limit, refused
  // once 1 MiB of it was read.
  std::string chunked_body;
  for (size_t at = 0; at < body.size(); at += 65536)
    chunked_body += "10000\r\n" + body.substr(at, 65536) + "\r\n";
  chunked_body += "0\r\n\r\n";
  for (const auto& [head, rest, want] :
       {std::tuple<std::string, const std::string*, std::string>{
            "PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\n\r\n",
            &body, "HTTP/1.1 403"},
        {"PUT /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", &chunked_body,
         "HTTP/1.1 413"}}) {
    int fd = ConnectLoopback(server.port(), 5);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(send_all(fd, head + *rest), "sent") << want;
    ::shutdown(fd, SHUT_WR);
    std::string answer = ReadUntil(fd, "never there");
    EXPECT_EQ(answer.rfind(want, 0), 0u) << answer;
    ::close(fd);
  }

  // A client that never stops sending is closed once the lingering time is over.
  int fd = ConnectLoopback(server.port(), 5);
  ASSERT_GE(fd, 0);
  std::string head = "PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), 0), static_cast<ssize_t>(head.size()));
  const auto start = std::chrono::steady_clock::now();
  std::string ended;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(10)) {
    ssize_t n = ::send(fd, body.data(), 65536, MSG_NOSIGNAL);
    if (n <= 0) {
      ended = std::strerror(errno);
      break;
    }
  }
  const double after_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_FALSE(ended.empty()) << "still connected after 10 s";
  EXPECT_GE(after_s, 1.0) << ended;
  EXPECT_LT(after_s, 5.0) << ended;
  ::close(fd);

  server.Stop();
  runtime.Stop();
  runtime.Join();
}

// A body read whole (under max_body_bytes) is cut when its client stops sending for the
// idle timeout, not when all of it takes longer: a slow link's upload is taken. It was cut
// at the timeout counted from the header's start.
TEST(HttpServerTest, ABodyIsReadWhileItKeepsComingAndCutWhenItStops) {
  Runtime runtime(1);
  std::atomic<int> handled{0};
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.idle_timeout_s = 1;
  HttpServer server(opts, &runtime, [&](HttpRequest& r) {
    ++handled;
    return Text(200, "took " + r.body);
  });
  ASSERT_TRUE(runtime.Start().ok());
  ASSERT_TRUE(server.Start().ok());

  // 12 bytes, one every 250 ms: 3 s for the body, never 1 s without a byte.
  int fd = ConnectLoopback(server.port(), 5);
  ASSERT_GE(fd, 0);
  const std::string body = "slow-uplink!";
  std::string head =
      "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), 0), static_cast<ssize_t>(head.size()));
  for (char c : body) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    ASSERT_EQ(::send(fd, &c, 1, MSG_NOSIGNAL), 1) << "the server closed mid-body";
  }
  std::string answer = ReadUntil(fd, "took " + body);
  EXPECT_NE(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
  EXPECT_NE(answer.find("took " + body), std::string::npos) << answer;
  ::close(fd);

  // A body that stops: the connection closes without an answer, and no handler runs.
  fd = ConnectLoopback(server.port(), 5);
  ASSERT_GE(fd, 0);
  std::string part = "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc";
  ASSERT_EQ(::send(fd, part.data(), part.size(), 0), static_cast<ssize_t>(part.size()));
  auto start = std::chrono::steady_clock::now();
  answer = ReadUntil(fd, "took");
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(answer, "");
  EXPECT_LT(waited, std::chrono::seconds(4)) << "closed by the idle timeout, not the read's";
  ::close(fd);
  EXPECT_EQ(handled.load(), 1);

  server.Stop();
  runtime.Stop();
  runtime.Join();
}

}  // namespace
}  // namespace tributary::net
