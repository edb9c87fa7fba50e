// CopyDatabase from a SQLite file into a PostgreSQL schema (runs as metadata_test_postgres,
// under scripts/with-postgres; skipped in metadata_test, which has no PostgreSQL).
#include "metadata/copy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "metadata/testing/test_database.h"

namespace tributary::metadata {
namespace {

class CopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("TRIBUTARY_TEST_POSTGRES_URL");
    if (url == nullptr || *url == '\0') GTEST_SKIP() << "runs as metadata_test_postgres";
    dir_ = std::filesystem::temp_directory_path() /
           ("tributary-copy-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto sqlite = Database::Open((dir_ / "metadata.db").string());
    ASSERT_TRUE(sqlite.ok()) << sqlite.status().ToString();
    sqlite_ = std::move(sqlite).value();
    // As the stores leave it: two components, a table altered by a later migration
    // (its last column had a comment), an identity column, bytes, a foreign key, an index.
    ASSERT_TRUE(sqlite_->Migrate("a", 1, R"sql(
CREATE TABLE owners(name TEXT PRIMARY KEY, created_ms INTEGER NOT NULL);
CREATE TABLE items(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  owner TEXT NOT NULL REFERENCES owners(name),
  weight REAL,
  data BLOB NOT NULL  -- the item's bytes
);
CREATE INDEX items_by_owner ON items(owner);
)sql").ok());
    ASSERT_TRUE(sqlite_->Migrate("a", 2, "ALTER TABLE items ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';").ok());
    ASSERT_TRUE(sqlite_->Migrate("b", 1, "CREATE TABLE notes(k TEXT PRIMARY KEY, v TEXT);").ok());
    ASSERT_TRUE(sqlite_->Exec("INSERT INTO owners VALUES('ann', 5), ('bob', 6)").ok());
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(sqlite_->Exec("INSERT INTO items(owner, weight, data) VALUES(?, ?, CAST(? AS BLOB))",
                                {Value(i == 1 ? "bob" : "ann"), Value(0.5 * i),
                                 Value(std::string("\0\x01\\x", 4) + std::to_string(i))})
                      .ok());
    }
    ASSERT_TRUE(sqlite_->Exec("DELETE FROM items WHERE id=3").ok());  // ids 1, 2 left
    ASSERT_TRUE(sqlite_->Exec("INSERT INTO notes VALUES('k', NULL)").ok());
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<Database> Destination(const std::string& name) {
    auto db = testing::OpenTestDatabase((dir_ / name).string());
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }
  std::filesystem::path dir_;
  std::unique_ptr<Database> sqlite_;
};

TEST_F(CopyTest, CopiesTablesRowsIndexesAndMigrations) {
  auto pg = Destination("pg");
  ASSERT_TRUE(pg);
  auto summary = CopyDatabase(*sqlite_, *pg);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->tables.size(), 3u);
  EXPECT_EQ(summary->tables[0].name, "owners");
  EXPECT_EQ(summary->tables[1].name, "items");
  EXPECT_EQ(summary->tables[1].rows, 2);
  EXPECT_EQ(summary->rows, 5);
  EXPECT_EQ(summary->indexes, 1);
  EXPECT_EQ(summary->migrations, 2);  // a (at v2) and b

  auto items = pg->Query("SELECT id, owner, weight, data, tags FROM items ORDER BY id");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[1].Int(0), 2);
  EXPECT_EQ((*items)[1].Text(1), "bob");
  EXPECT_EQ((*items)[1].Double(2), 0.5);
  EXPECT_EQ((*items)[1].Text(3), std::string("\0\x01\\x1", 5));
  EXPECT_EQ((*items)[1].Text(4), "[]");
  auto index = pg->Query("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                         "AND tablename = 'items' AND indexname = 'items_by_owner'");
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->size(), 1u);
  // The migrations came along: the stores will not run them again.
  EXPECT_TRUE(pg->Migrate("a", 2, "this would fail if it ran").ok());
  // Ids go on after the largest copied, and the foreign key holds.
  auto id = pg->Query("INSERT INTO items(owner, data) VALUES('ann', CAST('x' AS BLOB)) RETURNING id");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ((*id)[0].Int(0), 3);
  EXPECT_FALSE(pg->Exec("INSERT INTO items(owner, data) VALUES('nobody', CAST('x' AS BLOB))").ok());
  auto note = pg->Query("SELECT v FROM notes WHERE k='k'");
  ASSERT_TRUE(note.ok());
  EXPECT_TRUE((*note)[0].IsNull(0));
}

TEST_F(CopyTest, RefusesASchemaThatHoldsMetadata) {
  auto pg = Destination("pg");
  ASSERT_TRUE(pg);
  ASSERT_TRUE(CopyDatabase(*sqlite_, *pg).ok());
  auto again = CopyDatabase(*sqlite_, *pg);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("already holds metadata (migrations of a, b)"),
            std::string::npos)
      << again.status().message();
}

TEST_F(CopyTest, AValueThatDoesNotFitFailsTheWholeCopyNamingIt) {
  // SQLite keeps text in an INTEGER column; PostgreSQL does not.
  ASSERT_TRUE(sqlite_->Exec("INSERT INTO owners VALUES('cy', 'soon')").ok());
  auto pg = Destination("pg");
  ASSERT_TRUE(pg);
  auto copied = CopyDatabase(*sqlite_, *pg);
  ASSERT_FALSE(copied.ok());
  EXPECT_NE(copied.status().message().find("table owners, row 3 of 3 (name 'cy'): "), std::string::npos)
      << copied.status().message();
  // Nothing is left: the schema takes a copy after the value is fixed.
  auto tables = pg->Query("SELECT count(*) FROM information_schema.tables WHERE "
                          "table_schema = current_schema() AND table_name <> 'schema_versions'");
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ((*tables)[0].Int(0), 0);
  ASSERT_TRUE(sqlite_->Exec("UPDATE owners SET created_ms=7 WHERE name='cy'").ok());
  auto fixed = CopyDatabase(*sqlite_, *pg);
  EXPECT_TRUE(fixed.ok()) << fixed.status().ToString();
}

TEST_F(CopyTest, OnlyFromSqliteToPostgres) {
  auto pg = Destination("pg");
  ASSERT_TRUE(pg);
  auto backwards = CopyDatabase(*pg, *sqlite_);
  ASSERT_FALSE(backwards.ok());
  EXPECT_EQ(backwards.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(backwards.status().message().find("source must be a SQLite database"),
            std::string::npos);
}

}  // namespace
}  // namespace tributary::metadata
