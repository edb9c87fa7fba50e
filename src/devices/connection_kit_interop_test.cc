// Proves a connection kit works with software nobody here wrote: Eclipse Mosquitto runs
// as the broker with the server certificate the CA issued and requires client
// certificates; the kit's publish.sh (mosquitto_pub) and device.js (Node's `mqtt`)
// publish through it, and mosquitto_sub, authenticated by another thing's kit, receives.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "base/files.h"
#include "devices/connection_kit.h"
#include "devices/test_util.h"
#include "metadata/testing/test_database.h"

extern char** environ;

namespace tributary::devices {
namespace {

using testing::RunCommand;

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool PortOpen(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

std::string CurrentUser() {
  passwd* pw = ::getpwuid(::getuid());
  return pw ? pw->pw_name : "root";
}

// A mosquitto broker process, stopped on destruction.
class Mosquitto {
 public:
  ~Mosquitto() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool Start(const std::string& conf, const std::string& log, int port) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::string c = conf;
    char* argv[] = {const_cast<char*>("mosquitto"), const_cast<char*>("-c"), c.data(), nullptr};
    int rc = posix_spawnp(&pid_, "mosquitto", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return false;
    for (int i = 0; i < 100; ++i) {
      if (PortOpen(port)) return true;
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
};

TEST(ConnectionKitInteropTest, KitPublishesThroughMosquittoWithClientCertificates) {
  if (RunCommand("command -v mosquitto || test -x /usr/sbin/mosquitto").exit_code != 0)
    GTEST_SKIP() << "mosquitto is not installed";
  testing::TempDir dir;
  auto db = metadata::testing::OpenTestDatabase(dir.path() + "/metadata.db");
  ASSERT_TRUE(db.ok());
  auto registry = DeviceRegistry::Open(db->get(), {.pki_dir = dir.path() + "/pki"});
  ASSERT_TRUE(registry.ok()) << registry.status().ToString();
  auto& reg = **registry;

  const int port = FreePort();
  KitEndpoint endpoint{.host = "127.0.0.1", .mqtt_tls_port = port};
  std::string sensor_kit = dir.path() + "/sensor-1", watcher_kit = dir.path() + "/watcher";
  for (const auto& [name, kit] : {std::pair{"sensor-1", sensor_kit}, std::pair{"watcher", watcher_kit}}) {
    auto created = reg.CreateThing(name);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ASSERT_TRUE(WriteConnectionKit(kit, KitInputFor(*created, reg.ca(), endpoint)).ok());
  }

  std::ostringstream conf;
  conf << "listener " << port << " 127.0.0.1\n"
       << "cafile " << reg.ca().ca_cert_path() << "\n"
       << "certfile " << reg.ca().server_cert_path() << "\n"
       << "keyfile " << reg.ca().server_key_path() << "\n"
       << "require_certificate true\nuse_identity_as_username true\nallow_anonymous true\n"
       << "persistence false\n"
       // Mosquitto started as root drops to user "mosquitto", which cannot read the 0700
       // PKI directory: stay whoever runs the test.
       << "user " << CurrentUser() << "\n";
  std::string conf_path = dir.path() + "/mosquitto.conf";
  ASSERT_TRUE(WriteFileAtomic(conf_path, conf.str()).ok());
  Mosquitto broker;
  ASSERT_TRUE(broker.Start(conf_path, dir.path() + "/mosquitto.log", port))
      << RunCommand("cat " + dir.path() + "/mosquitto.log").output;

  const std::string topic = "devices/sensor-1/pollution";
  const std::string sub = "timeout 60 mosquitto_sub -h 127.0.0.1 -p " + std::to_string(port) +
                          " --cafile " + watcher_kit + "/ca.crt --cert " + watcher_kit +
                          "/device.crt --key " + watcher_kit + "/device.key -i watcher -c -q 1 -t " +
                          topic;
  // A persistent session first, so nothing published afterwards can be missed.
  auto subscribed = RunCommand(sub + " -E");
  ASSERT_EQ(subscribed.exit_code, 0) << subscribed.output;

  // A client without a certificate is refused during the handshake.
  auto anonymous = RunCommand("timeout 20 mosquitto_pub -h 127.0.0.1 -p " + std::to_string(port) +
                              " --cafile " + watcher_kit + "/ca.crt -t x -m y");
  EXPECT_NE(anonymous.exit_code, 0) << anonymous.output;

  auto published = RunCommand("timeout 60 " + sensor_kit + "/publish.sh 2");
  ASSERT_EQ(published.exit_code, 0) << published.output;
  EXPECT_NE(published.output.find("published 2 message(s)"), std::string::npos) << published.output;

  int expected = 2;
  std::string node_modules = std::string(TRIBUTARY_SOURCE_DIR) + "/tests/node_modules";
  if (std::filesystem::exists(node_modules + "/mqtt")) {
    auto node = RunCommand("cd " + sensor_kit + " && NODE_PATH=" + node_modules +
                           " timeout 60 node device.js --count 3 --interval 50");
    ASSERT_EQ(node.exit_code, 0) << node.output;
    EXPECT_NE(node.output.find("published 3 message(s)"), std::string::npos) << node.output;
    expected += 3;
  } else {
    ADD_FAILURE() << "tests/node_modules/mqtt is missing: run npm ci in tests/";
  }

  auto received = RunCommand(sub + " -C " + std::to_string(expected) + " -W 30");
  ASSERT_EQ(received.exit_code, 0) << received.output;
  std::istringstream lines(received.output);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    auto reading = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(reading.is_object()) << line;
    for (const char* key : {"ozone", "particulate_matter", "carbon_monoxide", "sulfur_dioxide",
                            "nitrogen_dioxide"}) {
      ASSERT_TRUE(reading[key].is_number_integer()) << key << " in " << line;
      EXPECT_GE(reading[key].get<int>(), 0);
      EXPECT_LE(reading[key].get<int>(), 100);
    }
    EXPECT_DOUBLE_EQ(reading["longitude"].get<double>(), 10.250786139881143);
    EXPECT_DOUBLE_EQ(reading["latitude"].get<double>(), 56.20251117218925);
    EXPECT_TRUE(reading["timestamp"].is_string()) << line;
    ++count;
  }
  EXPECT_EQ(count, expected) << received.output;
}

}  // namespace
}  // namespace tributary::devices
