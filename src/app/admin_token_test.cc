#include "app/admin_token.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace tributary::app {
namespace {

TEST(AdminTokenTest, CreatedOnceWithPrivateModeThenReused) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("tributary-token-" + std::to_string(::getpid())))
                        .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto first = LoadOrCreateAdminToken(dir);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 48u);
  struct stat st;
  ASSERT_EQ(::stat((dir + "/admin.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto second = LoadOrCreateAdminToken(dir);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  // The scraper's token is its own file, and not the administrator's.
  auto metrics = LoadOrCreateMetricsToken(dir);
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->size(), 48u);
  EXPECT_NE(*metrics, *first);
  ASSERT_EQ(::stat((dir + "/metrics.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(*LoadOrCreateMetricsToken(dir), *metrics);
  std::filesystem::remove_all(dir);
}

TEST(AdminTokenTest, BearerComparison) {
  EXPECT_TRUE(BearerTokenMatches("Bearer abc", "abc"));
  EXPECT_FALSE(BearerTokenMatches("Bearer abd", "abc"));
  EXPECT_FALSE(BearerTokenMatches("abc", "abc"));
  EXPECT_FALSE(BearerTokenMatches("Bearer abcd", "abc"));
  EXPECT_FALSE(BearerTokenMatches("", "abc"));
}

TEST(AdminTokenTest, MetricsOpenToThisMachineOrTheScrapersToken) {
  net::HttpRequest req;
  req.method = "GET";
  req.path = "/metrics";
  req.remote_address = "192.0.2.7:40000";
  EXPECT_FALSE(MetricsOpenTo(req, "scrape-token-0123456789"));
  req.headers["authorization"] = "Bearer wrong-token-0123456789";
  EXPECT_FALSE(MetricsOpenTo(req, "scrape-token-0123456789"));
  req.headers["authorization"] = "Bearer scrape-token-0123456789";
  EXPECT_TRUE(MetricsOpenTo(req, "scrape-token-0123456789"));
  req.headers.clear();
  req.from_loopback = true;
  EXPECT_TRUE(MetricsOpenTo(req, "scrape-token-0123456789"));
  // From this machine, addressed as this machine.
  char own[256] = {};
  ASSERT_EQ(gethostname(own, sizeof own - 1), 0);
  for (const std::string& host :
       std::vector<std::string>{"localhost:8080", "LOCALHOST", "127.0.0.1:8080", "[::1]:8080",
                                "10.1.2.3", "tributary.localhost:80", own}) {
    req.headers["host"] = host;
    EXPECT_TRUE(MetricsOpenTo(req, "scrape-token-0123456789")) << host;
  }
  // A page whose domain was rebound to 127.0.0.1 sends its own name: refused unless it has
  // the token.
  for (const char* host : {"attacker.example:8080", "attacker.example", "localhost.evil.example"}) {
    req.headers["host"] = host;
    EXPECT_FALSE(MetricsOpenTo(req, "scrape-token-0123456789")) << host;
  }
  req.headers["authorization"] = "Bearer scrape-token-0123456789";
  EXPECT_TRUE(MetricsOpenTo(req, "scrape-token-0123456789"));
}

}  // namespace
}  // namespace tributary::app
