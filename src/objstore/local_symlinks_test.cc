// Symbolic links in a local lake's directory are never followed: a key that goes through
// one names no object for reads, and writes and deletes never reach what it points at.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/ids.h"
#include "objstore/local_files.h"
#include "objstore/local_object_store.h"

namespace tributary::objstore {
namespace {
namespace fs = std::filesystem;

// Run with openat2(2) and with the walk that stands in for it where the kernel has none.
class LocalSymlinkTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    local::SetOpenat2ForTesting(GetParam());
    root_ = (fs::temp_directory_path() / ("objstore-links-" + RandomHex(6))).string();
    outside_ = root_ + "-outside";
    fs::create_directories(outside_);
    { std::ofstream(outside_ + "/secret.txt") << "secret"; }
    auto provider = LocalObjectStoreProvider::Open(root_);
    ASSERT_TRUE(provider.ok()) << provider.status().ToString();
    provider_ = std::move(*provider);
    auto bucket = provider_->Bucket("bkt1");
    ASSERT_TRUE(bucket.ok()) << bucket.status().ToString();
    store_ = *bucket;
    bucket_dir_ = root_ + "/bkt1";
    // A link to a file and a link to a folder outside the lake, as someone might leave them.
    fs::create_symlink(outside_ + "/secret.txt", bucket_dir_ + "/link");
    fs::create_directories(bucket_dir_ + "/real");
    fs::create_directory_symlink(outside_, bucket_dir_ + "/real/dirlink");
    fs::create_directory_symlink(outside_, bucket_dir_ + "/dirlink");
  }
  void TearDown() override {
    local::SetOpenat2ForTesting(true);
    fs::remove_all(root_);
    fs::remove_all(outside_);
  }

  std::string Outside() {
    std::ifstream in(outside_ + "/secret.txt");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static bool IsLink(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
  }

  std::string root_, outside_, bucket_dir_;
  std::unique_ptr<LocalObjectStoreProvider> provider_;
  std::shared_ptr<ObjectStore> store_;
};

TEST_P(LocalSymlinkTest, AKeyThroughALinkNamesNoObjectForReads) {
  for (const std::string key : {"link", "dirlink/secret.txt", "real/dirlink/secret.txt"}) {
    EXPECT_EQ(store_->Get(key).status().code(), ErrorCode::kNotFound) << key;
    EXPECT_EQ(store_->Get(key, ByteRange{1, 3, ""}).status().code(), ErrorCode::kNotFound) << key;
    EXPECT_EQ(store_->Head(key).status().code(), ErrorCode::kNotFound) << key;
  }
  for (const std::string prefix : {"", "dirlink/", "dirlink/s", "real/dirlink/", "real/"}) {
    auto listed = store_->List(prefix);
    ASSERT_TRUE(listed.ok()) << prefix << ": " << listed.status().ToString();
    EXPECT_TRUE(listed->objects.empty() && listed->common_prefixes.empty())
        << "prefix '" << prefix << "' listed " << listed->objects.size() << " objects, first "
        << (listed->objects.empty() ? "" : listed->objects[0].key);
  }
}

TEST_P(LocalSymlinkTest, WritesThroughALinkAreRefusedAndTouchNothingOutside) {
  for (const std::string key :
       {"dirlink/x", "dirlink/sub/x", "dirlink/secret.txt", "real/dirlink/x", "link"}) {
    Status st = store_->Put(key, "written");
    EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition) << key << ": " << st.ToString();
    EXPECT_NE(st.message().find("a segment of the key is a symbolic link in the lake directory"),
              std::string::npos)
        << st.ToString();
    PutOptions create_only;
    create_only.condition.if_absent = true;
    EXPECT_EQ(store_->Put(key, "written", create_only).code(), ErrorCode::kFailedPrecondition)
        << key;
    // Large enough for the writer's O_DIRECT path.
    auto writer = store_->NewWriter(key);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    ASSERT_TRUE((*writer)->Write(std::string(3 << 20, 'w')).ok());
    EXPECT_EQ((*writer)->Commit().code(), ErrorCode::kFailedPrecondition) << key;
  }
  EXPECT_FALSE(fs::exists(outside_ + "/x"));
  EXPECT_FALSE(fs::exists(outside_ + "/sub"));
  EXPECT_EQ(Outside(), "secret");
  EXPECT_TRUE(IsLink(bucket_dir_ + "/link")) << "the link was replaced, not refused";
  size_t temp_files = 0;
  for (auto& e : fs::directory_iterator(bucket_dir_ + "/" + kLocalTempDir)) temp_files++, (void)e;
  EXPECT_EQ(temp_files, 0u);
  // Keys beside the links are written as ever.
  ASSERT_TRUE(store_->Put("real/x", "ok").ok());
  EXPECT_EQ(*store_->Get("real/x"), "ok");
}

TEST_P(LocalSymlinkTest, DeletesThroughALinkRemoveNothing) {
  for (const std::string key : {"dirlink/secret.txt", "real/dirlink/secret.txt", "link"}) {
    EXPECT_TRUE(store_->Delete(key).ok()) << key;
    EXPECT_EQ(store_->DeleteIf(key, "*").code(), ErrorCode::kNotFound) << key;
  }
  EXPECT_EQ(Outside(), "secret");
  EXPECT_TRUE(IsLink(bucket_dir_ + "/link"));
  EXPECT_TRUE(IsLink(bucket_dir_ + "/dirlink"));
  EXPECT_TRUE(IsLink(bucket_dir_ + "/real/dirlink"));
}

// The temp folder is the bucket's own: a link in its place is not followed either (the
// sweep of stale temp files would delete old files wherever it points).
TEST_P(LocalSymlinkTest, ATempFolderThatIsALinkIsNeitherSweptNorWrittenThrough) {
  const std::string old_file = outside_ + "/old.log";
  { std::ofstream(old_file) << "keep me"; }
  fs::last_write_time(old_file, fs::file_time_type::clock::now() - std::chrono::hours(3));
  const std::string temp_dir = root_ + "/bkt3/" + kLocalTempDir;
  fs::create_directories(root_ + "/bkt3");
  fs::create_directory_symlink(outside_, temp_dir);
  auto linked = provider_->Bucket("bkt3");
  EXPECT_TRUE(fs::exists(old_file)) << "the sweep deleted a file outside the lake";
  if (linked.ok()) {
    auto writer = (*linked)->NewWriter("a/b");
    EXPECT_FALSE(writer.ok()) << "a writer's temp file went outside the lake";
    EXPECT_EQ(std::distance(fs::directory_iterator(outside_), fs::directory_iterator()), 2);
  }
}

INSTANTIATE_TEST_SUITE_P(Openat2AndWalk, LocalSymlinkTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Openat2" : "Walk"; });

}  // namespace
}  // namespace tributary::objstore
