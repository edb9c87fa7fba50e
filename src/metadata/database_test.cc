// The metadata database's contract, on SQLite and (as metadata_test_postgres, under
// scripts/with-postgres) on PostgreSQL: the same tests through OpenTestDatabase.
#include "metadata/database.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <mutex>
#include <string>
#include <vector>
#include <thread>

#include "metadata/postgres_listener.h"
#include "metadata/testing/test_database.h"

namespace tributary::metadata {
namespace {

using testing::OpenTestDatabase;

bool OnPostgres() {
  const char* url = std::getenv("TRIBUTARY_TEST_POSTGRES_URL");
  return url != nullptr && *url != '\0';
}

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
  std::unique_ptr<Database> OpenOrDie(const std::string& name = "m.db") {
    auto db = OpenTestDatabase((dir_ / name).string());
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }
  std::filesystem::path dir_;
};

TEST_F(DatabaseTest, MigratesOnceAndSurvivesReopen) {
  {
    auto db = OpenOrDie();
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->Migrate("t", 1, "CREATE TABLE a(x INTEGER, s TEXT)").ok());
    ASSERT_TRUE(db->Migrate("t", 1, "CREATE TABLE a(x INTEGER, s TEXT)").ok());  // no-op
    auto n = db->Exec("INSERT INTO a VALUES(?, ?)", {Value(int64_t{7}), Value("seven")});
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(*n, 1);
  }
  auto db = OpenOrDie();
  ASSERT_TRUE(db);
  auto rows = db->Query("SELECT x, s FROM a");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Int(0), 7);
  EXPECT_EQ((*rows)[0].Text(1), "seven");
}

TEST_F(DatabaseTest, FailedTransactionRollsBack) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Migrate("t", 1, "CREATE TABLE a(x INTEGER PRIMARY KEY)").ok());
  Status st = db->Transaction([&]() -> Status {
    TRY(db->Exec("INSERT INTO a VALUES(1)").status());
    return InvalidArgument("stop");
  });
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  auto rows = db->Query("SELECT count(*) FROM a");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].Int(0), 0);
  // The database is usable after the rollback.
  EXPECT_TRUE(db->Exec("INSERT INTO a VALUES(2)").ok());
}

TEST_F(DatabaseTest, BadSqlNamesTheStatement) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db);
  auto r = db->Query("SELEKT 1");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("SELEKT 1"), std::string::npos);
  EXPECT_NE(r.status().message().find(db->Describe()), std::string::npos) << r.status().message();
}

TEST_F(DatabaseTest, ValuesComeBackAsTheyWent) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Migrate("t", 1,
                          "CREATE TABLE v(k TEXT PRIMARY KEY, i INTEGER, d REAL, s TEXT, b BLOB);")
                  .ok());
  const std::string bytes("a\0b\\x00'\"\xff\xfe", 10);
  const int64_t big = std::numeric_limits<int64_t>::max(), small = std::numeric_limits<int64_t>::min();
  ASSERT_TRUE(db->Exec("INSERT INTO v VALUES(?, ?, ?, ?, CAST(? AS BLOB))",
                       {Value("one"), Value(big), Value(0.1), Value("h\xc3\xa9 'q' \\ ?"), Value(bytes)})
                  .ok());
  ASSERT_TRUE(db->Exec("INSERT INTO v VALUES(?, ?, ?, ?, ?)",
                       {Value("two"), Value(small), Value(-1.5e300), Value(), Value()})
                  .ok());
  auto rows = db->Query("SELECT k, i, d, s, b FROM v ORDER BY k");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  const Row& one = (*rows)[0];
  EXPECT_EQ(one.Int(1), big);
  EXPECT_EQ(one.Double(2), 0.1);
  EXPECT_EQ(one.Text(3), "h\xc3\xa9 'q' \\ ?");
  EXPECT_EQ(one.Text(4), bytes);
  const Row& two = (*rows)[1];
  EXPECT_EQ(two.Int(1), small);
  EXPECT_EQ(two.Double(2), -1.5e300);
  EXPECT_TRUE(two.IsNull(3));
  EXPECT_TRUE(two.IsNull(4));
  // Aggregates: a count is an integer, a sum of integers too.
  auto agg = db->Query("SELECT COUNT(*), SUM(i / 4), MAX(d) FROM v");
  ASSERT_TRUE(agg.ok()) << agg.status().ToString();
  EXPECT_EQ((*agg)[0].Int(0), 2);
  EXPECT_EQ((*agg)[0].Int(1), big / 4 + small / 4);
  EXPECT_EQ((*agg)[0].Double(2), 0.1);
}

TEST_F(DatabaseTest, IdentityColumnsUpsertsAndChangedRows) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Migrate("t", 1,
                          "CREATE TABLE runs(id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL);"
                          "CREATE TABLE kv(k TEXT PRIMARY KEY, v INTEGER NOT NULL);")
                  .ok());
  for (int64_t expected : {1, 2, 3}) {
    auto id = db->Query("INSERT INTO runs(job) VALUES(?) RETURNING id", {Value("j")});
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_EQ((*id)[0].Int(0), expected);
  }
  const char* upsert = "INSERT INTO kv(k, v) VALUES(?, ?) ON CONFLICT(k) DO UPDATE SET v=excluded.v";
  ASSERT_TRUE(db->Exec(upsert, {Value("a"), Value(int64_t{1})}).ok());
  ASSERT_TRUE(db->Exec(upsert, {Value("a"), Value(int64_t{5})}).ok());
  ASSERT_TRUE(db->Exec(upsert, {Value("b"), Value(int64_t{2})}).ok());
  auto changed = db->Exec("UPDATE kv SET v=v+1");
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 2);
  auto none = db->Exec("DELETE FROM kv WHERE k=?", {Value("zzz")});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  auto rows = db->Query("SELECT v FROM kv WHERE k=?", {Value("a")});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].Int(0), 6);
}

TEST_F(DatabaseTest, TextSortsByteByByte) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Migrate("t", 1, "CREATE TABLE n(name TEXT PRIMARY KEY)").ok());
  for (const char* name : {"b", "B", "a", "_x", "A", "a-1", "a1"}) {
    ASSERT_TRUE(db->Exec("INSERT INTO n VALUES(?)", {Value(name)}).ok());
  }
  auto rows = db->Query("SELECT name FROM n ORDER BY name");
  ASSERT_TRUE(rows.ok());
  std::string order;
  for (const Row& r : *rows) order += r.Text(0) + " ";
  EXPECT_EQ(order, "A B _x a a-1 a1 b ");
}

TEST(OpenDatabaseTest, RefusesOtherUrlsNamingTheSetting) {
  auto other = OpenDatabase("mysql://u:pw@db/x", "/nonexistent/m.db");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(other.status().message().find("metadata_url"), std::string::npos);
  EXPECT_EQ(other.status().message().find("pw"), std::string::npos) << other.status().message();
  auto schema = OpenDatabase("postgresql://127.0.0.1:1/x?schema=Bad-Name", "");
  ASSERT_FALSE(schema.ok());
  EXPECT_EQ(schema.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(schema.status().message().find("schema 'Bad-Name'"), std::string::npos)
      << schema.status().message();
}

TEST(OpenDatabaseTest, AnUnreachableServerIsNamedWithoutItsPassword) {
  auto db = OpenDatabase("postgresql://me:s3cretpw@127.0.0.1:1/iot?connect_timeout=3", "");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), ErrorCode::kUnavailable);
  const std::string& m = db.status().message();
  EXPECT_NE(m.find("metadata database PostgreSQL 127.0.0.1:1/iot schema tributary: cannot connect"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("s3cretpw"), std::string::npos) << m;
}

// PostgreSQL only (metadata_test_postgres): the schema's lock and a lost connection.
class PostgresTest : public DatabaseTest {
 protected:
  void SetUp() override {
    if (!OnPostgres()) GTEST_SKIP() << "runs as metadata_test_postgres (scripts/with-postgres)";
    DatabaseTest::SetUp();
  }
};

TEST_F(PostgresTest, OneServerHoldsASchemaAtATime) {
  auto first = OpenOrDie("one.db");
  auto second = OpenOrDie("one.db");  // the same schema
  auto other = OpenOrDie("two.db");
  ASSERT_TRUE(first && second && other);
  ASSERT_TRUE(first->HoldExclusively().ok());
  Status refused = second->HoldExclusively();
  EXPECT_EQ(refused.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("is in use by another server"), std::string::npos)
      << refused.message();
  EXPECT_NE(refused.message().find("tributary server (pid " + std::to_string(::getpid())),
            std::string::npos)
      << refused.message();
  EXPECT_TRUE(other->HoldExclusively().ok());
  first.reset();  // the connection closes, the lock goes with it
  // ... once PostgreSQL's backend has seen the connection close: a moment later.
  Status taken = second->HoldExclusively();
  for (int i = 0; i < 100 && !taken.ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    taken = second->HoldExclusively();
  }
  EXPECT_TRUE(taken.ok()) << taken.ToString();
}

TEST_F(PostgresTest, ASchemaMayBeNamedLikeAKeyword) {
  const char* url = std::getenv("TRIBUTARY_TEST_POSTGRES_URL");
  auto db = OpenDatabase(std::string(url) + "?schema=user", "");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Migrate("t", 1, "CREATE TABLE a(x INTEGER)").ok());
  auto where = (*db)->Query("SELECT current_schema()");
  ASSERT_TRUE(where.ok());
  EXPECT_EQ((*where)[0].Text(0), "user");
  EXPECT_EQ((*db)->Describe().substr((*db)->Describe().size() - 12), " schema user");
}

TEST_F(PostgresTest, ALostConnectionIsMadeAgainWithItsLock) {
  auto db = OpenOrDie("one.db");
  auto killer = OpenOrDie("two.db");
  ASSERT_TRUE(db && killer);
  ASSERT_TRUE(db->Migrate("t", 1, "CREATE TABLE a(x INTEGER)").ok());
  ASSERT_TRUE(db->HoldExclusively().ok());
  auto pid = db->Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  auto killed = killer->Query("SELECT pg_terminate_backend(?::int)", {Value((*pid)[0].Int(0))});
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  ASSERT_EQ((*killed)[0].Int(0), 1);
  // The next statement finds the connection gone, makes it again and runs.
  auto n = db->Exec("INSERT INTO a VALUES(1)");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  auto again = db->Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(again.ok());
  EXPECT_NE((*again)[0].Int(0), (*pid)[0].Int(0));
  // Its lock was taken again: the schema is still held.
  auto rival = OpenOrDie("one.db");
  ASSERT_TRUE(rival);
  EXPECT_EQ(rival->HoldExclusively().code(), ErrorCode::kFailedPrecondition);
}

// Change notices: what one server announces reaches the others' watchers of that topic
// and schema, after COMMIT, in order, and never its own.
class Seen {
 public:
  ChangeFn Fn() {
    return [this](const std::string& key) {
      std::lock_guard<std::mutex> lock(mu_);
      keys_.push_back(key);
    };
  }
  std::vector<std::string> keys() {
    std::lock_guard<std::mutex> lock(mu_);
    return keys_;
  }
  // Waits up to 10 s for `n` keys.
  std::vector<std::string> WaitFor(size_t n) {
    for (int i = 0; i < 200 && keys().size() < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return keys();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> keys_;
};

TEST_F(PostgresTest, AnnouncedChangesReachTheOtherServersWatchers) {
  auto a = OpenOrDie("one.db");
  auto b = OpenOrDie("one.db");     // the same schema
  auto other = OpenOrDie("two.db");  // another schema of the same database
  ASSERT_TRUE(a && b && other);
  Seen own, rules, streams, elsewhere;
  auto w1 = a->Watch("rules", own.Fn());
  auto w2 = b->Watch("rules", rules.Fn());
  auto w3 = b->Watch("streams", streams.Fn());
  auto w4 = other->Watch("rules", elsewhere.Fn());
  ASSERT_TRUE(w1.ok() && w2.ok() && w3.ok() && w4.ok()) << w1.status().ToString();
  a->Announce("rules", "first");
  Status rolled_back = a->Transaction([&] {
    a->Announce("rules", "rolled back");
    return InvalidArgument("no");
  });
  EXPECT_FALSE(rolled_back.ok());
  ASSERT_TRUE(a->Transaction([&] {
                 a->Announce("rules", "committed");
                 return Status::Ok();
               }).ok());
  a->Announce("streams", "s\t1");
  EXPECT_EQ(rules.WaitFor(2), (std::vector<std::string>{"first", "committed"}));
  EXPECT_EQ(streams.WaitFor(1), (std::vector<std::string>{"s\t1"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(own.keys().empty()) << own.keys()[0];
  EXPECT_TRUE(elsewhere.keys().empty()) << elsewhere.keys()[0];
  EXPECT_EQ(rules.keys().size(), 2u);
  // A dropped watch hears nothing more.
  w2->reset();
  a->Announce("rules", "late");
  EXPECT_EQ(streams.WaitFor(1).size(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(rules.keys().size(), 2u);
}

TEST_F(PostgresTest, ALostListenerConnectsAgainAndSaysReadEverything) {
  auto a = OpenOrDie("one.db");
  auto b = OpenOrDie("one.db");
  ASSERT_TRUE(a && b);
  Seen seen;
  auto watch = b->Watch("things", seen.Fn());
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  auto killed = a->Query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = "
      "'LISTEN tributary_metadata' AND pid <> pg_backend_pid()");
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  ASSERT_EQ(killed->size(), 1u);
  // Notices sent while it was away are lost: it says "" (re-read everything) once back.
  EXPECT_EQ(seen.WaitFor(1), (std::vector<std::string>{""}));
  a->Announce("things", "sensor-1");
  EXPECT_EQ(seen.WaitFor(2), (std::vector<std::string>{"", "sensor-1"}));
}

TEST(ChangeNoticeTest, PayloadsRoundTripAndOthersAreIgnored) {
  auto n = ParseChangeNotice(ChangeNoticePayload("iot", "abc", "rules", "r\t1"));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->schema, "iot");
  EXPECT_EQ(n->sender, "abc");
  EXPECT_EQ(n->topic, "rules");
  EXPECT_EQ(n->key, "r\t1");
  EXPECT_EQ(ParseChangeNotice(ChangeNoticePayload("iot", "abc", "rules", ""))->key, "");
  EXPECT_FALSE(ParseChangeNotice("hello").has_value());
  EXPECT_FALSE(ParseChangeNotice("iot\t\trules\tk").has_value());
}

}  // namespace
}  // namespace tributary::metadata
