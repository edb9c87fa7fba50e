#include "objstore/object_store.h"

#include <gtest/gtest.h>

#include "objstore/list_folding.h"

namespace tributary::objstore {
namespace {

TEST(ValidateKey, AcceptsWhatS3Accepts) {
  for (const std::string& key : std::vector<std::string>{
           "a", "2026/11/30/14/pollution-1-2026-11-30-14-02-11-uuid", "a//b", "a/", "a b+c=d&e",
           ".hidden", "a/..b/c.", "\xC3\xA9t\xC3\xA9", std::string(1024, 'k')})
    EXPECT_TRUE(ValidateKey(key).ok()) << key << ": " << ValidateKey(key).ToString();
}

TEST(ValidateKey, RejectsTheUnsafe) {
  for (const std::string& key : std::vector<std::string>{
           "", "/a", ".", "..", "a/..", "../a", "a/./b", "a/../b", std::string("a\0b", 3),
           std::string(1025, 'k'), "\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80"}) {
    Status st = ValidateKey(key);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << "accepted: " << key;
  }
  EXPECT_NE(ValidateKey("a/../b").message().find("'a/../b'"), std::string::npos);
}

TEST(ValidateBucketName, S3Rules) {
  for (const std::string& ok :
       std::vector<std::string>{"iot-data", "abc", "a.b-c", "123", std::string(63, 'a')})
    EXPECT_TRUE(ValidateBucketName(ok).ok()) << ok;
  for (const std::string& bad :
       std::vector<std::string>{"ab", std::string(64, 'a'), "Iot", "iot_data", "-iot", "iot-",
                                "a..b", "192.168.5.4", "a/b", ""})
    EXPECT_EQ(ValidateBucketName(bad).code(), ErrorCode::kInvalidArgument) << bad;
}

TEST(OpenObjectStores, NamesTheBadSetting) {
  ObjectStoreConfig config;
  config.backend = "ftp";
  auto r = OpenObjectStores(config);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("lake.backend"), std::string::npos);
  config.backend = "local";
  EXPECT_NE(OpenObjectStores(config).status().message().find("lake.local_root"), std::string::npos);
  config.backend = "s3";
  EXPECT_NE(OpenObjectStores(config).status().message().find("s3_endpoint"), std::string::npos);
  config.endpoint = "http://127.0.0.1:9000";
  EXPECT_NE(OpenObjectStores(config).status().message().find("s3_access_key_id"),
            std::string::npos);
  EXPECT_NE(OpenObjectStores(config).status().message().find("AWS_SECRET_ACCESS_KEY"),
            std::string::npos);
  config.access_key_id = "k";
  config.secret_access_key = "s";
  config.part_size = 1 << 20;
  EXPECT_NE(OpenObjectStores(config).status().message().find("part_size"), std::string::npos);
  config.part_size = 8 << 20;
  EXPECT_TRUE(OpenObjectStores(config).ok());
  config.endpoint = "ftp://x";
  EXPECT_EQ(OpenObjectStores(config).status().code(), ErrorCode::kInvalidArgument);
}

ObjectInfo Obj(const std::string& key) {
  ObjectInfo info;
  info.key = key;
  info.size = 1;
  return info;
}

// A page after start_after: objects after it; a common prefix after it or holding it
// (S3 gives "a/" after "a/b" for a later "a/c"), but never start_after itself (a page of
// folders that ended with "a/" goes on after the whole folder).
TEST(MayFollow, ObjectsAfterItAndFoldersAfterOrAroundIt) {
  EXPECT_TRUE(MayFollow("a/b", "a/c", false));
  EXPECT_FALSE(MayFollow("a/b", "a/b", false));
  EXPECT_FALSE(MayFollow("a/b", "a/", false));
  EXPECT_TRUE(MayFollow("a/b", "a/", true));
  EXPECT_FALSE(MayFollow("a/", "a/", true));
  EXPECT_TRUE(MayFollow("a/", "b/", true));
  EXPECT_FALSE(MayFollow("b", "a/", true));
  EXPECT_TRUE(MayFollow("", "a/", true));
  EXPECT_TRUE(MayFollow("a", "a/", true));
}

TEST(FoldByDelimiter, FoldsAfterThePrefixOnly) {
  std::vector<ObjectInfo> objects = {Obj("p/a"), Obj("p/b/1"), Obj("p/b/2"), Obj("p/c"),
                                     Obj("p/d/x/y")};
  auto r = FoldByDelimiter(objects, "p/", "/");
  ASSERT_EQ(r.objects.size(), 2u);
  EXPECT_EQ(r.objects[0].key, "p/a");
  EXPECT_EQ(r.objects[1].key, "p/c");
  EXPECT_EQ(r.common_prefixes, (std::vector<std::string>{"p/b/", "p/d/"}));
  EXPECT_EQ(FoldByDelimiter(objects, "p/", "").objects.size(), 5u);
  auto multi = FoldByDelimiter(objects, "p/", "/x/");
  EXPECT_EQ(multi.common_prefixes, std::vector<std::string>{"p/d/x/"});
}

}  // namespace
}  // namespace tributary::objstore
