#include "app/admin_token.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

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
  std::filesystem::remove_all(dir);
}

TEST(AdminTokenTest, BearerComparison) {
  EXPECT_TRUE(BearerTokenMatches("Bearer abc", "abc"));
  EXPECT_FALSE(BearerTokenMatches("Bearer abd", "abc"));
  EXPECT_FALSE(BearerTokenMatches("abc", "abc"));
  EXPECT_FALSE(BearerTokenMatches("Bearer abcd", "abc"));
  EXPECT_FALSE(BearerTokenMatches("", "abc"));
}

}  // namespace
}  // namespace tributary::app
