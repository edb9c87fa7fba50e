// The tags store on SQLite and, as app_test_postgres, on PostgreSQL: add, replace,
// remove, list by key, the 50-tag limit counted with what the resource has, AWS's key and
// value rules naming the tag, resources kept apart, Forget.
#include "app/resource_tags.h"

#include <gtest/gtest.h>

#include "base/testing/temp_dir.h"
#include "metadata/testing/test_database.h"

namespace tributary::app {
namespace {

class ResourceTagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto tags = ResourceTags::Open(db_.get());
    ASSERT_TRUE(tags.ok()) << tags.status().ToString();
    tags_ = std::move(tags).value();
  }

  testing_support::TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<ResourceTags> tags_;
};

constexpr char kStream[] = "arn:aws:firehose:local:000000000000:deliverystream/pollution";
constexpr char kModel[] = "arn:aws:sagemaker:local:000000000000:model/pm";

TEST_F(ResourceTagsTest, AddsReplacesRemovesAndListsByKey) {
  ASSERT_TRUE(tags_->Add(kStream, {{"team", "air"}, {"env", "test"}}).ok());
  ASSERT_TRUE(tags_->Add(kStream, {{"env", "prod"}, {"empty", ""}}).ok());
  ASSERT_TRUE(tags_->Add(kModel, {{"team", "forecast"}}).ok());
  EXPECT_EQ(*tags_->List(kStream), (Tags{{"empty", ""}, {"env", "prod"}, {"team", "air"}}));
  EXPECT_EQ(*tags_->List(kModel), (Tags{{"team", "forecast"}}));
  ASSERT_TRUE(tags_->Remove(kStream, {"empty", "not-there"}).ok());
  EXPECT_EQ(*tags_->List(kStream), (Tags{{"env", "prod"}, {"team", "air"}}));
  ASSERT_TRUE(tags_->Forget(kStream).ok());
  EXPECT_TRUE(tags_->List(kStream)->empty());
  EXPECT_EQ(tags_->List(kModel)->size(), 1u);
}

TEST_F(ResourceTagsTest, AwsLimitsNameTheTag) {
  Tags fifty;
  for (int i = 0; i < 50; ++i) fifty["k" + std::to_string(i)] = "v";
  ASSERT_TRUE(tags_->Add(kModel, fifty).ok());
  ASSERT_TRUE(tags_->Add(kModel, {{"k7", "again"}}).ok());  // a key it has: still 50
  Status over = tags_->Add(kModel, {{"one-more", "v"}});
  EXPECT_EQ(over.code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(over.message().find("would have 51 tags"), std::string::npos) << over.message();
  EXPECT_EQ(tags_->List(kModel)->size(), 50u);  // nothing of the refused call kept
  EXPECT_EQ(tags_->List(kModel)->at("k7"), "again");

  EXPECT_NE(ValidateTags({{"aws:created-by", "x"}}).message().find("aws:created-by"), std::string::npos);
  EXPECT_NE(ValidateTags({{"", "x"}}).message().find("1..128"), std::string::npos);
  EXPECT_NE(ValidateTags({{std::string(129, 'k'), "x"}}).message().find("1..128"), std::string::npos);
  EXPECT_NE(ValidateTags({{"k", std::string(257, 'v')}}).message().find("tag 'k': values are at most 256"), std::string::npos);
  EXPECT_TRUE(ValidateTags({{std::string(128, 'k'), std::string(256, 'v')}}).ok());
  Tags fifty_one = fifty;
  fifty_one["another"] = "v";
  EXPECT_NE(ValidateTags(fifty_one).message().find("51 tags"), std::string::npos);
}

}  // namespace
}  // namespace tributary::app
