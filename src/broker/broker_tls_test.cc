// TLS with client certificates (mosquitto_pub) and MQTT over secure WebSocket (Node's
// mqtt package). A throwaway CA, server and client certificates are made with the
// openssl command line for each run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "base/files.h"
#include "broker/testing/test_util.h"

namespace tributary::broker {
namespace {

using testing::RunCommand;

class RecordingAuthorizer : public Authorizer {
 public:
  Result<std::shared_ptr<const ClientGrant>> Authenticate(const ClientIdentity& id) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(id);
    }
    return allow.Authenticate(id);
  }
  std::vector<ClientIdentity> Seen() {
    std::lock_guard<std::mutex> lock(mu);
    return seen;
  }
  std::mutex mu;
  std::vector<ClientIdentity> seen;
  AllowAllAuthorizer allow;
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("broker-tls");
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/san.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n").ok());
    Run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", P("ca.key"), "-out", P("ca.crt"), "-days", "1", "-subj",
         "/CN=tributary-test-ca"});
    Issue("server", "localhost", true);
    Issue("client", "device-1", false);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string P(const std::string& f) { return dir_ + "/" + f; }
  void Run(std::vector<std::string> argv) {
    std::string out;
    ASSERT_EQ(RunCommand(argv, 10000, &out), 0) << argv[0] << " " << argv[1] << ": " << out;
  }
  void Issue(const std::string& name, const std::string& cn, bool server) {
    Run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", P(name + ".key"), "-out", P(name + ".csr"), "-subj", "/CN=" + cn});
    std::vector<std::string> sign = {"openssl", "x509", "-req", "-in", P(name + ".csr"), "-CA",
                                     P("ca.crt"), "-CAkey", P("ca.key"), "-CAcreateserial",
                                     "-out", P(name + ".crt"), "-days", "1"};
    if (server) sign.insert(sign.end(), {"-extfile", P("san.ext")});
    Run(sign);
  }
  std::string Fingerprint(const std::string& cert) {
    std::string out;
    EXPECT_EQ(RunCommand({"openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha256"},
                         5000, &out), 0);
    std::string hex;
    for (char c : out.substr(out.find('=') + 1)) {
      if (std::isxdigit(static_cast<unsigned char>(c))) hex.push_back(std::tolower(c));
    }
    return hex;
  }
  BrokerOptions Options() {
    BrokerOptions o = testing::TestOptions();
    o.tcp_port = -1;
    o.tls_port = 0;
    o.ws_port = 0;
    o.server_cert_file = P("server.crt");
    o.server_key_file = P("server.key");
    o.ca_cert_file = P("ca.crt");
    return o;
  }
  std::string dir_;
};

TEST_F(TlsTest, ClientCertificateRequiredAndReportedToTheAuthorizer) {
  RecordingAuthorizer auth;
  auto tb = testing::TestBroker::Start(Options(), &auth);
  ASSERT_TRUE(tb);
  int port = tb->broker().tls_port();
  ASSERT_GT(port, 0);
  std::vector<std::string> base = {"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port),
                                   "--cafile", P("ca.crt"), "-t", "tls/t", "-m", "m", "-q", "1",
                                   "-i", "tls-client"};
  for (const char* v : {"mqttv311", "mqttv5"}) {
    auto argv = base;
    argv.insert(argv.end(), {"-V", v, "--cert", P("client.crt"), "--key", P("client.key")});
    std::string out;
    EXPECT_EQ(RunCommand(argv, 8000, &out), 0) << v << ": " << out;
  }
  auto seen = auth.Seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].listener, "tls");
  EXPECT_EQ(seen[0].cert_common_name, std::optional<std::string>("device-1"));
  EXPECT_EQ(seen[0].cert_sha256, Fingerprint(P("client.crt")));
  EXPECT_EQ(seen[0].cert_sha256.size(), 64u);

  // No client certificate: the TLS handshake fails and the authorizer never runs.
  std::string out;
  auto argv = base;
  argv.insert(argv.end(), {"-V", "mqttv311"});
  EXPECT_NE(RunCommand(argv, 8000, &out), 0) << out;
  EXPECT_EQ(auth.Seen().size(), 2u);
}

TEST_F(TlsTest, WebSocketWithoutClientCertificate) {
  RecordingAuthorizer auth;
  auto tb = testing::TestBroker::Start(Options(), &auth);
  ASSERT_TRUE(tb);
  int port = tb->broker().ws_port();
  ASSERT_GT(port, 0);
  std::string script = P("ws.js");
  std::ofstream(script) << R"JS(
const mqtt = require(process.argv[2] + '/tests/node_modules/mqtt');
const fs = require('fs');
const c = mqtt.connect('wss://127.0.0.1:' + process.argv[3] + '/mqtt', {
  ca: fs.readFileSync(process.argv[4]), rejectUnauthorized: true, protocolVersion: 5,
  username: 'ws-user', password: 'pw', clientId: 'ws-client', reconnectPeriod: 0 });
let done = false;
const timer = setTimeout(() => { console.log('TIMEOUT'); process.exit(2); }, 8000);
c.on('error', (e) => { console.log('ERROR ' + e.message); if (!done) process.exit(3); });
c.on('connect', () => {
  c.subscribe('ws/t', { qos: 1 }, () => c.publish('ws/t', 'hello over websocket', { qos: 1 }));
});
c.on('message', (t, m) => {
  console.log('GOT ' + t + ' ' + m.toString());
  done = true;
  clearTimeout(timer);
  c.end(false, () => process.exit(0));
});
)JS";
  std::string out;
  int rc = RunCommand({"node", script, TRIBUTARY_SOURCE_DIR, std::to_string(port), P("ca.crt")},
                      15000, &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("GOT ws/t hello over websocket"), std::string::npos) << out;
  auto seen = auth.Seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].listener, "ws");
  EXPECT_EQ(seen[0].username, std::optional<std::string>("ws-user"));
  EXPECT_FALSE(seen[0].cert_common_name.has_value());
}

}  // namespace
}  // namespace tributary::broker
