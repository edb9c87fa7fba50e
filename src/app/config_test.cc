#include "app/config.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/files.h"

namespace tributary::app {
namespace {

std::string TempFile(const std::string& name, const std::string& text) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("tributary-config-" + std::to_string(::getpid()) + "-" + name))
                         .string();
  EXPECT_TRUE(WriteFileAtomic(path, text).ok());
  return path;
}

TEST(ConfigTest, FileOverridesDefaults) {
  ServerConfig c;
  std::string path = TempFile(
      "ok.json",
      R"({"http_bind_address": "0.0.0.0", "http_port": 9000, "https_port": 9443, "http_idle_timeout_s": 600, "allow_anonymous": true, "data_dir": "/tmp/x", "wal_commit_delay_us": 250, "wal_checkpoint_interval_ms": 5000, "wal_reuse_mib": 0, "wal_dir": "/ssd/wal", "stream_max_pending_mib": 64, "stream_retry_window_s": 3600, "streams_nats_url": "nats://nats:4222?replicas=3", "rule_http_ca_file": "/etc/hooks-ca.pem"})");
  ASSERT_TRUE(LoadConfigFile(path, &c).ok());
  EXPECT_EQ(c.http_port, 9000);
  EXPECT_EQ(c.http_bind_address, "0.0.0.0");
  EXPECT_EQ(c.https_port, 9443);
  EXPECT_EQ(c.http_idle_timeout_s, 600);
  EXPECT_EQ(c.wal_commit_delay_us, 250);
  EXPECT_EQ(c.wal_checkpoint_interval_ms, 5000);
  EXPECT_EQ(c.wal_reuse_mib, 0);
  EXPECT_EQ(c.wal_dir, "/ssd/wal");
  EXPECT_EQ(c.stream_max_pending_mib, 64);
  EXPECT_EQ(c.stream_retry_window_s, 3600);
  EXPECT_EQ(c.streams_nats_url, "nats://nats:4222?replicas=3");
  EXPECT_EQ(c.rule_http_ca_file, "/etc/hooks-ca.pem");
  EXPECT_TRUE(c.allow_anonymous);
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_EQ(c.mqtt_tls_port, 8883);  // untouched
  EXPECT_TRUE(ValidateConfig(c).ok());
}

TEST(ConfigTest, ErrorsNameKeyAndFile) {
  ServerConfig c;
  std::string path = TempFile("bad.json", R"({"http_prot": 1})");
  Status st = LoadConfigFile(path, &c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("http_prot"), std::string::npos);
  EXPECT_NE(st.message().find(path), std::string::npos);

  path = TempFile("type.json", R"({"http_port": "eighty"})");
  st = LoadConfigFile(path, &c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("wrong type"), std::string::npos);

  path = TempFile("syntax.json", "{\n  \"http_port\": 8080,\n  \"https_port\": \n}\n");
  st = LoadConfigFile(path, &c);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "config file '" + path +
                              "' is not valid JSON: line 4, column 1: syntax error while "
                              "parsing value - unexpected '}'; expected '[', '{', or a literal");
}

TEST(ConfigTest, ValidationNamesTheSetting) {
  ServerConfig c;
  c.http_port = 70000;
  EXPECT_NE(ValidateConfig(c).message().find("http_port"), std::string::npos);
  c = ServerConfig();
  EXPECT_EQ(c.http_bind_address, "127.0.0.1");  // plain HTTP: this machine only
  EXPECT_EQ(c.bind_address, "0.0.0.0");
  c.http_bind_address = "localhost";
  EXPECT_NE(ValidateConfig(c).message().find("http_bind_address must be an IP address"),
            std::string::npos)
      << ValidateConfig(c).message();
  c = ServerConfig();
  c.bind_address = "*";
  EXPECT_NE(ValidateConfig(c).message().find("bind_address must be an IP address"),
            std::string::npos);
  c = ServerConfig();
  EXPECT_EQ(c.https_port, 8444);  // the API over TLS, on unless turned off
  c.https_port = -2;
  EXPECT_EQ(ValidateConfig(c).message(), "https_port must be -1 (off) or 0..65535, got -2");
  c.https_port = -1;
  EXPECT_TRUE(ValidateConfig(c).ok());
  c = ServerConfig();
  c.log_level = "loud";
  EXPECT_NE(ValidateConfig(c).message().find("log_level"), std::string::npos);
  c = ServerConfig();
  c.wal_segment_mib = 0;
  EXPECT_NE(ValidateConfig(c).message().find("wal_segment_mib must be 1..1024, got 0"), std::string::npos);
  c = ServerConfig();
  c.wal_commit_delay_us = 100001;
  EXPECT_NE(ValidateConfig(c).message().find("wal_commit_delay_us must be 0..100000, got 100001"),
            std::string::npos);
  c.wal_commit_delay_us = 0;
  EXPECT_TRUE(ValidateConfig(c).ok());
  c.wal_checkpoint_interval_ms = -1;
  EXPECT_NE(ValidateConfig(c).message().find("wal_checkpoint_interval_ms must be 0..60000, got -1"),
            std::string::npos);
  c.wal_checkpoint_interval_ms = 60001;
  EXPECT_FALSE(ValidateConfig(c).ok());
  c.wal_checkpoint_interval_ms = 0;
  EXPECT_TRUE(ValidateConfig(c).ok());
  c.wal_reuse_mib = -1;
  EXPECT_NE(ValidateConfig(c).message().find("wal_reuse_mib must be 0..1048576, got -1"),
            std::string::npos);
  c.wal_reuse_mib = 0;
  EXPECT_TRUE(ValidateConfig(c).ok());
  EXPECT_EQ(RangeOf("http_idle_timeout_s").min, 1);
  EXPECT_EQ(RangeOf("http_idle_timeout_s").max, 3600);
  EXPECT_DEATH(RangeOf("bind_address"), "'bind_address' is not a whole-number setting");
  c = ServerConfig();
  c.max_payload_bytes = 1023;
  EXPECT_NE(ValidateConfig(c).message().find("max_payload_bytes must be 1024..268435456, got 1023"),
            std::string::npos);
  c = ServerConfig();
  c.http_idle_timeout_s = 0;
  EXPECT_NE(ValidateConfig(c).message().find("http_idle_timeout_s must be 1..3600, got 0"),
            std::string::npos);
  c.http_idle_timeout_s = 3601;
  EXPECT_NE(ValidateConfig(c, {"http_idle_timeout_s"})
                .message()
                .find("--http-idle-timeout-s (http_idle_timeout_s) must be 1..3600, got 3601"),
            std::string::npos);
  c = ServerConfig();
  c.stream_stop_timeout_s = 0;
  EXPECT_NE(ValidateConfig(c).message().find("stream_stop_timeout_s must be 1..3600, got 0"),
            std::string::npos);
  c = ServerConfig();
  c.stream_retry_window_s = 86401;
  EXPECT_NE(ValidateConfig(c).message().find("stream_retry_window_s must be 0..86400, got 86401"),
            std::string::npos);
  c.stream_retry_window_s = 300;
  c.stream_max_pending_mib = 0;
  EXPECT_NE(ValidateConfig(c).message().find("stream_max_pending_mib must be 1..65536, got 0"),
            std::string::npos);
  c = ServerConfig();
  c.mqtt_port = -1;
  EXPECT_TRUE(ValidateConfig(c).ok());
}

// The MQTT connection caps: by default 3/8 of the open-file limit in all, none per
// address (a fleet behind one NAT) but 64 handshakes per address, and a refusal naming
// the setting.
TEST(ConfigTest, MqttConnectionCapsHaveDefaultsAndRanges) {
  ServerConfig c;
  EXPECT_EQ(c.mqtt_max_connections, 0);
  EXPECT_EQ(c.mqtt_max_connections_per_address, 0);
  EXPECT_EQ(c.mqtt_max_handshakes_per_address, 64);
  std::string path =
      TempFile("mqtt.json",
               R"({"mqtt_max_connections": 5000, "mqtt_max_connections_per_address": 2000,
                                  "mqtt_max_handshakes_per_address": 0})");
  ASSERT_TRUE(LoadConfigFile(path, &c).ok());
  EXPECT_EQ(c.mqtt_max_connections, 5000);
  EXPECT_EQ(c.mqtt_max_connections_per_address, 2000);
  EXPECT_EQ(c.mqtt_max_handshakes_per_address, 0);
  EXPECT_TRUE(ValidateConfig(c).ok());
  c.mqtt_max_handshakes_per_address = -1;
  EXPECT_EQ(ValidateConfig(c, {"mqtt_max_handshakes_per_address"}).message(),
            "--mqtt-max-handshakes-per-address (mqtt_max_handshakes_per_address) must be "
            "0..16777216 (0: no cap), got -1");
  c.mqtt_max_handshakes_per_address = 0;
  c.mqtt_max_connections_per_address = (1 << 24) + 1;
  EXPECT_EQ(ValidateConfig(c, {"mqtt_max_connections_per_address"}).message(),
            "--mqtt-max-connections-per-address (mqtt_max_connections_per_address) must be "
            "0..16777216 (0: no cap), got 16777217");
  c = ServerConfig();
  c.mqtt_max_connections = -1;
  EXPECT_EQ(ValidateConfig(c).message(),
            "mqtt_max_connections must be 0..16777216 (0: 3/8 of the open-file limit), got -1");
}

// What a client can make the broker keep: defaults (AWS IoT Core's limits, loosened
// for a self-hosted broker), 0 for none, and a refusal naming the setting.
TEST(ConfigTest, MqttBrokerLimitsHaveDefaultsAndRanges) {
  ServerConfig c;
  EXPECT_EQ(c.mqtt_max_subscriptions_per_session, 100);
  EXPECT_EQ(c.mqtt_max_topic_filter_bytes, 1024);
  EXPECT_EQ(c.mqtt_max_retained_messages, 100000);
  EXPECT_EQ(c.mqtt_max_retained_mib, 64);
  EXPECT_EQ(c.mqtt_max_retained_payload_bytes, 65536);
  EXPECT_EQ(c.mqtt_max_retained_messages_per_client, 10000);
  EXPECT_EQ(c.mqtt_max_retained_mib_per_client, 8);
  std::string path = TempFile(
      "mqtt-limits.json",
      R"({"mqtt_max_subscriptions_per_session": 0, "mqtt_max_topic_filter_bytes": 256, "mqtt_max_retained_messages": 10, "mqtt_max_retained_mib": 1, "mqtt_max_retained_payload_bytes": 8192, "mqtt_max_retained_messages_per_client": 5, "mqtt_max_retained_mib_per_client": 0})");
  ASSERT_TRUE(LoadConfigFile(path, &c).ok());
  EXPECT_EQ(c.mqtt_max_subscriptions_per_session, 0);
  EXPECT_EQ(c.mqtt_max_topic_filter_bytes, 256);
  EXPECT_EQ(c.mqtt_max_retained_messages, 10);
  EXPECT_EQ(c.mqtt_max_retained_mib, 1);
  EXPECT_EQ(c.mqtt_max_retained_payload_bytes, 8192);
  EXPECT_EQ(c.mqtt_max_retained_messages_per_client, 5);
  EXPECT_EQ(c.mqtt_max_retained_mib_per_client, 0);
  EXPECT_TRUE(ValidateConfig(c).ok());
  c.mqtt_max_topic_filter_bytes = 65536;
  EXPECT_EQ(ValidateConfig(c, {"mqtt_max_topic_filter_bytes"}).message(),
            "--mqtt-max-topic-filter-bytes (mqtt_max_topic_filter_bytes) must be 0..65535 (0: no "
            "limit), got 65536");
  c = ServerConfig();
  c.mqtt_max_retained_mib = -1;
  EXPECT_EQ(ValidateConfig(c).message(),
            "mqtt_max_retained_mib must be 0..1048576 (0: no limit), got -1");
  c = ServerConfig();
  c.mqtt_max_retained_messages_per_client = -2;
  EXPECT_EQ(ValidateConfig(c).message(),
            "mqtt_max_retained_messages_per_client must be 0..100000000 (0: no limit), got -2");
}

TEST(ConfigTest, ASettingAFlagGaveIsNamedByTheFlagAndTheKey) {
  ServerConfig c;
  c.bind_address = "localhost";
  EXPECT_EQ(ValidateConfig(c, {"bind_address"}).message(),
            "--bind (bind_address) must be an IP address (0.0.0.0: every interface, 127.0.0.1: "
            "this machine only), "
            "got 'localhost'");
  EXPECT_EQ(ValidateConfig(c, {"http_port"}).message().rfind("bind_address must be", 0),
            0u);  // from the file
  c = ServerConfig();
  c.log_level = "loud";
  EXPECT_EQ(
      ValidateConfig(c, {"log_level"}).message().rfind("--log-level (log_level) must be one of", 0),
      0u);
  c = ServerConfig();
  c.lake_backend = "s3";
  EXPECT_EQ(
      ValidateConfig(c, {"lake_backend"}).message(),
      "--lake-backend (lake_backend) 's3' needs s3_endpoint (--s3-endpoint), the store's URL (e.g. "
      "http://127.0.0.1:9000)");
  c = ServerConfig();
  c.wal_fsync = "sometimes";
  EXPECT_EQ(ValidateConfig(c, {"wal_fsync"}).message(),
            "--wal-fsync (wal_fsync): 'sometimes' is not one of always, never, interval:<ms> (ms "
            "in 1..3600000)");
  EXPECT_EQ(ValidateConfig(c).message().rfind("wal_fsync: 'sometimes'", 0), 0u);
  c = ServerConfig();
  c.mqtt_ws_port = 70000;
  EXPECT_EQ(ValidateConfig(c, {"mqtt_ws_port"}).message(),
            "--mqtt-ws-port (mqtt_ws_port) must be -1 (off) or 0..65535, got 70000");
  EXPECT_EQ(ServerFlagOf("http_bind_address"), "--http-bind");
  EXPECT_EQ(ServerFlagOf("nope"), "");
}

TEST(ConfigTest, TheMetadataUrlIsCheckedBeforeAnythingIsOpened) {
  ServerConfig c;
  c.metadata_url = "mysql://root:secret@db/iot";
  Status st = ValidateConfig(c, {"metadata_url"});
  EXPECT_EQ(
      st.message().rfind("--metadata-url (metadata_url): 'mysql://...' is not a PostgreSQL URL", 0),
      0u)
      << st.message();
  EXPECT_EQ(st.message().find("secret"), std::string::npos);
  c.metadata_url = "postgresql://tributary@db/iot";
  EXPECT_TRUE(ValidateConfig(c).ok());
}

TEST(ConfigTest, AnIngestServerNeedsASharedDatabaseAndLake) {
  ServerConfig c;
  c.role = "worker";
  EXPECT_EQ(ValidateConfig(c).message(), "role must be 'all' or 'ingest', got 'worker'");
  c.role = "ingest";
  EXPECT_NE(ValidateConfig(c).message().find("role 'ingest' needs metadata_url (--metadata-url)"),
            std::string::npos)
      << ValidateConfig(c).message();
  c.metadata_url = "postgresql://tributary@db/iot";
  EXPECT_NE(ValidateConfig(c).message().find("role 'ingest' needs a lake the servers share"),
            std::string::npos)
      << ValidateConfig(c).message();
  c.lake_backend = "s3";
  c.s3_endpoint = "http://minio:9000";
  EXPECT_TRUE(ValidateConfig(c).ok()) << ValidateConfig(c).message();
  std::string path = TempFile("role.json", R"({"role": "ingest"})");
  ServerConfig from_file;
  ASSERT_TRUE(LoadConfigFile(path, &from_file).ok());
  EXPECT_TRUE(IsIngestRole(from_file));
}

}  // namespace
}  // namespace tributary::app
