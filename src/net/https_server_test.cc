// The HTTP server over TLS (HttpServerOptions::tls), against Asio's TLS client and Beast's
// HTTP: requests and keep-alive through the handshake, a body taken piece by piece, the
// close_notify that ends a "Connection: close" answer (not a cut), a refusal that reaches a
// client still sending its body, a client that does not speak TLS, which loses only its own
// connection; and the CLI's client over https://.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "base/testing/temp_dir.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "net/testing/test_pki.h"
#include "net/tls_context.h"

namespace tributary::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

class HttpsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new testing_support::TempDir();
    Status made = testing_support::MakeTestPki(pki_->path(), {"server"});
    ASSERT_TRUE(made.ok()) << made.message();
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  static std::string P(const std::string& f) { return pki_->path() + "/" + f; }

  void SetUp() override {
    auto tls = MakeServerTlsContext({P("server.crt"), P("server.key"), "", false});
    ASSERT_TRUE(tls.ok()) << tls.status().ToString();
    HttpServerOptions o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    o.tls = *tls;
    o.max_body_bytes = 1000;
    o.large_body_piece_bytes = 300;
    o.large_body = [this](const HttpRequest&, std::optional<HttpResponse>*) {
      auto received = std::make_shared<std::string>();
      auto sink = std::make_shared<HttpBodySink>();
      sink->write = [received](std::string piece, std::function<void(Status)> done) {
        *received += piece;
        done(Status::Ok());
      };
      sink->finish = [this, received](bool complete, std::function<void(HttpResponse)> respond) {
        HttpResponse r;
        r.status = complete ? 201 : 500;
        r.body = "pieces " + std::to_string(received->size());
        large_ok_ = complete && *received == std::string(received->size(), 'x');
        respond(std::move(r));
      };
      return sink;
    };
    server_ = std::make_unique<HttpServer>(o, &runtime_, [](HttpRequest& r) {
      HttpResponse res;
      res.body = r.method + " " + r.path + " " + std::to_string(r.body.size());
      return res;
    });
    ASSERT_TRUE(runtime_.Start().ok());
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_->Stop();
    runtime_.Stop();
    runtime_.Join();
  }

  // A TLS client connected to the server, the server's certificate verified against the CA.
  std::unique_ptr<ssl::stream<tcp::socket>> Connect() {
    auto ctx = MakeClientTlsContext({P("ca.crt"), "", ""});
    EXPECT_TRUE(ctx.ok());
    client_tls_ = *ctx;
    auto s = std::make_unique<ssl::stream<tcp::socket>>(io_, *client_tls_);
    s->lowest_layer().connect({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server_->port())});
    s->handshake(ssl::stream_base::client);
    return s;
  }

  http::response<http::string_body> Call(ssl::stream<tcp::socket>& s, http::verb verb, const std::string& target,
                                         std::string body = "", bool close = false) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (close) req.set(http::field::connection, "close");
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(s, req);
    http::response<http::string_body> res;
    http::read(s, buffer_, res);
    return res;
  }

  static testing_support::TempDir* pki_;
  Runtime runtime_{1};
  std::unique_ptr<HttpServer> server_;
  asio::io_context io_;
  std::shared_ptr<ssl::context> client_tls_;
  beast::flat_buffer buffer_;
  std::atomic<bool> large_ok_{false};
};

testing_support::TempDir* HttpsServerTest::pki_ = nullptr;

TEST_F(HttpsServerTest, ServesRequestsOverTlsAndClosesWithCloseNotify) {
  auto s = Connect();
  auto first = Call(*s, http::verb::get, "/hello");
  EXPECT_EQ(first.result_int(), 200);
  EXPECT_EQ(first.body(), "GET /hello 0");
  // Kept alive through TLS.
  auto second = Call(*s, http::verb::post, "/data", std::string(500, 'y'));
  EXPECT_EQ(second.body(), "POST /data 500");
  // A body past the limit, piece by piece.
  auto large = Call(*s, http::verb::put, "/large", std::string(2000, 'x'));
  EXPECT_EQ(large.result_int(), 201);
  EXPECT_EQ(large.body(), "pieces 2000");
  EXPECT_TRUE(large_ok_.load());
  // The last answer, then TLS's close_notify: the client reads a clean end, not a cut.
  auto s2 = Connect();
  auto last = Call(*s2, http::verb::get, "/bye", "", /*close=*/true);
  EXPECT_EQ(last.body(), "GET /bye 0");
  char byte;
  boost::system::error_code ec;
  s2->read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof) << ec.message();
}

TEST_F(HttpsServerTest, APlainHttpClientLosesOnlyItsConnection) {
  tcp::socket plain(io_);
  plain.connect({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server_->port())});
  const std::string request = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(plain, asio::buffer(request));
  char buf[512];
  boost::system::error_code ec;
  size_t total = 0;
  while (!ec) total += plain.read_some(asio::buffer(buf), ec);  // closed by the server, unanswered
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  EXPECT_EQ(std::string(buf, std::min(total, sizeof(buf))).find("GET /hello"), std::string::npos);
  // The server goes on.
  auto s = Connect();
  EXPECT_EQ(Call(*s, http::verb::get, "/after").body(), "GET /after 0");
}

// A chunked body past the limit is refused (413) once the limit is passed; a client that
// writes all of it before it reads gets the answer: after TLS's close_notify the server
// reads and drops what still comes (HttpServerOptions::linger_ms) instead of closing on
// unread bytes, which would reset the connection.
TEST_F(HttpsServerTest, ARefusalReachesAClientStillSendingItsBody) {
  auto s = Connect();
  boost::system::error_code ec;
  asio::write(*s,
              asio::buffer(std::string(
                  "PUT /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")),
              ec);
  const std::string chunk = "10000\r\n" + std::string(65536, 'x') + "\r\n";
  for (int i = 0; i < 256 && !ec; ++i) asio::write(*s, asio::buffer(chunk), ec);  // 16 MiB
  if (!ec) asio::write(*s, asio::buffer(std::string("0\r\n\r\n")), ec);
  EXPECT_FALSE(ec) << "writing the body: " << ec.message();
  http::response<http::string_body> res;
  http::read(*s, buffer_, res, ec);
  EXPECT_FALSE(ec) << "reading the answer: " << ec.message();
  EXPECT_EQ(res.result_int(), 413) << res;
}

// The CLI's client (HttpCall) over https://: the certificate checked against the CA file
// and the name in the URL; without the CA, or for a name the certificate does not hold,
// no request is sent and the message says why.
TEST_F(HttpsServerTest, TheBlockingClientVerifiesTheServer) {
  const std::string base = "https://127.0.0.1:" + std::to_string(server_->port());
  auto ok = HttpCall(base, "POST", "/cli", "{}", {}, 10, P("ca.crt"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->body, "POST /cli 2");
  auto no_ca = HttpCall(base, "GET", "/cli", "", {}, 10);
  ASSERT_FALSE(no_ca.ok());
  EXPECT_NE(no_ca.status().message().find("give the CA that issued its certificate"), std::string::npos)
      << no_ca.status().message();
  auto other_name = HttpCall("https://localhost:" + std::to_string(server_->port()), "GET", "/cli", "", {}, 10, P("ca.crt"));
  ASSERT_FALSE(other_name.ok());  // the certificate names 127.0.0.1 only
  EXPECT_NE(other_name.status().message().find("naming localhost"), std::string::npos) << other_name.status().message();
}

}  // namespace
}  // namespace tributary::net
