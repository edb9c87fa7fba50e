// TLS against the real nats-server: traffic and JetStream over TLS, every way the
// handshake is refused (untrusted CA, wrong name, no TLS on the server, a missing client
// certificate, a handshake that never ends, bad credentials), the upgrade of a nats://
// client, mutual TLS and reconnecting. Certificates are made once per run with the openssl command
// line:
//
//   file               signed by   holds
//   ca.crt             itself      the CA the clients are given
//   other-ca.crt       itself      a CA nobody is given
//   server.crt         ca          IP:127.0.0.1
//   named.crt          ca          DNS:nats.test (the wrong name for 127.0.0.1)
//   localhost.crt      ca          DNS:localhost (and no IP)
//   stranger.crt       other-ca    IP:127.0.0.1
//   client.crt         ca          CN=client (for mutual TLS)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "base/testing/temp_dir.h"
#include "nats/connection.h"
#include "nats/jetstream.h"
#include "nats/testing/inbox.h"
#include "nats/testing/nats_server.h"
#include "nats/url.h"

namespace tributary::nats {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::Inbox;
using testing::NatsServer;
using testing::WaitUntil;

using testing::MillisSince;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class NatsTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new testing_support::TempDir();
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
    for (const char* ca : {"ca", "other-ca"}) {
      Sh("openssl req -x509" + ec + "-keyout " + P(ca) + ".key -out " + P(ca) +
         ".crt -days 1 -subj /CN=tributary-test-" + ca);
    }
    struct Leaf {
      const char *name, *ca, *ext;
    };
    for (const Leaf& leaf : {Leaf{"server", "ca", "subjectAltName=IP:127.0.0.1"},
                             Leaf{"named", "ca", "subjectAltName=DNS:nats.test"},
                             Leaf{"localhost", "ca", "subjectAltName=DNS:localhost"},
                             Leaf{"stranger", "other-ca", "subjectAltName=IP:127.0.0.1"},
                             Leaf{"client", "ca", "extendedKeyUsage=clientAuth"}}) {
      std::string n = P(leaf.name), ca = P(leaf.ca);
      Sh("openssl req" + ec + "-keyout " + n + ".key -out " + n + ".csr -subj /CN=" + leaf.name);
      std::ofstream(n + ".ext") << leaf.ext << "\n";
      Sh("openssl x509 -req -in " + n + ".csr -CA " + ca + ".crt -CAkey " + ca +
         ".key -CAcreateserial -out " + n + ".crt -days 1 -extfile " + n + ".ext");
    }
    Sh("openssl verify -CAfile " + P("ca.crt") + " -verify_ip 127.0.0.1 " + P("server.crt"));
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  static void Sh(const std::string& cmd) {
    ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
  }
  static std::string P(const std::string& file) { return pki_->path() + "/" + file; }

  // A TLS server presenting `<cert>.crt`, verifying clients against ca.crt if asked.
  static NatsServer::Options Tls(const std::string& cert, bool verify_clients = false) {
    return {.tls_cert = P(cert + ".crt"),
            .tls_key = P(cert + ".key"),
            .tls_verify_ca = verify_clients ? P("ca.crt") : ""};
  }

  // tls://127.0.0.1:<port> trusting ca.crt, with the fixture's quick timings.
  static ConnectOptions TlsClient(const NatsServer& server) {
    auto parsed = ParseNatsUrl("tls://" + server.host_port());
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    ConnectOptions o = parsed.ok() ? *parsed : ConnectOptions{};
    EXPECT_TRUE(o.tls);
    o.tls_ca_file = P("ca.crt");
    o.reconnect_wait_ms = 100;
    o.connect_timeout_ms = 2000;
    return o;
  }

  static void Start(NatsServer& server) {
    Status started = server.Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  static std::unique_ptr<Connection> Connect(const ConnectOptions& o) {
    auto c = Connection::Connect(o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // Connect's error, which must come within `max_ms`.
  static Status Refused(const ConnectOptions& o, int64_t max_ms = 3000) {
    auto start = steady_clock::now();
    auto c = Connection::Connect(o);
    EXPECT_LT(MillisSince(start), max_ms);
    EXPECT_FALSE(c.ok()) << "connected, but should have been refused";
    return c.status();
  }

  static testing_support::TempDir* pki_;
};

testing_support::TempDir* NatsTlsTest::pki_ = nullptr;

TEST_F(NatsTlsTest, PublishSubscribeAndRequestOverTls) {
  NatsServer server(Tls("server"));
  Start(server);
  auto nc = Connect(TlsClient(server));
  auto other = Connect(TlsClient(server));
  ASSERT_TRUE(nc && other);
  EXPECT_EQ(nc->server_version(), "2.9.10");

  // Large messages fill the socket (writes stop short, TLS records span reads); small
  // ones come many to a read.
  Inbox inbox;
  ASSERT_TRUE(nc->Subscribe("bulk.>", inbox.Fn()).ok());
  ASSERT_TRUE(nc->Flush(2000).ok());
  constexpr int kMessages = 400;
  auto payload = [](int i) {
    size_t size = i % 10 == 0 ? (200u << 10) + i : 10 + i;
    return std::string(size, static_cast<char>('a' + i % 26));
  };
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(other->Publish("bulk." + std::to_string(i), payload(i)).ok());
  }
  ASSERT_TRUE(other->Flush(5000).ok());
  ASSERT_TRUE(inbox.WaitFor(kMessages, 10000)) << inbox.size();
  std::vector<Message> got = inbox.Take();
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(got[i].subject, "bulk." + std::to_string(i));
    ASSERT_EQ(got[i].data, payload(i)) << i;
  }

  ASSERT_TRUE(other
                  ->Subscribe("svc.echo",
                              [o = other.get()](Message& m) { (void)o->Publish(m.reply, m.data); })
                  .ok());
  ASSERT_TRUE(other->Flush(2000).ok());
  auto echo = nc->RequestSync("svc.echo", "over tls", 2000);
  ASSERT_TRUE(echo.ok()) << echo.status().ToString();
  EXPECT_EQ(echo->data, "over tls");
}

TEST_F(NatsTlsTest, JetStreamPublishAndFetchOverTls) {
  NatsServer server(Tls("server"));
  Start(server);
  auto nc = Connect(TlsClient(server));
  ASSERT_NE(nc, nullptr);
  ASSERT_TRUE(nc->jetstream());
  JetStream js(nc.get());
  auto stream = js.EnsureStream({.name = "WORK", .subjects = {"work.>"}});
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  ASSERT_TRUE(js.EnsureConsumer("WORK", {.durable = "w"}).ok());
  for (int i = 0; i < 3; ++i) {
    std::promise<Status> acked;
    js.Publish("work." + std::to_string(i), "item-" + std::to_string(i), nullptr, 2000,
               [&](const Status& st, uint64_t) { acked.set_value(st); });
    Status st = acked.get_future().get();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  std::vector<Delivered> fetched;
  std::promise<Status> done;
  js.Fetch(
      "WORK", "w", 3, 2000, [&](Delivered& d) { fetched.push_back(std::move(d)); },
      [&](const Status& st) { done.set_value(st); });
  Status st = done.get_future().get();
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(fetched.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(fetched[i].msg.data, "item-" + std::to_string(i));
    EXPECT_TRUE(js.Ack(fetched[i].ack_subject).ok());
  }
  EXPECT_TRUE(nc->Flush(2000).ok());
}

TEST_F(NatsTlsTest, RefusesACertificateFromAnotherCa) {
  NatsServer server(Tls("stranger"));
  Start(server);
  Status st = Refused(TlsClient(server));
  EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition) << st.ToString();
  EXPECT_TRUE(Has(st.message(), "cannot connect to NATS at " + server.host_port())) << st.message();
  EXPECT_TRUE(Has(st.message(), "certificate verify failed: unable to get local issuer"))
      << st.message();
  EXPECT_TRUE(Has(st.message(), "no CA in tls_ca_file")) << st.message();
}

TEST_F(NatsTlsTest, RefusesACertificateForAnotherNameUnlessThatNameIsGiven) {
  NatsServer server(Tls("named"));
  Start(server);
  ConnectOptions o = TlsClient(server);
  Status st = Refused(o);
  EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition) << st.ToString();
  EXPECT_TRUE(Has(st.message(), server.host_port())) << st.message();
  EXPECT_TRUE(Has(st.message(), "certificate verify failed: IP address mismatch")) << st.message();
  EXPECT_TRUE(Has(st.message(), "tls_server_name")) << st.message();

  o.tls_server_name = "other.test";
  st = Refused(o);
  EXPECT_TRUE(Has(st.message(), "certificate verify failed: hostname mismatch")) << st.message();

  o.tls_server_name = "nats.test";
  auto nc = Connect(o);
  ASSERT_NE(nc, nullptr);
  EXPECT_TRUE(nc->Flush(2000).ok());
}

TEST_F(NatsTlsTest, TlsClientRefusesAPlainServer) {
  NatsServer server;
  Start(server);
  Status st = Refused(TlsClient(server));
  EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition) << st.ToString();
  EXPECT_TRUE(Has(st.message(), "the NATS server at " + server.host_port() + " does not offer TLS"))
      << st.message();
}

TEST_F(NatsTlsTest, PlainUrlUpgradesWhenTheServerRequiresTls) {
  NatsServer server(Tls("server"));
  Start(server);
  ConnectOptions o = TlsClient(server);
  o.tls = false;  // nats://

  auto nc = Connect(o);
  ASSERT_NE(nc, nullptr);
  Inbox inbox;
  ASSERT_TRUE(nc->Subscribe("up", inbox.Fn()).ok());
  ASSERT_TRUE(nc->Publish("up", "graded").ok());
  ASSERT_TRUE(inbox.WaitFor(1));
  EXPECT_EQ(inbox.Take()[0].data, "graded");

  // Without a CA file, the system's store decides, and it does not know the test CA.
  o.tls_ca_file.clear();
  Status st = Refused(o);
  EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition) << st.ToString();
  EXPECT_TRUE(Has(st.message(), "cannot connect to NATS at " + server.host_port())) << st.message();
  EXPECT_TRUE(Has(st.message(), "certificate verify failed")) << st.message();
  EXPECT_TRUE(Has(st.message(), "system's CA store")) << st.message();
}

TEST_F(NatsTlsTest, MutualTlsNeedsTheClientCertificate) {
  NatsServer server(Tls("server", /*verify_clients=*/true));
  Start(server);
  ConnectOptions o = TlsClient(server);
  o.tls_cert_file = P("client.crt");
  o.tls_key_file = P("client.key");
  auto nc = Connect(o);
  ASSERT_NE(nc, nullptr);
  EXPECT_TRUE(nc->Flush(2000).ok());

  o.tls_cert_file.clear();
  o.tls_key_file.clear();
  Status st = Refused(o);
  EXPECT_EQ(st.code(), ErrorCode::kUnauthenticated) << st.ToString();
  EXPECT_TRUE(Has(st.message(), "cannot connect to NATS at " + server.host_port())) << st.message();
  // nats-server 2.9.10 (Go's TLS 1.3) says "bad certificate"; newer ones "certificate
  // required". Either way it comes after the handshake, on the first read.
  EXPECT_TRUE(Has(st.message(), "TLS read: ")) << st.message();
  EXPECT_TRUE(Has(st.message(), " alert ")) << st.message();
  EXPECT_TRUE(Has(st.message(), "set tls_cert_file")) << st.message();

  // A certificate from a CA the server does not trust.
  o.tls_cert_file = P("stranger.crt");
  o.tls_key_file = P("stranger.key");
  st = Refused(o);
  EXPECT_EQ(st.code(), ErrorCode::kUnauthenticated) << st.ToString();
  EXPECT_TRUE(Has(st.message(), "does not accept the certificate in tls_cert_file"))
      << st.message();
}

TEST_F(NatsTlsTest, BadCredentialsOverTlsGiveTheServersReason) {
  NatsServer::Options options = Tls("server");
  options.user = "alice";
  options.password = "s3cret";
  NatsServer server(options);
  Start(server);
  ConnectOptions o = TlsClient(server);
  o.user = "alice";
  o.password = "wrong";
  Status st = Refused(o);
  EXPECT_EQ(st.code(), ErrorCode::kUnauthenticated) << st.ToString();
  EXPECT_TRUE(Has(st.message(), "Authorization Violation")) << st.message();
  o.password = "s3cret";
  auto nc = Connect(o);
  ASSERT_NE(nc, nullptr);
  EXPECT_TRUE(nc->Flush(2000).ok());
}

TEST_F(NatsTlsTest, ReconnectsOverTlsAfterTheServerIsKilled) {
  NatsServer server(Tls("server"));
  Start(server);
  auto nc = Connect(TlsClient(server));
  auto other = Connect(TlsClient(server));
  ASSERT_TRUE(nc && other);
  Inbox inbox;
  ASSERT_TRUE(nc->Subscribe("events.>", inbox.Fn()).ok());
  ASSERT_TRUE(nc->Flush(2000).ok());

  server.Kill();
  ASSERT_TRUE(WaitUntil([&] { return !nc->connected() && !other->connected(); }, 3000));
  Start(server);
  ASSERT_TRUE(WaitUntil([&] { return nc->connected() && other->connected(); }, 5000));
  EXPECT_EQ(nc->reconnects(), 1u);
  EXPECT_EQ(other->reconnects(), 1u);

  ASSERT_TRUE(nc->Flush(2000).ok());  // the subscription is back
  ASSERT_TRUE(other->Publish("events.after", "back").ok());
  ASSERT_TRUE(other->Flush(2000).ok());
  ASSERT_TRUE(inbox.WaitFor(1));
  EXPECT_EQ(inbox.Take()[0].data, "back");
}

TEST_F(NatsTlsTest, TlsFilesThatCannotBeUsedAreInvalidArgument) {
  ConnectOptions o;
  o.port = 1;  // never dialled: the files are checked first
  o.tls = true;
  struct Case {
    std::string ca, cert, key, says;
  };
  const Case cases[] = {
      {P("missing.crt"), "", "", "cannot read tls_ca_file '" + P("missing.crt") + "'"},
      {P("ca.key"), "", "", "cannot use tls_ca_file '" + P("ca.key") + "' as PEM CA"},
      {P("ca.crt"), P("client.crt"), "", "set both or neither"},
      {P("ca.crt"), P("client.crt"), P("server.key"), "does not belong to the certificate"},
      {P("ca.crt"), P("client.key"), P("client.key"), "cannot use tls_cert_file"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.says);
    o.tls_ca_file = c.ca;
    o.tls_cert_file = c.cert;
    o.tls_key_file = c.key;
    auto nc = Connection::Connect(o);
    ASSERT_FALSE(nc.ok());
    EXPECT_EQ(nc.status().code(), ErrorCode::kInvalidArgument) << nc.status().ToString();
    EXPECT_TRUE(Has(nc.status().message(), c.says)) << nc.status().message();
  }
}

// A "server" that sends an INFO requiring TLS and then says nothing more.
TEST_F(NatsTlsTest, AHandshakeThatNeverFinishesTimesOut) {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::thread silent([listener] {
    int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) return;
    std::string info =
        "INFO {\"server_id\":\"x\",\"version\":\"2.9.10\",\"tls_required\":true}\r\n";
    (void)::send(fd, info.data(), info.size(), MSG_NOSIGNAL);
    char buf[4096];
    while (::recv(fd, buf, sizeof(buf), 0) > 0) {  // the ClientHello, then the client's close
    }
    ::close(fd);
  });
  ConnectOptions o;
  o.port = ntohs(addr.sin_port);
  o.tls_ca_file = P("ca.crt");
  o.connect_timeout_ms = 300;
  auto start = steady_clock::now();
  auto nc = Connection::Connect(o);
  int64_t took = MillisSince(start);
  silent.join();
  ::close(listener);
  ASSERT_FALSE(nc.ok());
  EXPECT_EQ(nc.status().code(), ErrorCode::kUnavailable) << nc.status().ToString();
  EXPECT_TRUE(Has(nc.status().message(), "cannot connect to NATS at 127.0.0.1:" +
                                             std::to_string(o.port) + ": TLS handshake: timed out"))
      << nc.status().message();
  EXPECT_GE(took, 250);
  EXPECT_LT(took, 2000);
}

// A TLS cluster whose members' certificate holds a host name and no IP: the client is
// given that name, learns the members as IP addresses from INFO, and when its server dies
// it fails over to one of them, checking the certificate for the first server's name.
TEST_F(NatsTlsTest, FailsOverInATlsClusterCheckingTheFirstServersName) {
  testing::NatsCluster cluster(3, Tls("localhost"));
  Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto parsed = ParseNatsUrl("tls://localhost:" + std::to_string(cluster.at(0).port()));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ConnectOptions o = *parsed;
  o.tls_ca_file = P("ca.crt");
  o.reconnect_wait_ms = 100;
  o.connect_timeout_ms = 2000;
  auto nc = Connect(o);
  ASSERT_TRUE(nc);
  auto learned = [&] {
    int members = 0;
    for (const std::string& s : nc->known_servers()) {
      if (s.rfind("127.0.0.1:", 0) == 0 && cluster.Find(s) != nullptr && cluster.Find(s) != &cluster.at(0)) {
        ++members;
      }
    }
    return members;
  };
  ASSERT_TRUE(WaitUntil([&] { return learned() == 2; }, 10000)) << cluster.LogTails();

  cluster.at(0).Kill();
  ASSERT_TRUE(WaitUntil([&] { return nc->connected() && nc->reconnects() == 1; }, 10000))
      << "on " << nc->server() << "\n" << cluster.LogTails();
  testing::NatsServer* now = cluster.Find(nc->server());
  ASSERT_NE(now, nullptr) << nc->server();
  EXPECT_NE(now, &cluster.at(0));
  EXPECT_TRUE(nc->Flush(2000).ok());
}

}  // namespace
}  // namespace tributary::nats
