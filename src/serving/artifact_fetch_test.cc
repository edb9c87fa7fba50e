// Models created from a lake URI (a training job's S3ModelArtifacts) over a local lake.
#include "serving/artifact_fetch.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/files.h"
#include "base/testing/temp_dir.h"
#include "serving/store.h"
#include "metadata/testing/test_database.h"

namespace tributary::serving {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class ArtifactFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    objstore::ObjectStoreConfig config;
    config.local_root = dir_.path() + "/lake";
    lake_ = objstore::OpenObjectStores(config).value();
    auto bucket = lake_->Bucket("data").value();
    ASSERT_TRUE(bucket->Put("models/job-1/output/model/model.json", "{\"v\":1}").ok());
    ASSERT_TRUE(bucket->Put("models/job-1/output/model/model.pt", "weights").ok());
    ASSERT_TRUE(bucket->Put("models/not-a-model/readme.txt", "hello").ok());
    cache_ = dir_.path() + "/models";
  }
  testing_support::TempDir dir_;
  std::unique_ptr<objstore::ObjectStoreProvider> lake_;
  std::string cache_;
};

TEST_F(ArtifactFetchTest, ALakeUriIsCopiedIntoTheCache) {
  auto m = ParseModel({{"ModelName", "m1"}, {"Artifact", "s3://data/models/job-1/output/model"}});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->artifact_uri, "s3://data/models/job-1/output/model/");
  EXPECT_TRUE(m->artifact.empty());
  ASSERT_TRUE(FetchModelArtifact(*m, *lake_, cache_).ok());
  EXPECT_EQ(m->artifact, cache_ + "/m1");
  EXPECT_EQ(ReadFile(cache_ + "/m1/model.pt").value(), "weights");
  // Described with the URI it came from; the store reads back both.
  json j = ToJson(*m);
  EXPECT_EQ(j["Artifact"], "s3://data/models/job-1/output/model/");
  EXPECT_EQ(j["ArtifactCache"], cache_ + "/m1");
  testing_support::TempDir db_dir;
  auto db = metadata::testing::OpenTestDatabase(db_dir.path() + "/metadata.db").value();
  auto store = ServingStore::Open(db.get()).value();
  ASSERT_TRUE(store->CreateModel(*m).ok());
  Model back = store->GetModel("m1").value();
  EXPECT_EQ(back.artifact_uri, m->artifact_uri);
  EXPECT_EQ(back.artifact, m->artifact);

  // A copy that went missing is fetched again; one that is there is left alone.
  fs::remove_all(cache_ + "/m1");
  ASSERT_TRUE(EnsureModelArtifact(back, *lake_, cache_).ok());
  EXPECT_TRUE(fs::exists(cache_ + "/m1/model.json"));
  ASSERT_TRUE(WriteFileAtomic(cache_ + "/m1/marker", "x").ok());
  ASSERT_TRUE(EnsureModelArtifact(back, *lake_, cache_).ok());
  EXPECT_TRUE(fs::exists(cache_ + "/m1/marker"));
  RemoveModelArtifactCopy(back);
  EXPECT_FALSE(fs::exists(cache_ + "/m1"));
}

TEST_F(ArtifactFetchTest, ErrorsNameTheUri) {
  auto bad = ParseModel({{"ModelName", "m"}, {"Artifact", "http://data/x/"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Artifact: lake path 'http://data/x/'"), std::string::npos)
      << bad.status().message();

  Model empty = ParseModel({{"ModelName", "m"}, {"Artifact", "s3://data/nothing/"}}).value();
  Status st = FetchModelArtifact(empty, *lake_, cache_);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("no objects under 's3://data/nothing/'"), std::string::npos) << st.message();

  Model not_model = ParseModel({{"ModelName", "m"}, {"Artifact", "s3://data/models/not-a-model/"}}).value();
  st = FetchModelArtifact(not_model, *lake_, cache_);
  EXPECT_NE(st.message().find("'s3://data/models/not-a-model/' has no model.json"), std::string::npos)
      << st.message();
  EXPECT_TRUE(fs::is_empty(cache_));  // nothing half-copied is left
}

}  // namespace
}  // namespace tributary::serving
