#include "nats/url.h"

#include <gtest/gtest.h>

namespace tributary::nats {
namespace {

struct GoodUrl {
  const char* url;
  const char* host;
  uint16_t port;
  const char* user;
  const char* password;
  const char* token;
  const char* redacted;
};

TEST(NatsUrlTest, ParsesGoodUrls) {
  const GoodUrl cases[] = {
      {"nats://127.0.0.1", "127.0.0.1", 4222, "", "", "", "nats://127.0.0.1:4222"},
      {"nats://127.0.0.1/", "127.0.0.1", 4222, "", "", "", "nats://127.0.0.1:4222"},
      {"NATS://nats.internal:4333", "nats.internal", 4333, "", "", "", "nats://nats.internal:4333"},
      {"nats://[::1]:4222", "::1", 4222, "", "", "", "nats://[::1]:4222"},
      {"nats://[fe80::1]", "fe80::1", 4222, "", "", "", "nats://[fe80::1]:4222"},
      {"nats://alice:s3cret@host:1", "host", 1, "alice", "s3cret", "", "nats://alice:***@host:1"},
      {"nats://alice:p%40ss@host", "host", 4222, "alice", "p@ss", "", "nats://alice:***@host:4222"},
      {"nats://alice:a@b@host:65535", "host", 65535, "alice", "a@b", "",
       "nats://alice:***@host:65535"},
      {"nats://T0KEN@[::1]:5000", "::1", 5000, "", "", "T0KEN", "nats://***@[::1]:5000"},
  };
  for (const GoodUrl& c : cases) {
    SCOPED_TRACE(c.url);
    auto parsed = ParseNatsUrl(c.url);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->host, c.host);
    EXPECT_EQ(parsed->port, c.port);
    EXPECT_EQ(parsed->user, c.user);
    EXPECT_EQ(parsed->password, c.password);
    EXPECT_EQ(parsed->token, c.token);
    EXPECT_FALSE(parsed->tls);
    EXPECT_EQ(RedactedUrl(*parsed), c.redacted);
  }
}

struct BadUrl {
  const char* url;
  const char* says;  // a part of the message
};

TEST(NatsUrlTest, RefusesBadUrlsNamingWhatIsWrong) {
  const BadUrl cases[] = {
      {"127.0.0.1:4222", "no scheme"},
      {"http://alice:hunter2@host", "scheme 'http' is not nats or tls"},
      {"ws://127.0.0.1:4222", "scheme 'ws' is not nats or tls"},
      {"nats://", "empty host"},
      {"nats://:4222", "empty host"},
      {"nats://alice:hunter2@:4222", "empty host"},
      {"nats://host:", "bad port ''"},
      {"nats://host:0", "bad port '0'"},
      {"nats://host:65536", "bad port '65536'"},
      {"nats://host:42a", "bad port '42a'"},
      {"nats://host:-1", "bad port '-1'"},
      {"nats://::1:4222", "IPv6 address must be in brackets"},
      {"nats://[::1:4222", "without ']'"},
      {"nats://[::1]x", "after ']'"},
      {"nats://host/path", "path is not allowed"},
      {"nats://alice:hunter2@host:99999", "bad port"},
      {"nats://hunter2@host:x", "bad port"},
      {"nats://alice:hunter%2@host", "percent-escape"},
  };
  for (const BadUrl& c : cases) {
    SCOPED_TRACE(c.url);
    auto parsed = ParseNatsUrl(c.url);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument);
    const std::string& m = parsed.status().message();
    EXPECT_NE(m.find(c.says), std::string::npos) << m;
    EXPECT_EQ(m.find("hunter2"), std::string::npos) << "the secret leaked: " << m;
    EXPECT_EQ(m.find("hunter%2"), std::string::npos) << "the secret leaked: " << m;
  }
}

TEST(NatsUrlTest, TlsSchemeRequiresTls) {
  struct Case {
    const char* url;
    bool tls;
    const char* redacted;
  };
  const Case cases[] = {
      {"tls://127.0.0.1", true, "tls://127.0.0.1:4222"},
      {"TLS://alice:s3cret@nats.internal:4443/", true, "tls://alice:***@nats.internal:4443"},
      {"tls://T0KEN@[::1]", true, "tls://***@[::1]:4222"},
      {"nats://127.0.0.1", false, "nats://127.0.0.1:4222"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    auto parsed = ParseNatsUrl(c.url);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->tls, c.tls);
    EXPECT_EQ(parsed->tls_ca_file, "");
    EXPECT_EQ(parsed->tls_server_name, "");
    EXPECT_EQ(RedactedUrl(*parsed), c.redacted);
  }
  auto bad = ParseNatsUrl("tls://alice:hunter2@host:0");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'tls://alice:***@host:0'"), std::string::npos)
      << bad.status().message();
}

TEST(NatsUrlTest, ErrorNamesTheRedactedUrl) {
  auto parsed = ParseNatsUrl("nats://alice:hunter2@host:0");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("'nats://alice:***@host:0'"), std::string::npos)
      << parsed.status().message();
}

TEST(NatsUrlTest, HostPortBracketsIpv6) {
  ConnectOptions o;
  o.host = "::1";
  o.port = 4223;
  EXPECT_EQ(HostPort(o), "[::1]:4223");
  o.host = "localhost";
  EXPECT_EQ(HostPort(o), "localhost:4223");
}

TEST(NatsUrlTest, AListNamesMoreServersOfTheCluster) {
  auto parsed = ParseNatsUrl("nats://alice:pw@10.0.0.1:4222,nats://10.0.0.2,10.0.0.3:4333,"
                             "nats://alice:pw@[::1]:4444");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->host, "10.0.0.1");
  EXPECT_EQ(parsed->port, 4222);
  EXPECT_EQ(parsed->user, "alice");
  EXPECT_EQ(parsed->password, "pw");
  ASSERT_EQ(parsed->servers.size(), 3u);
  EXPECT_EQ(parsed->servers[0], (ServerAddress{"10.0.0.2", 4222}));
  EXPECT_EQ(parsed->servers[1], (ServerAddress{"10.0.0.3", 4333}));
  EXPECT_EQ(parsed->servers[2], (ServerAddress{"::1", 4444}));
  EXPECT_EQ(RedactedUrl(*parsed),
            "nats://alice:***@10.0.0.1:4222,nats://10.0.0.2:4222,nats://10.0.0.3:4333,"
            "nats://[::1]:4444");

  auto tls = ParseNatsUrl("tls://a:1,b:2");
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(RedactedUrl(*tls), "tls://a:1,tls://b:2");
}

TEST(NatsUrlTest, AListRefusesEntriesThatDoNotFit) {
  const BadUrl cases[] = {
      {"nats://a:1,", "server 2 of the list is empty"},
      {"nats://a:1,,nats://b:2", "server 2 of the list is empty"},
      {"nats://a:1,nats://b:0", "server 2 of the list: NATS URL 'nats://b:0': bad port '0'"},
      {"nats://a:1,tls://b:2", "server 2 of the list has another scheme than the first"},
      {"nats://u:p@a:1,nats://v:p@b:2", "server 2 of the list has other credentials"},
      {"nats://a:1,nats://b:2,ws://c:3", "server 3 of the list: NATS URL 'ws://c:3': scheme 'ws'"},
  };
  for (const BadUrl& c : cases) {
    SCOPED_TRACE(c.url);
    auto parsed = ParseNatsUrl(c.url);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(c.says), std::string::npos)
        << parsed.status().message();
  }
}

TEST(NatsUrlTest, ParsesInfoConnectUrls) {
  EXPECT_EQ(ParseHostPort("127.0.0.1:4223"), (ServerAddress{"127.0.0.1", 4223}));
  EXPECT_EQ(ParseHostPort("[::1]:4224"), (ServerAddress{"::1", 4224}));
  EXPECT_EQ(ParseHostPort("nats.internal"), (ServerAddress{"nats.internal", 4222}));
  EXPECT_FALSE(ParseHostPort("host:99999").has_value());
  EXPECT_FALSE(ParseHostPort("").has_value());
  EXPECT_FALSE(ParseHostPort("::1:4222").has_value());
}

}  // namespace
}  // namespace tributary::nats
