#include "app/server_role.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/files.h"
#include "base/testing/temp_dir.h"

namespace tributary::app {
namespace {

TEST(ServerRoleTest, AnIngestServerNeedsTheControlServersCa) {
  testing_support::TempDir dir;
  const std::string pki = dir.path() + "/pki";
  Status missing = RequireCopiedCa(pki);
  EXPECT_EQ(missing.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(missing.message().find(pki + "/ca.crt is missing"), std::string::npos)
      << missing.message();
  std::filesystem::create_directories(pki);
  ASSERT_TRUE(WriteFileAtomic(pki + "/ca.crt", "x").ok());
  EXPECT_NE(RequireCopiedCa(pki).message().find(pki + "/ca.key is missing"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomic(pki + "/ca.key", "x").ok());
  EXPECT_TRUE(RequireCopiedCa(pki).ok());
}

TEST(ServerRoleTest, TheEpochSaltIsMadeOnceAndKept) {
  testing_support::TempDir dir;
  auto first = LoadOrCreateEpochSalt(dir.path());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_NE(*first, 0u);
  auto again = LoadOrCreateEpochSalt(dir.path());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  testing_support::TempDir other;
  EXPECT_NE(*LoadOrCreateEpochSalt(other.path()), *first);  // 1 in 2^64 to collide
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/epoch.salt", "0000000000000000\n").ok());
  auto zero = LoadOrCreateEpochSalt(dir.path());
  EXPECT_EQ(zero.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(zero.status().message().find("epoch.salt must hold 16 lower-case hex digits"),
            std::string::npos)
      << zero.status().message();
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/epoch.salt", "nothex\n").ok());
  EXPECT_EQ(LoadOrCreateEpochSalt(dir.path()).status().code(), ErrorCode::kDataLoss);
}

TEST(ServerRoleTest, TheControlServersPathsAreNamed) {
  auto refused = ControlServerOnly("/v1/endpoints/demand/invocations");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(*refused,
            "/v1/endpoints is served by the control server: this server's role is 'ingest' "
            "(broker, rules and delivery streams only)");
  EXPECT_TRUE(ControlServerOnly("/v1/training-jobs").has_value());
  EXPECT_TRUE(ControlServerOnly("/v1/catalog/databases").has_value());
  EXPECT_FALSE(ControlServerOnly("/v1/streams/s").has_value());
  EXPECT_FALSE(ControlServerOnly("/v1/rules").has_value());
  EXPECT_FALSE(ControlServerOnly("/v1/things/t1").has_value());
  EXPECT_FALSE(ControlServerOnly("/v1/lake/buckets").has_value());
  EXPECT_FALSE(ControlServerOnly("/v1/jobsx").has_value());  // a prefix of a segment only
}

}  // namespace
}  // namespace tributary::app
