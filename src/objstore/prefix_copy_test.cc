#include "objstore/prefix_copy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "base/files.h"
#include "base/testing/temp_dir.h"

namespace tributary::objstore {
namespace {

namespace fs = std::filesystem;
using testing_support::TempDir;

// A bucket whose listing is whatever the test says, as a server nobody here controls
// could answer; reads return the key's bytes.
class ListedBucket : public ObjectStore {
 public:
  explicit ListedBucket(std::vector<std::string> keys) : keys_(std::move(keys)) {}
  Result<std::unique_ptr<ObjectWriter>> NewWriter(const std::string&, const PutOptions&) override {
    return Unimplemented("read-only");
  }
  Result<std::string> Get(const std::string& key, std::optional<ByteRange>) override { return key; }
  Result<ObjectInfo> Head(const std::string& key) override { return NotFound(key); }
  Result<ListResult> List(const std::string&, const std::string&, const ListOptions&) override {
    ListResult r;
    for (const std::string& k : keys_) r.objects.emplace_back().key = k;
    return r;
  }
  Status Delete(const std::string&) override { return Status::Ok(); }
  std::string Describe() const override { return "listed"; }

 private:
  std::vector<std::string> keys_;
};

TEST(DownloadPrefixTest, CopiesEveryObjectUnderTheDirectory) {
  TempDir tmp;
  ListedBucket bucket({"data/train/", "data/train/a.json", "data/train/sub/b.json"});
  auto n = DownloadPrefix(bucket, "data/train/", tmp.path() + "/out");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(*ReadFile(tmp.path() + "/out/a.json"), "data/train/a.json");
  EXPECT_EQ(*ReadFile(tmp.path() + "/out/sub/b.json"), "data/train/sub/b.json");
}

TEST(DownloadPrefixTest, AKeyThatWouldLeaveTheDirectoryIsAnError) {
  for (const char* evil : {"data/train/../../escaped", "data/train/x/../../../escaped",
                           "data/train/./a", "data/train/.."}) {
    TempDir tmp;
    ListedBucket bucket({evil});
    auto n = DownloadPrefix(bucket, "data/train/", tmp.path() + "/in/out");
    ASSERT_FALSE(n.ok()) << evil;
    EXPECT_EQ(n.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(n.status().message().find(std::string("downloading ") + evil), std::string::npos)
        << n.status().message();
    EXPECT_FALSE(fs::exists(tmp.path() + "/escaped")) << evil;
    EXPECT_FALSE(fs::exists(tmp.path() + "/in/escaped")) << evil;
  }
}

TEST(DownloadPrefixTest, TheCheckEndsTheCopyBetweenObjects) {
  TempDir tmp;
  ListedBucket bucket({"p/a", "p/b", "p/c"});
  int calls = 0;
  auto n = DownloadPrefix(bucket, "p/", tmp.path() + "/out", [&] {
    return ++calls == 3 ? Status(ErrorCode::kCancelled, "enough") : Status::Ok();
  });
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), ErrorCode::kCancelled);
  EXPECT_EQ(n.status().message(), "enough");
  EXPECT_TRUE(fs::exists(tmp.path() + "/out/a"));
  EXPECT_TRUE(fs::exists(tmp.path() + "/out/b"));
  EXPECT_FALSE(fs::exists(tmp.path() + "/out/c"));
}

TEST(UploadDirectoryTest, TheCheckEndsTheCopyBeforeTheFirstObject) {
  TempDir tmp;
  ASSERT_TRUE(MakeDirs(tmp.path() + "/in").ok());
  ASSERT_TRUE(WriteFileAtomic(tmp.path() + "/in/model.json", "{}").ok());
  ListedBucket bucket({});  // read-only: a Put would fail with kUnimplemented
  auto n = UploadDirectory(tmp.path() + "/in", bucket, "models/", [] {
    return Status(ErrorCode::kCancelled, "the server stopped");
  });
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), ErrorCode::kCancelled);
}

}  // namespace
}  // namespace tributary::objstore
