#include "metadata/database.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace tributary::metadata {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tributary-db-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(DatabaseTest, MigratesOnceAndSurvivesReopen) {
  std::string path = (dir_ / "m.db").string();
  {
    auto db = Database::Open(path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Migrate("t", 1, "CREATE TABLE a(x INTEGER, s TEXT)").ok());
    ASSERT_TRUE((*db)->Migrate("t", 1, "CREATE TABLE a(x INTEGER, s TEXT)").ok());  // no-op
    auto n = (*db)->Exec("INSERT INTO a VALUES(?, ?)", {Value(int64_t{7}), Value("seven")});
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 1);
  }
  auto db = Database::Open(path);
  ASSERT_TRUE(db.ok());
  auto rows = (*db)->Query("SELECT x, s FROM a");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Int(0), 7);
  EXPECT_EQ((*rows)[0].Text(1), "seven");
}

TEST_F(DatabaseTest, FailedTransactionRollsBack) {
  auto db = Database::Open((dir_ / "m.db").string());
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Migrate("t", 1, "CREATE TABLE a(x INTEGER PRIMARY KEY)").ok());
  Status st = (*db)->Transaction([&]() -> Status {
    TRY((*db)->Exec("INSERT INTO a VALUES(1)").status());
    return InvalidArgument("stop");
  });
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  auto rows = (*db)->Query("SELECT count(*) FROM a");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].Int(0), 0);
}

TEST_F(DatabaseTest, BadSqlNamesTheStatement) {
  auto db = Database::Open((dir_ / "m.db").string());
  ASSERT_TRUE(db.ok());
  auto r = (*db)->Query("SELEKT 1");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("SELEKT 1"), std::string::npos);
}

}  // namespace
}  // namespace tributary::metadata
