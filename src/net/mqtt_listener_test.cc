// The MQTT listeners' defences against clients that hold what they open: caps on the
// connections held at once (in all, from one address, a handshake included) and a
// WebSocket upgrade request read as a bounded header, never with a body. Certificates
// are made once with the openssl command line (test_pki.h).
#include "net/mqtt_listener.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/testing/temp_dir.h"
#include "net/testing/loopback_socket.h"
#include "net/testing/test_pki.h"

namespace tributary::net {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using testing_support::ConnectLoopback;

// Whether the server closed `fd` (end of stream or reset) within `wait_ms`, sending nothing.
bool ClosedByServer(int fd, int wait_ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, wait_ms) != 1) return false;
  char c;
  return ::recv(fd, &c, 1, 0) <= 0;
}

// What a listener keeps of the connections it delivered, until told to let them go.
class Delivered {
 public:
  MqttListener::OnConnection Sink() {
    return [this](std::unique_ptr<MqttTransport> t) {
      std::lock_guard<std::mutex> lock(mu_);
      held_.push_back(std::move(t));
    };
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return held_.size();
  }
  bool WaitFor(size_t n) {
    for (int i = 0; i < 200 && count() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return count() >= n;
  }
  // Destroys the first one on its own thread, as a broker connection ends.
  void DropFirst() {
    std::lock_guard<std::mutex> lock(mu_);
    std::shared_ptr<MqttTransport> t = std::move(held_.front());
    held_.front() = nullptr;
    asio::post(t->context(), [t] {});
  }

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<MqttTransport>> held_;
};

class MqttListenerTest : public ::testing::Test {
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
  void SetUp() override { ASSERT_TRUE(runtime_.Start().ok()); }
  void TearDown() override {
    if (listener_) listener_->Stop();
    runtime_.Stop();
    runtime_.Join();
  }

  void Listen(ListenerKind kind, std::shared_ptr<ConnectionLimiter> limiter = nullptr) {
    MqttListenerOptions o;
    o.kind = kind;
    o.bind_address = "127.0.0.1";
    o.limiter = std::move(limiter);
    o.refused = &refused_;
    if (kind != ListenerKind::kTcp) {
      const std::string dir = pki_->path() + "/";
      auto tls =
          MakeServerTlsContext({dir + "server.crt", dir + "server.key", dir + "ca.crt", false});
      ASSERT_TRUE(tls.ok()) << tls.status().ToString();
      o.tls = *tls;
    }
    auto l = MqttListener::Create(&runtime_, o, delivered_.Sink());
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    listener_ = std::move(l).value();
  }

  // Sends `request` over TLS to the listener and reads the answer's header, until the
  // server closes or `wait_ms` passes.
  struct Answer {
    std::string text;
    bool closed = false;
  };
  Answer AskOverTls(const std::string& request, int wait_ms = 3000) {
    asio::io_context io;
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_verify_mode(ssl::verify_none);
    ssl::stream<tcp::socket> s(io, ctx);
    Answer a;
    error_code ec;
    s.next_layer().connect(
        {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(listener_->port())}, ec);
    if (!ec) s.handshake(ssl::stream_base::client, ec);
    if (!ec) asio::write(s, asio::buffer(request), ec);
    if (ec) {
      a.closed = true;
      return a;
    }
    std::array<char, 4096> buf;
    std::function<void()> read = [&] {
      s.async_read_some(asio::buffer(buf), [&](const error_code& e, size_t n) {
        a.text.append(buf.data(), n);
        if (e) {
          a.closed = true;
        } else if (a.text.find("\r\n\r\n") == std::string::npos) {
          read();
        }
      });
    };
    read();
    io.run_for(std::chrono::milliseconds(wait_ms));
    return a;
  }

  static std::string Upgrade(const std::string& extra_fields) {
    return "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Protocol: mqtt\r\n" +
           extra_fields + "\r\n";
  }

  static testing_support::TempDir* pki_;
  Runtime runtime_{1};
  Counter refused_;
  Delivered delivered_;
  std::unique_ptr<MqttListener> listener_;
};

testing_support::TempDir* MqttListenerTest::pki_ = nullptr;

// Past the cap in all a new connection is closed as soon as it is accepted; a connection
// ending (its transport destroyed) makes room again.
TEST_F(MqttListenerTest, ConnectionsPastTheCapAreClosedAtOnce) {
  auto limiter = ConnectionLimiter::Create({/*max_connections=*/2, 0, true});
  Listen(ListenerKind::kTcp, limiter);
  int a = ConnectLoopback(listener_->port()), b = ConnectLoopback(listener_->port());
  ASSERT_TRUE(delivered_.WaitFor(2));
  int c = ConnectLoopback(listener_->port());
  EXPECT_TRUE(ClosedByServer(c, 2000));
  EXPECT_EQ(refused_.Value(), 1u);
  EXPECT_EQ(delivered_.count(), 2u);
  delivered_.DropFirst();
  for (int i = 0; i < 100 && limiter->connections() > 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int d = ConnectLoopback(listener_->port());
  EXPECT_TRUE(delivered_.WaitFor(3));
  EXPECT_FALSE(ClosedByServer(d, 100));
  for (int fd : {a, b, c, d}) ::close(fd);
}

// A connection still in its handshake is held, and counts: with one address's cap of
// one, a second connection from it is closed at once while the first has not even
// begun TLS.
TEST_F(MqttListenerTest, AConnectionInItsHandshakeCountsAgainstItsAddress) {
  Listen(ListenerKind::kWs, ConnectionLimiter::Create({0, /*max_per_address=*/1,
                                                       /*loopback_unlimited=*/false}));
  int first = ConnectLoopback(listener_->port());
  int second = ConnectLoopback(listener_->port());
  EXPECT_TRUE(ClosedByServer(second, 2000));
  EXPECT_FALSE(ClosedByServer(first, 100));
  EXPECT_EQ(refused_.Value(), 1u);
  ::close(first);
  ::close(second);
}

// An upgrade request has no body: one announcing a body (of any length, or chunked) is
// answered 400 and closed at once, its body never read or waited for.
TEST_F(MqttListenerTest, AnUpgradeRequestAnnouncingABodyIsRefusedAtOnce) {
  Listen(ListenerKind::kWs);
  for (const char* field :
       {"Content-Length: 1048576\r\n", "Content-Length: 1\r\n", "Transfer-Encoding: chunked\r\n"}) {
    Answer a = AskOverTls(Upgrade(field));
    EXPECT_EQ(a.text.rfind("HTTP/1.1 400", 0), 0u) << field << a.text;
  }
  EXPECT_EQ(delivered_.count(), 0u);
  // The same request without a body is upgraded.
  Answer ok = AskOverTls(Upgrade("Content-Length: 0\r\n"));
  EXPECT_EQ(ok.text.rfind("HTTP/1.1 101", 0), 0u) << ok.text;
  EXPECT_TRUE(delivered_.WaitFor(1));
}

// The header is bounded: past 8 KiB the connection is closed, without an upgrade.
TEST_F(MqttListenerTest, AnUpgradeHeaderPast8KiBIsRefused) {
  Listen(ListenerKind::kWs);
  Answer a = AskOverTls(Upgrade("X-Padding: " + std::string(9000, 'x') + "\r\n"));
  EXPECT_TRUE(a.closed);
  EXPECT_EQ(a.text.find("HTTP/1.1 101"), std::string::npos) << a.text;
  EXPECT_EQ(delivered_.count(), 0u);
}

}  // namespace
}  // namespace tributary::net
