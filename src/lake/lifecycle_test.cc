#include "lake/lifecycle.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "base/clock.h"
#include "base/testing/temp_dir.h"
#include "lake/lifecycle_store.h"
#include "lake/lifecycle_sweeper.h"
#include "metadata/testing/test_database.h"
#include "objstore/local_object_store.h"
#include "objstore/testing/forwarding_store.h"

namespace tributary::lake {
namespace {

using nlohmann::json;

constexpr int64_t kDay = 86'400'000;
// 2026-12-01T10:00:00Z
constexpr int64_t kDec1At10 = 1796119200000;

std::string ErrorOf(const json& doc) {
  Result<LifecycleConfiguration> r = LifecycleFromJson(doc);
  return r.ok() ? "ok" : r.status().message();
}

TEST(Lifecycle, ReadsTheAwsCliForm) {
  auto config = LifecycleFromJson(json::parse(R"({"Rules": [
      {"ID": "raw-30d", "Status": "Enabled", "Filter": {"Prefix": "2026/"}, "Expiration": {"Days": 30}},
      {"Status": "Disabled", "Prefix": "old/", "Expiration": {"Days": 7}},
      {"Status": "Enabled", "Filter": {}, "Expiration": {"Days": 365}}]})"));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->rules.size(), 3u);
  EXPECT_EQ(config->rules[0], (LifecycleRule{"raw-30d", true, "2026/", 30}));
  EXPECT_EQ(config->rules[1],
            (LifecycleRule{"rule-1", false, "old/", 7}));  // the legacy Prefix, an ID given
  EXPECT_EQ(config->rules[2], (LifecycleRule{"rule-2", true, "", 365}));
  // And back: what GetBucketLifecycleConfiguration gives reads as the same.
  EXPECT_EQ(*LifecycleFromJson(LifecycleToJson(*config)), *config);
}

TEST(Lifecycle, ReadsAndWritesS3sXml) {
  auto config = LifecycleFromXml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Rule><ID>a&amp;b</ID><Filter><Prefix>raw/</Prefix></Filter><Status>Enabled</Status>"
      "<Expiration><Days>30</Days></Expiration></Rule>"
      "<Rule><ID>all</ID><Filter/><Status>Disabled</Status><Expiration><Days>1</Days></"
      "Expiration></Rule>"
      "</LifecycleConfiguration>");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->rules.size(), 2u);
  EXPECT_EQ(config->rules[0], (LifecycleRule{"a&b", true, "raw/", 30}));
  EXPECT_EQ(config->rules[1], (LifecycleRule{"all", false, "", 1}));
  EXPECT_EQ(*LifecycleFromXml(LifecycleToXml(*config)), *config);
  EXPECT_NE(LifecycleToXml(*config).find("<ID>a&amp;b</ID>"), std::string::npos);

  EXPECT_NE(LifecycleFromXml("<Lifecycle/>").status().message().find("root element is <Lifecycle>"),
            std::string::npos);
  EXPECT_NE(
      LifecycleFromXml("<LifecycleConfiguration><Rule>").status().message().find("is not XML"),
      std::string::npos);
  auto days = LifecycleFromXml(
      "<LifecycleConfiguration><Rule><Status>Enabled</Status><Expiration><Days>soon</Days></"
      "Expiration></Rule>"
      "</LifecycleConfiguration>");
  EXPECT_EQ(days.status().message(),
            "Rules[0].Expiration.Days must be a whole number of days, 1..365000, got \"soon\"");
  // Bytes that are not UTF-8 (XML's text is not checked by the XML reader): refused, not
  // stored where JSON would later choke on them.
  auto id = LifecycleFromXml(
      "<LifecycleConfiguration><Rule><ID>a\xff</ID><Status>Enabled</Status>"
      "<Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>");
  EXPECT_EQ(id.status().message(), "Rules[0].ID is not valid UTF-8");
  auto bad_days = LifecycleFromXml(
      "<LifecycleConfiguration><Rule><Status>Enabled</Status>"
      "<Expiration><Days>(\xc3</Days></Expiration></Rule></LifecycleConfiguration>");
  EXPECT_NE(bad_days.status().message().find("Rules[0].Expiration.Days must be a whole number"),
            std::string::npos);
}

TEST(Lifecycle, RefusesWhatTheLakeCannotDoByName) {
  const json expire = {{"Days", 30}};
  EXPECT_EQ(
      ErrorOf({{"Rules",
                {{{"Status", "Enabled"},
                  {"Expiration", expire},
                  {"Transitions", json::array({{{"Days", 30}, {"StorageClass", "GLACIER"}}})}}}}}),
      "Rules[0].Transitions is not supported: the lake has one storage class, so there is nothing "
      "to move "
      "objects to");
  EXPECT_NE(
      ErrorOf({{"Rules",
                {{{"Status", "Enabled"}, {"Expiration", {{"Date", "2027-01-01T00:00:00Z"}}}}}}})
          .find("Rules[0].Expiration.Date is not supported: only Days"),
      std::string::npos);
  EXPECT_NE(ErrorOf({{"Rules",
                      {{{"Status", "Enabled"},
                        {"Filter", {{"Tag", {{"Key", "k"}, {"Value", "v"}}}}},
                        {"Expiration", expire}}}}})
                .find("Rules[0].Filter.Tag is not supported"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"Rules",
                      {{{"Status", "Enabled"},
                        {"Expiration", expire},
                        {"NoncurrentVersionExpiration", {{"NoncurrentDays", 1}}}}}}})
                .find("keeps no object versions"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"Rules",
                      {{{"Status", "Enabled"},
                        {"Expiration", expire},
                        {"AbortIncompleteMultipartUpload", {{"DaysAfterInitiation", 1}}}}}}})
                .find("AbortIncompleteMultipartUpload is not supported"),
            std::string::npos);
  EXPECT_EQ(ErrorOf({{"Rules", {{{"Status", "On"}, {"Expiration", expire}}}}}),
            "Rules[0].Status must be \"Enabled\" or \"Disabled\", got \"On\"");
  EXPECT_EQ(ErrorOf({{"Rules", {{{"Status", "Enabled"}, {"Expiration", {{"Days", 0}}}}}}}),
            "Rules[0].Expiration.Days must be a whole number of days, 1..365000, got 0");
  EXPECT_EQ(ErrorOf({{"Rules", {{{"Status", "Enabled"}}}}}),
            "Rules[0] has no Expiration: a rule of the lake expires objects after Days");
  EXPECT_EQ(ErrorOf({{"Rules",
                      {{{"Status", "Enabled"},
                        {"Prefix", "a/"},
                        {"Filter", {{"Prefix", "b/"}}},
                        {"Expiration", expire}}}}}),
            "Rules[0] has both Prefix and Filter: give one");
  EXPECT_EQ(ErrorOf({{"Rules",
                      {{{"ID", "x"}, {"Status", "Enabled"}, {"Expiration", expire}},
                       {{"ID", "x"}, {"Status", "Enabled"}, {"Expiration", expire}}}}}),
            "Rules[1].ID 'x' is given to two rules");
  EXPECT_EQ(
      ErrorOf({{"Rules", {{{"Status", "Enabled"}, {"Expiration", expire}, {"Colour", "red"}}}}}),
      "Rules[0] has an unknown member 'Colour'");
  EXPECT_NE(ErrorOf({{"Rules", json::array()}}).find("needs Rules"), std::string::npos);
}

TEST(Lifecycle, AnObjectExpiresAtTheFirstMidnightAfterItsDays) {
  EXPECT_EQ(ExpiresAtMs(kDec1At10, 1), kDec1At10 - 10 * 3600000 + 2 * kDay);  // 2026-12-03T00:00Z
  const int64_t midnight = kDec1At10 - 10 * 3600000;
  EXPECT_EQ(ExpiresAtMs(midnight, 1), midnight + kDay);
  EXPECT_EQ(ExpiresAtMs(midnight + 1, 30), midnight + 31 * kDay);
}

TEST(Lifecycle, TheSoonestEnabledRuleUnderTheKeyApplies) {
  LifecycleConfiguration config{
      {{"all", true, "", 90}, {"raw", true, "raw/", 30}, {"off", false, "raw/x", 1}}};
  EXPECT_EQ(RuleFor(config, "raw/x/1.json")->id, "raw");
  EXPECT_EQ(RuleFor(config, "curated/1.parquet")->id, "all");
  config.rules[0].enabled = false;
  EXPECT_EQ(RuleFor(config, "curated/1.parquet"), nullptr);
}

class LifecycleLakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lake = objstore::LocalObjectStoreProvider::Open(dir_.path() + "/lake");
    ASSERT_TRUE(lake.ok()) << lake.status().ToString();
    lake_ = std::move(*lake);
    bucket_ = *lake_->Bucket("iot-data");
    for (const char* key :
         {"raw/2026/a.json", "raw/2026/b.json", "raw/keep/c.json", "curated/d.parquet"}) {
      ASSERT_TRUE(bucket_->Put(key, std::string(10, 'x')).ok());
    }
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    auto store = LifecycleStore::Open(db_.get());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    auto listing = bucket_->List("", "");
    EXPECT_TRUE(listing.ok()) << listing.status().ToString();
    if (listing.ok()) {
      for (const auto& o : listing->objects) keys.push_back(o.key);
    }
    return keys;
  }

  testing_support::TempDir dir_;
  std::unique_ptr<objstore::LocalObjectStoreProvider> lake_;
  std::shared_ptr<objstore::ObjectStore> bucket_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<LifecycleStore> store_;
};

TEST_F(LifecycleLakeTest, ExpiresOnlyWhatIsDueUnderEnabledRules) {
  LifecycleConfiguration config{{{"raw", true, "raw/2026/", 1},
                                 {"curated", true, "curated/", 30},
                                 {"everything", false, "", 1}}};
  const int64_t now = WallMillis();
  ExpirySummary none = ExpireObjects(*bucket_, config, now);
  EXPECT_EQ(none.expired, 0);
  EXPECT_EQ(none.examined, 3);  // raw/2026/ and curated/ only: the disabled rule lists nothing
  EXPECT_EQ(Keys().size(), 4u);

  ExpirySummary raw = ExpireObjects(*bucket_, config, now + 2 * kDay);
  EXPECT_EQ(raw.expired, 2);
  EXPECT_EQ(raw.bytes, 20);
  EXPECT_EQ(raw.failed, 0);
  EXPECT_EQ(Keys(), (std::vector<std::string>{"curated/d.parquet", "raw/keep/c.json"}));

  ExpirySummary curated = ExpireObjects(*bucket_, config, now + 32 * kDay);
  EXPECT_EQ(curated.expired, 1);
  EXPECT_EQ(Keys(), (std::vector<std::string>{"raw/keep/c.json"}));  // under no enabled rule
}

// A bucket that refuses to delete one key.
class StubbornBucket : public objstore::testing::ForwardingStore {
 public:
  StubbornBucket(std::shared_ptr<objstore::ObjectStore> inner, std::string key)
      : ForwardingStore(std::move(inner)), key_(std::move(key)) {}
  Status Delete(const std::string& key) override {
    if (key == key_) return Unavailable("the store is read-only for now");
    return ForwardingStore::Delete(key);
  }
  Status DeleteIf(const std::string& key, const std::string& if_match) override {
    if (key == key_) return Unavailable("the store is read-only for now");
    return ForwardingStore::DeleteIf(key, if_match);
  }

 private:
  std::string key_;
};

TEST_F(LifecycleLakeTest, AnObjectTheStoreWillNotDeleteIsCountedAndTheOthersGo) {
  StubbornBucket bucket(bucket_, "raw/2026/a.json");
  ExpirySummary s = ExpireObjects(bucket, {{{"raw", true, "raw/", 1}}}, WallMillis() + 2 * kDay);
  EXPECT_EQ(s.expired, 2);  // raw/2026/b.json and raw/keep/c.json
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.first_error, "deleting 'raw/2026/a.json': the store is read-only for now");
  EXPECT_EQ(Keys(), (std::vector<std::string>{"curated/d.parquet", "raw/2026/a.json"}));
}

// A bucket where, just after each listing, a writer replaces one object and another
// deletes a second: the sweep acts on a listing already out of date for them.
class ChangedAfterListing : public objstore::testing::ForwardingStore {
 public:
  // `conditional_deletes` false: a store that cannot delete on a condition (DeleteIf is
  // kUnimplemented), as S3 stores that ignore If-Match on DeleteObject are taken for.
  ChangedAfterListing(std::shared_ptr<objstore::ObjectStore> inner, std::string replaced,
                      std::string deleted, bool conditional_deletes)
      : ForwardingStore(std::move(inner)),
        replaced_(std::move(replaced)),
        deleted_(std::move(deleted)),
        conditional_deletes_(conditional_deletes) {}
  Status DeleteIf(const std::string& key, const std::string& if_match) override {
    if (!conditional_deletes_) return ObjectStore::DeleteIf(key, if_match);
    return ForwardingStore::DeleteIf(key, if_match);
  }
  Result<objstore::ListResult> List(const std::string& prefix, const std::string& delimiter,
                                    const objstore::ListOptions& options) override {
    auto listing = ForwardingStore::List(prefix, delimiter, options);
    EXPECT_TRUE(Put(replaced_, "fresh data, written after the listing").ok());
    EXPECT_TRUE(Delete(deleted_).ok());
    return listing;
  }

 private:
  std::string replaced_, deleted_;
  bool conditional_deletes_;
};

// An object expired as listed but rewritten since is new data: the sweep leaves it (and
// one deleted since is no failure). It deleted the rewritten object unconditionally.
TEST_F(LifecycleLakeTest, AnObjectRewrittenSinceTheListingIsNotDeleted) {
  for (bool conditional_deletes : {true, false}) {
    SCOPED_TRACE(conditional_deletes ? "DeleteIf" : "Head, then Delete");
    ASSERT_TRUE(bucket_->Put("raw/2026/a.json", std::string(10, 'x')).ok());
    ASSERT_TRUE(bucket_->Put("raw/2026/b.json", std::string(10, 'x')).ok());
    ASSERT_TRUE(bucket_->Put("raw/keep/c.json", std::string(10, 'x')).ok());
    ChangedAfterListing bucket(bucket_, "raw/2026/a.json", "raw/2026/b.json", conditional_deletes);
    ExpirySummary s = ExpireObjects(bucket, {{{"raw", true, "raw/", 1}}}, WallMillis() + 2 * kDay);
    EXPECT_EQ(s.examined, 3);
    EXPECT_EQ(s.expired, 1);  // raw/keep/c.json
    EXPECT_EQ(s.changed, 2);
    EXPECT_EQ(s.failed, 0) << s.first_error;
    EXPECT_EQ(s.bytes, 10);
    EXPECT_EQ(Keys(), (std::vector<std::string>{"curated/d.parquet", "raw/2026/a.json"}));
    auto fresh = bucket_->Get("raw/2026/a.json");
    ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
    EXPECT_EQ(*fresh, "fresh data, written after the listing");
  }
}

// A bucket where a writer replaces `key` just after the sweep's last look at it (Head).
class ReplacedAfterHead : public objstore::testing::ForwardingStore {
 public:
  ReplacedAfterHead(std::shared_ptr<objstore::ObjectStore> inner, std::string key)
      : ForwardingStore(std::move(inner)), key_(std::move(key)) {}
  Result<objstore::ObjectInfo> Head(const std::string& key) override {
    auto info = ForwardingStore::Head(key);
    if (key == key_) {
      EXPECT_TRUE(Put(key_, "fresh data, written after the look").ok());
    }
    return info;
  }

 private:
  std::string key_;
};

// Where the store can delete on a condition, the object's ETag as listed is that
// condition: a replacement that lands after every look is not deleted either.
TEST_F(LifecycleLakeTest, TheDeleteIsConditionalOnTheListedObject) {
  ReplacedAfterHead bucket(bucket_, "raw/2026/a.json");
  ExpirySummary s = ExpireObjects(bucket, {{{"raw", true, "raw/", 1}}}, WallMillis() + 2 * kDay);
  EXPECT_EQ(s.expired, 2);
  EXPECT_EQ(s.changed, 1);
  EXPECT_EQ(s.failed, 0) << s.first_error;
  EXPECT_EQ(Keys(), (std::vector<std::string>{"curated/d.parquet", "raw/2026/a.json"}));
}

TEST_F(LifecycleLakeTest, ASweepStopsBetweenTwoObjectsWhenAsked) {
  int asked = 0;
  ExpirySummary s = ExpireObjects(*bucket_, {{{"all", true, "", 1}}}, WallMillis() + 2 * kDay,
                                  [&asked] { return ++asked > 2; });
  EXPECT_EQ(s.expired, 2);
  EXPECT_EQ(Keys().size(), 2u);
}

TEST_F(LifecycleLakeTest, TheStoreKeepsOneConfigurationPerBucket) {
  EXPECT_EQ(store_->Get("iot-data").status().code(), ErrorCode::kNotFound);
  LifecycleConfiguration config{{{"raw", true, "raw/", 30}}};
  ASSERT_TRUE(store_->Put("iot-data", config).ok());
  EXPECT_EQ(*store_->Get("iot-data"), config);
  config.rules[0].days = 7;
  ASSERT_TRUE(store_->Put("iot-data", config).ok());  // replaced, as S3 does
  ASSERT_TRUE(store_->Put("other", config).ok());
  auto all = store_->List();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at("iot-data").rules[0].days, 7);
  ASSERT_TRUE(store_->Delete("iot-data").ok());
  EXPECT_EQ(store_->Delete("iot-data").code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->List()->size(), 1u);
}

TEST_F(LifecycleLakeTest, TheSweeperSweepsWhenWokenAndOnDemand) {
  MetricsRegistry metrics;
  int64_t now = WallMillis() + 2 * kDay;
  LifecycleSweeper sweeper(
      store_.get(), lake_.get(),
      {.interval = std::chrono::hours(1), .metrics = &metrics, .now = [&now] { return now; }});
  EXPECT_EQ(sweeper.SweepBucket("iot-data").status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(sweeper.LastSweep("iot-data").has_value());
  ASSERT_TRUE(sweeper.Start().ok());
  ASSERT_TRUE(store_->Put("iot-data", {{{"raw", true, "raw/2026/", 1}}}).ok());
  sweeper.Wake();
  for (int i = 0; i < 500 && Keys().size() != 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(Keys(), (std::vector<std::string>{"curated/d.parquet", "raw/keep/c.json"}));

  ASSERT_TRUE(store_->Put("iot-data", {{{"all", true, "", 1}}}).ok());
  auto swept = sweeper.SweepBucket("iot-data");
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(swept->expired, 2);
  EXPECT_TRUE(Keys().empty());
  auto last = sweeper.LastSweep("iot-data");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->expired, 2);
  EXPECT_EQ(last->finished_ms, now);
  sweeper.Stop();
  EXPECT_NE(metrics.Render().find("tributary_lake_lifecycle_expired_objects_total 4"),
            std::string::npos)
      << metrics.Render();
}

}  // namespace
}  // namespace tributary::lake
