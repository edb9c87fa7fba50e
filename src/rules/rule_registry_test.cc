// The rule registry (RuleRegistry): rules kept in the metadata database, read back,
// mended, and followed by another server sharing it.
#include "rules/rule_registry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/testing/temp_dir.h"
#include "metadata/testing/test_database.h"
#include "rules/testing/rules_engine_fixture.h"

namespace tributary::rules {
namespace {

using testing::kReferenceRule;

// Counters for the registries opened without an engine.
RuleMetricsTable* TestMetrics() {
  static MetricsRegistry registry;
  static RuleMetricsTable table(&registry);
  return &table;
}

TEST(RuleRegistryTest, PersistsAcrossReopenAndValidates) {
  auto dir =
      std::filesystem::temp_directory_path() / ("rule-registry-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    auto db = metadata::testing::OpenTestDatabase((dir / "m.db").string());
    ASSERT_TRUE(db.ok());
    auto reg = RuleRegistry::Open(db->get(), TestMetrics());
    ASSERT_TRUE(reg.ok());
    ASSERT_TRUE((*reg)->Create("to_lake", kReferenceRule).ok());
    EXPECT_EQ((*reg)->Create("to_lake", kReferenceRule).status().code(), ErrorCode::kAlreadyExists);
    auto bad = (*reg)->Create("broken", R"({"sql": "SELECT FROM 'x'", "actions": []})");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.status().message().find("column"), std::string::npos) << bad.status().message();
    EXPECT_FALSE((*reg)->Create("bad-name!", kReferenceRule).ok());
    EXPECT_FALSE(
        (*reg)
            ->Create("other",
                     R"({"ruleName": "x", "topicRulePayload": {"sql": "SELECT * FROM 'a'"}})")
            .ok());
    ASSERT_TRUE((*reg)->SetEnabled("to_lake", false).ok());
    EXPECT_EQ((*reg)->Delete("nope").code(), ErrorCode::kNotFound);
  }
  auto db = metadata::testing::OpenTestDatabase((dir / "m.db").string());
  auto reg = RuleRegistry::Open(db->get(), TestMetrics());
  ASSERT_TRUE(reg.ok());
  auto rules = (*reg)->List();
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].name, "to_lake");
  EXPECT_TRUE(rules[0].definition.disabled);
  EXPECT_EQ((*reg)->rule_set()->Get()->size(), 0u);  // disabled rules are not run
  ASSERT_TRUE((*reg)->SetEnabled("to_lake", true).ok());
  EXPECT_EQ((*reg)->rule_set()->Get()->size(), 1u);
  auto j = ToJson(rules[0]);
  EXPECT_EQ(j["actions"][0]["firehose"]["deliveryStreamName"], "pollution");
  ASSERT_TRUE((*reg)->Delete("to_lake").ok());
  EXPECT_TRUE((*reg)->List().empty());
  std::filesystem::remove_all(dir);
}

// A rule read back can be sent again as it is: every field of its actions is kept (roleArn
// too, which the AWS CLI requires), and a firehose action without a separator reads back
// without one.
TEST(RuleRegistryTest, ARuleReadBackCanBeSentAgain) {
  testing_support::TempDir dir;
  auto db = metadata::testing::OpenTestDatabase(dir.path() + "/m.db");
  ASSERT_TRUE(db.ok());
  auto reg = RuleRegistry::Open(db->get(), TestMetrics());
  ASSERT_TRUE(reg.ok());
  ASSERT_TRUE((*reg)
                  ->Create("fh", R"({"sql": "SELECT * FROM 'a/#'", "actions": [
      {"firehose": {"deliveryStreamName": "s1", "roleArn": "arn:aws:iam::1:role/r"}}],
      "errorAction": {"s3": {"bucketName": "errs", "key": "${newuuid()}", "cannedAcl": "private",
                             "roleArn": "arn:aws:iam::1:role/r"}}})")
                  .ok());
  auto got = (*reg)->Get("fh");
  ASSERT_TRUE(got.ok());
  nlohmann::json j = ToJson(*got);
  EXPECT_EQ(j["actions"][0]["firehose"]["roleArn"], "arn:aws:iam::1:role/r");
  EXPECT_FALSE(j["actions"][0]["firehose"].contains("separator"));
  EXPECT_EQ(j["errorAction"]["s3"]["cannedAcl"], "private");
  nlohmann::json again = {{"sql", j["sql"]},
                          {"ruleDisabled", j["ruleDisabled"]},
                          {"awsIotSqlVersion", j["awsIotSqlVersion"]},
                          {"actions", j["actions"]},
                          {"errorAction", j["errorAction"]}};
  auto replaced = (*reg)->Replace("fh", again.dump());
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(ToJson(*replaced)["actions"], j["actions"]);
}

// A stored rule that no longer compiles (stored by a server that checked less) is listed,
// disabled, with why; it can be replaced, disabled or deleted, not enabled.
TEST(RuleRegistryTest, AStoredRuleThatNoLongerCompilesCanBeMended) {
  testing_support::TempDir dir;
  auto db = metadata::testing::OpenTestDatabase(dir.path() + "/m.db");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(RuleRegistry::Open(db->get(), TestMetrics()).ok());  // makes the table
  for (const char* name : {"legacy", "old"}) {
    ASSERT_TRUE(
        (*db)
            ->Exec("INSERT INTO rules(name, payload, disabled, created_at_ms, updated_at_ms) "
                   "VALUES(?, ?, 0, 5, 5)",
                   {metadata::Value(std::string(name)),
                    metadata::Value(std::string(R"({"sql": "SELECT FROM 'x'", "description": "d",)"
                                                R"( "actions": []})"))})
            .ok());
  }
  auto reg = RuleRegistry::Open(db->get(), TestMetrics());
  ASSERT_TRUE(reg.ok());
  auto legacy = (*reg)->Get("legacy");
  ASSERT_TRUE(legacy.ok()) << legacy.status().ToString();
  EXPECT_TRUE(legacy->definition.disabled);
  EXPECT_EQ(legacy->definition.sql, "SELECT FROM 'x'");
  EXPECT_NE(legacy->error.find("does not compile"), std::string::npos) << legacy->error;
  EXPECT_EQ(ToJson(*legacy)["error"], legacy->error);
  EXPECT_EQ((*reg)->List().size(), 2u);
  EXPECT_EQ((*reg)->rule_set()->Get()->size(), 0u);
  EXPECT_EQ((*reg)->Compiled("legacy").status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ((*reg)->SetEnabled("legacy", true).code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE((*reg)->SetEnabled("legacy", false).ok());
  EXPECT_EQ((*reg)->Create("legacy", kReferenceRule).status().code(), ErrorCode::kAlreadyExists);
  auto mended = (*reg)->Replace("legacy", kReferenceRule);
  ASSERT_TRUE(mended.ok()) << mended.status().ToString();
  EXPECT_TRUE(mended->error.empty());
  EXPECT_EQ(mended->created_at_ms, 5);
  EXPECT_EQ((*reg)->rule_set()->Get()->size(), 1u);
  EXPECT_TRUE((*reg)->Delete("old").ok());
  EXPECT_EQ((*reg)->List().size(), 1u);
}

// A definition that gives a field twice is refused naming it (the last one used to win
// without a word), and nothing is stored.
TEST(RuleRegistryTest, ADefinitionGivingAFieldTwiceIsRefused) {
  testing_support::TempDir dir;
  auto db = metadata::Database::Open(dir.path() + "/m.db");
  ASSERT_TRUE(db.ok());
  auto reg = RuleRegistry::Open(db->get(), TestMetrics());
  ASSERT_TRUE(reg.ok());
  auto twice = (*reg)->Create("twice", R"({"topicRulePayload": {
      "sql": "SELECT * FROM 'devices/+/telemetry'", "actions": [],
      "sql": "SELECT * FROM 'devices/#'"}})");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(twice.status().message(),
            "the rule definition gives topicRulePayload.sql twice; keep one");
  EXPECT_EQ((*reg)->Get("twice").status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE((*reg)->Create("once", kReferenceRule).ok());
  auto replaced = (*reg)->Replace("once", R"({"sql": "SELECT * FROM 'a'", "actions": [
      {"republish": {"topic": "b", "topic": "c"}}]})");
  ASSERT_FALSE(replaced.ok());
  EXPECT_EQ(replaced.status().message(),
            "the rule definition gives actions[0].republish.topic twice; keep one");
}

// The database decides what exists, not a server's copy, which lags another server's
// changes until their notice comes (never, between two SQLite handles here).
TEST(RuleRegistryTest, TheDatabaseDecidesWhetherARuleExists) {
  testing_support::TempDir dir;
  auto db_a = metadata::Database::Open(dir.path() + "/m.db");
  auto db_b = metadata::Database::Open(dir.path() + "/m.db");
  ASSERT_TRUE(db_a.ok() && db_b.ok());
  auto a = RuleRegistry::Open(db_a->get(), TestMetrics());
  auto b = RuleRegistry::Open(db_b->get(), TestMetrics());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Create("r", kReferenceRule).ok());
  EXPECT_EQ((*b)->Create("r", kReferenceRule).status().code(), ErrorCode::kAlreadyExists);
  auto b_again = RuleRegistry::Open(db_b->get(), TestMetrics());  // learns of it
  ASSERT_TRUE(b_again.ok());
  EXPECT_TRUE((*b_again)->Get("r").ok());
  ASSERT_TRUE((*a)->Delete("r").ok());
  EXPECT_EQ((*b_again)->Replace("r", kReferenceRule).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ((*b_again)->SetEnabled("r", false).code(), ErrorCode::kNotFound);
  auto a_again = RuleRegistry::Open(db_a->get(), TestMetrics());
  ASSERT_TRUE(a_again.ok());
  EXPECT_TRUE((*a_again)->List().empty());  // the refused replace wrote nothing
}

// Two servers sharing one PostgreSQL schema (rules_test_postgres): each runs what the
// other creates, replaces, disables and deletes.
TEST(RuleRegistryTest, AServerRunsTheRulesAnotherChanges) {
  const char* pg = std::getenv("TRIBUTARY_TEST_POSTGRES_URL");
  if (pg == nullptr || *pg == '\0') GTEST_SKIP() << "runs as rules_test_postgres";
  auto path = (std::filesystem::temp_directory_path() /
               ("rule-follow-" + std::to_string(::getpid()) + ".db"))
                  .string();
  auto db_a = metadata::testing::OpenTestDatabase(path);
  auto db_b = metadata::testing::OpenTestDatabase(path);  // the same schema
  ASSERT_TRUE(db_a.ok() && db_b.ok());
  auto a = RuleRegistry::Open(db_a->get(), TestMetrics());
  auto b = RuleRegistry::Open(db_b->get(), TestMetrics());
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString() << b.status().ToString();
  auto running = [&](RuleRegistry& r) { return r.rule_set()->Get()->size(); };
  auto wait_until = [](const std::function<bool()>& cond) {
    for (int i = 0; i < 200 && !cond(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    return cond();
  };
  ASSERT_TRUE((*a)->Create("to_lake", kReferenceRule).ok());
  ASSERT_TRUE(wait_until([&] { return running(**b) == 1; }));
  EXPECT_EQ((*b)->Get("to_lake")->definition.sql, (*a)->Get("to_lake")->definition.sql);

  ASSERT_TRUE(
      (*b)->Replace("to_lake", R"({"sql": "SELECT * FROM 'other/#'", "actions": []})").ok());
  ASSERT_TRUE(wait_until(
      [&] { return (*a)->Get("to_lake")->definition.sql.find("other/#") != std::string::npos; }));
  ASSERT_TRUE((*a)->SetEnabled("to_lake", false).ok());
  ASSERT_TRUE(wait_until([&] { return running(**b) == 0; }));
  EXPECT_TRUE((*b)->Get("to_lake")->definition.disabled);
  ASSERT_TRUE((*a)->SetEnabled("to_lake", true).ok());
  ASSERT_TRUE(wait_until([&] { return running(**b) == 1; }));
  ASSERT_TRUE((*a)->Delete("to_lake").ok());
  ASSERT_TRUE(wait_until([&] { return (*b)->List().empty(); }));
  EXPECT_EQ(running(**b), 0u);
}

}  // namespace
}  // namespace tributary::rules
