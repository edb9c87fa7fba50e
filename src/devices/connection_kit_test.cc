#include "devices/connection_kit.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/files.h"
#include "devices/test_util.h"
#include "metadata/testing/test_database.h"

namespace tributary::devices {
namespace {

using testing::RunCommand;
using testing::TempDir;

int FileMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 0777);
}

class ConnectionKitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db")).value();
    auto r = DeviceRegistry::Open(db_.get(), {.pki_dir = dir_.path() + "/pki"});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    registry_ = std::move(r).value();
  }
  testing::TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<DeviceRegistry> registry_;
};

TEST_F(ConnectionKitTest, WritesEveryFileWithTheRightPermissions) {
  auto created = registry_->CreateThing("sensor-1");
  ASSERT_TRUE(created.ok());
  std::string kit = dir_.path() + "/kits/sensor-1";
  KitEndpoint endpoint{.host = "127.0.0.1",
                       .mqtt_tls_port = 18883,
                       .mqtt_ws_port = 18443,
                       .http_port = 18080,
                       .https_port = 18444};
  Status st = WriteConnectionKit(kit, KitInputFor(*created, registry_->ca(), endpoint));
  ASSERT_TRUE(st.ok()) << st.ToString();

  EXPECT_EQ(FileMode(kit), 0700);
  EXPECT_EQ(FileMode(kit + "/device.key"), 0600);
  EXPECT_EQ(FileMode(kit + "/device.crt"), 0644);
  EXPECT_EQ(FileMode(kit + "/ca.crt"), 0644);
  EXPECT_EQ(FileMode(kit + "/publish.sh"), 0755);
  for (const char* f : {"endpoint.json", "device.js", "package.json", "README.md"})
    EXPECT_EQ(FileMode(kit + "/" + f), 0644) << f;
  EXPECT_EQ(*ReadFile(kit + "/device.crt"), created->certificate.cert_pem);
  EXPECT_EQ(*ReadFile(kit + "/device.key"), created->certificate.key_pem);
  EXPECT_EQ(*ReadFile(kit + "/ca.crt"), registry_->ca().ca_cert_pem());

  auto endpoint_json = nlohmann::json::parse(*ReadFile(kit + "/endpoint.json"));
  EXPECT_EQ(endpoint_json["host"], "127.0.0.1");
  EXPECT_EQ(endpoint_json["mqtt_tls_port"], 18883);
  EXPECT_EQ(endpoint_json["mqtt_ws_port"], 18443);
  EXPECT_EQ(endpoint_json["http_port"], 18080);
  EXPECT_EQ(endpoint_json["https_port"], 18444);
  EXPECT_NE(ReadFile(kit + "/README.md")->find("the HTTP API is on `https://127.0.0.1:18444`"),
            std::string::npos);
  EXPECT_EQ(endpoint_json["thing"], "sensor-1");
  EXPECT_EQ(endpoint_json["client_id"], "sensor-1");
  EXPECT_EQ(endpoint_json["topic"], "devices/sensor-1/pollution");

  auto package = nlohmann::json::parse(*ReadFile(kit + "/package.json"));
  EXPECT_EQ(package["name"], "tributary-device-sensor-1");
  EXPECT_TRUE(package["dependencies"].contains("mqtt"));

  std::string publish = *ReadFile(kit + "/publish.sh");
  EXPECT_EQ(publish.find("{{"), std::string::npos) << "unfilled placeholder";
  for (const char* needle : {"--cafile ca.crt", "--cert device.crt", "--key device.key",
                             "-i \"$THING\"", "THING=\"sensor-1\"",
                             "TOPIC=\"devices/sensor-1/pollution\"", "-q 1", "18883"})
    EXPECT_NE(publish.find(needle), std::string::npos) << needle;
  std::string js = *ReadFile(kit + "/device.js");
  EXPECT_EQ(js.find("{{"), std::string::npos);
  EXPECT_NE(js.find("--count"), std::string::npos);
  EXPECT_NE(js.find("require('mqtt')"), std::string::npos);
  EXPECT_NE(ReadFile(kit + "/README.md")->find("mqtts://127.0.0.1:18883"), std::string::npos);
  EXPECT_NE(ReadFile(kit + "/README.md")->find("wss://127.0.0.1:18443"), std::string::npos);

  // The scripts are at least syntactically valid for their interpreters.
  auto sh = RunCommand("sh -n " + kit + "/publish.sh");
  EXPECT_EQ(sh.exit_code, 0) << sh.output;
  auto node = RunCommand("node --check " + kit + "/device.js");
  EXPECT_EQ(node.exit_code, 0) << node.output;

  // OpenSSL's command line accepts the kit's certificate chain.
  auto verify = RunCommand("openssl verify -CAfile " + kit + "/ca.crt " + kit + "/device.crt");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("device.crt: OK"), std::string::npos) << verify.output;
  // ... and the key belongs to the certificate.
  auto cert_pub = RunCommand("openssl x509 -noout -pubkey -in " + kit + "/device.crt");
  auto key_pub = RunCommand("openssl pkey -pubout -in " + kit + "/device.key");
  EXPECT_EQ(cert_pub.exit_code, 0) << cert_pub.output;
  EXPECT_EQ(cert_pub.output, key_pub.output);
}

TEST_F(ConnectionKitTest, AServerWithoutWebSocketStillGivesKits) {
  auto created = registry_->CreateThing("sensor-2");
  ASSERT_TRUE(created.ok());
  KitEndpoint endpoint{.host = "127.0.0.1",
                       .mqtt_tls_port = 18883,
                       .mqtt_ws_port = -1,
                       .http_port = 18080,
                       .https_port = -1};
  auto files = BuildConnectionKit(KitInputFor(*created, registry_->ca(), endpoint));
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  for (const KitFile& f : *files) {
    EXPECT_EQ(f.contents.find("{{"), std::string::npos) << f.name;
    if (f.name == "endpoint.json") {
      EXPECT_TRUE(nlohmann::json::parse(f.contents)["mqtt_ws_port"].is_null());
      EXPECT_TRUE(nlohmann::json::parse(f.contents)["https_port"].is_null());
    }
    if (f.name == "README.md") {
      EXPECT_EQ(f.contents.find("wss://"), std::string::npos);
      EXPECT_EQ(f.contents.find("https://"), std::string::npos);
      EXPECT_NE(f.contents.find("the HTTP API is on port 18080 (plain HTTP"), std::string::npos);
      EXPECT_NE(f.contents.find("mqtts://127.0.0.1:18883"), std::string::npos);
    }
  }
  endpoint.mqtt_ws_port = 0;
  EXPECT_EQ(BuildConnectionKit(KitInputFor(*created, registry_->ca(), endpoint)).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(ConnectionKitTest, RefusesToOverwriteAKeyAndBadInput) {
  auto created = registry_->CreateThing("t1");
  ASSERT_TRUE(created.ok());
  std::string kit = dir_.path() + "/kit";
  auto input = KitInputFor(*created, registry_->ca(), KitEndpoint{});
  ASSERT_TRUE(WriteConnectionKit(kit, input).ok());
  Status again = WriteConnectionKit(kit, input);
  EXPECT_EQ(again.code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(again.message().find("device.key' already exists"), std::string::npos);

  auto bad_host = input;
  bad_host.endpoint.host = "evil\"; rm -rf /";
  EXPECT_EQ(BuildConnectionKit(bad_host).status().code(), ErrorCode::kInvalidArgument);
  auto bad_port = input;
  bad_port.endpoint.mqtt_tls_port = 70000;
  Status port = BuildConnectionKit(bad_port).status();
  EXPECT_NE(port.message().find("mqtt_tls_port must be 1..65535, got 70000"), std::string::npos);
  auto no_key = input;
  no_key.key_pem.clear();
  EXPECT_EQ(BuildConnectionKit(no_key).status().code(), ErrorCode::kInvalidArgument);
  auto files = BuildConnectionKit(input);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 8u);
}

}  // namespace
}  // namespace tributary::devices
