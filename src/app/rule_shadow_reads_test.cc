// What rules read with get_thing_shadow(): the shadow as GetThingShadow answers it, kept
// between messages (no database read per message) while no shadow was written through
// this server and for at most the max age, so that a write by another server shows then.
// "Another server" here writes the table behind the store's back.
#include "app/rule_shadow_reads.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/testing/temp_dir.h"
#include "metadata/testing/test_database.h"

namespace tributary::app {
namespace {

using nlohmann::json;

class RuleShadowReadsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto store = devices::ShadowStore::Open(db_.get());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    reads_ = std::make_unique<RuleShadowReads>(store_.get(), 1000, [this] { return now_ms_; });
  }

  devices::ShadowDocument Doc(const char* reported, int64_t version) {
    devices::ShadowDocument d;
    d.state = json{{"reported", json::parse(reported)}};
    d.version = version;
    d.exists = true;
    return d;
  }
  // Another server's write: the row changes, this server's store is not told.
  void WriteBehind(const char* thing, const char* reported) {
    auto n = db_->Exec("UPDATE device_shadows SET state=? WHERE thing=?",
                       {metadata::Value(json{{"reported", json::parse(reported)}}.dump()),
                        metadata::Value(std::string(thing))});
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    ASSERT_EQ(*n, 1);
  }
  // The reported state rules see, or "undefined".
  std::string Reported(const char* thing) {
    auto answer = reads_->ThingShadow(thing, "");
    return answer ? json::parse(*answer)["state"]["reported"].dump() : "undefined";
  }

  testing_support::TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<devices::ShadowStore> store_;
  std::unique_ptr<RuleShadowReads> reads_;
  int64_t now_ms_ = 1'796'400'000'000;
};

TEST_F(RuleShadowReadsTest, AReadIsKeptForTheMaxAgeThenReadAgain) {
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"on":true})", 1), 0).ok());
  EXPECT_EQ(Reported("lamp"), R"({"on":true})");
  WriteBehind("lamp", R"({"on":false})");
  now_ms_ += 999;
  EXPECT_EQ(Reported("lamp"), R"({"on":true})");  // kept: the database was not asked
  now_ms_ += 1;
  EXPECT_EQ(Reported("lamp"), R"({"on":false})");  // the max age passed
}

TEST_F(RuleShadowReadsTest, AWriteThroughThisServerShowsAtOnce) {
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"on":true})", 1), 0).ok());
  EXPECT_EQ(Reported("lamp"), R"({"on":true})");
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"on":false})", 2), 1).ok());
  EXPECT_EQ(Reported("lamp"), R"({"on":false})");
  ASSERT_TRUE(store_->Delete("lamp", "", 2).ok());
  EXPECT_EQ(Reported("lamp"), "undefined");
  // A write to another thing's shadow also starts afresh (kept reads are not per thing).
  ASSERT_TRUE(store_->Put("fan", "", Doc(R"({"rpm":5})", 1), 0).ok());
  EXPECT_EQ(Reported("fan"), R"({"rpm":5})");
  EXPECT_EQ(Reported("lamp"), "undefined");
}

TEST_F(RuleShadowReadsTest, NoShadowIsKeptToo) {
  EXPECT_EQ(Reported("lamp"), "undefined");
  // Made by another server: not seen until the max age passes.
  auto n = db_->Exec(
      "INSERT INTO device_shadows(thing, name, state, metadata, version, deleted, updated_ms) "
      "VALUES('lamp', '', '{\"reported\":{\"on\":true}}', '{}', 1, 0, 0)",
      {});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(Reported("lamp"), "undefined");
  now_ms_ += 1000;
  EXPECT_EQ(Reported("lamp"), R"({"on":true})");
}

TEST_F(RuleShadowReadsTest, TheAnswerCarriesTheTimeItIsGiven) {
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"on":true})", 7), 0).ok());
  auto first = reads_->ThingShadow("lamp", "");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(json::parse(*first)["timestamp"], now_ms_ / 1000);
  EXPECT_EQ(json::parse(*first)["version"], 7);
  now_ms_ += 600;  // kept, a second later
  auto second = reads_->ThingShadow("lamp", "");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(json::parse(*second)["timestamp"], now_ms_ / 1000);
  EXPECT_EQ(json::parse(*second)["version"], 7);
  // Named shadows are kept apart from the classic one.
  EXPECT_FALSE(reads_->ThingShadow("lamp", "config").has_value());
}

}  // namespace
}  // namespace tributary::app
